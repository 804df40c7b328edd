#include "build/BuildPipeline.h"

#include "build/BuildpackSelection.h"
#include "buildpack/BuildpackFetcher.h"
#include "buildpack/BuildpackScripts.h"
#include "release/ConfigVars.h"
#include "release/Procfile.h"
#include "runtime/OutboundNetwork.h"
#include "slug/SlugWriter.h"
#include "source/SourceFetcher.h"
#include "util/Background.h"
#include "util/DiskSpace.h"
#include "util/FileTree.h"
#include "util/Sandbox.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace Slipway {

namespace {

constexpr std::chrono::milliseconds DetectTimeout{std::chrono::minutes(2)};
constexpr std::chrono::milliseconds ReleaseTimeout{std::chrono::minutes(2)};
const QString DefaultPath =
    QStringLiteral("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

QString firstLine(const QByteArray &output)
{
    return QString::fromUtf8(output).section(QLatin1Char('\n'), 0, 0).trimmed();
}

QString durationText(std::chrono::milliseconds limit)
{
    const qint64 seconds = limit.count() / 1000;
    if (seconds >= 60 && seconds % 60 == 0)
        return QStringLiteral("%1 min").arg(seconds / 60);
    return QStringLiteral("%1 s").arg(seconds);
}

} // namespace

BuildPipeline::BuildPipeline(BuildRequest request, QObject *parent)
    : QObject(parent)
    , m_request(std::move(request))
{}

BuildPipeline::~BuildPipeline()
{
    m_cancelled = true;
}

const QList<BuildPipeline::Step> &BuildPipeline::recipe()
{
    static const QList<Step> steps = {
        {"fetch", &BuildPipeline::fetchSource},
        {"select", &BuildPipeline::chooseBuildpacks},
        {"detect", &BuildPipeline::detectBuildpacks},
        {"compile", &BuildPipeline::compileBuildpacks},
        {"release", &BuildPipeline::readReleases},
        {"slug", &BuildPipeline::writeSlug},
    };
    return steps;
}

void BuildPipeline::start()
{
    m_deadline = QDeadlineTimer(m_request.timeout);
    QMetaObject::invokeMethod(
        this, [this] { runStep(0); }, Qt::QueuedConnection);
}

void BuildPipeline::cancel()
{
    if (m_finished)
        return;
    m_cancelled = true;
    if (m_sourceFetcher)
        m_sourceFetcher->cancel();
    if (m_buildpackFetcher)
        m_buildpackFetcher->cancel();
    if (m_script)
        m_script->cancel();
    // Steps running on the thread pool notice the flag and end with "cancelled".
    if (!m_sourceFetcher && !m_buildpackFetcher && !m_script && m_step >= 0 &&
        QByteArray(recipe().at(m_step).phase) != "slug")
        fail(QStringLiteral("cancelled"));
}

void BuildPipeline::runStep(int index)
{
    if (m_finished)
        return;
    if (m_cancelled) {
        fail(QStringLiteral("cancelled"));
        return;
    }
    if (index >= recipe().size()) {
        m_outcome.status = BuildOutcome::Status::Success;
        finish();
        return;
    }
    m_step = index;
    m_phaseTimer.start();
    Q_EMIT phaseStarted(QString::fromLatin1(recipe().at(index).phase));
    (this->*recipe().at(index).run)();
}

void BuildPipeline::stepDone()
{
    if (m_finished)
        return;
    m_outcome.phases.append(
        {QString::fromLatin1(recipe().at(m_step).phase), m_phaseTimer.elapsed()});
    runStep(m_step + 1);
}

void BuildPipeline::fail(const QString &message)
{
    if (m_finished)
        return;
    if (m_step >= 0)
        m_outcome.phases.append(
            {QString::fromLatin1(recipe().at(m_step).phase), m_phaseTimer.elapsed()});
    if (m_cancelled) {
        m_outcome.status = BuildOutcome::Status::Aborted;
        m_outcome.error = QStringLiteral("the build was cancelled");
    } else {
        m_outcome.status = BuildOutcome::Status::BuildError;
        // Whatever step ran out of space, the user needs to hear that it did, and where.
        m_outcome.error = DiskSpace::explain(message, {m_request.workDirectory,
                                                       QFileInfo(m_request.slugPath).path(),
                                                       m_request.cacheDirectory});
        Q_EMIT logLine(QStringLiteral(" !     ") + m_outcome.error);
    }
    finish();
}

void BuildPipeline::finish()
{
    m_finished = true;
    if (!m_request.workDirectory.isEmpty())
        QDir(m_request.workDirectory).removeRecursively();
    Q_EMIT finished(m_outcome);
}

Result<void> BuildPipeline::prepareBuildFolders()
{
    const QString work = m_request.workDirectory;
    m_envDirectory = work + QStringLiteral("/env");
    for (const QString &folder :
         QStringList{m_envDirectory, work + QStringLiteral("/home"), work + QStringLiteral("/tmp"),
                     m_request.cacheDirectory}) {
        if (!QDir().mkpath(folder))
            return failure(QStringLiteral("cannot create the build folder '%1'").arg(folder));
    }
    // ENV_DIR: one file per config var, never exported into compile's environment.
    for (auto it = m_request.config.cbegin(); it != m_request.config.cend(); ++it) {
        if (Result<void> valid = ConfigVar::validateName(it.key()); !valid)
            return valid;
        QFile file(m_envDirectory + QLatin1Char('/') + it.key());
        if (!file.open(QIODevice::WriteOnly) || file.write(it.value().toUtf8()) < 0)
            return failure(
                QStringLiteral("cannot write the config var %1 to ENV_DIR").arg(it.key()));
    }
    if (Result<void> written = writeResolverFile(); !written)
        return written;
    m_environment = QProcessEnvironment();
    m_environment.insert(QStringLiteral("PATH"), DefaultPath);
    m_environment.insert(QStringLiteral("HOME"), work + QStringLiteral("/home"));
    m_environment.insert(QStringLiteral("TMPDIR"), work + QStringLiteral("/tmp"));
    m_environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    m_environment.insert(QStringLiteral("STACK"), m_request.stack);
    m_environment.insert(QStringLiteral("APP"), m_request.app);
    m_environment.insert(QStringLiteral("SOURCE_VERSION"), m_sourceVersion);
    return {};
}

Result<void> BuildPipeline::copyBuildpacks()
{
    // The build runs its own copy of each buildpack: nothing it does reaches the fetched
    // one, and a script committed without the executable bit gets it there.
    const QString root = m_request.workDirectory + QStringLiteral("/buildpacks");
    for (qsizetype i = 0; i < m_buildpacks.size(); ++i) {
        Buildpack &buildpack = m_buildpacks[i];
        const Result<BuildpackScripts::Copy> copy =
            BuildpackScripts::copy(buildpack, root + QLatin1Char('/') + QString::number(i));
        if (!copy)
            return failure(copy.error().message);
        if (const QString notice = BuildpackScripts::madeExecutableNotice(*copy); !notice.isEmpty())
            Q_EMIT logLine(notice);
        buildpack = copy->buildpack;
    }
    if (!Sandbox::isAvailable())
        return {};
    // A daemon running as root builds as the sandbox's user.
    return Sandbox::handOver({m_request.workDirectory, m_request.cacheDirectory});
}

void BuildPipeline::startInSandbox(ProcessRunner *runner, ProcessRunner::Spec spec)
{
    m_networkFailure.clear();
    if (!Sandbox::isAvailable()) {
        runner->start(spec);
        return;
    }
    // The build sees the stack and its own folders (source, buildpacks, env, home, tmp
    // under the work folder, and the app's cache), at the same paths as on the host.
    Sandbox::Setup setup;
    setup.mounts.append({m_request.workDirectory, m_request.workDirectory, true});
    setup.mounts.append({m_request.cacheDirectory, m_request.cacheDirectory, true});
    setup.workingDirectory = spec.workingDirectory;
    // It fetches dependencies: through a slirp4netns of its own, as a container, so the
    // host's loopback services stay out of its reach; the host's network where there is
    // none, since a build cannot do without.
    OutboundNetwork *network = nullptr;
    if (OutboundNetwork::isAvailable()) {
        network = new OutboundNetwork(runner);
        const Result<OutboundNetwork::SandboxEnds> ends = network->prepare();
        if (!ends) {
            delete network;
            fail(QStringLiteral("the build's network could not be set up: %1")
                     .arg(ends.error().message));
            return;
        }
        setup.infoDescriptor = ends->info;
        setup.holdDescriptor = ends->hold;
        setup.resolverFile = m_request.workDirectory + QStringLiteral("/resolv.conf");
        spec.passedDescriptors << ends->info << ends->hold;
        connect(network, &OutboundNetwork::failed, this, [this, runner](const QString &reason) {
            m_networkFailure = reason;
            runner->kill();
        });
        connect(runner, &ProcessRunner::finished, network, &OutboundNetwork::stop);
    } else {
        setup.hostNetwork = true;
    }
    spec.sandboxArguments = Sandbox::arguments(setup);
    runner->start(spec);
    if (network)
        network->connectSandbox();
}

Result<void> BuildPipeline::writeResolverFile() const
{
    if (!Sandbox::isAvailable() || !OutboundNetwork::isAvailable())
        return {};
    const QString path = m_request.workDirectory + QStringLiteral("/resolv.conf");
    QFile file(path);
    const QByteArray text = OutboundNetwork::resolverConfiguration();
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
        return failure(QStringLiteral("cannot write '%1': %2").arg(path, file.errorString()));
    return {};
}

bool BuildPipeline::failedForNetwork()
{
    if (m_networkFailure.isEmpty())
        return false;
    fail(QStringLiteral("the build's outbound network could not be set up: %1; check that "
                        "`slirp4netns --version` runs as slipwayd's user and that /dev/net/tun "
                        "exists")
             .arg(m_networkFailure));
    return true;
}

// ---- fetch ---------------------------------------------------------------------------

Result<QString> BuildPipeline::appDirectory(const QString &sourceDirectory,
                                            const ConfigVars &config)
{
    const QString projectDir = config.value(QStringLiteral("PROJECT_DIR")).trimmed();
    if (projectDir.isEmpty())
        return sourceDirectory;
    const QString root = QFileInfo(sourceDirectory).canonicalFilePath();
    const QString candidate =
        QFileInfo(sourceDirectory + QLatin1Char('/') + projectDir).canonicalFilePath();
    if (QDir::isAbsolutePath(projectDir) || candidate.isEmpty() || !QFileInfo(candidate).isDir() ||
        !QString(candidate + QLatin1Char('/')).startsWith(root + QLatin1Char('/'))) {
        return failure(QStringLiteral("PROJECT_DIR is '%1', which is not a folder inside the "
                                      "source; set it to a relative path such as 'server'")
                           .arg(projectDir));
    }
    return candidate;
}

void BuildPipeline::fetchSource()
{
    if (!QDir().mkpath(m_request.workDirectory)) {
        fail(QStringLiteral("cannot create the work folder '%1'").arg(m_request.workDirectory));
        return;
    }
    SourceFetcher::Options options;
    options.sizeLimit = m_request.sourceSizeLimit;
    options.gitLogins = m_request.gitLogins;
    auto *fetcher = new SourceFetcher(m_request.source, m_request.workDirectory, options, this);
    m_sourceFetcher = fetcher;
    connect(fetcher, &SourceFetcher::logLine, this, &BuildPipeline::logLine);
    const QString what = m_request.source.displayLocation();
    connect(fetcher, &SourceFetcher::downloadProgress, this,
            [this, what](qint64 received, qint64 total) {
                Q_EMIT fetchProgress(QStringLiteral("fetch-source"), what, received, total);
            });
    connect(fetcher, &SourceFetcher::finished, this,
            [this, fetcher](const Result<FetchedSource> &fetched) {
                fetcher->deleteLater();
                if (!fetched) {
                    fail(fetched.error().message);
                    return;
                }
                m_outcome.sourceSize = fetched->sizeBytes;
                m_sourceVersion =
                    fetched->version.isEmpty() ? m_request.sourceVersion : fetched->version;
                const Result<QString> appDirectory =
                    BuildPipeline::appDirectory(fetched->directory, m_request.config);
                if (!appDirectory) {
                    fail(appDirectory.error().message);
                    return;
                }
                m_appDirectory = *appDirectory;
                const QString projectDir =
                    m_request.config.value(QStringLiteral("PROJECT_DIR")).trimmed();
                if (!projectDir.isEmpty())
                    Q_EMIT logLine(QStringLiteral("-----> Building the subfolder %1 (PROJECT_DIR)")
                                       .arg(projectDir));
                if (Result<void> prepared = prepareBuildFolders(); !prepared) {
                    fail(prepared.error().message);
                    return;
                }
                stepDone();
            });
    fetcher->start();
}

// ---- select --------------------------------------------------------------------------

void BuildPipeline::useBuildpacks(const QList<BuildpackRef> &refs, const QString &rule)
{
    m_outcome.selectionRule = rule;
    Q_EMIT logLine(QStringLiteral("-----> Buildpacks chosen by %1").arg(rule));
    auto *fetcher = new BuildpackFetcher(m_request.builtinBuildpacksDirectory,
                                         m_request.buildpackCacheDirectory, this);
    m_buildpackFetcher = fetcher;
    fetcher->setGitLogins(m_request.gitLogins);
    connect(fetcher, &BuildpackFetcher::logLine, this, &BuildPipeline::logLine);
    connect(fetcher, &BuildpackFetcher::progress, this,
            [this](const QString &reference, qint64 received, qint64 total) {
                Q_EMIT fetchProgress(QStringLiteral("fetch-buildpack"), reference, received, total);
            });
    connect(fetcher, &BuildpackFetcher::finished, this,
            [this, fetcher](const Result<QList<Buildpack>> &fetched) {
                fetcher->deleteLater();
                if (!fetched) {
                    fail(fetched.error().message);
                    return;
                }
                m_buildpacks = *fetched;
                if (Result<void> copied = copyBuildpacks(); !copied) {
                    fail(copied.error().message);
                    return;
                }
                stepDone();
            });
    fetcher->fetch(refs);
}

void BuildPipeline::chooseBuildpacks()
{
    // First rule that applies wins, as on Scalingo and Heroku.
    const BuildpackSelection selection =
        BuildpackSelection::evaluate(m_request.config, m_request.appBuildpacks, m_appDirectory,
                                     m_request.builtinBuildpacksDirectory);
    const BuildpackSelection::RuleState &chosen = selection.inEffect();
    if (!chosen.error.isEmpty()) {
        fail(chosen.error);
        return;
    }
    m_autoDetect = chosen.rule == BuildpackSelection::Rule::AutoDetection;
    m_outcome.selectionRuleId = BuildpackSelection::id(chosen.rule);
    useBuildpacks(chosen.buildpacks, BuildpackSelection::description(chosen.rule));
}

// ---- detect --------------------------------------------------------------------------

void BuildPipeline::runScript(const Buildpack &buildpack, const QString &script,
                              const QStringList &arguments, std::chrono::milliseconds timeout,
                              bool capture, std::function<void(const ProcessOutcome &)> then)
{
    auto *runner = new ProcessRunner(this);
    m_script = runner;
    ProcessRunner::Spec spec;
    spec.program = buildpack.script(script);
    spec.arguments = arguments;
    spec.workingDirectory = buildpack.directory;
    spec.environment = m_environment;
    spec.timeout = timeout;
    spec.captureStandardOutput = capture;
    // Only compile does real work that may start daemons; detect and release are short
    // and still run in a session of their own that ends with them.
    spec.ownPidNamespace = script == QLatin1String("compile");
    if (script == QLatin1String("compile"))
        spec.memoryLimit = m_request.memoryLimit;
    // Captured scripts (detect, release) keep stdout for us but still show their stderr.
    connect(runner, &ProcessRunner::outputLine, this,
            [this](const QString &line, ProcessRunner::Channel) { Q_EMIT logLine(line); });
    connect(runner, &ProcessRunner::finished, this,
            [this, runner, then = std::move(then)](const ProcessOutcome &outcome) {
                runner->deleteLater();
                if (m_cancelled) {
                    fail(QStringLiteral("cancelled"));
                    return;
                }
                if (failedForNetwork())
                    return;
                then(outcome);
            });
    startInSandbox(runner, spec);
}

void BuildPipeline::detectBuildpacks()
{
    m_detectNames.clear();
    if (m_autoDetect)
        autoDetectNext(0);
    else
        detectNext(0);
}

void BuildPipeline::autoDetectNext(int index)
{
    if (index >= m_buildpacks.size()) {
        QStringList tried;
        for (const Buildpack &buildpack : std::as_const(m_buildpacks))
            tried.append(buildpack.name());
        fail(QStringLiteral("no buildpack detected this app; tried %1. Add a Procfile, set "
                            "BUILDPACK_NAME, or choose buildpacks for the app")
                 .arg(tried.join(QStringLiteral(", "))));
        return;
    }
    const Buildpack buildpack = m_buildpacks.at(index);
    runScript(buildpack, QStringLiteral("detect"), {m_appDirectory}, DetectTimeout, true,
              [this, index, buildpack](const ProcessOutcome &outcome) {
                  if (!outcome.succeeded()) {
                      autoDetectNext(index + 1);
                      return;
                  }
                  QString name = firstLine(outcome.standardOutput);
                  if (name.isEmpty())
                      name = buildpack.name();
                  m_buildpacks = {buildpack};
                  m_detectNames = {name};
                  Q_EMIT logLine(QStringLiteral("-----> %1 app detected (buildpack %2)")
                                     .arg(name, buildpack.name()));
                  stepDone();
              });
}

void BuildPipeline::detectNext(int index)
{
    if (index >= m_buildpacks.size()) {
        stepDone();
        return;
    }
    const Buildpack buildpack = m_buildpacks.at(index);
    if (!QFileInfo(buildpack.script(QStringLiteral("detect"))).isFile()) {
        Q_EMIT logLine(QStringLiteral(" !     Buildpack %1 has no bin/detect; running it anyway")
                           .arg(buildpack.name()));
        m_detectNames.append(QString());
        detectNext(index + 1);
        return;
    }
    runScript(buildpack, QStringLiteral("detect"), {m_appDirectory}, DetectTimeout, true,
              [this, index, buildpack](const ProcessOutcome &outcome) {
                  if (outcome.succeeded()) {
                      QString name = firstLine(outcome.standardOutput);
                      if (name.isEmpty())
                          name = buildpack.name();
                      m_detectNames.append(name);
                      Q_EMIT logLine(QStringLiteral("-----> %1 app detected (buildpack %2)")
                                         .arg(name, buildpack.name()));
                  } else {
                      // Chosen explicitly: a failed detect is only a warning.
                      m_detectNames.append(QString());
                      Q_EMIT logLine(QStringLiteral(" !     Buildpack %1 did not detect this app "
                                                    "(bin/detect %2); running it as chosen")
                                         .arg(buildpack.name(), outcome.describe()));
                  }
                  detectNext(index + 1);
              });
}

// ---- compile -------------------------------------------------------------------------

void BuildPipeline::compileBuildpacks()
{
    m_outcome.buildpacks.clear();
    for (int i = 0; i < m_buildpacks.size(); ++i)
        m_outcome.buildpacks.append({m_buildpacks.at(i).ref.text(), m_detectNames.value(i)});
    Q_EMIT buildpacksDetected(m_outcome.buildpacks, m_outcome.selectionRule);
    compileNext(0);
}

void BuildPipeline::compileNext(int index)
{
    if (index >= m_buildpacks.size()) {
        stepDone();
        return;
    }
    const Buildpack buildpack = m_buildpacks.at(index);
    const QString title =
        m_detectNames.value(index).isEmpty()
            ? buildpack.name()
            : QStringLiteral("%1 (%2)").arg(m_detectNames.value(index), buildpack.name());
    Q_EMIT sectionStarted(title);
    if (m_buildpacks.size() > 1) {
        Q_EMIT logLine(QStringLiteral("-----> Running buildpack %1 of %2: %3")
                           .arg(index + 1)
                           .arg(m_buildpacks.size())
                           .arg(title));
    }
    const auto remaining = std::chrono::milliseconds(qMax<qint64>(1, m_deadline.remainingTime()));
    runScript(buildpack, QStringLiteral("compile"),
              {m_appDirectory, m_request.cacheDirectory, m_envDirectory}, remaining, false,
              [this, index, buildpack](const ProcessOutcome &outcome) {
                  if (outcome.kind == ProcessOutcome::Kind::TimedOut) {
                      fail(QStringLiteral("the build ran past its time limit of %1: buildpack %2 "
                                          "was stopped with all its processes; raise the limit "
                                          "if the build needs longer")
                               .arg(durationText(m_request.timeout), buildpack.name()));
                      return;
                  }
                  m_outcome.peakCompileMemory =
                      qMax(m_outcome.peakCompileMemory, outcome.peakMemory);
                  if (outcome.kind == ProcessOutcome::Kind::MemoryExceeded) {
                      fail(QStringLiteral("buildpack %1 used more than %2 of memory and was "
                                          "stopped with all its processes; raise the build "
                                          "memory limit if the build needs more")
                               .arg(buildpack.name(), FileTree::humanSize(m_request.memoryLimit)));
                      return;
                  }
                  if (!outcome.succeeded()) {
                      fail(QStringLiteral("buildpack %1 failed to compile the app: bin/compile "
                                          "%2; the log above says why")
                               .arg(buildpack.name(), outcome.describe()));
                      return;
                  }
                  sourceExportFile(index);
              });
}

void BuildPipeline::sourceExportFile(int index)
{
    const Buildpack buildpack = m_buildpacks.at(index);
    const QString exportFile = buildpack.directory + QStringLiteral("/export");
    if (index + 1 >= m_buildpacks.size() || !QFileInfo::exists(exportFile)) {
        compileNext(index + 1);
        return;
    }
    // The following buildpacks see what this one exported: source the file in bash and
    // read the resulting environment back.
    auto *runner = new ProcessRunner(this);
    m_script = runner;
    ProcessRunner::Spec spec;
    spec.program = QStringLiteral("bash");
    spec.arguments = {QStringLiteral("-c"),
                      QStringLiteral("set -a; . \"$0\" >&2 || exit 1; set +a; exec env -0"),
                      exportFile};
    spec.workingDirectory = buildpack.directory;
    spec.environment = m_environment;
    spec.timeout = std::chrono::minutes(1);
    spec.captureStandardOutput = true;
    spec.ownPidNamespace = false;
    connect(runner, &ProcessRunner::outputLine, this,
            [this](const QString &line, ProcessRunner::Channel) { Q_EMIT logLine(line); });
    connect(runner, &ProcessRunner::finished, this,
            [this, runner, index, buildpack](const ProcessOutcome &outcome) {
                runner->deleteLater();
                if (m_cancelled) {
                    fail(QStringLiteral("cancelled"));
                    return;
                }
                if (failedForNetwork())
                    return;
                if (!outcome.succeeded()) {
                    fail(QStringLiteral("the export file of buildpack %1 could not be sourced: "
                                        "bash %2")
                             .arg(buildpack.name(), outcome.describe()));
                    return;
                }
                QProcessEnvironment environment;
                const QList<QByteArray> entries = outcome.standardOutput.split('\0');
                for (const QByteArray &entry : entries) {
                    const qsizetype equals = entry.indexOf('=');
                    if (equals <= 0)
                        continue;
                    const QString name = QString::fromUtf8(entry.left(equals));
                    // bash's own bookkeeping is not part of what the buildpack exported.
                    if (name == QLatin1String("_") || name == QLatin1String("SHLVL") ||
                        name == QLatin1String("PWD") || name == QLatin1String("OLDPWD"))
                        continue;
                    environment.insert(name, QString::fromUtf8(entry.mid(equals + 1)));
                }
                m_environment = environment;
                compileNext(index + 1);
            });
    startInSandbox(runner, spec);
}

// ---- release -------------------------------------------------------------------------

void BuildPipeline::readReleases()
{
    m_release = BuildpackReleaseInfo();
    releaseNext(0);
}

void BuildPipeline::releaseNext(int index)
{
    if (index >= m_buildpacks.size()) {
        Result<ProcessTypes> procfile = Procfile::read(m_appDirectory);
        if (!procfile) {
            fail(procfile.error().message);
            return;
        }
        Q_EMIT logLine(QStringLiteral("-----> Discovering process types"));
        if (!procfile->isEmpty()) {
            Q_EMIT logLine(QStringLiteral("       Procfile declares types     -> %1")
                               .arg(procfile->keys().join(QStringLiteral(", "))));
        }
        if (!m_release.defaultProcessTypes.isEmpty()) {
            Q_EMIT logLine(
                QStringLiteral("       Default types for buildpack -> %1")
                    .arg(m_release.defaultProcessTypes.keys().join(QStringLiteral(", "))));
        }
        m_processTypes = m_release.defaultProcessTypes;
        for (auto it = procfile->cbegin(); it != procfile->cend(); ++it)
            m_processTypes.insert(it.key(), it.value());
        if (m_processTypes.isEmpty()) {
            fail(QStringLiteral("the app declares no process type: add a Procfile with a line such "
                                "as 'web: <command that listens on $PORT>'"));
            return;
        }
        stepDone();
        return;
    }
    const Buildpack buildpack = m_buildpacks.at(index);
    const bool last = index + 1 == m_buildpacks.size();
    if (!QFileInfo::exists(buildpack.script(QStringLiteral("release")))) {
        releaseNext(index + 1);
        return;
    }
    runScript(buildpack, QStringLiteral("release"), {m_appDirectory}, ReleaseTimeout, true,
              [this, index, last, buildpack](const ProcessOutcome &outcome) {
                  if (!outcome.succeeded()) {
                      fail(QStringLiteral("buildpack %1: bin/release %2")
                               .arg(buildpack.name(), outcome.describe()));
                      return;
                  }
                  Result<BuildpackReleaseInfo> info =
                      BuildpackReleaseInfo::parse(outcome.standardOutput, buildpack.name());
                  if (!info) {
                      fail(info.error().message);
                      return;
                  }
                  for (auto it = info->configVars.cbegin(); it != info->configVars.cend(); ++it)
                      m_release.configVars.insert(it.key(), it.value());
                  for (const QString &addon : std::as_const(info->addons)) {
                      Q_EMIT logLine(QStringLiteral("       Add-on %1 requested by %2 (not "
                                                    "provisioned by Slipway)")
                                         .arg(addon, buildpack.name()));
                  }
                  // Default process types come from the last buildpack only.
                  if (last)
                      m_release.defaultProcessTypes = info->defaultProcessTypes;
                  releaseNext(index + 1);
              });
}

// ---- slug ----------------------------------------------------------------------------

void BuildPipeline::writeSlug()
{
    const QString appDirectory = m_appDirectory;
    const QString slugPath = m_request.slugPath;
    QDir().mkpath(QFileInfo(slugPath).absolutePath());
    auto log = [this](const QString &line) {
        QMetaObject::invokeMethod(
            this, [this, line] { Q_EMIT logLine(line); }, Qt::QueuedConnection);
    };
    runInBackground(
        this,
        [appDirectory, slugPath, log, cancelled = &m_cancelled] {
            return SlugWriter::write(appDirectory, slugPath, log, cancelled);
        },
        [this](const Result<Slug> &slug) {
            if (!slug) {
                fail(slug.error().message);
                return;
            }
            m_outcome.uncompressedSlugSize = slug->uncompressedBytes;
            Release::Data data;
            data.app = m_request.app;
            data.version = m_request.releaseVersion;
            data.createdAt = QDateTime::currentDateTimeUtc();
            data.slugPath = slug->path;
            data.slugSize = slug->sizeBytes;
            data.slugSha256 = slug->sha256;
            data.processTypes = m_processTypes;
            data.configDefaults = m_release.configVars;
            data.config = m_request.config;
            data.buildpacks = m_outcome.buildpacks;
            data.selectionRule = m_outcome.selectionRule;
            data.sourceVersion = m_sourceVersion;
            data.stack = m_request.stack;
            m_outcome.release = Release(std::move(data));
            stepDone();
        });
}

} // namespace Slipway
