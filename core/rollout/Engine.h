#pragma once

#include "build/BuildRequest.h"
#include "git/GitLogins.h"
#include "release/ConfigVars.h"
#include "release/Release.h"
#include "rollout/AppSettings.h"
#include "rollout/RuntimeContext.h"
#include "source/SourceSpec.h"
#include "util/Result.h"

#include <QMap>
#include <QObject>
#include <QPointer>

#include <chrono>
#include <functional>

namespace Slipway {

class AppInstance;
class Container;
class Deployment;
class Router;

// The deployment engine for one user: apps, their releases and deployments, the
// containers and the router. Every change of what runs — a build, a rollback, a config
// change, a restart — goes through the same four rollout steps.
class Engine : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QString dataDirectory;
        Router *router = nullptr;
        QString builtinBuildpacksDirectory;
        QString stack = QStringLiteral("debian-12");
        std::chrono::milliseconds buildTimeout{std::chrono::minutes(30)};
        qint64 sourceSizeLimit = 300LL * 1024 * 1024;
        qint64 buildMemoryLimit = BuildRequest::defaultMemoryLimit();
        // Where stack images for Docker engines are built; empty: /var/tmp/slipway-stack.
        QString stackCacheDirectory;
    };

    explicit Engine(Options options, QObject *parent = nullptr);
    ~Engine() override;

    // ---- apps
    Result<AppInstance *> createApp(const QString &name, const AppSettings &settings = {});
    AppInstance *app(const QString &name) const;
    QStringList appNames() const;
    Result<void> setSettings(const QString &app, const AppSettings &settings);
    // Stops the app's containers, forgets it and removes its data.
    Result<void> deleteApp(const QString &name);
    static Result<void> validateAppName(const QString &name);

    // ---- config and buildpacks
    ConfigVars config(const QString &app) const;
    // Sets and unsets config vars; when the app runs a release, a new release with the
    // same slug rolls out (the returned deployment), else nullptr.
    Result<Deployment *> changeConfig(const QString &app, const ConfigVars &set,
                                      const QStringList &unset = {});
    QStringList buildpacks(const QString &app) const;
    Result<void> setBuildpacks(const QString &app, const QStringList &references);
    // Where fetched custom buildpacks are kept between builds.
    QString buildpackCacheDirectory() const;

    // ---- logins for private git sources and buildpacks, by host
    void setGitLogin(const QString &host, const GitLogin &login);
    void removeGitLogin(const QString &host);
    const GitLogins &gitLogins() const { return m_gitLogins; }

    // ---- deployments
    // `description` names the source in listings; by default its location and ref.
    Result<Deployment *> deploySource(const QString &app, const SourceSpec &source,
                                      const QString &sourceVersion = {},
                                      const QString &description = {});
    // A release built elsewhere (`slipctl build`): its slug is copied in.
    Result<Deployment *> deployRelease(const QString &app, const Release &built);
    Result<Deployment *> rollback(const QString &app, int version);
    Result<Deployment *> restart(const QString &app);
    Result<void> scale(const QString &app, const QMap<QString, int> &counts);
    // A one-off container with the current release's environment; the caller owns it
    // and starts it.
    Result<Container *> run(const QString &app, const QString &command, QObject *parent);

    QList<Release> releases(const QString &app) const;
    Deployment *deployment(const QString &id) const;
    QList<Deployment *> deployments(const QString &app) const;

    // Stops every container of every app, but those an engine keeps running for the next
    // slipwayd to take over; `done` once nothing else runs any more.
    void shutdown(std::function<void()> done);

    const Options &options() const { return m_options; }
    RuntimeContext *context() { return &m_context; }

    // ---- restoring saved state (the daemon's store)
    struct SavedApp
    {
        QString name;
        AppSettings settings;
        ConfigVars config;
        QStringList buildpacks;
        QList<Release> releases;
        int currentRelease = 0; // 0: none
    };
    // Recreates an app as it was saved and, when it had a current release, brings that
    // release back to serving through the rollout steps (a "boot" deployment, no hook).
    Result<Deployment *> restoreApp(const SavedApp &saved);

Q_SIGNALS:
    void deploymentCreated(Slipway::Deployment *deployment);
    void appsChanged();
    // What a store must keep; emitted after the change took effect in the engine.
    void appCreated(const QString &app);
    void appDeleted(const QString &app);
    void settingsChanged(const QString &app);
    void configChanged(const QString &app, const Slipway::ConfigVars &set,
                       const QStringList &unset);
    void buildpacksChanged(const QString &app);
    void releaseCreated(const Slipway::Release &release);
    void currentReleaseChanged(const QString &app, int version);

private:
    struct AppRecord
    {
        AppInstance *instance = nullptr;
        ConfigVars config;
        QStringList buildpacks;
        QList<Release> releases;
        QList<QPointer<Deployment>> deployments;
    };

    Deployment *newDeployment(const QString &app, int trigger, const QString &source = {});
    QString appDirectory(const QString &app) const;
    int nextVersion(const AppRecord &record) const;
    Result<Release> recordRelease(const QString &app, Release::Data data);
    // Unpacks the release (off the event loop), then rolls it out.
    // `resume`: after a restart of the daemon, containers still running are taken over.
    void pushAndRollOut(Deployment *deployment, const Release &release, bool runHook,
                        std::function<void()> done, bool resume = false);
    Result<Deployment *> rollOutNewRelease(const QString &app, Release::Data data, int trigger,
                                           bool runHook, const QString &source = {});

    Options m_options;
    RuntimeContext m_context;
    QMap<QString, AppRecord> m_apps;
    int m_deploymentCounter = 0;
    GitLogins m_gitLogins;
};

} // namespace Slipway
