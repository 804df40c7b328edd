#include "BuildCommand.h"

#include "util/SignalWatcher.h"

#include "build/BuildPipeline.h"
#include "release/ConfigVars.h"
#include "util/FileTree.h"
#include "util/Paths.h"
#include "util/ProcessTree.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTextStream>

#include <csignal>
#include <cstdio>

using namespace Slipway;

namespace {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

int usageError(const QString &message)
{
    err() << "slipctl build: " << message << '\n'
          << "Usage: slipctl build SOURCE --slug OUT.tgz [--app NAME] [--buildpack REF]... "
             "[--env K=V]... [--cache DIR] [--ref REF] [--timeout SECONDS] "
             "[--max-source-size MB] [--max-memory MB] [--json]\n";
    err().flush();
    return 2;
}

QString releaseRecordPath(const QString &slugPath)
{
    QString base = slugPath;
    for (const QString &suffix : {QStringLiteral(".tar.gz"), QStringLiteral(".tgz")}) {
        if (base.endsWith(suffix)) {
            base.chop(suffix.size());
            break;
        }
    }
    return base + QStringLiteral(".release.json");
}

QJsonObject toJson(const BuildOutcome &outcome, const SourceSpec &source, const QString &app,
                   const QString &recordPath)
{
    QJsonArray buildpacks;
    for (const UsedBuildpack &used : outcome.buildpacks) {
        buildpacks.append(QJsonObject{{QStringLiteral("reference"), used.reference},
                                      {QStringLiteral("detect_name"), used.detectName}});
    }
    QJsonObject durations;
    for (const BuildOutcome::Phase &phase : outcome.phases)
        durations.insert(phase.name, double(phase.milliseconds));
    durations.insert(QStringLiteral("total"), double(outcome.totalMilliseconds()));

    QJsonObject result{
        {QStringLiteral("status"), BuildOutcome::statusName(outcome.status)},
        {QStringLiteral("app"), app},
        {QStringLiteral("source"),
         QJsonObject{{QStringLiteral("kind"), source.kindName()},
                     {QStringLiteral("location"), source.displayLocation()},
                     {QStringLiteral("ref"), source.ref()},
                     {QStringLiteral("size"), double(outcome.sourceSize)}}},
        {QStringLiteral("selection_rule"), outcome.selectionRule},
        {QStringLiteral("buildpacks"), buildpacks},
        {QStringLiteral("durations_ms"), durations},
        {QStringLiteral("peak_compile_memory"), double(outcome.peakCompileMemory)},
    };
    if (!outcome.succeeded()) {
        result.insert(QStringLiteral("error"), outcome.error);
        return result;
    }
    const Release &release = outcome.release;
    QJsonObject processTypes;
    for (auto it = release.processTypes().cbegin(); it != release.processTypes().cend(); ++it)
        processTypes.insert(it.key(), it.value());
    result.insert(QStringLiteral("process_types"), processTypes);
    result.insert(QStringLiteral("source_version"), release.sourceVersion());
    result.insert(
        QStringLiteral("slug"),
        QJsonObject{{QStringLiteral("path"), release.slugPath()},
                    {QStringLiteral("size"), double(release.slugSize())},
                    {QStringLiteral("uncompressed_size"), double(outcome.uncompressedSlugSize)},
                    {QStringLiteral("sha256"), QString::fromLatin1(release.slugSha256())}});
    result.insert(QStringLiteral("release"),
                  QJsonObject{{QStringLiteral("path"), recordPath},
                              {QStringLiteral("version"), release.version()}});
    return result;
}

} // namespace

int runBuildCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Build an app into a slug with buildpacks, in this process."));
    parser.addPositionalArgument(QStringLiteral("build"), QStringLiteral("the command"));
    parser.addPositionalArgument(
        QStringLiteral("SOURCE"),
        QStringLiteral("folder, git URL or path, archive (path or URL), .jar/.war"));
    const QCommandLineOption slugOption(QStringLiteral("slug"),
                                        QStringLiteral("where to write the slug (.tgz)"),
                                        QStringLiteral("OUT.tgz"));
    const QCommandLineOption appOption(QStringLiteral("app"), QStringLiteral("app name (APP)"),
                                       QStringLiteral("NAME"));
    const QCommandLineOption buildpackOption(
        QStringLiteral("buildpack"), QStringLiteral("buildpack to run, in order (repeatable)"),
        QStringLiteral("REF"));
    const QCommandLineOption envOption(
        QStringLiteral("env"), QStringLiteral("config var (repeatable)"), QStringLiteral("K=V"));
    const QCommandLineOption cacheOption(QStringLiteral("cache"),
                                         QStringLiteral("CACHE_DIR kept between builds"),
                                         QStringLiteral("DIR"));
    const QCommandLineOption refOption(
        QStringLiteral("ref"), QStringLiteral("git branch, tag or commit"), QStringLiteral("REF"));
    const QCommandLineOption timeoutOption(
        QStringLiteral("timeout"), QStringLiteral("build time limit in seconds (default 1800)"),
        QStringLiteral("SECONDS"));
    const QCommandLineOption sizeOption(
        QStringLiteral("max-source-size"),
        QStringLiteral("largest uncompressed source in MB (default 300)"), QStringLiteral("MB"));
    const QCommandLineOption memoryOption(
        QStringLiteral("max-memory"),
        QStringLiteral("memory bin/compile may use, all its processes together, in MB (default: "
                       "half the machine's, at most 4096; 0: no limit)"),
        QStringLiteral("MB"));
    const QCommandLineOption jsonOption(
        QStringLiteral("json"), QStringLiteral("print one JSON document (the log goes to stderr)"));
    parser.addOptions({slugOption, appOption, buildpackOption, envOption, cacheOption, refOption,
                       timeoutOption, sizeOption, memoryOption, jsonOption});
    parser.addHelpOption();
    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        out() << parser.helpText();
        return 0;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 2)
        return usageError(positional.size() < 2 ? QStringLiteral("give the SOURCE to build")
                                                : QStringLiteral("give exactly one SOURCE"));
    if (!parser.isSet(slugOption))
        return usageError(QStringLiteral("give the slug's path with --slug OUT.tgz"));

    Result<SourceSpec> source = SourceSpec::parse(positional.at(1), parser.value(refOption));
    if (!source)
        return usageError(source.error().message);

    BuildRequest request;
    request.source = *source;
    request.app = parser.isSet(appOption) ? parser.value(appOption) : source->suggestedAppName();
    request.slugPath = QFileInfo(parser.value(slugOption)).absoluteFilePath();
    request.appBuildpacks = parser.values(buildpackOption);
    for (const QString &assignment : parser.values(envOption)) {
        Result<QPair<QString, QString>> parsed = ConfigVar::parseAssignment(assignment);
        if (!parsed)
            return usageError(parsed.error().message);
        request.config.insert(parsed->first, parsed->second);
    }
    if (parser.isSet(timeoutOption)) {
        bool ok = false;
        const int seconds = parser.value(timeoutOption).toInt(&ok);
        if (!ok || seconds <= 0)
            return usageError(QStringLiteral("--timeout takes a positive number of seconds"));
        request.timeout = std::chrono::seconds(seconds);
    }
    if (parser.isSet(sizeOption)) {
        bool ok = false;
        const qint64 megabytes = parser.value(sizeOption).toLongLong(&ok);
        if (!ok || megabytes <= 0)
            return usageError(QStringLiteral("--max-source-size takes a positive number of MB"));
        request.sourceSizeLimit = megabytes * 1024 * 1024;
    }
    if (parser.isSet(memoryOption)) {
        bool ok = false;
        const qint64 megabytes = parser.value(memoryOption).toLongLong(&ok);
        if (!ok || megabytes < 0)
            return usageError(QStringLiteral("--max-memory takes a number of MB (0 for no limit)"));
        request.memoryLimit = megabytes * 1024 * 1024;
    }
    const QString cacheRoot = Paths::cacheDirectory();
    request.cacheDirectory = parser.isSet(cacheOption)
                                 ? QFileInfo(parser.value(cacheOption)).absoluteFilePath()
                                 : cacheRoot + QStringLiteral("/apps/") + request.app;
    request.buildpackCacheDirectory = cacheRoot + QStringLiteral("/buildpacks");
    request.builtinBuildpacksDirectory = Paths::builtinBuildpacksDirectory();

    QTemporaryDir work(QDir::tempPath() + QStringLiteral("/slipway-build-XXXXXX"));
    if (!work.isValid())
        return usageError(
            QStringLiteral("cannot create a work folder in %1").arg(QDir::tempPath()));
    request.workDirectory = work.path();

    const bool json = parser.isSet(jsonOption);
    QTextStream &log = json ? err() : out();

    // Orphans of buildpack scripts come back to us, so nothing escapes the build.
    ProcessTree::becomeSubreaper();

    BuildPipeline pipeline(request);
    SignalWatcher interrupts;
    int interruptedBy = 0;
    QObject::connect(&interrupts, &SignalWatcher::interrupted, &pipeline, [&](int signal) {
        interruptedBy = signal;
        log << " !     " << (signal == SIGTERM ? "Terminated" : "Interrupted")
            << ": stopping the build and every process it started\n";
        log.flush();
        pipeline.cancel();
    });
    QObject::connect(&pipeline, &BuildPipeline::logLine, &pipeline, [&log](const QString &line) {
        log << line << '\n';
        log.flush();
    });
    int exitCode = 1;
    QObject::connect(
        &pipeline, &BuildPipeline::finished, &pipeline, [&](const BuildOutcome &finished) {
            BuildOutcome outcome = finished;
            QString recordPath;
            if (outcome.succeeded()) {
                recordPath = releaseRecordPath(request.slugPath);
                if (Result<void> saved = outcome.release.save(recordPath); !saved) {
                    // A slug without its release record is not a release: fail
                    // the build rather than report a success nobody can deploy.
                    log << " !     " << saved.error().message << '\n';
                    QFile::remove(request.slugPath);
                    outcome.status = BuildOutcome::Status::BuildError;
                    outcome.error = saved.error().message;
                    recordPath.clear();
                } else {
                    log << "-----> Slug " << outcome.release.slugPath() << " ("
                        << FileTree::humanSize(outcome.release.slugSize()) << ")\n"
                        << "       Process types: "
                        << outcome.release.processTypes().keys().join(QStringLiteral(", ")) << '\n';
                }
            }
            const QString seconds =
                QString::number(double(outcome.totalMilliseconds()) / 1000.0, 'f', 1);
            if (outcome.succeeded())
                log << "-----> Build succeeded in " << seconds << " s\n";
            else
                log << "-----> Build failed (" << BuildOutcome::statusName(outcome.status)
                    << ") after " << seconds << " s\n";
            log.flush();
            if (json) {
                out() << QJsonDocument(toJson(outcome, request.source, request.app, recordPath))
                             .toJson(QJsonDocument::Indented);
                out().flush();
            }
            exitCode = outcome.succeeded() ? 0
                       : outcome.status == BuildOutcome::Status::Aborted
                           ? 128 + (interruptedBy ? interruptedBy : SIGINT)
                           : 1;
            QCoreApplication::exit(exitCode);
        });
    pipeline.start();
    QCoreApplication::exec();
    return exitCode;
}
