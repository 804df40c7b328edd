#include "store/Migration.h"

#include <QDateTime>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace Slipway {

namespace {

QStringList initialSchema()
{
    return {
        QStringLiteral("CREATE TABLE apps ("
                       " name TEXT PRIMARY KEY NOT NULL,"
                       " created_at TEXT NOT NULL,"
                       " formation TEXT NOT NULL DEFAULT '{}',"
                       " grace_period_ms INTEGER NOT NULL,"
                       " boot_timeout_ms INTEGER NOT NULL,"
                       " probe_interval_ms INTEGER NOT NULL,"
                       " hook_timeout_ms INTEGER NOT NULL,"
                       " router_name TEXT NOT NULL DEFAULT '',"
                       " current_release INTEGER)"),
        QStringLiteral("CREATE TABLE app_buildpacks ("
                       " app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,"
                       " position INTEGER NOT NULL,"
                       " reference TEXT NOT NULL,"
                       " PRIMARY KEY (app, position))"),
        QStringLiteral("CREATE TABLE config_vars ("
                       " app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,"
                       " name TEXT NOT NULL,"
                       " value TEXT,"
                       " secret INTEGER NOT NULL DEFAULT 0 CHECK (secret IN (0, 1)),"
                       " secret_ref TEXT,"
                       " PRIMARY KEY (app, name))"),
        QStringLiteral("CREATE TABLE releases ("
                       " app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,"
                       " version INTEGER NOT NULL CHECK (version > 0),"
                       " data TEXT NOT NULL,"
                       " created_at TEXT NOT NULL,"
                       " PRIMARY KEY (app, version))"),
        QStringLiteral("CREATE TABLE deployments ("
                       " id TEXT PRIMARY KEY NOT NULL,"
                       " app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,"
                       " \"trigger\" TEXT NOT NULL,"
                       " status TEXT NOT NULL,"
                       " error TEXT NOT NULL DEFAULT '',"
                       " release_version INTEGER,"
                       " created_at TEXT NOT NULL,"
                       " finished_at TEXT,"
                       " log_path TEXT NOT NULL DEFAULT '')"),
        QStringLiteral("CREATE INDEX deployments_by_app ON deployments (app, created_at)"),
        QStringLiteral("CREATE INDEX deployments_by_status ON deployments (status)"),
        QStringLiteral("CREATE TABLE timeline_events ("
                       " deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,"
                       " seq INTEGER NOT NULL,"
                       " time TEXT NOT NULL,"
                       " offset_ms INTEGER NOT NULL,"
                       " kind TEXT NOT NULL,"
                       " container TEXT NOT NULL DEFAULT '',"
                       " text TEXT NOT NULL DEFAULT '',"
                       " PRIMARY KEY (deployment_id, seq))"),
        QStringLiteral("CREATE TABLE containers ("
                       " app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,"
                       " name TEXT NOT NULL,"
                       " release_version INTEGER NOT NULL,"
                       " type TEXT NOT NULL,"
                       " pid INTEGER NOT NULL DEFAULT 0,"
                       " pgid INTEGER NOT NULL DEFAULT 0,"
                       " port INTEGER NOT NULL DEFAULT 0,"
                       " state TEXT NOT NULL,"
                       " started_at TEXT,"
                       " restarts INTEGER NOT NULL DEFAULT 0,"
                       " PRIMARY KEY (app, name))"),
        QStringLiteral("CREATE TABLE api_tokens ("
                       " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                       " name TEXT NOT NULL,"
                       " token_sha256 TEXT NOT NULL UNIQUE,"
                       " created_at TEXT NOT NULL,"
                       " revoked_at TEXT)"),
        // A name is reusable once its token is revoked.
        QStringLiteral("CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name)"
                       " WHERE revoked_at IS NULL"),
    };
}

// Logins for private git sources: the password or token lives in the keychain.
QStringList gitCredentialsSchema()
{
    return {
        QStringLiteral("CREATE TABLE git_credentials ("
                       " host TEXT PRIMARY KEY NOT NULL,"
                       " username TEXT NOT NULL,"
                       " secret_ref TEXT NOT NULL,"
                       " updated_at TEXT NOT NULL)"),
    };
}

// What each deployment deployed, for listings.
QStringList deploymentSourceSchema()
{
    return {QStringLiteral("ALTER TABLE deployments ADD COLUMN source TEXT NOT NULL DEFAULT ''")};
}

// Structured facts of each timeline event (JSON text), and the release serving when a
// deployment started. Events recorded before have none: '{}'.
QStringList timelineDataSchema()
{
    return {
        QStringLiteral("ALTER TABLE timeline_events ADD COLUMN data TEXT NOT NULL DEFAULT '{}'"),
        QStringLiteral("ALTER TABLE deployments ADD COLUMN previous_release INTEGER"),
    };
}

// How long an old web container is drained before SIGTERM, per app.
QStringList drainLimitSchema()
{
    return {QStringLiteral(
        "ALTER TABLE apps ADD COLUMN drain_limit_ms INTEGER NOT NULL DEFAULT 30000")};
}

// Where an app's containers run: the runtime, the Docker engine's address for docker and
// swarm, and the memory limit of each container there.
QStringList appRuntimeSchema()
{
    return {
        QStringLiteral("ALTER TABLE apps ADD COLUMN runtime TEXT NOT NULL DEFAULT 'local'"),
        QStringLiteral("ALTER TABLE apps ADD COLUMN docker_host TEXT NOT NULL DEFAULT ''"),
        QStringLiteral("ALTER TABLE apps ADD COLUMN memory_limit_mib INTEGER NOT NULL DEFAULT 0"),
    };
}

// Whether an app's containers reach the network outside: 'outbound' (the default) or 'none'.
QStringList appNetworkSchema()
{
    return {QStringLiteral("ALTER TABLE apps ADD COLUMN network TEXT NOT NULL DEFAULT 'outbound'"
                           " CHECK (network IN ('outbound', 'none'))")};
}

Result<QSqlQuery> run(QSqlDatabase &database, const QString &sql)
{
    QSqlQuery query(database);
    if (!query.exec(sql))
        return failure(query.lastError().text());
    return query;
}

// Schema changes that rebuild a table need foreign keys off (SQLite's documented
// procedure); they are checked before each step commits and switched back on after.
class ForeignKeysOff
{
public:
    explicit ForeignKeysOff(QSqlDatabase &database)
        : m_database(database)
    {
        (void)run(m_database, QStringLiteral("PRAGMA foreign_keys = OFF"));
    }
    ~ForeignKeysOff() { (void)run(m_database, QStringLiteral("PRAGMA foreign_keys = ON")); }
    ForeignKeysOff(const ForeignKeysOff &) = delete;
    ForeignKeysOff &operator=(const ForeignKeysOff &) = delete;

private:
    QSqlDatabase &m_database;
};

Result<void> applyStep(QSqlDatabase &database, int version, const Migration &migration)
{
    if (Result<QSqlQuery> begun = run(database, QStringLiteral("BEGIN IMMEDIATE")); !begun)
        return std::unexpected(begun.error());
    auto rollBack = [&database](const QString &message) -> Result<void> {
        (void)run(database, QStringLiteral("ROLLBACK"));
        return failure(message);
    };

    // Another process may have migrated since we looked.
    Result<int> current = schemaVersion(database);
    if (!current)
        return rollBack(current.error().message);
    if (*current >= version) {
        (void)run(database, QStringLiteral("ROLLBACK"));
        return {};
    }

    for (const QString &statement : migration.statements) {
        if (Result<QSqlQuery> done = run(database, statement); !done)
            return rollBack(done.error().message);
    }
    Result<QSqlQuery> violations = run(database, QStringLiteral("PRAGMA foreign_key_check"));
    if (!violations)
        return rollBack(violations.error().message);
    if (violations->next()) {
        return rollBack(QStringLiteral("it leaves rows of table '%1' pointing at missing rows")
                            .arg(violations->value(0).toString()));
    }
    violations->finish();

    const QStringList bookkeeping = {
        QStringLiteral(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"),
        QStringLiteral("PRAGMA user_version = %1").arg(version),
    };
    for (const QString &statement : bookkeeping) {
        if (Result<QSqlQuery> done = run(database, statement); !done)
            return rollBack(done.error().message);
    }
    QSqlQuery record(database);
    record.prepare(QStringLiteral(
        "INSERT OR REPLACE INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"));
    record.addBindValue(version);
    record.addBindValue(migration.name);
    record.addBindValue(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    if (!record.exec())
        return rollBack(record.lastError().text());
    record.finish();

    if (Result<QSqlQuery> committed = run(database, QStringLiteral("COMMIT")); !committed)
        return rollBack(committed.error().message);
    return {};
}

} // namespace

const QList<Migration> &storeMigrations()
{
    // Append new steps at the end; never edit one that has shipped.
    static const QList<Migration> migrations = {
        {QStringLiteral("apps, config vars, releases, deployments, containers, tokens"),
         initialSchema()},
        {QStringLiteral("git credentials"), gitCredentialsSchema()},
        {QStringLiteral("deployment sources"), deploymentSourceSchema()},
        {QStringLiteral("timeline event data, deployments' previous release"),
         timelineDataSchema()},
        {QStringLiteral("drain limit of old containers"), drainLimitSchema()},
        {QStringLiteral("apps' outbound network"), appNetworkSchema()},
        {QStringLiteral("apps' runtime, engine address and memory limit"), appRuntimeSchema()},
    };
    return migrations;
}

Result<int> schemaVersion(QSqlDatabase &database)
{
    Result<QSqlQuery> query = run(database, QStringLiteral("PRAGMA user_version"));
    if (!query)
        return std::unexpected(query.error());
    if (!query->next())
        return failure(QStringLiteral("PRAGMA user_version returned nothing"));
    return query->value(0).toInt();
}

Result<void> checkSchemaKnown(QSqlDatabase &database, const QList<Migration> &migrations)
{
    const QString path = database.databaseName();
    Result<int> version = schemaVersion(database);
    if (!version) {
        return failure(QStringLiteral("cannot read the schema version of the state database "
                                      "'%1': %2; is it a Slipway database?")
                           .arg(path, version.error().message));
    }
    if (*version > migrations.size()) {
        return failure(
            QStringLiteral("the state database '%1' has schema version %2, newer than "
                           "the %3 this Slipway knows: it was written by a newer "
                           "Slipway; run that version, or use another --data-dir")
                .arg(path, QString::number(*version), QString::number(migrations.size())));
    }
    return {};
}

Result<void> migrateSchema(QSqlDatabase &database, const QList<Migration> &migrations)
{
    if (Result<void> known = checkSchemaKnown(database, migrations); !known)
        return known;
    const QString path = database.databaseName();
    Result<int> version = schemaVersion(database);
    if (!version)
        return std::unexpected(version.error());
    const int known = int(migrations.size());
    if (*version == known)
        return {};

    ForeignKeysOff foreignKeysOff(database);
    for (int next = *version + 1; next <= known; ++next) {
        const Migration &migration = migrations.at(next - 1);
        if (Result<void> applied = applyStep(database, next, migration); !applied) {
            return failure(QStringLiteral("cannot migrate the state database '%1' to schema "
                                          "version %2 (%3): %4; it was left at version %5")
                               .arg(path, QString::number(next), migration.name,
                                    applied.error().message, QString::number(next - 1)));
        }
    }
    return {};
}

} // namespace Slipway
