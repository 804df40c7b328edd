#include "store/Store.h"

#include "release/ConfigVars.h"
#include "util/SoftAssert.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QThread>

#include <atomic>

namespace Slipway {

namespace {

constexpr int BusyTimeoutMilliseconds = 5000;
constexpr qsizetype TokenHashSize = 32; // SHA-256

// ISO-8601 UTC with milliseconds: sorts as text in time order.
QVariant timeValue(const QDateTime &time)
{
    if (!time.isValid())
        return {};
    return time.toUTC().toString(Qt::ISODateWithMs);
}

QDateTime timeFrom(const QVariant &value)
{
    if (value.isNull())
        return {};
    return QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
}

QVariant optionalValue(const std::optional<int> &value)
{
    return value ? QVariant(*value) : QVariant();
}

std::optional<int> optionalInt(const QVariant &value)
{
    if (value.isNull())
        return std::nullopt;
    return value.toInt();
}

QDateTime now()
{
    return QDateTime::currentDateTimeUtc();
}

QString noApp(const QString &name)
{
    return QStringLiteral("there is no app named '%1'").arg(name);
}

QString noDeployment(const QString &id)
{
    return QStringLiteral("there is no deployment '%1'").arg(id);
}

QString formationText(const QMap<QString, int> &formation)
{
    QJsonObject object;
    for (auto it = formation.cbegin(); it != formation.cend(); ++it)
        object.insert(it.key(), it.value());
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString networkText(bool outbound)
{
    return outbound ? QStringLiteral("outbound") : QStringLiteral("none");
}

QMap<QString, int> formationFrom(const QString &text)
{
    QMap<QString, int> formation;
    const QJsonObject object = QJsonDocument::fromJson(text.toUtf8()).object();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        formation.insert(it.key(), it.value().toInt());
    return formation;
}

std::optional<DeploymentStatus> statusFrom(const QString &name)
{
    for (int value = int(DeploymentStatus::Queued); value <= int(DeploymentStatus::Aborted);
         ++value) {
        if (deploymentStatusName(DeploymentStatus(value)) == name)
            return DeploymentStatus(value);
    }
    return std::nullopt;
}

std::optional<TimelineEvent::Kind> kindFrom(const QString &name)
{
    using Kind = TimelineEvent::Kind;
    for (int value = int(Kind::SourceFetched); value <= int(Kind::Note); ++value) {
        if (TimelineEvent::kindName(Kind(value)) == name)
            return Kind(value);
    }
    return std::nullopt;
}

// "status IN (?, ?, ...)" over the statuses a deployment can still leave, with their names.
QString unfinishedCondition(QVariantList *values)
{
    QStringList placeholders;
    for (int value = int(DeploymentStatus::Queued); value <= int(DeploymentStatus::Aborted);
         ++value) {
        if (isFinal(DeploymentStatus(value)))
            continue;
        placeholders.append(QStringLiteral("?"));
        values->append(deploymentStatusName(DeploymentStatus(value)));
    }
    return QStringLiteral("status IN (") + placeholders.join(QStringLiteral(", ")) +
           QLatin1Char(')');
}

} // namespace

Store::Store(QString path)
    : m_path(std::move(path))
    , m_thread(QThread::currentThread())
{
    static std::atomic<quint64> counter = 0;
    m_connectionName = QStringLiteral("slipway-store-%1").arg(++counter);
    m_database = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
}

Store::~Store()
{
    m_database.close();
    // The connection can only be removed once no handle to it is left.
    m_database = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

Result<std::unique_ptr<Store>> Store::open(const QString &path, const QList<Migration> &migrations)
{
    std::unique_ptr<Store> store(new Store(path));
    if (Result<void> ready = store->initialize(migrations); !ready)
        return std::unexpected(ready.error());
    return store;
}

Result<void> Store::initialize(const QList<Migration> &migrations)
{
    if (!m_database.isValid()) {
        return failure(QStringLiteral("Qt's SQLite driver (QSQLITE) is not available: install "
                                      "the package libqt6sql6-sqlite"));
    }
    const QFileInfo file(m_path);
    if (!QDir().mkpath(file.absolutePath())) {
        return failure(QStringLiteral("cannot create the folder '%1' for the state database")
                           .arg(file.absolutePath()));
    }
    const bool existed = file.exists();
    m_database.setDatabaseName(m_path);
    if (!m_database.open()) {
        return failure(QStringLiteral("cannot open the state database '%1': %2; check that its "
                                      "folder is writable")
                           .arg(m_path, m_database.lastError().text()));
    }
    // The state holds config vars: for the user alone.
    if (!existed)
        QFile::setPermissions(m_path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);

    const QString configure = QStringLiteral("configure the connection");
    if (Result<QSqlQuery> set = exec(
            configure, QStringLiteral("PRAGMA busy_timeout = %1").arg(BusyTimeoutMilliseconds));
        !set)
        return std::unexpected(set.error());
    // Before anything writes to it: a newer database is left as it is.
    if (Result<void> known = checkSchemaKnown(m_database, migrations); !known)
        return known;

    Result<QSqlQuery> journal = exec(configure, QStringLiteral("PRAGMA journal_mode = WAL"));
    if (!journal)
        return std::unexpected(journal.error());
    const QString mode = journal->next() ? journal->value(0).toString() : QString();
    journal->finish();
    if (mode.compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0) {
        return failure(QStringLiteral("the state database '%1' cannot use write-ahead logging "
                                      "(journal mode stays '%2'); put the data folder on a "
                                      "local file system")
                           .arg(m_path, mode));
    }
    for (const QString &pragma : {QStringLiteral("PRAGMA synchronous = NORMAL"),
                                  QStringLiteral("PRAGMA foreign_keys = ON")}) {
        if (Result<QSqlQuery> set = exec(configure, pragma); !set)
            return std::unexpected(set.error());
    }
    if (Result<void> migrated = migrateSchema(m_database, migrations); !migrated)
        return migrated;
    return {};
}

Result<int> Store::schemaVersion()
{
    return Slipway::schemaVersion(m_database);
}

Result<QSqlQuery> Store::exec(const QString &what, const QString &sql, const QVariantList &values)
{
    SLIPWAY_ASSERT(QThread::currentThread() == m_thread,
                   return failure(QStringLiteral("the store was used from another thread than "
                                                 "the one that opened it")));
    QSqlQuery query(m_database);
    query.setForwardOnly(true);
    bool done = query.prepare(sql);
    if (done) {
        for (const QVariant &value : values) {
            // The driver binds a null QString as NULL: an empty text is meant.
            if (value.typeId() == QMetaType::QString && value.toString().isNull())
                query.addBindValue(QStringLiteral(""));
            else
                query.addBindValue(value);
        }
        done = query.exec();
    }
    if (!done) {
        const QSqlError error = query.lastError();
        QString message = QStringLiteral("cannot %1 in the state database '%2': %3")
                              .arg(what, m_path, error.text());
        if (error.nativeErrorCode() == QLatin1String("5")) // SQLITE_BUSY
            message += QStringLiteral(" (is another slipwayd using the same --data-dir?)");
        return failure(message);
    }
    return query;
}

template<typename Work>
auto Store::inTransaction(const QString &what, Work &&work) -> decltype(work())
{
    if (Result<QSqlQuery> begun = exec(what, QStringLiteral("BEGIN IMMEDIATE")); !begun)
        return std::unexpected(begun.error());
    auto result = work();
    if (result) {
        Result<QSqlQuery> committed = exec(what, QStringLiteral("COMMIT"));
        if (committed)
            return result;
        result = std::unexpected(committed.error());
    }
    (void)exec(what, QStringLiteral("ROLLBACK"));
    return result;
}

Result<void> Store::requireApp(const QString &name)
{
    Result<QSqlQuery> query = exec(QStringLiteral("look up app '%1'").arg(name),
                                   QStringLiteral("SELECT 1 FROM apps WHERE name = ?"), {name});
    if (!query)
        return std::unexpected(query.error());
    if (!query->next())
        return failure(noApp(name));
    return {};
}

// ---- apps

Result<AppRecord> Store::createApp(const QString &name, const AppSettings &settings)
{
    if (name.trimmed().isEmpty())
        return failure(QStringLiteral("an app needs a name"));
    const QString what = QStringLiteral("create app '%1'").arg(name);
    AppRecord record{name, now(), settings, std::nullopt, {}, {}};
    return inTransaction(what, [&]() -> Result<AppRecord> {
        Result<QSqlQuery> existing =
            exec(what, QStringLiteral("SELECT 1 FROM apps WHERE name = ?"), {name});
        if (!existing)
            return std::unexpected(existing.error());
        if (existing->next())
            return failure(QStringLiteral("an app named '%1' already exists").arg(name));
        existing->finish();
        // The network column is named only when it differs from its default, so the same
        // statement still fits a database from before it.
        QVariantList values = {name,
                               timeValue(record.createdAt),
                               formationText(settings.formation),
                               qint64(settings.gracePeriod.count()),
                               qint64(settings.bootTimeout.count()),
                               qint64(settings.probeInterval.count()),
                               qint64(settings.hookTimeout.count())};
        if (!settings.outboundNetwork)
            values << networkText(settings.outboundNetwork);
        Result<QSqlQuery> inserted =
            exec(what,
                 QStringLiteral("INSERT INTO apps (name, created_at, formation, grace_period_ms,"
                                " boot_timeout_ms, probe_interval_ms, hook_timeout_ms%1)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?%2)")
                     .arg(settings.outboundNetwork ? QString() : QStringLiteral(", network"),
                          settings.outboundNetwork ? QString() : QStringLiteral(", ?")),
                 values);
        if (!inserted)
            return std::unexpected(inserted.error());
        // Settings added by later schema steps take their column's default unless set.
        if (settings.drainLimit != AppSettings::DefaultDrainLimit) {
            Result<QSqlQuery> drain =
                exec(what, QStringLiteral("UPDATE apps SET drain_limit_ms = ? WHERE name = ?"),
                     {qint64(settings.drainLimit.count()), name});
            if (!drain)
                return std::unexpected(drain.error());
        }
        if (settings.runtime != QLatin1String("local") || !settings.dockerHost.isEmpty() ||
            settings.memoryLimitMiB != 0) {
            Result<QSqlQuery> runtime =
                exec(what,
                     QStringLiteral("UPDATE apps SET runtime = ?, docker_host = ?,"
                                    " memory_limit_mib = ? WHERE name = ?"),
                     {settings.runtime, settings.dockerHost, settings.memoryLimitMiB, name});
            if (!runtime)
                return std::unexpected(runtime.error());
        }
        return record;
    });
}

Result<QList<AppRecord>> Store::selectApps(const QString &where, const QVariantList &values)
{
    const QString what = QStringLiteral("read apps");
    Result<QSqlQuery> query = exec(
        what,
        // Columns by name: a schema from before a setting's column reads as its default.
        QStringLiteral("SELECT * FROM apps ") + where + QStringLiteral(" ORDER BY name"), values);
    if (!query)
        return std::unexpected(query.error());
    const QSqlRecord columns = query->record();
    const auto column = [&columns](const char *name) {
        return columns.indexOf(QLatin1String(name));
    };
    const int nameColumn = column("name");
    const int createdColumn = column("created_at");
    const int formationColumn = column("formation");
    const int graceColumn = column("grace_period_ms");
    const int bootColumn = column("boot_timeout_ms");
    const int probeColumn = column("probe_interval_ms");
    const int hookColumn = column("hook_timeout_ms");
    const int routerColumn = column("router_name");
    const int releaseColumn = column("current_release");
    const int drainColumn = column("drain_limit_ms");
    const int networkColumn = column("network");
    const int runtimeColumn = column("runtime");
    const int dockerHostColumn = column("docker_host");
    const int memoryColumn = column("memory_limit_mib");
    QList<AppRecord> apps;
    QHash<QString, qsizetype> indexOf;
    while (query->next()) {
        const auto milliseconds = [&query](int index) {
            return std::chrono::milliseconds(query->value(index).toLongLong());
        };
        AppRecord record;
        record.name = query->value(nameColumn).toString();
        record.createdAt = timeFrom(query->value(createdColumn));
        record.settings.formation = formationFrom(query->value(formationColumn).toString());
        record.settings.gracePeriod = milliseconds(graceColumn);
        record.settings.bootTimeout = milliseconds(bootColumn);
        record.settings.probeInterval = milliseconds(probeColumn);
        record.settings.hookTimeout = milliseconds(hookColumn);
        record.routerName = query->value(routerColumn).toString();
        record.currentRelease = optionalInt(query->value(releaseColumn));
        if (drainColumn >= 0)
            record.settings.drainLimit = milliseconds(drainColumn);
        record.settings.outboundNetwork =
            networkColumn < 0 || query->value(networkColumn).toString() != QLatin1String("none");
        if (runtimeColumn >= 0)
            record.settings.runtime = query->value(runtimeColumn).toString();
        if (dockerHostColumn >= 0)
            record.settings.dockerHost = query->value(dockerHostColumn).toString();
        if (memoryColumn >= 0)
            record.settings.memoryLimitMiB = query->value(memoryColumn).toInt();
        indexOf.insert(record.name, apps.size());
        apps.append(record);
    }
    query->finish();
    if (apps.isEmpty())
        return apps;

    Result<QSqlQuery> buildpacks = exec(what,
                                        QStringLiteral("SELECT app, reference FROM app_buildpacks"
                                                       " WHERE app IN (SELECT name FROM apps ") +
                                            where + QStringLiteral(") ORDER BY app, position"),
                                        values);
    if (!buildpacks)
        return std::unexpected(buildpacks.error());
    while (buildpacks->next()) {
        const qsizetype index = indexOf.value(buildpacks->value(0).toString(), -1);
        if (index >= 0)
            apps[index].buildpacks.append(buildpacks->value(1).toString());
    }
    return apps;
}

Result<QList<AppRecord>> Store::apps()
{
    return selectApps({}, {});
}

Result<AppRecord> Store::app(const QString &name)
{
    Result<QList<AppRecord>> apps = selectApps(QStringLiteral("WHERE name = ?"), {name});
    if (!apps)
        return std::unexpected(apps.error());
    if (apps->isEmpty())
        return failure(noApp(name));
    return apps->constFirst();
}

Result<void> Store::updateApp(const QString &name, const QString &what, const QString &assignments,
                              const QVariantList &values)
{
    Result<QSqlQuery> query = exec(
        what, QStringLiteral("UPDATE apps SET ") + assignments + QStringLiteral(" WHERE name = ?"),
        QVariantList(values) << name);
    if (!query)
        return std::unexpected(query.error());
    if (query->numRowsAffected() == 0)
        return failure(noApp(name));
    return {};
}

Result<void> Store::updateSettings(const QString &name, const AppSettings &settings)
{
    return updateApp(
        name, QStringLiteral("update the settings of app '%1'").arg(name),
        QStringLiteral("formation = ?, grace_period_ms = ?, boot_timeout_ms = ?,"
                       " probe_interval_ms = ?, hook_timeout_ms = ?, drain_limit_ms = ?,"
                       " network = ?, runtime = ?, docker_host = ?, memory_limit_mib = ?"),
        {formationText(settings.formation), qint64(settings.gracePeriod.count()),
         qint64(settings.bootTimeout.count()), qint64(settings.probeInterval.count()),
         qint64(settings.hookTimeout.count()), qint64(settings.drainLimit.count()),
         networkText(settings.outboundNetwork), settings.runtime, settings.dockerHost,
         settings.memoryLimitMiB});
}

Result<void> Store::setRouterName(const QString &name, const QString &routerName)
{
    return updateApp(name, QStringLiteral("set the router name of app '%1'").arg(name),
                     QStringLiteral("router_name = ?"), {routerName});
}

Result<void> Store::setBuildpacks(const QString &name, const QStringList &references)
{
    for (qsizetype i = 0; i < references.size(); ++i) {
        if (references.at(i).trimmed().isEmpty())
            return failure(QStringLiteral("buildpack %1 of the list is empty: give a built-in "
                                          "name, a folder or a URL")
                               .arg(i + 1));
    }
    const QString what = QStringLiteral("set the buildpacks of app '%1'").arg(name);
    return inTransaction(what, [&]() -> Result<void> {
        if (Result<void> exists = requireApp(name); !exists)
            return exists;
        if (Result<QSqlQuery> removed =
                exec(what, QStringLiteral("DELETE FROM app_buildpacks WHERE app = ?"), {name});
            !removed)
            return std::unexpected(removed.error());
        for (qsizetype i = 0; i < references.size(); ++i) {
            if (Result<QSqlQuery> inserted =
                    exec(what,
                         QStringLiteral("INSERT INTO app_buildpacks (app, position, reference)"
                                        " VALUES (?, ?, ?)"),
                         {name, qint64(i), references.at(i)});
                !inserted)
                return std::unexpected(inserted.error());
        }
        return {};
    });
}

Result<void> Store::setCurrentRelease(const QString &name, int version)
{
    const QString what = QStringLiteral("set the current release of app '%1'").arg(name);
    Result<QSqlQuery> known =
        exec(what, QStringLiteral("SELECT 1 FROM releases WHERE app = ? AND version = ?"),
             {name, version});
    if (!known)
        return std::unexpected(known.error());
    if (!known->next()) {
        if (Result<void> exists = requireApp(name); !exists)
            return exists;
        return failure(
            QStringLiteral("app '%1' has no release v%2").arg(name, QString::number(version)));
    }
    known->finish();
    return updateApp(name, what, QStringLiteral("current_release = ?"), {version});
}

Result<void> Store::deleteApp(const QString &name)
{
    const QString what = QStringLiteral("delete app '%1'").arg(name);
    return inTransaction(what, [&]() -> Result<void> {
        // Foreign keys cascade to everything of the app.
        Result<QSqlQuery> removed =
            exec(what, QStringLiteral("DELETE FROM apps WHERE name = ?"), {name});
        if (!removed)
            return std::unexpected(removed.error());
        if (removed->numRowsAffected() == 0)
            return failure(noApp(name));
        return {};
    });
}

// ---- config vars

Result<void> Store::setConfigVar(const QString &app, const QString &name,
                                 const std::optional<QString> &value, bool secret,
                                 const QString &secretRef)
{
    if (Result<void> valid = ConfigVar::validateName(name); !valid)
        return valid;
    if (secret) {
        if (value) {
            return failure(QStringLiteral("the value of secret config var '%1' belongs in the "
                                          "keychain, not in the state database: store it there "
                                          "and pass its reference")
                               .arg(name));
        }
        if (secretRef.isEmpty())
            return failure(
                QStringLiteral("secret config var '%1' needs its keychain reference").arg(name));
    } else {
        if (!value)
            return failure(
                QStringLiteral("config var '%1' needs a value (an empty one is fine)").arg(name));
        if (Result<void> valid = ConfigVar::validateValue(*value, name); !valid)
            return valid;
    }
    if (Result<void> exists = requireApp(app); !exists)
        return exists;
    Result<QSqlQuery> query =
        exec(QStringLiteral("set config var '%1' of app '%2'").arg(name, app),
             QStringLiteral("INSERT INTO config_vars (app, name, value, secret, secret_ref)"
                            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (app, name) DO UPDATE SET"
                            " value = excluded.value, secret = excluded.secret,"
                            " secret_ref = excluded.secret_ref"),
             {app, name, value ? QVariant(*value) : QVariant(), secret ? 1 : 0,
              secret ? QVariant(secretRef) : QVariant()});
    if (!query)
        return std::unexpected(query.error());
    return {};
}

Result<bool> Store::unsetConfigVar(const QString &app, const QString &name)
{
    if (Result<void> exists = requireApp(app); !exists)
        return std::unexpected(exists.error());
    Result<QSqlQuery> query =
        exec(QStringLiteral("unset config var '%1' of app '%2'").arg(name, app),
             QStringLiteral("DELETE FROM config_vars WHERE app = ? AND name = ?"), {app, name});
    if (!query)
        return std::unexpected(query.error());
    return query->numRowsAffected() > 0;
}

Result<QList<ConfigVarRecord>> Store::configVars(const QString &app)
{
    if (Result<void> exists = requireApp(app); !exists)
        return std::unexpected(exists.error());
    Result<QSqlQuery> query =
        exec(QStringLiteral("read the config vars of app '%1'").arg(app),
             QStringLiteral("SELECT name, value, secret, secret_ref FROM config_vars"
                            " WHERE app = ? ORDER BY name"),
             {app});
    if (!query)
        return std::unexpected(query.error());
    QList<ConfigVarRecord> vars;
    while (query->next()) {
        ConfigVarRecord var;
        var.name = query->value(0).toString();
        if (!query->value(1).isNull())
            var.value = query->value(1).toString();
        var.secret = query->value(2).toInt() != 0;
        var.secretRef = query->value(3).toString();
        vars.append(var);
    }
    return vars;
}

// ---- releases

Result<void> Store::addRelease(const Release &release)
{
    if (release.app().isEmpty() || release.version() <= 0)
        return failure(QStringLiteral("a release needs an app and a version above 0"));
    if (release.isNull()) {
        return failure(QStringLiteral("release v%1 of app '%2' names no slug")
                           .arg(QString::number(release.version()), release.app()));
    }
    const QString what = QStringLiteral("add release v%1 of app '%2'")
                             .arg(QString::number(release.version()), release.app());
    return inTransaction(what, [&]() -> Result<void> {
        if (Result<void> exists = requireApp(release.app()); !exists)
            return exists;
        Result<QSqlQuery> existing =
            exec(what, QStringLiteral("SELECT 1 FROM releases WHERE app = ? AND version = ?"),
                 {release.app(), release.version()});
        if (!existing)
            return std::unexpected(existing.error());
        if (existing->next()) {
            return failure(QStringLiteral("app '%1' already has a release v%2: releases never "
                                          "change, a change makes a new version")
                               .arg(release.app(), QString::number(release.version())));
        }
        existing->finish();
        const QDateTime createdAt = release.createdAt().isValid() ? release.createdAt() : now();
        Result<QSqlQuery> inserted =
            exec(what,
                 QStringLiteral(
                     "INSERT INTO releases (app, version, data, created_at) VALUES (?, ?, ?, ?)"),
                 {release.app(), release.version(),
                  QString::fromUtf8(QJsonDocument(release.toJson()).toJson(QJsonDocument::Compact)),
                  timeValue(createdAt)});
        if (!inserted)
            return std::unexpected(inserted.error());
        return {};
    });
}

namespace {

Result<Release> releaseFrom(const QString &data, const QString &app, int version)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(data.toUtf8(), &error);
    Result<Release> release = document.isObject() ? Release::fromJson(document.object())
                                                  : Result<Release>(failure(error.errorString()));
    if (!release) {
        return failure(QStringLiteral("release v%1 of app '%2' in the state database cannot be "
                                      "read: %3")
                           .arg(QString::number(version), app, release.error().message));
    }
    return release;
}

} // namespace

Result<QList<Release>> Store::releases(const QString &app)
{
    if (Result<void> exists = requireApp(app); !exists)
        return std::unexpected(exists.error());
    Result<QSqlQuery> query = exec(
        QStringLiteral("read the releases of app '%1'").arg(app),
        QStringLiteral("SELECT version, data FROM releases WHERE app = ? ORDER BY version"), {app});
    if (!query)
        return std::unexpected(query.error());
    QList<Release> releases;
    while (query->next()) {
        Result<Release> release =
            releaseFrom(query->value(1).toString(), app, query->value(0).toInt());
        if (!release)
            return std::unexpected(release.error());
        releases.append(*release);
    }
    return releases;
}

Result<Release> Store::release(const QString &app, int version)
{
    Result<QSqlQuery> query = exec(
        QStringLiteral("read release v%1 of app '%2'").arg(QString::number(version), app),
        QStringLiteral("SELECT data FROM releases WHERE app = ? AND version = ?"), {app, version});
    if (!query)
        return std::unexpected(query.error());
    if (!query->next()) {
        if (Result<void> exists = requireApp(app); !exists)
            return std::unexpected(exists.error());
        return failure(
            QStringLiteral("app '%1' has no release v%2").arg(app, QString::number(version)));
    }
    return releaseFrom(query->value(0).toString(), app, version);
}

Result<int> Store::nextReleaseVersion(const QString &app)
{
    if (Result<void> exists = requireApp(app); !exists)
        return std::unexpected(exists.error());
    Result<QSqlQuery> query = exec(
        QStringLiteral("number the next release of app '%1'").arg(app),
        QStringLiteral("SELECT COALESCE(MAX(version), 0) + 1 FROM releases WHERE app = ?"), {app});
    if (!query)
        return std::unexpected(query.error());
    query->next();
    return query->value(0).toInt();
}

// ---- deployments

Result<void> Store::addDeployment(const DeploymentRecord &deployment)
{
    if (deployment.id.isEmpty())
        return failure(QStringLiteral("a deployment needs an id"));
    const QString what = QStringLiteral("add deployment '%1'").arg(deployment.id);
    return inTransaction(what, [&]() -> Result<void> {
        if (Result<void> exists = requireApp(deployment.app); !exists)
            return exists;
        Result<QSqlQuery> existing =
            exec(what, QStringLiteral("SELECT 1 FROM deployments WHERE id = ?"), {deployment.id});
        if (!existing)
            return std::unexpected(existing.error());
        if (existing->next())
            return failure(QStringLiteral("a deployment '%1' already exists").arg(deployment.id));
        existing->finish();
        const QDateTime createdAt = deployment.createdAt.isValid() ? deployment.createdAt : now();
        Result<QSqlQuery> inserted =
            exec(what,
                 QStringLiteral("INSERT INTO deployments (id, app, \"trigger\", status, error,"
                                " release_version, created_at, finished_at, log_path, source,"
                                " previous_release) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {deployment.id, deployment.app, deployment.trigger,
                  deploymentStatusName(deployment.status), deployment.error,
                  optionalValue(deployment.releaseVersion), timeValue(createdAt),
                  timeValue(deployment.finishedAt), deployment.logPath, deployment.source,
                  optionalValue(deployment.previousRelease)});
        if (!inserted)
            return std::unexpected(inserted.error());
        return {};
    });
}

Result<void> Store::updateDeployment(const QString &id, DeploymentStatus status,
                                     const QString &error, std::optional<int> releaseVersion,
                                     const QDateTime &finishedAt)
{
    Result<QSqlQuery> query =
        exec(QStringLiteral("update deployment '%1'").arg(id),
             QStringLiteral("UPDATE deployments SET status = ?, error = ?, release_version = ?,"
                            " finished_at = ? WHERE id = ?"),
             {deploymentStatusName(status), error, optionalValue(releaseVersion),
              timeValue(finishedAt), id});
    if (!query)
        return std::unexpected(query.error());
    if (query->numRowsAffected() == 0)
        return failure(noDeployment(id));
    return {};
}

Result<void> Store::setPreviousRelease(const QString &id, std::optional<int> version)
{
    Result<QSqlQuery> query =
        exec(QStringLiteral("update deployment '%1'").arg(id),
             QStringLiteral("UPDATE deployments SET previous_release = ? WHERE id = ?"),
             {optionalValue(version), id});
    if (!query)
        return std::unexpected(query.error());
    if (query->numRowsAffected() == 0)
        return failure(noDeployment(id));
    return {};
}

Result<QList<DeploymentRecord>> Store::selectDeployments(const QString &what, const QString &tail,
                                                         const QVariantList &values)
{
    Result<QSqlQuery> query =
        exec(what,
             QStringLiteral("SELECT id, app, \"trigger\", status, error, release_version,"
                            " created_at, finished_at, log_path, source, previous_release"
                            " FROM deployments ") +
                 tail,
             values);
    if (!query)
        return std::unexpected(query.error());
    QList<DeploymentRecord> deployments;
    while (query->next()) {
        DeploymentRecord record;
        record.id = query->value(0).toString();
        record.app = query->value(1).toString();
        record.trigger = query->value(2).toString();
        const QString statusName = query->value(3).toString();
        const std::optional<DeploymentStatus> status = statusFrom(statusName);
        if (!status) {
            return failure(QStringLiteral("deployment '%1' in the state database has an unknown "
                                          "status '%2'")
                               .arg(record.id, statusName));
        }
        record.status = *status;
        record.error = query->value(4).toString();
        record.releaseVersion = optionalInt(query->value(5));
        record.createdAt = timeFrom(query->value(6));
        record.finishedAt = timeFrom(query->value(7));
        record.logPath = query->value(8).toString();
        record.source = query->value(9).toString();
        record.previousRelease = optionalInt(query->value(10));
        deployments.append(record);
    }
    return deployments;
}

Result<QList<DeploymentRecord>> Store::deployments(const QString &app, int limit)
{
    if (Result<void> exists = requireApp(app); !exists)
        return std::unexpected(exists.error());
    return selectDeployments(QStringLiteral("read the deployments of app '%1'").arg(app),
                             QStringLiteral("WHERE app = ? ORDER BY created_at DESC, rowid DESC"
                                            " LIMIT ?"),
                             {app, limit > 0 ? limit : -1});
}

Result<DeploymentRecord> Store::deployment(const QString &id)
{
    Result<QList<DeploymentRecord>> found = selectDeployments(
        QStringLiteral("read deployment '%1'").arg(id), QStringLiteral("WHERE id = ?"), {id});
    if (!found)
        return std::unexpected(found.error());
    if (found->isEmpty())
        return failure(noDeployment(id));
    return found->constFirst();
}

Result<QList<DeploymentRecord>> Store::unfinishedDeployments()
{
    QVariantList values;
    const QString condition = unfinishedCondition(&values);
    return selectDeployments(QStringLiteral("read the unfinished deployments"),
                             QStringLiteral("WHERE ") + condition +
                                 QStringLiteral(" ORDER BY created_at, rowid"),
                             values);
}

Result<QStringList> Store::markUnfinishedAborted(const QString &reason)
{
    const QString what = QStringLiteral("abort the unfinished deployments");
    QVariantList statuses;
    const QString condition = unfinishedCondition(&statuses);
    return inTransaction(what, [&]() -> Result<QStringList> {
        Result<QSqlQuery> select =
            exec(what,
                 QStringLiteral("SELECT id FROM deployments WHERE ") + condition +
                     QStringLiteral(" ORDER BY created_at, rowid"),
                 statuses);
        if (!select)
            return std::unexpected(select.error());
        QStringList ids;
        while (select->next())
            ids.append(select->value(0).toString());
        select->finish();
        if (ids.isEmpty())
            return ids;
        Result<QSqlQuery> update =
            exec(what,
                 QStringLiteral("UPDATE deployments SET status = ?, error = ?, finished_at = ?"
                                " WHERE ") +
                     condition,
                 QVariantList{deploymentStatusName(DeploymentStatus::Aborted), reason,
                              timeValue(now())} +
                     statuses);
        if (!update)
            return std::unexpected(update.error());
        return ids;
    });
}

// ---- timelines

Result<int> Store::addTimelineEvent(const QString &deploymentId, const TimelineEvent &event)
{
    const QString what = QStringLiteral("add an event to deployment '%1'").arg(deploymentId);
    return inTransaction(what, [&]() -> Result<int> {
        Result<QSqlQuery> next =
            exec(what,
                 QStringLiteral("SELECT (SELECT COUNT(*) FROM deployments WHERE id = ?),"
                                " (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline_events"
                                " WHERE deployment_id = ?)"),
                 {deploymentId, deploymentId});
        if (!next)
            return std::unexpected(next.error());
        next->next();
        if (next->value(0).toInt() == 0)
            return failure(noDeployment(deploymentId));
        const int seq = next->value(1).toInt();
        next->finish();
        const QDateTime time = event.time.isValid() ? event.time : now();
        Result<QSqlQuery> inserted =
            exec(what,
                 QStringLiteral("INSERT INTO timeline_events (deployment_id, seq, time,"
                                " offset_ms, kind, container, text, data)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                 {deploymentId, seq, timeValue(time), event.offsetMilliseconds,
                  TimelineEvent::kindName(event.kind), event.container, event.text,
                  QString::fromUtf8(QJsonDocument(event.data).toJson(QJsonDocument::Compact))});
        if (!inserted)
            return std::unexpected(inserted.error());
        return seq;
    });
}

Result<QList<TimelineEvent>> Store::timeline(const QString &deploymentId)
{
    Result<QSqlQuery> query =
        exec(QStringLiteral("read the timeline of deployment '%1'").arg(deploymentId),
             QStringLiteral("SELECT time, offset_ms, kind, container, text, data"
                            " FROM timeline_events WHERE deployment_id = ? ORDER BY seq"),
             {deploymentId});
    if (!query)
        return std::unexpected(query.error());
    QList<TimelineEvent> events;
    while (query->next()) {
        TimelineEvent event;
        event.time = timeFrom(query->value(0));
        event.offsetMilliseconds = query->value(1).toLongLong();
        const QString kindName = query->value(2).toString();
        const std::optional<TimelineEvent::Kind> kind = kindFrom(kindName);
        if (!kind) {
            return failure(QStringLiteral("deployment '%1' in the state database has an event of "
                                          "unknown kind '%2'")
                               .arg(deploymentId, kindName));
        }
        event.kind = *kind;
        event.container = query->value(3).toString();
        event.text = query->value(4).toString();
        // Anything but an object (a damaged row) reads as no data rather than failing the
        // whole timeline.
        event.data = QJsonDocument::fromJson(query->value(5).toString().toUtf8()).object();
        events.append(event);
    }
    query->finish();
    if (events.isEmpty()) {
        Result<DeploymentRecord> exists = deployment(deploymentId);
        if (!exists)
            return std::unexpected(exists.error());
    }
    return events;
}

// ---- containers

Result<void> Store::upsertContainer(const ContainerRecord &container)
{
    if (container.name.isEmpty())
        return failure(QStringLiteral("a container needs a name"));
    if (Result<void> exists = requireApp(container.app); !exists)
        return exists;
    Result<QSqlQuery> query = exec(
        QStringLiteral("save container '%1' of app '%2'").arg(container.name, container.app),
        QStringLiteral("INSERT INTO containers (app, name, release_version, type, pid, pgid, port,"
                       " state, started_at, restarts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                       " ON CONFLICT (app, name) DO UPDATE SET"
                       " release_version = excluded.release_version, type = excluded.type,"
                       " pid = excluded.pid, pgid = excluded.pgid, port = excluded.port,"
                       " state = excluded.state, started_at = excluded.started_at,"
                       " restarts = excluded.restarts"),
        {container.app, container.name, container.releaseVersion, container.type, container.pid,
         container.pgid, container.port, container.state, timeValue(container.startedAt),
         container.restarts});
    if (!query)
        return std::unexpected(query.error());
    return {};
}

Result<bool> Store::removeContainer(const QString &app, const QString &name)
{
    Result<QSqlQuery> query =
        exec(QStringLiteral("remove container '%1' of app '%2'").arg(name, app),
             QStringLiteral("DELETE FROM containers WHERE app = ? AND name = ?"), {app, name});
    if (!query)
        return std::unexpected(query.error());
    return query->numRowsAffected() > 0;
}

Result<QList<ContainerRecord>> Store::selectContainers(const QString &what, const QString &where,
                                                       const QVariantList &values)
{
    // web-2 before web-10.
    Result<QSqlQuery> query =
        exec(what,
             QStringLiteral("SELECT app, name, release_version, type, pid, pgid, port, state,"
                            " started_at, restarts FROM containers ") +
                 where + QStringLiteral(" ORDER BY app, type, length(name), name"),
             values);
    if (!query)
        return std::unexpected(query.error());
    QList<ContainerRecord> containers;
    while (query->next()) {
        ContainerRecord record;
        record.app = query->value(0).toString();
        record.name = query->value(1).toString();
        record.releaseVersion = query->value(2).toInt();
        record.type = query->value(3).toString();
        record.pid = query->value(4).toLongLong();
        record.pgid = query->value(5).toLongLong();
        record.port = query->value(6).toInt();
        record.state = query->value(7).toString();
        record.startedAt = timeFrom(query->value(8));
        record.restarts = query->value(9).toInt();
        containers.append(record);
    }
    return containers;
}

Result<QList<ContainerRecord>> Store::containers(const QString &app)
{
    if (Result<void> exists = requireApp(app); !exists)
        return std::unexpected(exists.error());
    return selectContainers(QStringLiteral("read the containers of app '%1'").arg(app),
                            QStringLiteral("WHERE app = ?"), {app});
}

Result<QList<ContainerRecord>> Store::allContainers()
{
    return selectContainers(QStringLiteral("read the containers"), {}, {});
}

// ---- git credentials

Result<void> Store::setGitCredential(const GitCredentialRecord &record)
{
    if (record.host.isEmpty() || record.username.isEmpty() || record.secretRef.isEmpty())
        return failure(QStringLiteral("a git login needs a host, a username and the keychain "
                                      "reference of its password"));
    Result<QSqlQuery> query =
        exec(QStringLiteral("keep the git login for %1").arg(record.host),
             QStringLiteral("INSERT INTO git_credentials (host, username, secret_ref, updated_at)"
                            " VALUES (?, ?, ?, ?) ON CONFLICT (host) DO UPDATE SET"
                            " username = excluded.username, secret_ref = excluded.secret_ref,"
                            " updated_at = excluded.updated_at"),
             {record.host, record.username, record.secretRef,
              timeValue(QDateTime::currentDateTimeUtc())});
    if (!query)
        return std::unexpected(query.error());
    return {};
}

Result<bool> Store::removeGitCredential(const QString &host)
{
    Result<QSqlQuery> query =
        exec(QStringLiteral("forget the git login for %1").arg(host),
             QStringLiteral("DELETE FROM git_credentials WHERE host = ?"), {host});
    if (!query)
        return std::unexpected(query.error());
    return query->numRowsAffected() > 0;
}

Result<QList<GitCredentialRecord>> Store::gitCredentials()
{
    Result<QSqlQuery> query =
        exec(QStringLiteral("read the git logins"),
             QStringLiteral("SELECT host, username, secret_ref, updated_at FROM git_credentials"
                            " ORDER BY host"));
    if (!query)
        return std::unexpected(query.error());
    QList<GitCredentialRecord> records;
    while (query->next()) {
        GitCredentialRecord record;
        record.host = query->value(0).toString();
        record.username = query->value(1).toString();
        record.secretRef = query->value(2).toString();
        record.updatedAt = timeFrom(query->value(3));
        records.append(record);
    }
    return records;
}

// ---- API tokens

QByteArray Store::hashToken(const QByteArray &token)
{
    return QCryptographicHash::hash(token, QCryptographicHash::Sha256);
}

Result<TokenRecord> Store::addToken(const QString &name, const QByteArray &tokenHash)
{
    if (name.trimmed().isEmpty())
        return failure(QStringLiteral("an API token needs a name"));
    bool numeric = false;
    name.toLongLong(&numeric);
    if (numeric) {
        return failure(QStringLiteral("'%1' cannot name an API token: it would read as a token "
                                      "id; use a name with letters")
                           .arg(name));
    }
    if (tokenHash.size() != TokenHashSize) {
        return failure(QStringLiteral("an API token is kept as its SHA-256 digest (32 bytes), "
                                      "never as itself: hash it first"));
    }
    const QString what = QStringLiteral("add API token '%1'").arg(name);
    const QString hash = QString::fromLatin1(tokenHash.toHex());
    return inTransaction(what, [&]() -> Result<TokenRecord> {
        Result<QSqlQuery> existing =
            exec(what,
                 QStringLiteral("SELECT name = ? AND revoked_at IS NULL, token_sha256 = ?"
                                " FROM api_tokens WHERE (name = ? AND revoked_at IS NULL)"
                                " OR token_sha256 = ?"),
                 {name, hash, name, hash});
        if (!existing)
            return std::unexpected(existing.error());
        if (existing->next()) {
            if (existing->value(1).toBool())
                return failure(QStringLiteral("this API token is already registered"));
            return failure(QStringLiteral("a valid API token named '%1' already exists: revoke "
                                          "it first or choose another name")
                               .arg(name));
        }
        existing->finish();
        TokenRecord record;
        record.name = name;
        record.createdAt = now();
        Result<QSqlQuery> inserted =
            exec(what,
                 QStringLiteral("INSERT INTO api_tokens (name, token_sha256, created_at)"
                                " VALUES (?, ?, ?)"),
                 {name, hash, timeValue(record.createdAt)});
        if (!inserted)
            return std::unexpected(inserted.error());
        record.id = inserted->lastInsertId().toLongLong();
        return record;
    });
}

Result<QList<TokenRecord>> Store::tokens()
{
    Result<QSqlQuery> query =
        exec(QStringLiteral("read the API tokens"),
             QStringLiteral("SELECT id, name, created_at, revoked_at FROM api_tokens ORDER BY id"));
    if (!query)
        return std::unexpected(query.error());
    QList<TokenRecord> tokens;
    while (query->next()) {
        TokenRecord record;
        record.id = query->value(0).toLongLong();
        record.name = query->value(1).toString();
        record.createdAt = timeFrom(query->value(2));
        record.revokedAt = timeFrom(query->value(3));
        tokens.append(record);
    }
    return tokens;
}

Result<void> Store::revokeToken(const QString &idOrName)
{
    const QString what = QStringLiteral("revoke API token '%1'").arg(idOrName);
    bool isId = false;
    const qint64 id = idOrName.toLongLong(&isId);
    // A valid token of that name first; else any of that id or name, revoked already.
    Result<QSqlQuery> query =
        exec(what,
             QStringLiteral("SELECT id FROM api_tokens WHERE id = ? OR name = ?"
                            " ORDER BY revoked_at IS NOT NULL, id DESC LIMIT 1"),
             {isId ? QVariant(id) : QVariant(), idOrName});
    if (!query)
        return std::unexpected(query.error());
    if (!query->next())
        return failure(QStringLiteral("there is no API token with id or name '%1'").arg(idOrName));
    const qint64 found = query->value(0).toLongLong();
    query->finish();
    Result<QSqlQuery> update = exec(
        what,
        QStringLiteral("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"),
        {timeValue(now()), found});
    if (!update)
        return std::unexpected(update.error());
    return {};
}

bool Store::isTokenValid(const QByteArray &tokenHash)
{
    if (tokenHash.size() != TokenHashSize)
        return false;
    Result<QSqlQuery> query = exec(
        QStringLiteral("check an API token"),
        QStringLiteral("SELECT 1 FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL"),
        {QString::fromLatin1(tokenHash.toHex())});
    if (!query) {
        qWarning("%s", qUtf8Printable(query.error().message));
        return false;
    }
    return query->next();
}

Result<QSet<QByteArray>> Store::validTokenHashes()
{
    Result<QSqlQuery> query =
        exec(QStringLiteral("list the valid API tokens"),
             QStringLiteral("SELECT token_sha256 FROM api_tokens WHERE revoked_at IS NULL"), {});
    if (!query)
        return std::unexpected(query.error());
    QSet<QByteArray> hashes;
    while (query->next())
        hashes.insert(QByteArray::fromHex(query->value(0).toString().toLatin1()));
    return hashes;
}

} // namespace Slipway
