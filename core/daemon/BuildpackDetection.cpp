#include "daemon/BuildpackDetection.h"

#include "build/BuildPipeline.h"
#include "build/BuildpackSelection.h"
#include "buildpack/BuildpackFetcher.h"
#include "buildpack/BuildpackScripts.h"
#include "source/SourceFetcher.h"
#include "util/Background.h"
#include "util/ProcessRunner.h"
#include "util/ProcessTree.h"
#include "util/Sandbox.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QProcess>
#include <QProcessEnvironment>

namespace Slipway {

namespace {

constexpr int DetectTimeoutMs = 30000;

struct Detected
{
    bool detected = false;
    QString name; // the first line bin/detect printed
};

// Runs a buildpack's bin/detect on the app folder, as a build would: in a sandbox that sees
// the stack, the buildpack and the app folder (both read-only), with no network, and an
// environment of its own. Blocking.
Detected detect(const QString &buildpackDirectory, const QString &appDirectory,
                const QString &stack)
{
    const QString script = buildpackDirectory + QStringLiteral("/bin/detect");
    if (!QFileInfo(script).isFile())
        return {};
    QString program = script;
    QStringList arguments = {appDirectory};
    if (Sandbox::isAvailable()) {
        Sandbox::Setup setup;
        setup.mounts.append({buildpackDirectory, buildpackDirectory, false});
        setup.mounts.append({appDirectory, appDirectory, false});
        setup.workingDirectory = buildpackDirectory;
        arguments = Sandbox::arguments(setup) + QStringList{script, appDirectory};
        program = ProcessRunner::bubblewrapProgram();
    }
    QProcessEnvironment environment;
    environment.insert(
        QStringLiteral("PATH"),
        QStringLiteral("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    environment.insert(QStringLiteral("HOME"), QStringLiteral("/tmp"));
    environment.insert(QStringLiteral("TMPDIR"), QStringLiteral("/tmp"));
    environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    environment.insert(QStringLiteral("STACK"), stack);
    QProcess process;
    process.setProcessEnvironment(environment);
    process.setWorkingDirectory(buildpackDirectory);
    process.start(program, arguments);
    const bool finished = process.waitForFinished(DetectTimeoutMs);
    if (!finished) {
        process.kill();
        process.waitForFinished(5000);
    }
    if (Sandbox::isAvailable())
        ProcessTree::reapAdoptedSandboxes();
    Detected result;
    result.detected =
        finished && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
    if (result.detected)
        result.name = QString::fromUtf8(process.readAllStandardOutput())
                          .section(QLatin1Char('\n'), 0, 0)
                          .trimmed();
    return result;
}

struct Evaluated
{
    BuildpackSelection selection;
    QJsonArray builtins;
    QStringList detectedBuiltins; // in the order auto-detection tries them
};

QJsonValue orNull(const QString &text)
{
    return text.isEmpty() ? QJsonValue() : QJsonValue(text);
}

} // namespace

BuildpackDetection::BuildpackDetection(Request request, QObject *parent)
    : QObject(parent)
    , m_request(std::move(request))
{}

BuildpackDetection::~BuildpackDetection() = default;

void BuildpackDetection::start()
{
    SourceFetcher::Options options;
    options.gitLogins = m_request.gitLogins;
    auto *fetcher = new SourceFetcher(m_request.source, m_request.workDirectory, options, this);
    m_sourceFetcher = fetcher;
    connect(fetcher, &SourceFetcher::finished, this,
            [this, fetcher](const Result<FetchedSource> &fetched) {
                fetcher->deleteLater();
                if (!fetched) {
                    Q_EMIT finished(std::unexpected(fetched.error()));
                    return;
                }
                // The folder a build would run in.
                const Result<QString> appDirectory =
                    BuildPipeline::appDirectory(fetched->directory, m_request.config);
                if (!appDirectory) {
                    Q_EMIT finished(std::unexpected(appDirectory.error()));
                    return;
                }
                evaluate(*appDirectory);
            });
    fetcher->start();
}

void BuildpackDetection::evaluate(const QString &appDirectory)
{
    m_appDirectory = appDirectory;
    const ConfigVars config = m_request.config;
    const QStringList appBuildpacks = m_request.appBuildpacks;
    const QString builtin = m_request.builtinDirectory;
    const QString stack = m_request.stack;
    // A daemon running as root detects as the sandbox's user, which must read the source.
    if (Sandbox::isAvailable()) {
        if (Result<void> given = Sandbox::handOver({m_request.workDirectory}); !given) {
            Q_EMIT finished(std::unexpected(given.error()));
            return;
        }
    }
    // Reading .buildpacks and each bin/detect may take a while: off the caller's thread.
    runInBackground(
        this,
        [config, appBuildpacks, appDirectory, builtin, stack] {
            Evaluated evaluated{
                BuildpackSelection::evaluate(config, appBuildpacks, appDirectory, builtin), {}, {}};
            for (const QString &name : BuildpackFetcher::builtinNames(builtin)) {
                const Detected result =
                    detect(builtin + QLatin1Char('/') + name, appDirectory, stack);
                evaluated.builtins.append(QJsonObject{{QStringLiteral("buildpack"), name},
                                                      {QStringLiteral("detected"), result.detected},
                                                      {QStringLiteral("name"), result.name}});
                if (result.detected)
                    evaluated.detectedBuiltins.append(name);
            }
            return evaluated;
        },
        [this](const Evaluated &evaluated) {
            const BuildpackSelection &selection = evaluated.selection;
            const BuildpackSelection::RuleState &chosen = selection.inEffect();
            QJsonArray rules;
            for (const BuildpackSelection::RuleState &state : selection.rules()) {
                rules.append(
                    QJsonObject{{QStringLiteral("id"), BuildpackSelection::id(state.rule)},
                                {QStringLiteral("label"), BuildpackSelection::label(state.rule)},
                                {QStringLiteral("applies"), state.applies},
                                {QStringLiteral("in_effect"), state.rule == chosen.rule},
                                {QStringLiteral("detail"), state.detail}});
            }
            const BuildpackSelection::BuildpacksFileState &file = selection.buildpacksFile();
            QStringList wouldRun;
            if (chosen.error.isEmpty()) {
                if (chosen.rule == BuildpackSelection::Rule::AutoDetection) {
                    if (!evaluated.detectedBuiltins.isEmpty())
                        wouldRun.append(evaluated.detectedBuiltins.constFirst());
                } else {
                    for (const BuildpackRef &ref : chosen.buildpacks)
                        wouldRun.append(ref.text());
                }
            }
            m_report = {
                {QStringLiteral("results"), evaluated.builtins},
                {QStringLiteral("rule"), BuildpackSelection::description(chosen.rule)},
                {QStringLiteral("rule_id"), BuildpackSelection::id(chosen.rule)},
                {QStringLiteral("rules"), rules},
                {QStringLiteral("buildpacks_file"),
                 QJsonObject{
                     {QStringLiteral("present"), file.present},
                     {QStringLiteral("references"), QJsonArray::fromStringList(file.references)},
                     {QStringLiteral("text"), file.text},
                     {QStringLiteral("error"), orNull(file.error)}}},
                {QStringLiteral("would_run"), QJsonArray::fromStringList(wouldRun)},
            };

            // Every configured buildpack, whichever rule is in effect.
            const QString url = m_request.config.value(QStringLiteral("BUILDPACK_URL")).trimmed();
            if (!url.isEmpty()) {
                const BuildpackSelection::RuleState &rule = selection.rules().constFirst();
                Configured entry{url, QStringLiteral("buildpack-url")};
                if (rule.buildpacks.isEmpty())
                    entry.error = rule.error;
                else
                    entry.ref = rule.buildpacks.constFirst();
                m_configured.append(entry);
            }
            for (const QString &text : std::as_const(m_request.appBuildpacks)) {
                Configured entry{text, QStringLiteral("app-list")};
                if (const Result<BuildpackRef> ref = BuildpackRef::parse(text))
                    entry.ref = *ref;
                else
                    entry.error = ref.error().message;
                m_configured.append(entry);
            }
            for (const BuildpackSelection::RuleState &rule : selection.rules()) {
                if (rule.rule != BuildpackSelection::Rule::BuildpacksFile)
                    continue;
                for (const BuildpackRef &ref : rule.buildpacks) {
                    Configured entry{ref.text(), QStringLiteral("buildpacks-file")};
                    entry.ref = ref;
                    m_configured.append(entry);
                }
            }
            fetchNext(0);
        });
}

void BuildpackDetection::fetchNext(int index)
{
    for (; index < m_configured.size(); ++index) {
        Configured &entry = m_configured[index];
        if (!entry.ref)
            continue;
        // The same buildpack named twice is fetched once.
        bool known = false;
        for (int earlier = 0; earlier < index && !known; ++earlier) {
            const Configured &other = m_configured.at(earlier);
            if (other.ref && *other.ref == *entry.ref) {
                entry.directory = other.directory;
                entry.error = other.error;
                known = true;
            }
        }
        if (!known)
            break;
    }
    if (index >= m_configured.size()) {
        detectConfigured();
        return;
    }
    auto *fetcher =
        new BuildpackFetcher(m_request.builtinDirectory, m_request.buildpackCacheDirectory, this);
    m_buildpackFetcher = fetcher;
    fetcher->setGitLogins(m_request.gitLogins);
    connect(fetcher, &BuildpackFetcher::finished, this,
            [this, fetcher, index](const Result<QList<Buildpack>> &fetched) {
                fetcher->deleteLater();
                Configured &entry = m_configured[index];
                if (fetched && !fetched->isEmpty()) {
                    // Its own copy, as a build runs: a script without the executable bit
                    // detects as it would build.
                    const Result<BuildpackScripts::Copy> copy = BuildpackScripts::copy(
                        fetched->constFirst(), m_request.workDirectory +
                                                   QStringLiteral("/buildpacks/") +
                                                   QString::number(index));
                    if (copy)
                        entry.directory = copy->buildpack.directory;
                    else
                        entry.error = copy.error().message;
                } else
                    entry.error = fetched ? QStringLiteral("could not fetch %1").arg(entry.text)
                                          : fetched.error().message;
                fetchNext(index + 1);
            });
    fetcher->fetch({*m_configured.at(index).ref});
}

void BuildpackDetection::detectConfigured()
{
    QStringList directories;
    for (const Configured &entry : std::as_const(m_configured))
        directories.append(entry.error.isEmpty() ? entry.directory : QString());
    const QString appDirectory = m_appDirectory;
    const QString stack = m_request.stack;
    if (Sandbox::isAvailable()) {
        if (Result<void> given = Sandbox::handOver({m_request.workDirectory}); !given) {
            Q_EMIT finished(std::unexpected(given.error()));
            return;
        }
    }
    runInBackground(
        this,
        [directories, appDirectory, stack] {
            QList<Detected> results;
            for (const QString &directory : directories)
                results.append(directory.isEmpty() ? Detected()
                                                   : detect(directory, appDirectory, stack));
            return results;
        },
        [this](const QList<Detected> &results) {
            QJsonArray configured;
            for (qsizetype i = 0; i < m_configured.size(); ++i) {
                const Configured &entry = m_configured.at(i);
                const Detected result = results.value(i);
                configured.append(QJsonObject{
                    {QStringLiteral("buildpack"), entry.text},
                    {QStringLiteral("origin"), entry.origin},
                    {QStringLiteral("detected"), result.detected},
                    {QStringLiteral("name"), result.detected ? orNull(result.name) : QJsonValue()},
                    {QStringLiteral("error"), orNull(entry.error)}});
            }
            m_report.insert(QStringLiteral("configured"), configured);
            Q_EMIT finished(m_report);
        });
}

} // namespace Slipway
