#pragma once

#include "release/Release.h"
#include "rollout/AppSettings.h"
#include "rollout/DeploymentStatus.h"
#include "rollout/TimelineEvent.h"
#include "store/AppRecord.h"
#include "store/ConfigVarRecord.h"
#include "store/ContainerRecord.h"
#include "store/DeploymentRecord.h"
#include "store/GitCredentialRecord.h"
#include "store/Migration.h"
#include "store/TokenRecord.h"
#include "util/Result.h"

#include <QList>
#include <QSet>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

class QSqlQuery;
class QThread;

namespace Slipway {

// The daemon's persistent state: apps, their config vars and releases, deployments with
// their timelines, the containers it runs and the API tokens it accepts. One SQLite file
// in WAL mode, migrated to the current schema when opened. A Store is used from the thread
// that opened it; several may be open at once on different files.
class Store
{
public:
    // Opens (creating when missing) the database at `path` and brings its schema up to
    // date. A database written by a newer Slipway is refused untouched.
    static Result<std::unique_ptr<Store>>
    open(const QString &path, const QList<Migration> &migrations = storeMigrations());
    ~Store();
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    const QString &path() const { return m_path; }
    Result<int> schemaVersion();

    // ---- apps
    Result<AppRecord> createApp(const QString &name, const AppSettings &settings);
    Result<QList<AppRecord>> apps();
    Result<AppRecord> app(const QString &name);
    Result<void> updateSettings(const QString &name, const AppSettings &settings);
    Result<void> setRouterName(const QString &name, const QString &routerName);
    Result<void> setBuildpacks(const QString &name, const QStringList &references);
    Result<void> setCurrentRelease(const QString &name, int version);
    // Removes the app with everything that belongs to it: config vars, releases,
    // deployments and their timelines, containers.
    Result<void> deleteApp(const QString &name);

    // ---- config vars
    // A secret has no value here, only `secretRef`, its entry in the OS keychain.
    Result<void> setConfigVar(const QString &app, const QString &name,
                              const std::optional<QString> &value, bool secret = false,
                              const QString &secretRef = {});
    // False when the var was not set.
    Result<bool> unsetConfigVar(const QString &app, const QString &name);
    Result<QList<ConfigVarRecord>> configVars(const QString &app);

    // ---- releases (immutable once added)
    Result<void> addRelease(const Release &release);
    Result<QList<Release>> releases(const QString &app); // by version, oldest first
    Result<Release> release(const QString &app, int version);
    Result<int> nextReleaseVersion(const QString &app);

    // ---- deployments
    Result<void> addDeployment(const DeploymentRecord &deployment);
    Result<void> updateDeployment(const QString &id, DeploymentStatus status, const QString &error,
                                  std::optional<int> releaseVersion, const QDateTime &finishedAt);
    // The release that served the app when the deployment started to run.
    Result<void> setPreviousRelease(const QString &id, std::optional<int> version);
    // Newest first; `limit` <= 0 lists them all.
    Result<QList<DeploymentRecord>> deployments(const QString &app, int limit = 0);
    Result<DeploymentRecord> deployment(const QString &id);
    Result<QList<DeploymentRecord>> unfinishedDeployments();
    // After the daemon was lost: every deployment not in a final status becomes `aborted`
    // with `reason` as its error. Returns their ids.
    Result<QStringList> markUnfinishedAborted(const QString &reason);

    // ---- timelines; returns the event's sequence number within its deployment. An event's
    // data is kept as JSON; events recorded before it was kept read back with {}.
    Result<int> addTimelineEvent(const QString &deploymentId, const TimelineEvent &event);
    Result<QList<TimelineEvent>> timeline(const QString &deploymentId);

    // ---- containers
    Result<void> upsertContainer(const ContainerRecord &container);
    // False when there was no such container.
    Result<bool> removeContainer(const QString &app, const QString &name);
    Result<QList<ContainerRecord>> containers(const QString &app);
    Result<QList<ContainerRecord>> allContainers();

    // ---- logins for private git sources, one per host
    // Adds or replaces the login of `record.host`; its updatedAt is set to now.
    Result<void> setGitCredential(const GitCredentialRecord &record);
    // False when the host had none.
    Result<bool> removeGitCredential(const QString &host);
    Result<QList<GitCredentialRecord>> gitCredentials(); // by host

    // ---- API tokens, known by their SHA-256 only (the raw 32-byte digest)
    static QByteArray hashToken(const QByteArray &token);
    Result<TokenRecord> addToken(const QString &name, const QByteArray &tokenHash);
    Result<QList<TokenRecord>> tokens();
    // Revokes the valid token with that id or name; revoking a revoked one changes nothing.
    Result<void> revokeToken(const QString &idOrName);
    // False for an unknown or revoked token, and when the database cannot be read.
    bool isTokenValid(const QByteArray &tokenHash);
    // The hashes of every token not revoked, for checks made on other threads.
    Result<QSet<QByteArray>> validTokenHashes();

private:
    explicit Store(QString path);
    Result<void> initialize(const QList<Migration> &migrations);

    Result<QSqlQuery> exec(const QString &what, const QString &sql,
                           const QVariantList &values = {});
    // Runs `work` (returning a Result) in one write transaction, rolled back on failure.
    template<typename Work>
    auto inTransaction(const QString &what, Work &&work) -> decltype(work());
    Result<void> requireApp(const QString &name);
    Result<void> updateApp(const QString &name, const QString &what, const QString &assignments,
                           const QVariantList &values);
    Result<QList<AppRecord>> selectApps(const QString &where, const QVariantList &values);
    Result<QList<DeploymentRecord>> selectDeployments(const QString &what, const QString &tail,
                                                      const QVariantList &values);
    Result<QList<ContainerRecord>> selectContainers(const QString &what, const QString &where,
                                                    const QVariantList &values);

    QString m_path;
    QString m_connectionName;
    QSqlDatabase m_database;
    QThread *m_thread = nullptr;
};

} // namespace Slipway
