#pragma once

#include "util/Result.h"

#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <chrono>
#include <functional>

namespace Slipway {

class DockerClient;
class ProcessRunner;
struct ProcessOutcome;

// Makes sure a Docker engine has the debian-12 stack image that containers run on:
// packaging/stack/build-stack-image.sh names it (slipway/stack:debian-12-<hash of its package
// list and itself>); when the engine lacks that tag, the script builds the root filesystem
// (or finds it in its cache) and the tarball is imported through the client. The script's
// progress lines and the import's progress are handed to the caller as they come, for the
// deployment log. Everything runs on the caller's thread's event loop.
//
//   auto *stack = new StackImage(client, this);
//   stack->ensure({.line = ..., .importProgress = ..., .done = [](Result<QString> tag) {...}});
class StackImage : public QObject
{
    Q_OBJECT

public:
    struct Callbacks
    {
        std::function<void(const QString &line)> line;                 // the script's output
        std::function<void(qint64 sent, qint64 total)> importProgress; // bytes of the tarball
        std::function<void(Result<QString> tag)> done;                 // once, at the end
    };

    // The instructions the import applies: the image runs as `slug` in /app by default.
    static const QStringList ImportChanges;
    // A cold build downloads and installs a few hundred packages.
    static constexpr std::chrono::minutes BuildTimeout{30};

    explicit StackImage(DockerClient *client, QObject *parent = nullptr);
    ~StackImage() override;

    // $SLIPWAY_STACK_SCRIPT, else stack/build-stack-image.sh among the installed resources,
    // else the source tree's packaging/stack/build-stack-image.sh.
    static QString defaultScript();
    void setScript(const QString &path) { m_script = path; }
    // The script's cache folder (its default is /var/tmp/slipway-stack).
    void setCacheFolder(const QString &folder) { m_cacheFolder = folder; }

    // Starts; `done` runs once with the tag, or with why there is none.
    void ensure(Callbacks callbacks);
    // Stops the script's whole process tree (SIGTERM, then SIGKILL) or the import; `done` is
    // not called.
    void cancel();
    bool isRunning() const { return m_running; }

private:
    enum class Step { PrintTag, Build };
    void runScript(Step step);
    void onLine(const QString &line);
    void onScriptFinished(const ProcessOutcome &outcome);
    void checkEngine();
    void import();
    void finish(Result<QString> result);

    QPointer<DockerClient> m_client;
    QString m_script = defaultScript();
    QString m_cacheFolder;
    Callbacks m_callbacks;
    bool m_running = false;
    Step m_step = Step::PrintTag;
    QPointer<ProcessRunner> m_runner;
    QString m_tag;
    QString m_tarball;
    QString m_lastLine;
    std::function<void()> m_cancelImport;
};

} // namespace Slipway
