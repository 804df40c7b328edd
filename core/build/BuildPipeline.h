#pragma once

#include "build/BuildOutcome.h"
#include "build/BuildRequest.h"
#include "buildpack/Buildpack.h"
#include "buildpack/BuildpackReleaseInfo.h"
#include "util/ProcessRunner.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QProcessEnvironment>

#include <atomic>

namespace Slipway {

class BuildpackFetcher;
class ProcessRunner;
class SourceFetcher;

// From a source to a slug and a release, the classic buildpack way:
//   fetch the source → choose buildpacks → detect → compile each → release → slug.
// Asynchronous and cancellable; the log streams line by line as the buildpacks print it.
class BuildPipeline : public QObject
{
    Q_OBJECT

public:
    explicit BuildPipeline(BuildRequest request, QObject *parent = nullptr);
    ~BuildPipeline() override;

    // Starts on the next event loop turn, so listeners connected after start() miss nothing.
    void start();
    void cancel();
    const BuildOutcome &outcome() const { return m_outcome; }

    // The folder a build of the source in `sourceDirectory` runs in: the source itself, or
    // the subfolder PROJECT_DIR names, which must be inside it.
    static Result<QString> appDirectory(const QString &sourceDirectory, const ConfigVars &config);

Q_SIGNALS:
    void logLine(const QString &line);
    // A buildpack's part of the log begins (the console folds the log by these).
    void sectionStarted(const QString &title);
    void phaseStarted(const QString &phase);
    // Detection is over: these buildpacks compile, in this order, chosen by that rule.
    void buildpacksDetected(const QList<Slipway::UsedBuildpack> &buildpacks, const QString &rule);
    // Bytes of a long fetch so far: `phase` is "fetch-source" (an http(s) download or a git
    // clone of the source) or "fetch-buildpack"; `what` names the source or the buildpack;
    // `total` is -1 when not known.
    void fetchProgress(const QString &phase, const QString &what, qint64 bytes, qint64 total);
    void finished(const Slipway::BuildOutcome &outcome);

private:
    using StepFunction = void (BuildPipeline::*)();
    struct Step
    {
        const char *phase;
        StepFunction run;
    };
    static const QList<Step> &recipe();

    void runStep(int index);
    void stepDone();
    void fail(const QString &message);
    void finish();

    void fetchSource();
    void chooseBuildpacks();
    void detectBuildpacks();
    void compileBuildpacks();
    void readReleases();
    void writeSlug();

    void detectNext(int index);
    void autoDetectNext(int index);
    void compileNext(int index);
    void sourceExportFile(int index);
    void releaseNext(int index);
    void runScript(const Buildpack &buildpack, const QString &script, const QStringList &arguments,
                   std::chrono::milliseconds timeout, bool capture,
                   std::function<void(const ProcessOutcome &)> then);
    Result<void> prepareBuildFolders();
    // Each buildpack runs from a copy in the work folder: a buildpack writes its `export`
    // file there, and the sandbox gives a build write access to nothing else of the host.
    Result<void> copyBuildpacks();
    // Starts a buildpack's script in its sandbox (with its way out to the network), or as
    // it is without bubblewrap.
    void startInSandbox(ProcessRunner *runner, ProcessRunner::Spec spec);
    // What the build reads as its /etc/resolv.conf when it has a network of its own.
    Result<void> writeResolverFile() const;
    // Fails the build when the script ended because its network could not be set up.
    bool failedForNetwork();
    void useBuildpacks(const QList<BuildpackRef> &refs, const QString &rule);

    BuildRequest m_request;
    BuildOutcome m_outcome;
    int m_step = -1;
    QElapsedTimer m_phaseTimer;
    QDeadlineTimer m_deadline;
    std::atomic<bool> m_cancelled{false};
    bool m_finished = false;

    QString m_appDirectory; // BUILD_DIR
    QString m_envDirectory; // ENV_DIR
    QString m_sourceVersion;
    QProcessEnvironment m_environment;
    bool m_autoDetect = false;
    QList<Buildpack> m_buildpacks;
    QStringList m_detectNames;
    BuildpackReleaseInfo m_release;
    ProcessTypes m_processTypes;

    QPointer<SourceFetcher> m_sourceFetcher;
    QPointer<BuildpackFetcher> m_buildpackFetcher;
    QPointer<ProcessRunner> m_script;
    QString m_networkFailure; // why the running script's network failed, if it did
};

} // namespace Slipway
