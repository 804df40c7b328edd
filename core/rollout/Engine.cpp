#include "rollout/Engine.h"

#include "build/BuildPipeline.h"
#include "release/ProcessTypes.h"
#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/LiveRelease.h"
#include "router/Router.h"
#include "runtime/Container.h"
#include "runtime/ReleaseUnpacker.h"
#include "util/Background.h"
#include "util/DiskSpace.h"
#include "util/FileTree.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSysInfo>
#include <QUuid>

namespace Slipway {

Engine::Engine(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_context.router = m_options.router;
    m_context.stack = m_options.stack;
    m_context.containersDirectory = m_options.dataDirectory + QStringLiteral("/containers");
    m_context.stateDirectory = m_options.dataDirectory;
    m_context.owner = QString::fromLatin1(
        QCryptographicHash::hash(
            QByteArray(QFileInfo(m_options.dataDirectory).absoluteFilePath().toUtf8() + '@' +
                       QSysInfo::machineUniqueId()),
            QCryptographicHash::Sha256)
            .toHex()
            .left(12));
    if (!m_options.stackCacheDirectory.isEmpty())
        m_context.stackCacheDirectory = m_options.stackCacheDirectory;
    QDir().mkpath(m_context.containersDirectory);
}

Engine::~Engine()
{
    for (AppRecord &record : m_apps)
        delete record.instance;
}

Result<void> Engine::validateAppName(const QString &name)
{
    static const QRegularExpression rule(QStringLiteral("^[a-z][a-z0-9-]{2,47}$"));
    if (!rule.match(name).hasMatch())
        return failure(
            QStringLiteral("'%1' is not a valid app name: use 3 to 48 lowercase letters, "
                           "digits and dashes, starting with a letter")
                .arg(name));
    return {};
}

QString Engine::appDirectory(const QString &app) const
{
    return m_options.dataDirectory + QStringLiteral("/apps/") + app;
}

Result<AppInstance *> Engine::createApp(const QString &name, const AppSettings &settings)
{
    if (Result<void> valid = validateAppName(name); !valid)
        return std::unexpected(valid.error());
    if (m_apps.contains(name))
        return failure(QStringLiteral("an app named '%1' already exists").arg(name));
    AppRecord record;
    record.instance = new AppInstance(name, settings, &m_context, this);
    m_apps.insert(name, record);
    QDir().mkpath(appDirectory(name));
    if (m_options.router)
        m_options.router->setBackends(record.instance->routerName(), {});
    connect(record.instance, &AppInstance::currentReleaseChanged, this,
            [this, name](int version) { Q_EMIT currentReleaseChanged(name, version); });
    Q_EMIT appCreated(name);
    Q_EMIT appsChanged();
    return record.instance;
}

AppInstance *Engine::app(const QString &name) const
{
    return m_apps.value(name).instance;
}

QStringList Engine::appNames() const
{
    return m_apps.keys();
}

Result<void> Engine::setSettings(const QString &app, const AppSettings &settings)
{
    AppInstance *instance = this->app(app);
    if (!instance)
        return failure(QStringLiteral("there is no app named '%1'").arg(app));
    instance->setSettings(settings);
    Q_EMIT settingsChanged(app);
    return {};
}

Result<void> Engine::deleteApp(const QString &name)
{
    if (!m_apps.contains(name))
        return failure(QStringLiteral("there is no app named '%1'").arg(name));
    AppRecord record = m_apps.take(name);
    const QString directory = appDirectory(name);
    AppInstance *instance = record.instance;
    Router *router = m_options.router;
    const QString host = instance->routerName();
    instance->shutdown([instance, directory, router, host] {
        if (router)
            router->removeApp(host);
        instance->deleteLater();
        QDir(directory).removeRecursively();
    });
    // The shutdown emptied the app's backends, which would answer 503 until its containers
    // are gone: the app is gone, not unavailable, so its route goes now (after that, not
    // before, or the emptying would bring it back).
    if (router) {
        router->removeApp(host);
        router->closeTcpPort(host);
    }
    Q_EMIT appDeleted(name);
    Q_EMIT appsChanged();
    return {};
}

ConfigVars Engine::config(const QString &app) const
{
    return m_apps.value(app).config;
}

QStringList Engine::buildpacks(const QString &app) const
{
    return m_apps.value(app).buildpacks;
}

Result<void> Engine::setBuildpacks(const QString &app, const QStringList &references)
{
    if (!m_apps.contains(app))
        return failure(QStringLiteral("there is no app named '%1'").arg(app));
    m_apps[app].buildpacks = references;
    Q_EMIT buildpacksChanged(app);
    return {};
}

QString Engine::buildpackCacheDirectory() const
{
    return m_options.dataDirectory + QStringLiteral("/buildpacks");
}

QList<Release> Engine::releases(const QString &app) const
{
    return m_apps.value(app).releases;
}

Deployment *Engine::deployment(const QString &id) const
{
    for (const AppRecord &record : m_apps) {
        for (const QPointer<Deployment> &deployment : record.deployments) {
            if (deployment && deployment->id() == id)
                return deployment;
        }
    }
    return nullptr;
}

QList<Deployment *> Engine::deployments(const QString &app) const
{
    QList<Deployment *> result;
    for (const QPointer<Deployment> &deployment : m_apps.value(app).deployments) {
        if (deployment)
            result.append(deployment);
    }
    return result;
}

Deployment *Engine::newDeployment(const QString &app, int trigger, const QString &source)
{
    const QString id = QStringLiteral("d%1-%2")
                           .arg(++m_deploymentCounter)
                           .arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
    auto *deployment = new Deployment(id, app, Deployment::Trigger(trigger), source, this);
    m_apps[app].deployments.append(deployment);
    Q_EMIT deploymentCreated(deployment);
    return deployment;
}

int Engine::nextVersion(const AppRecord &record) const
{
    int highest = 0;
    for (const Release &release : record.releases)
        highest = qMax(highest, release.version());
    return highest + 1;
}

Result<Release> Engine::recordRelease(const QString &app, Release::Data data)
{
    AppRecord &record = m_apps[app];
    data.app = app;
    data.version = nextVersion(record);
    data.createdAt = QDateTime::currentDateTimeUtc();
    if (data.stack.isEmpty())
        data.stack = m_options.stack;
    const Release release(std::move(data));
    record.releases.append(release);
    Q_EMIT releaseCreated(release);
    return release;
}

void Engine::pushAndRollOut(Deployment *deployment, const Release &release, bool runHook,
                            std::function<void()> done, bool resume)
{
    deployment->setStatus(DeploymentStatus::Pushing);
    deployment->setReleaseVersion(release.version());
    deployment->addEvent(TimelineEvent::Kind::ReleaseCreated,
                         QStringLiteral("release v%1 created (slug %2)")
                             .arg(release.version())
                             .arg(FileTree::humanSize(release.slugSize())),
                         {}, {{QStringLiteral("release"), release.version()}});
    const QString slug = release.slugPath();
    const QByteArray sha = release.slugSha256();
    const QString root = appDirectory(release.app()) + QStringLiteral("/unpacked");
    const QPointer<Deployment> watcher = deployment;
    const QString appName = release.app();
    runInBackground(
        this, [slug, sha, root] { return ReleaseUnpacker::unpack(slug, sha, root); },
        [this, watcher, release, runHook, done, appName, root,
         resume](const Result<QString> &unpacked) {
            AppInstance *instance = app(appName);
            if (!watcher || !instance) {
                done();
                return;
            }
            if (!unpacked) {
                watcher->setStatus(DeploymentStatus::BuildError,
                                   DiskSpace::explain(unpacked.error().message, {root}));
                done();
                return;
            }
            if (watcher->isCancelRequested()) {
                watcher->setStatus(
                    DeploymentStatus::Aborted,
                    QStringLiteral(
                        "the deployment was cancelled; the running version keeps serving"));
                done();
                return;
            }
            if (resume) {
                instance->resume(watcher, LiveRelease{release, *unpacked},
                                 [done](bool) { done(); });
                return;
            }
            instance->rollOut(watcher, LiveRelease{release, *unpacked}, runHook,
                              [done](bool) { done(); });
        });
}

void Engine::setGitLogin(const QString &host, const GitLogin &login)
{
    m_gitLogins.insert(host, login);
}

void Engine::removeGitLogin(const QString &host)
{
    m_gitLogins.remove(host);
}

Result<Deployment *> Engine::deploySource(const QString &appName, const SourceSpec &source,
                                          const QString &sourceVersion, const QString &description)
{
    AppInstance *instance = app(appName);
    if (!instance)
        return failure(QStringLiteral("there is no app named '%1'").arg(appName));
    QString label = description;
    if (label.isEmpty()) {
        label = source.displayLocation();
        if (!source.ref().isEmpty())
            label += u'#' + source.ref();
    }
    Deployment *deployment = newDeployment(appName, int(Deployment::Trigger::Source), label);
    const QString directory = appDirectory(appName);
    instance->enqueue(deployment, [this, appName, source, directory, sourceVersion](
                                      Deployment *deployment, std::function<void()> done) {
        deployment->setStatus(DeploymentStatus::Building);
        BuildRequest request;
        request.app = appName;
        request.source = source;
        request.appBuildpacks = m_apps.value(appName).buildpacks;
        request.config = m_apps.value(appName).config;
        request.cacheDirectory = directory + QStringLiteral("/cache");
        request.workDirectory =
            m_options.dataDirectory + QStringLiteral("/work/") + deployment->id();
        request.slugPath =
            directory + QStringLiteral("/slugs/") + deployment->id() + QStringLiteral(".tgz");
        request.buildpackCacheDirectory = buildpackCacheDirectory();
        request.builtinBuildpacksDirectory = m_options.builtinBuildpacksDirectory;
        request.stack = m_options.stack;
        request.timeout = m_options.buildTimeout;
        request.sourceSizeLimit = m_options.sourceSizeLimit;
        request.memoryLimit = m_options.buildMemoryLimit;
        request.sourceVersion = sourceVersion;
        request.gitLogins = m_gitLogins;
        auto *pipeline = new BuildPipeline(request, deployment);
        connect(pipeline, &BuildPipeline::logLine, deployment, &Deployment::appendLog);
        connect(deployment, &Deployment::cancelRequested, pipeline, &BuildPipeline::cancel);
        connect(pipeline, &BuildPipeline::fetchProgress, deployment, &Deployment::reportProgress);
        connect(pipeline, &BuildPipeline::phaseStarted, deployment,
                [deployment, pipeline](const QString &phase) {
                    // A fetch is over once the next phase begins.
                    deployment->endProgress();
                    if (phase == QLatin1String("select")) {
                        const qint64 size = pipeline->outcome().sourceSize;
                        deployment->addEvent(
                            TimelineEvent::Kind::SourceFetched,
                            QStringLiteral("source fetched (%1)").arg(FileTree::humanSize(size)),
                            {}, {{QStringLiteral("bytes"), double(size)}});
                    }
                });
        connect(
            pipeline, &BuildPipeline::buildpacksDetected, deployment,
            [deployment, pipeline](const QList<UsedBuildpack> &buildpacks, const QString &rule) {
                auto nameOf = [](const UsedBuildpack &used) {
                    return used.detectName.isEmpty()
                               ? used.reference
                               : QStringLiteral("%1 (%2)").arg(used.detectName, used.reference);
                };
                // One event per buildpack, in the order they compile.
                for (qsizetype i = 0; i < buildpacks.size(); ++i) {
                    const UsedBuildpack &used = buildpacks.at(i);
                    const QString text =
                        buildpacks.size() == 1
                            ? QStringLiteral("buildpacks %1, chosen by %2").arg(nameOf(used), rule)
                            : QStringLiteral("buildpack %1 of %2: %3, chosen by %4")
                                  .arg(i + 1)
                                  .arg(buildpacks.size())
                                  .arg(nameOf(used), rule);
                    // A chosen buildpack whose detect failed still runs: its own name.
                    QString name = used.detectName;
                    if (name.isEmpty()) {
                        const Result<BuildpackRef> ref = BuildpackRef::parse(used.reference);
                        name = ref ? ref->displayName() : used.reference;
                    }
                    deployment->addEvent(
                        TimelineEvent::Kind::BuildpackDetected, text, {},
                        {{QStringLiteral("buildpack"), used.reference},
                         {QStringLiteral("name"), name},
                         {QStringLiteral("rule"), pipeline->outcome().selectionRuleId}});
                }
            });
        connect(pipeline, &BuildPipeline::finished, this,
                [this, deployment, pipeline, appName, done](const BuildOutcome &outcome) {
                    pipeline->deleteLater();
                    if (!outcome.succeeded()) {
                        deployment->setStatus(outcome.status == BuildOutcome::Status::Aborted
                                                  ? DeploymentStatus::Aborted
                                                  : DeploymentStatus::BuildError,
                                              outcome.error);
                        done();
                        return;
                    }
                    deployment->addEvent(
                        TimelineEvent::Kind::SlugBuilt,
                        QStringLiteral("slug built: %1")
                            .arg(FileTree::humanSize(outcome.release.slugSize())),
                        {}, {{QStringLiteral("bytes"), double(outcome.release.slugSize())}});
                    // The version is given when the release is recorded, in the order
                    // releases are made.
                    Release::Data data = outcome.release.data();
                    const int version = nextVersion(m_apps[appName]);
                    const QString slug =
                        appDirectory(appName) + QStringLiteral("/slugs/v%1.tgz").arg(version);
                    QFile::remove(slug);
                    QFile::rename(data.slugPath, slug);
                    data.slugPath = slug;
                    Result<Release> release = recordRelease(appName, data);
                    if (!release) {
                        deployment->setStatus(DeploymentStatus::BuildError,
                                              release.error().message);
                        done();
                        return;
                    }
                    pushAndRollOut(deployment, *release, true, done);
                });
        pipeline->start();
    });
    return deployment;
}

Result<Deployment *> Engine::rollOutNewRelease(const QString &appName, Release::Data data,
                                               int trigger, bool runHook, const QString &source)
{
    AppInstance *instance = app(appName);
    if (!instance)
        return failure(QStringLiteral("there is no app named '%1'").arg(appName));
    Deployment *deployment = newDeployment(appName, trigger, source);
    instance->enqueue(deployment, [this, appName, data, runHook](Deployment *deployment,
                                                                 std::function<void()> done) {
        Result<Release> release = recordRelease(appName, data);
        if (!release) {
            deployment->setStatus(DeploymentStatus::Aborted, release.error().message);
            done();
            return;
        }
        pushAndRollOut(deployment, *release, runHook, done);
    });
    return deployment;
}

Result<Deployment *> Engine::deployRelease(const QString &appName, const Release &built)
{
    if (!app(appName))
        return failure(QStringLiteral("there is no app named '%1'").arg(appName));
    if (!QFile::exists(built.slugPath()))
        return failure(QStringLiteral("the slug '%1' does not exist").arg(built.slugPath()));
    Release::Data data = built.data();
    const QString slugs = appDirectory(appName) + QStringLiteral("/slugs");
    QDir().mkpath(slugs);
    const QString copy =
        slugs +
        QStringLiteral("/imported-%1.tgz").arg(QUuid::createUuid().toString(QUuid::Id128).left(12));
    if (!QFile::copy(built.slugPath(), copy))
        return failure(
            QStringLiteral("cannot copy the slug '%1' into the app's data").arg(built.slugPath()));
    data.slugPath = copy;
    data.config = ConfigVar::merge(data.config, config(appName));
    return rollOutNewRelease(appName, data, int(Deployment::Trigger::Release), true,
                             QStringLiteral("slug %1").arg(QFileInfo(built.slugPath()).fileName()));
}

Result<Deployment *> Engine::rollback(const QString &appName, int version)
{
    if (!app(appName))
        return failure(QStringLiteral("there is no app named '%1'").arg(appName));
    for (const Release &release : m_apps.value(appName).releases) {
        if (release.version() == version) {
            // A new release with the old slug and the old config, like Heroku's.
            Release::Data data = release.data();
            const ConfigVars previous = m_apps[appName].config;
            m_apps[appName].config = data.config;
            QStringList removed;
            for (auto it = previous.cbegin(); it != previous.cend(); ++it) {
                if (!data.config.contains(it.key()))
                    removed.append(it.key());
            }
            Q_EMIT configChanged(appName, data.config, removed);
            return rollOutNewRelease(appName, data, int(Deployment::Trigger::Rollback), true,
                                     QStringLiteral("v%1").arg(version));
        }
    }
    return failure(QStringLiteral("%1 has no release v%2").arg(appName).arg(version));
}

Result<Deployment *> Engine::changeConfig(const QString &appName, const ConfigVars &set,
                                          const QStringList &unset)
{
    AppInstance *instance = app(appName);
    if (!instance)
        return failure(QStringLiteral("there is no app named '%1'").arg(appName));
    for (auto it = set.cbegin(); it != set.cend(); ++it) {
        if (Result<void> valid = ConfigVar::validateName(it.key()); !valid)
            return std::unexpected(valid.error());
        if (Result<void> valid = ConfigVar::validateValue(it.value(), it.key()); !valid)
            return std::unexpected(valid.error());
    }
    for (const QString &name : unset) {
        if (Result<void> valid = ConfigVar::validateName(name); !valid)
            return std::unexpected(valid.error());
    }
    ConfigVars &config = m_apps[appName].config;
    for (auto it = set.cbegin(); it != set.cend(); ++it)
        config.insert(it.key(), it.value());
    for (const QString &name : unset)
        config.remove(name);
    Q_EMIT configChanged(appName, set, unset);
    if (instance->current().isNull())
        return nullptr;
    Release::Data data = instance->current().release.data();
    data.config = config;
    return rollOutNewRelease(appName, data, int(Deployment::Trigger::ConfigChange), true);
}

Result<Deployment *> Engine::restart(const QString &appName)
{
    AppInstance *instance = app(appName);
    if (!instance)
        return failure(QStringLiteral("there is no app named '%1'").arg(appName));
    if (instance->current().isNull())
        return failure(QStringLiteral("%1 has no release to restart yet").arg(appName));
    Deployment *deployment = newDeployment(appName, int(Deployment::Trigger::Restart));
    instance->enqueue(deployment, [instance](Deployment *deployment, std::function<void()> done) {
        // The same release again, through the same steps; its hook already ran.
        instance->rollOut(deployment, instance->current(), false, [done](bool) { done(); });
    });
    return deployment;
}

Result<void> Engine::scale(const QString &appName, const QMap<QString, int> &counts)
{
    AppInstance *instance = app(appName);
    if (!instance)
        return failure(QStringLiteral("there is no app named '%1'").arg(appName));
    return instance->scale(counts);
}

Result<Container *> Engine::run(const QString &appName, const QString &command, QObject *parent)
{
    AppInstance *instance = app(appName);
    if (!instance)
        return failure(QStringLiteral("there is no app named '%1'").arg(appName));
    return instance->createOneOff(command, parent);
}

Result<Deployment *> Engine::restoreApp(const SavedApp &saved)
{
    Result<AppInstance *> created = createApp(saved.name, saved.settings);
    if (!created)
        return std::unexpected(created.error());
    AppRecord &record = m_apps[saved.name];
    record.config = saved.config;
    record.buildpacks = saved.buildpacks;
    record.releases = saved.releases;
    if (saved.currentRelease == 0)
        return nullptr;
    const Release *current = nullptr;
    for (const Release &release : std::as_const(record.releases)) {
        if (release.version() == saved.currentRelease)
            current = &release;
    }
    if (!current)
        return failure(QStringLiteral("%1: the saved current release v%2 is missing")
                           .arg(saved.name)
                           .arg(saved.currentRelease));
    const Release release = *current;
    Deployment *deployment = newDeployment(saved.name, int(Deployment::Trigger::Boot));
    (*created)->enqueue(deployment,
                        [this, release](Deployment *deployment, std::function<void()> done) {
                            // The release that served before keeps serving; its hook already
                            // ran. Containers an engine still runs are taken over as they are.
                            pushAndRollOut(deployment, release, false, done, true);
                        });
    return deployment;
}

void Engine::shutdown(std::function<void()> done)
{
    auto remaining = std::make_shared<int>(int(m_apps.size()));
    if (*remaining == 0) {
        done();
        return;
    }
    for (AppRecord &record : m_apps) {
        record.instance->shutdown(
            [remaining, done] {
                if (--*remaining == 0)
                    done();
            },
            true);
    }
}

} // namespace Slipway
