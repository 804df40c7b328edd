#include "daemon/EngineJournal.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "runtime/LogLine.h"
#include "secrets/SecretVault.h"
#include "store/LogFile.h"
#include "store/Store.h"
#include "util/ProcessTree.h"

#include <QDir>
#include <QFile>
#include <QUuid>

#include <csignal>

namespace Slipway {

namespace {

const QString SecretPrefix = QStringLiteral("secret-ref:");
constexpr qint64 DeploymentLogLimit = 1024LL * 1024 * 1024;

QString secretKey(const QString &app, const QString &name)
{
    // A new entry per value: older releases keep pointing at the value they were made with.
    return QStringLiteral("app/%1/config/%2/%3")
        .arg(app, name, QUuid::createUuid().toString(QUuid::Id128).left(12));
}

// The session a process belongs to, from /proc/PID/stat (0 when it is gone).
qint64 sessionOf(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray line = file.readAll();
    const qsizetype close = line.lastIndexOf(')');
    const QList<QByteArray> fields = line.mid(close + 2).split(' ');
    return fields.size() > 3 ? fields.at(3).toLongLong() : 0;
}

} // namespace

EngineJournal::EngineJournal(Engine *engine, Store *store, SecretVault *vault, QString logDirectory,
                             QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_store(store)
    , m_vault(vault)
    , m_logDirectory(std::move(logDirectory))
{
    QDir().mkpath(m_logDirectory + QStringLiteral("/apps"));
    QDir().mkpath(m_logDirectory + QStringLiteral("/deployments"));

    connect(engine, &Engine::appCreated, this, [this](const QString &app) {
        if (!m_restoring) {
            const Result<AppRecord> created =
                m_store->createApp(app, m_engine->app(app)->settings());
            if (!created)
                report(std::unexpected(created.error()), "create the app");
        }
        watchApp(app);
    });
    connect(engine, &Engine::appDeleted, this, [this](const QString &app) {
        report(m_store->deleteApp(app), "delete the app");
        for (const QString &ref : m_secretRefs.value(app))
            m_vault->remove(ref, [](const Result<void> &) {});
        m_secretRefs.remove(app);
        m_secrets.remove(app);
        m_appLogs.remove(app);
    });
    connect(engine, &Engine::settingsChanged, this, [this](const QString &app) {
        const AppSettings settings = m_engine->app(app)->settings();
        report(m_store->updateSettings(app, settings), "save the settings");
        report(m_store->setRouterName(app, settings.routerName), "save the router name");
    });
    connect(engine, &Engine::configChanged, this, &EngineJournal::recordConfig);
    connect(engine, &Engine::buildpacksChanged, this, [this](const QString &app) {
        report(m_store->setBuildpacks(app, m_engine->buildpacks(app)), "save the buildpacks");
    });
    connect(engine, &Engine::releaseCreated, this, &EngineJournal::recordRelease);
    connect(engine, &Engine::currentReleaseChanged, this, [this](const QString &app, int version) {
        report(m_store->setCurrentRelease(app, version), "save the current release");
    });
    connect(engine, &Engine::deploymentCreated, this, &EngineJournal::watchDeployment);
}

EngineJournal::~EngineJournal() = default;

void EngineJournal::report(const Result<void> &result, const char *what)
{
    if (!result)
        qWarning("slipwayd: could not %s in the store: %s", what,
                 qPrintable(result.error().message));
}

QString EngineJournal::deploymentLogPath(const QString &deploymentId) const
{
    return m_logDirectory + QStringLiteral("/deployments/") + deploymentId + QStringLiteral(".log");
}

QString EngineJournal::appLogPath(const QString &app) const
{
    return m_logDirectory + QStringLiteral("/apps/") + app + QStringLiteral(".log");
}

void EngineJournal::setSecret(const QString &app, const QString &name, bool secret)
{
    if (secret)
        m_secrets[app].insert(name);
    else
        m_secrets[app].remove(name);
}

bool EngineJournal::isSecret(const QString &app, const QString &name) const
{
    return m_secrets.value(app).contains(name);
}

QSet<QString> EngineJournal::secretNames(const QString &app) const
{
    return m_secrets.value(app);
}

LogFile *EngineJournal::appLog(const QString &app)
{
    std::shared_ptr<LogFile> &log = m_appLogs[app];
    if (!log)
        log = std::make_shared<LogFile>(appLogPath(app));
    return log.get();
}

void EngineJournal::watchApp(const QString &app)
{
    AppInstance *instance = m_engine->app(app);
    if (!instance)
        return;
    connect(instance, &AppInstance::containerLog, this, [this, app](const LogLine &line) {
        appLog(app)->append(line.format());
        Q_EMIT containerLogLine(app, line);
    });
    connect(instance, &AppInstance::containersChanged, this,
            [this, app] { recordContainers(app); });
}

void EngineJournal::watchDeployment(Deployment *deployment)
{
    DeploymentRecord record;
    record.id = deployment->id();
    record.app = deployment->app();
    record.trigger = Deployment::triggerName(deployment->trigger());
    record.source = deployment->source();
    record.status = deployment->status();
    record.createdAt = deployment->createdAt();
    record.logPath = deploymentLogPath(deployment->id());
    report(m_store->addDeployment(record), "record the deployment");
    // One file for the whole log: /output serves it whole and log-section events point at
    // its lines by index, which rotating it at the usual 10 MB would break.
    auto log = std::make_shared<LogFile>(record.logPath, DeploymentLogLimit);
    // Open while the deployment runs; a finished one (the engine keeps many) holds no file,
    // and the few lines that come after its end (old containers stopping) reopen it briefly.
    connect(deployment, &Deployment::logAppended, this, [log, deployment](const QString &line) {
        log->append(line);
        if (deployment->isFinished())
            log->close();
    });
    connect(
        deployment, &Deployment::statusChanged, this,
        [this, deployment, log](DeploymentStatus status) {
            if (isFinal(status))
                log->close();
            std::optional<int> version;
            if (deployment->releaseVersion() > 0)
                version = deployment->releaseVersion();
            report(m_store->updateDeployment(deployment->id(), status, deployment->error(), version,
                                             deployment->finishedAt()),
                   "update the deployment");
            // Known from the moment it left the queue, before its first status change.
            if (deployment->previousRelease())
                report(m_store->setPreviousRelease(deployment->id(), deployment->previousRelease()),
                       "save the deployment's previous release");
        });
    connect(deployment, &Deployment::eventAdded, this,
            [this, deployment](const TimelineEvent &event) {
                const Result<int> added = m_store->addTimelineEvent(deployment->id(), event);
                if (!added)
                    qWarning("slipwayd: could not record a timeline event: %s",
                             qPrintable(added.error().message));
            });
}

void EngineJournal::recordConfig(const QString &app, const ConfigVars &set,
                                 const QStringList &unset)
{
    for (auto it = set.cbegin(); it != set.cend(); ++it) {
        if (!isSecret(app, it.key())) {
            m_secretRefs[app].remove(it.key());
            report(m_store->setConfigVar(app, it.key(), it.value(), false), "save a config var");
            continue;
        }
        const QString key = secretKey(app, it.key());
        m_secretRefs[app].insert(it.key(), key);
        const QString name = it.key();
        m_vault->write(key, it.value().toUtf8(), [name](const Result<void> &written) {
            if (!written)
                qWarning("slipwayd: could not keep the secret %s: %s", qPrintable(name),
                         qPrintable(written.error().message));
        });
        report(m_store->setConfigVar(app, it.key(), std::nullopt, true, key),
               "save a secret's reference");
    }
    for (const QString &name : unset) {
        const Result<bool> removed = m_store->unsetConfigVar(app, name);
        if (!removed)
            qWarning("slipwayd: %s", qPrintable(removed.error().message));
        m_secrets[app].remove(name);
        m_secretRefs[app].remove(name);
    }
}

void EngineJournal::recordRelease(const Release &release)
{
    // Secret values never reach the store: the release keeps their keychain references.
    Release::Data data = release.data();
    for (auto it = data.config.begin(); it != data.config.end(); ++it) {
        if (isSecret(data.app, it.key()))
            it.value() = SecretPrefix + m_secretRefs.value(data.app).value(it.key());
    }
    report(m_store->addRelease(Release(std::move(data))), "record the release");
}

void EngineJournal::recordContainers(const QString &app)
{
    AppInstance *instance = m_engine->app(app);
    if (!instance)
        return;
    QSet<QString> present;
    for (const ContainerStatus &status : instance->containerStatuses()) {
        ContainerRecord record;
        record.app = app;
        record.name = status.name;
        record.releaseVersion = status.releaseVersion;
        record.type = status.type;
        // A process tree of its own is ended by pid after a crash of the daemon; an engine's
        // container is the engine's to keep, and the next daemon takes it over.
        record.pid = status.outlivesDaemon ? 0 : status.pid;
        record.pgid = record.pid; // every container leads its own session
        record.port = status.port;
        record.state = status.state;
        record.restarts = status.restarts;
        record.startedAt = QDateTime::currentDateTimeUtc();
        present.insert(status.name);
        report(m_store->upsertContainer(record), "record a container");
    }
    const Result<QList<ContainerRecord>> known = m_store->containers(app);
    if (!known)
        return;
    for (const ContainerRecord &record : *known) {
        if (!present.contains(record.name))
            m_store->removeContainer(app, record.name);
    }
}

void EngineJournal::killOrphans()
{
    const QString data = m_engine->options().dataDirectory;
    const Result<QList<ContainerRecord>> containers = m_store->allContainers();
    if (!containers)
        return;
    for (const ContainerRecord &record : *containers) {
        // Only a process that still leads the very session it led and works in this data
        // folder is ours: the pid may have come round to another process, even to another
        // session leader.
        if (record.pid > 0 && sessionOf(record.pid) == record.pgid &&
            ProcessTree::isAlive(pid_t(record.pid)) &&
            ProcessTree::refersTo(pid_t(record.pid), data)) {
            qWarning("slipwayd: ending %s of %s left from before (pid %lld)",
                     qPrintable(record.name), qPrintable(record.app), record.pid);
            ProcessTree::signalAll(pid_t(record.pid), SIGKILL);
        }
        m_store->removeContainer(record.app, record.name);
    }
    // A sandbox whose start the kill interrupted had no record yet.
    for (const pid_t pid : ProcessTree::endStrayBubblewrapsUnder(data))
        qWarning("slipwayd: ended a sandbox left half started from before (pid %d)", int(pid));
}

void EngineJournal::restore(std::function<void(Result<QStringList>)> done)
{
    const Result<QStringList> aborted = m_store->markUnfinishedAborted(
        QStringLiteral("slipwayd stopped while this deployment ran; the release serving before it "
                       "kept its place"));
    if (!aborted) {
        done(std::unexpected(aborted.error()));
        return;
    }
    killOrphans();
    const Result<QList<AppRecord>> apps = m_store->apps();
    if (!apps) {
        done(std::unexpected(apps.error()));
        return;
    }
    auto saved = std::make_shared<QList<Engine::SavedApp>>();
    auto references = std::make_shared<QHash<QString, QString>>(); // ref → value, filled below
    for (const AppRecord &record : *apps) {
        Engine::SavedApp app;
        app.name = record.name;
        app.settings = record.settings;
        app.settings.routerName = record.routerName;
        app.buildpacks = record.buildpacks;
        app.currentRelease = record.currentRelease.value_or(0);
        if (Result<QList<ConfigVarRecord>> vars = m_store->configVars(record.name)) {
            for (const ConfigVarRecord &var : *vars) {
                if (var.secret) {
                    m_secrets[record.name].insert(var.name);
                    m_secretRefs[record.name].insert(var.name, var.secretRef);
                    app.config.insert(var.name, SecretPrefix + var.secretRef);
                    references->insert(var.secretRef, QString());
                } else {
                    app.config.insert(var.name, var.value.value_or(QString()));
                }
            }
        }
        if (Result<QList<Release>> releases = m_store->releases(record.name)) {
            app.releases = *releases;
            for (const Release &release : *releases) {
                for (const QString &value : release.config()) {
                    if (value.startsWith(SecretPrefix))
                        references->insert(value.mid(SecretPrefix.size()), QString());
                }
            }
        }
        saved->append(app);
    }

    auto finish = [this, saved, references, done] {
        auto resolve = [references](ConfigVars &config) {
            for (auto it = config.begin(); it != config.end(); ++it) {
                if (it.value().startsWith(SecretPrefix))
                    it.value() = references->value(it.value().mid(SecretPrefix.size()));
            }
        };
        QStringList restored;
        m_restoring = true;
        for (Engine::SavedApp &app : *saved) {
            resolve(app.config);
            for (Release &release : app.releases) {
                Release::Data data = release.data();
                resolve(data.config);
                release = Release(std::move(data));
            }
            const Result<Deployment *> deployment = m_engine->restoreApp(app);
            if (!deployment)
                qWarning("slipwayd: %s", qPrintable(deployment.error().message));
            restored.append(app.name);
        }
        m_restoring = false;
        done(restored);
    };
    if (references->isEmpty()) {
        finish();
        return;
    }
    auto remaining = std::make_shared<int>(int(references->size()));
    const QStringList keys = references->keys();
    for (const QString &key : keys) {
        m_vault->read(key, [references, key, remaining, finish](const Result<QByteArray> &value) {
            if (value)
                references->insert(key, QString::fromUtf8(*value));
            else
                qWarning("slipwayd: a secret could not be read back (%s)",
                         qPrintable(value.error().message));
            if (--*remaining == 0)
                finish();
        });
    }
}

} // namespace Slipway
