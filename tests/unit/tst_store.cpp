#include "store/Store.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Slipway;

namespace {

// What a failed result says; QVERIFY2 evaluates its message even when the check passes.
template<typename T>
QString errorOf(const Result<T> &result)
{
    return result ? QString() : result.error().message;
}

// Reads the database file through a connection of its own, as another process would.
QVariantList rawColumn(const QString &path, const QString &sql)
{
    static int counter = 0;
    const QString name = QStringLiteral("tst_store-raw-%1").arg(++counter);
    QVariantList values;
    {
        QSqlDatabase database = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        database.setDatabaseName(path);
        if (database.open()) {
            QSqlQuery query(database);
            if (query.exec(sql)) {
                while (query.next())
                    values.append(query.value(0));
            } else {
                values.append(QString(QStringLiteral("error: ") + query.lastError().text()));
            }
        }
        database.close();
    }
    QSqlDatabase::removeDatabase(name);
    return values;
}

QVariant rawValue(const QString &path, const QString &sql)
{
    const QVariantList values = rawColumn(path, sql);
    return values.isEmpty() ? QVariant() : values.constFirst();
}

QDateTime utc(const QString &text)
{
    return QDateTime::fromString(text, Qt::ISODateWithMs);
}

AppSettings customSettings()
{
    AppSettings settings;
    settings.formation = {{QStringLiteral("web"), 3}, {QStringLiteral("worker"), 2}};
    settings.gracePeriod = std::chrono::milliseconds(4500);
    settings.bootTimeout = std::chrono::milliseconds(12345);
    settings.probeInterval = std::chrono::milliseconds(75);
    settings.hookTimeout = std::chrono::milliseconds(600001);
    return settings;
}

void compareSettings(const AppSettings &actual, const AppSettings &expected)
{
    QCOMPARE(actual.formation, expected.formation);
    QCOMPARE(actual.gracePeriod.count(), expected.gracePeriod.count());
    QCOMPARE(actual.bootTimeout.count(), expected.bootTimeout.count());
    QCOMPARE(actual.probeInterval.count(), expected.probeInterval.count());
    QCOMPARE(actual.hookTimeout.count(), expected.hookTimeout.count());
    QCOMPARE(actual.drainLimit.count(), expected.drainLimit.count());
    QCOMPARE(actual.outboundNetwork, expected.outboundNetwork);
}

Release makeRelease(const QString &app, int version)
{
    Release::Data data;
    data.app = app;
    data.version = version;
    data.createdAt = utc(QStringLiteral("2024-03-0%1T10:20:30.456Z").arg(version));
    data.slugPath = QStringLiteral("/data/slugs/%1-v%2.tgz").arg(app).arg(version);
    data.slugSize = 123456789012LL + version;
    data.slugSha256 = QByteArray("ab").repeated(32);
    data.processTypes = {{QStringLiteral("web"), QStringLiteral("node server.js")},
                         {QStringLiteral("worker"), QStringLiteral("node worker.js")}};
    data.configDefaults = {{QStringLiteral("NODE_ENV"), QStringLiteral("production")}};
    data.config = {{QStringLiteral("GREETING"), QStringLiteral("hello v%1").arg(version)}};
    data.buildpacks = {{QStringLiteral("nodejs"), QStringLiteral("Node.js")}};
    data.selectionRule = QStringLiteral("auto-detection");
    data.sourceVersion = QStringLiteral("0123abcd");
    data.stack = QStringLiteral("debian-12");
    return Release(data);
}

DeploymentRecord makeDeployment(const QString &id, const QString &app, DeploymentStatus status,
                                const QDateTime &createdAt)
{
    DeploymentRecord record;
    record.id = id;
    record.app = app;
    record.trigger = QStringLiteral("source");
    record.status = status;
    record.createdAt = createdAt;
    record.logPath = QStringLiteral("/data/logs/%1.log").arg(id);
    return record;
}

// The shipped steps plus one that a later Slipway would add.
QList<Migration> twoStepMigrations()
{
    QList<Migration> migrations = storeMigrations().first(1);
    migrations.append(
        {QStringLiteral("app notes"),
         {QStringLiteral("ALTER TABLE apps ADD COLUMN notes TEXT NOT NULL DEFAULT ''"),
          QStringLiteral("CREATE TABLE app_labels (app TEXT NOT NULL REFERENCES "
                         "apps(name) ON DELETE CASCADE, label TEXT NOT NULL)")}});
    return migrations;
}

} // namespace

class TestStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void appsRoundTrip();
    void appErrors();
    void configVarsRoundTrip();
    void configVarRules();
    void releasesRoundTrip();
    void deploymentsRoundTrip();
    void markUnfinishedAborted();
    void timelineRoundTrip();
    void timelineDataMigratesFromOlderSchema();
    void containersRoundTrip();
    void tokensRoundTrip();
    void gitCredentialsRoundTrip();
    void gitCredentialsMigrateFromFirstSchema();
    void tokenValueNeverStored();
    void deleteAppCascades();
    void walModeAndSchemaVersion();
    void reopenKeepsData();
    void migratesOlderSchema();
    void failedMigrationRollsBack();
    void refusesNewerSchema();
    void refusesNonDatabase();
    void twoStoresAtOnce();
    void connectionRemovedOnDestruction();

private:
    std::unique_ptr<Store> openStore(const QString &file = QStringLiteral("state.db"));
    QString dbPath(const QString &file = QStringLiteral("state.db")) const
    {
        return m_dir->filePath(file);
    }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestStore::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")));
}

void TestStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestStore::cleanup()
{
    m_dir.reset();
}

std::unique_ptr<Store> TestStore::openStore(const QString &file)
{
    Result<std::unique_ptr<Store>> store = Store::open(dbPath(file));
    if (!store) {
        qWarning("%s", qUtf8Printable(store.error().message));
        return nullptr;
    }
    return std::move(*store);
}

void TestStore::appsRoundTrip()
{
    auto store = openStore();
    QVERIFY(store);

    const QDateTime before = QDateTime::currentDateTimeUtc();
    Result<AppRecord> created = store->createApp(QStringLiteral("zeta"), customSettings());
    QVERIFY2(created, qUtf8Printable(errorOf(created)));
    QVERIFY(created->createdAt >= before.addMSecs(-1));
    QVERIFY(store->createApp(QStringLiteral("alpha"), AppSettings()));

    Result<AppRecord> zeta = store->app(QStringLiteral("zeta"));
    QVERIFY2(zeta, qUtf8Printable(errorOf(zeta)));
    QCOMPARE(zeta->name, QStringLiteral("zeta"));
    QCOMPARE(zeta->createdAt, created->createdAt);
    compareSettings(zeta->settings, customSettings());
    QCOMPARE(zeta->currentRelease, std::nullopt);
    QVERIFY(zeta->buildpacks.isEmpty());
    QVERIFY(zeta->routerName.isEmpty());

    Result<QList<AppRecord>> apps = store->apps();
    QVERIFY(apps);
    QCOMPARE(apps->size(), 2);
    QCOMPARE(apps->at(0).name, QStringLiteral("alpha"));
    QCOMPARE(apps->at(1).name, QStringLiteral("zeta"));
    compareSettings(apps->at(0).settings, AppSettings());

    AppSettings changed;
    changed.formation = {{QStringLiteral("web"), 0}, {QStringLiteral("clock"), 1}};
    changed.gracePeriod = std::chrono::milliseconds(1);
    changed.bootTimeout = std::chrono::milliseconds(2);
    changed.probeInterval = std::chrono::milliseconds(3);
    changed.hookTimeout = std::chrono::milliseconds(4);
    changed.drainLimit = std::chrono::milliseconds(0);
    changed.outboundNetwork = false;
    QVERIFY(store->updateSettings(QStringLiteral("zeta"), changed));
    QVERIFY(store->setRouterName(QStringLiteral("zeta"), QStringLiteral("zeta-router")));
    const QStringList buildpacks = {QStringLiteral("python"),
                                    QStringLiteral("https://example.com/bp.git#v2"),
                                    QStringLiteral("/opt/buildpacks/apt")};
    QVERIFY(store->setBuildpacks(QStringLiteral("zeta"), buildpacks));
    QVERIFY(store->addRelease(makeRelease(QStringLiteral("zeta"), 1)));
    QVERIFY(store->setCurrentRelease(QStringLiteral("zeta"), 1));

    zeta = store->app(QStringLiteral("zeta"));
    QVERIFY(zeta);
    compareSettings(zeta->settings, changed);
    QCOMPARE(zeta->routerName, QStringLiteral("zeta-router"));
    QCOMPARE(zeta->buildpacks, buildpacks);
    QCOMPARE(zeta->currentRelease, std::optional<int>(1));

    // A new list replaces the old one, in its own order; the other app keeps none.
    const QStringList shorter = {QStringLiteral("/opt/buildpacks/apt"), QStringLiteral("python")};
    QVERIFY(store->setBuildpacks(QStringLiteral("zeta"), shorter));
    QCOMPARE(store->app(QStringLiteral("zeta"))->buildpacks, shorter);
    QVERIFY(store->app(QStringLiteral("alpha"))->buildpacks.isEmpty());
    QVERIFY(store->setBuildpacks(QStringLiteral("zeta"), {}));
    QVERIFY(store->app(QStringLiteral("zeta"))->buildpacks.isEmpty());

    // An app made without a way out keeps it so; the others have one.
    AppSettings closed;
    closed.outboundNetwork = false;
    QVERIFY(store->createApp(QStringLiteral("hermit"), closed));
    QCOMPARE(store->app(QStringLiteral("hermit"))->settings.outboundNetwork, false);
    QCOMPARE(store->app(QStringLiteral("alpha"))->settings.outboundNetwork, true);
}

void TestStore::appErrors()
{
    auto store = openStore();
    QVERIFY(store);
    QVERIFY(store->createApp(QStringLiteral("shop"), AppSettings()));

    Result<AppRecord> twice = store->createApp(QStringLiteral("shop"), AppSettings());
    QVERIFY(!twice);
    QVERIFY2(twice.error().message.contains(QStringLiteral("already exists")),
             qUtf8Printable(twice.error().message));
    QVERIFY(!store->createApp(QString(), AppSettings()));

    const QString missing = QStringLiteral("there is no app named 'nope'");
    QCOMPARE(errorOf(store->app(QStringLiteral("nope"))), missing);
    QCOMPARE(errorOf(store->updateSettings(QStringLiteral("nope"), AppSettings())), missing);
    QCOMPARE(errorOf(store->setRouterName(QStringLiteral("nope"), QStringLiteral("x"))), missing);
    QCOMPARE(errorOf(store->setBuildpacks(QStringLiteral("nope"), {QStringLiteral("go")})),
             missing);
    QCOMPARE(errorOf(store->setCurrentRelease(QStringLiteral("nope"), 1)), missing);
    QCOMPARE(errorOf(store->deleteApp(QStringLiteral("nope"))), missing);
    QCOMPARE(errorOf(store->configVars(QStringLiteral("nope"))), missing);
    QCOMPARE(errorOf(store->releases(QStringLiteral("nope"))), missing);
    QCOMPARE(errorOf(store->deployments(QStringLiteral("nope"))), missing);
    QCOMPARE(errorOf(store->containers(QStringLiteral("nope"))), missing);

    Result<void> noRelease = store->setCurrentRelease(QStringLiteral("shop"), 7);
    QVERIFY(!noRelease);
    QCOMPARE(errorOf(noRelease), QStringLiteral("app 'shop' has no release v7"));
    QCOMPARE(store->app(QStringLiteral("shop"))->currentRelease, std::nullopt);

    Result<void> emptyBuildpack =
        store->setBuildpacks(QStringLiteral("shop"), {QStringLiteral("go"), QStringLiteral(" ")});
    QVERIFY(!emptyBuildpack);
    QVERIFY(emptyBuildpack.error().message.contains(QStringLiteral("buildpack 2")));
}

void TestStore::configVarsRoundTrip()
{
    auto store = openStore();
    QVERIFY(store);
    QVERIFY(store->createApp(QStringLiteral("api"), AppSettings()));
    QVERIFY(store->createApp(QStringLiteral("other"), AppSettings()));

    QVERIFY(store->setConfigVar(QStringLiteral("api"), QStringLiteral("NODE_ENV"),
                                QStringLiteral("production")));
    QVERIFY(
        store->setConfigVar(QStringLiteral("api"), QStringLiteral("EMPTY"), QStringLiteral("")));
    QVERIFY(store->setConfigVar(QStringLiteral("api"), QStringLiteral("DATABASE_URL"), std::nullopt,
                                true, QStringLiteral("slipway/api/DATABASE_URL")));
    QVERIFY(store->setConfigVar(QStringLiteral("other"), QStringLiteral("NODE_ENV"),
                                QStringLiteral("staging")));

    Result<QList<ConfigVarRecord>> vars = store->configVars(QStringLiteral("api"));
    QVERIFY(vars);
    const QList<ConfigVarRecord> expected = {
        {QStringLiteral("DATABASE_URL"), std::nullopt, true,
         QStringLiteral("slipway/api/DATABASE_URL")},
        {QStringLiteral("EMPTY"), QStringLiteral(""), false, {}},
        {QStringLiteral("NODE_ENV"), QStringLiteral("production"), false, {}},
    };
    QCOMPARE(*vars, expected);
    // An empty value stays a value, not a missing one.
    QVERIFY(vars->at(1).value.has_value());

    // Setting again replaces, also from plain to secret.
    QVERIFY(store->setConfigVar(QStringLiteral("api"), QStringLiteral("NODE_ENV"), std::nullopt,
                                true, QStringLiteral("slipway/api/NODE_ENV")));
    vars = store->configVars(QStringLiteral("api"));
    QVERIFY(vars);
    QCOMPARE(vars->size(), 3);
    QCOMPARE(vars->at(2), (ConfigVarRecord{QStringLiteral("NODE_ENV"), std::nullopt, true,
                                           QStringLiteral("slipway/api/NODE_ENV")}));

    Result<bool> unset = store->unsetConfigVar(QStringLiteral("api"), QStringLiteral("EMPTY"));
    QVERIFY(unset);
    QCOMPARE(*unset, true);
    unset = store->unsetConfigVar(QStringLiteral("api"), QStringLiteral("EMPTY"));
    QVERIFY(unset);
    QCOMPARE(*unset, false);
    QCOMPARE(store->configVars(QStringLiteral("api"))->size(), 2);
    QCOMPARE(store->configVars(QStringLiteral("other"))->size(), 1);
    QCOMPARE(store->configVars(QStringLiteral("other"))->at(0).value,
             std::optional<QString>(QStringLiteral("staging")));
}

void TestStore::configVarRules()
{
    auto store = openStore();
    QVERIFY(store);
    QVERIFY(store->createApp(QStringLiteral("api"), AppSettings()));

    Result<void> badName =
        store->setConfigVar(QStringLiteral("api"), QStringLiteral("1ABC"), QStringLiteral("x"));
    QVERIFY(!badName);
    QVERIFY(!badName.error().message.isEmpty());
    Result<void> longValue = store->setConfigVar(QStringLiteral("api"), QStringLiteral("BIG"),
                                                 QString(32769, QLatin1Char('x')));
    QVERIFY(!longValue);
    QVERIFY(store->setConfigVar(QStringLiteral("api"), QStringLiteral("BIG"),
                                QString(32768, QLatin1Char('x'))));

    Result<void> secretWithValue =
        store->setConfigVar(QStringLiteral("api"), QStringLiteral("TOKEN"),
                            QStringLiteral("hunter2"), true, QStringLiteral("slipway/api/TOKEN"));
    QVERIFY(!secretWithValue);
    QVERIFY2(secretWithValue.error().message.contains(QStringLiteral("keychain")),
             qUtf8Printable(secretWithValue.error().message));
    QVERIFY(
        !store->setConfigVar(QStringLiteral("api"), QStringLiteral("TOKEN"), std::nullopt, true));
    QVERIFY(!store->setConfigVar(QStringLiteral("api"), QStringLiteral("PLAIN"), std::nullopt));
    QVERIFY(!store->setConfigVar(QStringLiteral("nope"), QStringLiteral("A"), QStringLiteral("b")));

    Result<QList<ConfigVarRecord>> vars = store->configVars(QStringLiteral("api"));
    QVERIFY(vars);
    QCOMPARE(vars->size(), 1);
    QCOMPARE(vars->at(0).name, QStringLiteral("BIG"));
}

void TestStore::releasesRoundTrip()
{
    auto store = openStore();
    QVERIFY(store);
    QVERIFY(store->createApp(QStringLiteral("blog"), AppSettings()));
    QCOMPARE(store->nextReleaseVersion(QStringLiteral("blog")).value_or(-1), 1);

    // Added out of order, listed by version.
    QVERIFY(store->addRelease(makeRelease(QStringLiteral("blog"), 2)));
    Result<void> first = store->addRelease(makeRelease(QStringLiteral("blog"), 1));
    QVERIFY2(first, qUtf8Printable(errorOf(first)));
    QCOMPARE(store->nextReleaseVersion(QStringLiteral("blog")).value_or(-1), 3);

    Result<QList<Release>> releases = store->releases(QStringLiteral("blog"));
    QVERIFY(releases);
    QCOMPARE(releases->size(), 2);
    QCOMPARE(releases->at(0).version(), 1);
    QCOMPARE(releases->at(1).version(), 2);
    QCOMPARE(releases->at(0).toJson(), makeRelease(QStringLiteral("blog"), 1).toJson());
    QCOMPARE(releases->at(1).toJson(), makeRelease(QStringLiteral("blog"), 2).toJson());

    Result<Release> second = store->release(QStringLiteral("blog"), 2);
    QVERIFY(second);
    QCOMPARE(second->slugSize(), 123456789014LL);
    QCOMPARE(second->config().value(QStringLiteral("GREETING")), QStringLiteral("hello v2"));
    QCOMPARE(second->buildpacks(), makeRelease(QStringLiteral("blog"), 2).buildpacks());
    QCOMPARE(second->createdAt(), utc(QStringLiteral("2024-03-02T10:20:30.456Z")));

    Result<void> again = store->addRelease(makeRelease(QStringLiteral("blog"), 2));
    QVERIFY(!again);
    QVERIFY2(again.error().message.contains(QStringLiteral("already has a release v2")),
             qUtf8Printable(again.error().message));
    QCOMPARE(errorOf(store->release(QStringLiteral("blog"), 9)),
             QStringLiteral("app 'blog' has no release v9"));
    QVERIFY(!store->addRelease(makeRelease(QStringLiteral("nope"), 1)));
    QVERIFY(!store->addRelease(Release()));
}

void TestStore::deploymentsRoundTrip()
{
    auto store = openStore();
    QVERIFY(store);
    QVERIFY(store->createApp(QStringLiteral("web"), AppSettings()));
    QVERIFY(store->createApp(QStringLiteral("other"), AppSettings()));

    DeploymentRecord oldest =
        makeDeployment(QStringLiteral("d-1"), QStringLiteral("web"), DeploymentStatus::Success,
                       utc(QStringLiteral("2024-05-01T08:00:00.001Z")));
    oldest.releaseVersion = 1;
    oldest.finishedAt = utc(QStringLiteral("2024-05-01T08:01:00.002Z"));
    oldest.trigger = QStringLiteral("rollback");
    oldest.source = QStringLiteral("v7");
    DeploymentRecord middle =
        makeDeployment(QStringLiteral("d-2"), QStringLiteral("web"), DeploymentStatus::BuildError,
                       utc(QStringLiteral("2024-05-01T09:00:00.000Z")));
    middle.error = QStringLiteral("no buildpack applies");
    middle.source = QStringLiteral("https://git.example.com/shop.git#main");
    DeploymentRecord newest =
        makeDeployment(QStringLiteral("d-3"), QStringLiteral("web"), DeploymentStatus::Building,
                       utc(QStringLiteral("2024-05-02T00:00:00.000Z")));
    DeploymentRecord elsewhere =
        makeDeployment(QStringLiteral("d-4"), QStringLiteral("other"), DeploymentStatus::Queued,
                       utc(QStringLiteral("2024-06-01T00:00:00.000Z")));
    for (const DeploymentRecord &record : {middle, newest, oldest, elsewhere}) {
        Result<void> added = store->addDeployment(record);
        QVERIFY2(added, qUtf8Printable(errorOf(added)));
    }
    QVERIFY(!store->addDeployment(middle));
    QVERIFY(!store->addDeployment(makeDeployment(QStringLiteral("d-9"), QStringLiteral("nope"),
                                                 DeploymentStatus::Queued, {})));

    Result<QList<DeploymentRecord>> all = store->deployments(QStringLiteral("web"));
    QVERIFY(all);
    QCOMPARE(*all, (QList<DeploymentRecord>{newest, middle, oldest}));
    Result<QList<DeploymentRecord>> two = store->deployments(QStringLiteral("web"), 2);
    QVERIFY(two);
    QCOMPARE(*two, (QList<DeploymentRecord>{newest, middle}));

    QCOMPARE(store->deployment(QStringLiteral("d-1")).value_or(DeploymentRecord()), oldest);

    const QDateTime finished = utc(QStringLiteral("2024-05-02T00:03:00.500Z"));
    QVERIFY(store->updateDeployment(QStringLiteral("d-3"), DeploymentStatus::CrashedError,
                                    QStringLiteral("web-1 exited with status 1"), 4, finished));
    Result<DeploymentRecord> updated = store->deployment(QStringLiteral("d-3"));
    QVERIFY(updated);
    QCOMPARE(updated->status, DeploymentStatus::CrashedError);
    QCOMPARE(updated->error, QStringLiteral("web-1 exited with status 1"));
    QCOMPARE(updated->releaseVersion, std::optional<int>(4));
    QCOMPARE(updated->finishedAt, finished);
    QCOMPARE(updated->createdAt, newest.createdAt);
    QCOMPARE(updated->logPath, newest.logPath);

    QCOMPARE(errorOf(store->updateDeployment(QStringLiteral("d-x"), DeploymentStatus::Success, {},
                                             {}, {})),
             QStringLiteral("there is no deployment 'd-x'"));

    // The release serving when a deployment started: none until known, kept once set.
    QCOMPARE(store->deployment(QStringLiteral("d-3"))->previousRelease, std::optional<int>());
    QVERIFY(store->setPreviousRelease(QStringLiteral("d-3"), 3));
    QCOMPARE(store->deployment(QStringLiteral("d-3"))->previousRelease, std::optional<int>(3));
    QVERIFY(store->updateDeployment(QStringLiteral("d-3"), DeploymentStatus::CrashedError,
                                    QStringLiteral("again"), 4, finished));
    QCOMPARE(store->deployment(QStringLiteral("d-3"))->previousRelease, std::optional<int>(3));
    QCOMPARE(errorOf(store->setPreviousRelease(QStringLiteral("d-x"), 1)),
             QStringLiteral("there is no deployment 'd-x'"));
    DeploymentRecord withPrevious = makeDeployment(QStringLiteral("d-6"), QStringLiteral("other"),
                                                   DeploymentStatus::Queued, newest.createdAt);
    withPrevious.previousRelease = 7;
    QVERIFY(store->addDeployment(withPrevious));
    QCOMPARE(store->deployment(QStringLiteral("d-6")).value_or(DeploymentRecord()), withPrevious);
    QCOMPARE(errorOf(store->deployment(QStringLiteral("d-x"))),
             QStringLiteral("there is no deployment 'd-x'"));

    // Without a creation time, now.
    DeploymentRecord unstamped = makeDeployment(QStringLiteral("d-5"), QStringLiteral("other"),
                                                DeploymentStatus::Queued, {});
    QVERIFY(store->addDeployment(unstamped));
    QVERIFY(store->deployment(QStringLiteral("d-5"))->createdAt.isValid());
}

void TestStore::markUnfinishedAborted()
{
    auto store = openStore();
    QVERIFY(store);
    QVERIFY(store->createApp(QStringLiteral("a"), AppSettings()));
    QVERIFY(store->createApp(QStringLiteral("b"), AppSettings()));

    const QList<QPair<QString, DeploymentStatus>> statuses = {
        {QStringLiteral("q"), DeploymentStatus::Queued},
        {QStringLiteral("bu"), DeploymentStatus::Building},
        {QStringLiteral("pu"), DeploymentStatus::Pushing},
        {QStringLiteral("st"), DeploymentStatus::Starting},
        {QStringLiteral("ok"), DeploymentStatus::Success},
        {QStringLiteral("he"), DeploymentStatus::HookError},
        {QStringLiteral("ab"), DeploymentStatus::Aborted},
    };
    int minute = 0;
    for (const auto &[id, status] : statuses) {
        DeploymentRecord record = makeDeployment(
            id, minute % 2 ? QStringLiteral("a") : QStringLiteral("b"), status,
            utc(QStringLiteral("2024-07-01T10:%1:00.000Z").arg(minute, 2, 10, QLatin1Char('0'))));
        ++minute;
        if (isFinal(status)) {
            record.finishedAt = record.createdAt.addSecs(30);
            record.error = QStringLiteral("earlier error");
        }
        QVERIFY(store->addDeployment(record));
    }

    Result<QList<DeploymentRecord>> unfinished = store->unfinishedDeployments();
    QVERIFY(unfinished);
    QStringList unfinishedIds;
    for (const DeploymentRecord &record : *unfinished)
        unfinishedIds.append(record.id);
    const QStringList expectedIds = {QStringLiteral("q"), QStringLiteral("bu"),
                                     QStringLiteral("pu"), QStringLiteral("st")};
    QCOMPARE(unfinishedIds, expectedIds);

    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    Result<QStringList> aborted =
        store->markUnfinishedAborted(QStringLiteral("the daemon was lost"));
    QVERIFY2(aborted, qUtf8Printable(errorOf(aborted)));
    QCOMPARE(*aborted, expectedIds);

    for (const QString &id : expectedIds) {
        Result<DeploymentRecord> record = store->deployment(id);
        QVERIFY(record);
        QCOMPARE(record->status, DeploymentStatus::Aborted);
        QCOMPARE(record->error, QStringLiteral("the daemon was lost"));
        QVERIFY(record->finishedAt >= before);
    }
    // Finished ones keep how they ended.
    Result<DeploymentRecord> success = store->deployment(QStringLiteral("ok"));
    QCOMPARE(success->status, DeploymentStatus::Success);
    QCOMPARE(success->error, QStringLiteral("earlier error"));
    QCOMPARE(success->finishedAt, utc(QStringLiteral("2024-07-01T10:04:30.000Z")));
    QCOMPARE(store->deployment(QStringLiteral("he"))->status, DeploymentStatus::HookError);

    QVERIFY(store->unfinishedDeployments()->isEmpty());
    Result<QStringList> none = store->markUnfinishedAborted(QStringLiteral("again"));
    QVERIFY(none);
    QVERIFY(none->isEmpty());
    QCOMPARE(store->deployment(QStringLiteral("q"))->error, QStringLiteral("the daemon was lost"));
}

void TestStore::timelineRoundTrip()
{
    auto store = openStore();
    QVERIFY(store);
    QVERIFY(store->createApp(QStringLiteral("a"), AppSettings()));
    QVERIFY(store->addDeployment(
        makeDeployment(QStringLiteral("d1"), QStringLiteral("a"), DeploymentStatus::Starting, {})));
    QVERIFY(store->addDeployment(
        makeDeployment(QStringLiteral("d2"), QStringLiteral("a"), DeploymentStatus::Starting, {})));

    QList<TimelineEvent> events;
    events.append({utc(QStringLiteral("2024-01-01T00:00:00.100Z")),
                   0,
                   TimelineEvent::Kind::SourceFetched,
                   {},
                   QStringLiteral("folder /src")});
    events.append({utc(QStringLiteral("2024-01-01T00:00:02.000Z")), 1900,
                   TimelineEvent::Kind::ContainerStarted, QStringLiteral("web-1"),
                   QStringLiteral("web-1 started on port 5001")});
    events.append({utc(QStringLiteral("2024-01-01T00:00:02.312Z")), 2212,
                   TimelineEvent::Kind::ContainerReady, QStringLiteral("web-1"),
                   QStringLiteral("web-1 ready after 4 probes (312 ms)")});
    events.append({utc(QStringLiteral("2024-01-01T00:00:03.000Z")), 2900,
                   TimelineEvent::Kind::OldContainerStopped, QStringLiteral("web-1"),
                   QStringLiteral("exited after SIGTERM")});
    // Structured data comes back as it went in: numbers, nulls, booleans, nested values.
    events[1].data = {{QStringLiteral("type"), QStringLiteral("web")},
                      {QStringLiteral("index"), 1},
                      {QStringLiteral("port"), 5001},
                      {QStringLiteral("pid"), 4242},
                      {QStringLiteral("release"), 3},
                      {QStringLiteral("isolated"), true}};
    events[3].data = {{QStringLiteral("release"), 2},
                      {QStringLiteral("exit_status"), QJsonValue()},
                      {QStringLiteral("signal"), QStringLiteral("SIGKILL")},
                      {QStringLiteral("killed"), true},
                      {QStringLiteral("stop_ms"), 30004}};
    TimelineEvent step{utc(QStringLiteral("2024-01-01T00:00:01.000Z")),
                       900,
                       TimelineEvent::Kind::StepStarted,
                       {},
                       QStringLiteral("step 1 of 4")};
    step.data = {{QStringLiteral("step"), QStringLiteral("start")},
                 {QStringLiteral("previous_release"), QJsonValue()},
                 {QStringLiteral("containers"),
                  QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("web-1")},
                                         {QStringLiteral("probed"), true}}}}};
    events.insert(1, step);
    for (TimelineEvent::Kind kind :
         {TimelineEvent::Kind::LogSection, TimelineEvent::Kind::OldContainerStopping,
          TimelineEvent::Kind::NewContainerStopping, TimelineEvent::Kind::NewContainerStopped}) {
        events.append({utc(QStringLiteral("2024-01-01T00:00:04.000Z")),
                       3900,
                       kind,
                       {},
                       TimelineEvent::kindName(kind)});
    }
    int expectedSeq = 1;
    for (const TimelineEvent &event : events) {
        Result<int> seq = store->addTimelineEvent(QStringLiteral("d1"), event);
        QVERIFY2(seq, qUtf8Printable(errorOf(seq)));
        QCOMPARE(*seq, expectedSeq++);
    }
    QCOMPARE(store->addTimelineEvent(QStringLiteral("d2"), events.at(0)).value_or(-1), 1);

    Result<QList<TimelineEvent>> read = store->timeline(QStringLiteral("d1"));
    QVERIFY(read);
    QCOMPARE(read->size(), events.size());
    for (qsizetype i = 0; i < events.size(); ++i) {
        QCOMPARE(read->at(i).time, events.at(i).time);
        QCOMPARE(read->at(i).offsetMilliseconds, events.at(i).offsetMilliseconds);
        QCOMPARE(read->at(i).kind, events.at(i).kind);
        QCOMPARE(read->at(i).container, events.at(i).container);
        QCOMPARE(read->at(i).text, events.at(i).text);
        QCOMPARE(read->at(i).data, events.at(i).data);
    }
    QCOMPARE(read->at(2).data.value(QStringLiteral("isolated")), QJsonValue(true));
    QVERIFY(read->at(4).data.value(QStringLiteral("exit_status")).isNull());
    QCOMPARE(read->at(1).data.value(QStringLiteral("containers")).toArray().size(), 1);
    QCOMPARE(store->timeline(QStringLiteral("d2"))->size(), 1);

    QVERIFY(!store->addTimelineEvent(QStringLiteral("nope"), events.at(0)));
    Result<QList<TimelineEvent>> missing = store->timeline(QStringLiteral("nope"));
    QVERIFY(!missing);
    QCOMPARE(errorOf(missing), QStringLiteral("there is no deployment 'nope'"));
    QVERIFY(store->timeline(QStringLiteral("d2")));
}

void TestStore::timelineDataMigratesFromOlderSchema()
{
    // A database from before timeline data: its events and deployments stay readable, with
    // empty data and no previous release.
    const QList<Migration> before = storeMigrations().first(3);
    {
        Result<std::unique_ptr<Store>> old = Store::open(dbPath(), before);
        QVERIFY2(old, qUtf8Printable(errorOf(old)));
        QVERIFY((*old)->createApp(QStringLiteral("kept"), AppSettings{}));
    }
    QVERIFY(rawValue(dbPath(), QStringLiteral("SELECT data FROM timeline_events"))
                .toString()
                .startsWith(QStringLiteral("error")));
    rawValue(dbPath(),
             QStringLiteral("INSERT INTO deployments (id, app, \"trigger\", status, created_at)"
                            " VALUES ('old-1', 'kept', 'source', 'success',"
                            " '2024-01-01T00:00:00.000Z')"));
    rawValue(dbPath(),
             QStringLiteral("INSERT INTO timeline_events (deployment_id, seq, time, offset_ms,"
                            " kind, container, text) VALUES ('old-1', 1,"
                            " '2024-01-01T00:00:01.000Z', 1000, 'container-ready', 'web-1',"
                            " 'web-1 ready after 2 probes')"));
    QCOMPARE(rawValue(dbPath(), QStringLiteral("SELECT COUNT(*) FROM timeline_events")).toInt(), 1);

    auto store = openStore();
    QVERIFY(store);
    QCOMPARE(store->schemaVersion().value_or(-1), int(storeMigrations().size()));
    Result<QList<TimelineEvent>> events = store->timeline(QStringLiteral("old-1"));
    QVERIFY2(events, qUtf8Printable(errorOf(events)));
    QCOMPARE(events->size(), 1);
    QCOMPARE(events->constFirst().kind, TimelineEvent::Kind::ContainerReady);
    QCOMPARE(events->constFirst().text, QStringLiteral("web-1 ready after 2 probes"));
    QCOMPARE(events->constFirst().data, QJsonObject());
    QCOMPARE(store->deployment(QStringLiteral("old-1"))->previousRelease, std::optional<int>());

    // New events of the same deployment keep their data.
    TimelineEvent ready{{},
                        2000,
                        TimelineEvent::Kind::ContainerReady,
                        QStringLiteral("web-2"),
                        QStringLiteral("web-2 ready")};
    ready.data = {{QStringLiteral("probes"), 3}, {QStringLiteral("port"), 5002}};
    QCOMPARE(store->addTimelineEvent(QStringLiteral("old-1"), ready).value_or(-1), 2);
    QCOMPARE(store->timeline(QStringLiteral("old-1"))->at(1).data, ready.data);
    // A damaged value reads as no data rather than failing the timeline.
    store.reset();
    rawValue(dbPath(),
             QStringLiteral("UPDATE timeline_events SET data = 'not json' WHERE seq = 2"));
    store = openStore();
    QVERIFY(store);
    QCOMPARE(store->timeline(QStringLiteral("old-1"))->at(1).data, QJsonObject());
}

void TestStore::containersRoundTrip()
{
    auto store = openStore();
    QVERIFY(store);
    QVERIFY(store->createApp(QStringLiteral("a"), AppSettings()));
    QVERIFY(store->createApp(QStringLiteral("b"), AppSettings()));

    auto container = [](const QString &app, const QString &name, qint64 pid) {
        ContainerRecord record;
        record.app = app;
        record.name = name;
        record.releaseVersion = 3;
        record.type = name.section(QLatin1Char('-'), 0, 0);
        record.pid = pid;
        record.pgid = pid;
        record.port = record.type == QLatin1String("web") ? int(40000 + pid % 1000) : 0;
        record.state = QStringLiteral("running");
        record.startedAt = utc(QStringLiteral("2024-02-02T02:02:02.222Z"));
        record.restarts = 0;
        return record;
    };
    const ContainerRecord web10 = container(QStringLiteral("a"), QStringLiteral("web-10"), 4010);
    const ContainerRecord web2 = container(QStringLiteral("a"), QStringLiteral("web-2"), 4002);
    ContainerRecord worker = container(QStringLiteral("a"), QStringLiteral("worker-1"), 5001);
    const ContainerRecord otherWeb = container(QStringLiteral("b"), QStringLiteral("web-1"), 6001);
    for (const ContainerRecord &record : {web10, worker, web2, otherWeb})
        QVERIFY(store->upsertContainer(record));

    Result<QList<ContainerRecord>> ofA = store->containers(QStringLiteral("a"));
    QVERIFY(ofA);
    QCOMPARE(*ofA, (QList<ContainerRecord>{web2, web10, worker}));

    // Restarted: same name, new process.
    worker.pid = 5999;
    worker.pgid = 5999;
    worker.restarts = 2;
    worker.state = QStringLiteral("starting");
    worker.startedAt = utc(QStringLiteral("2024-02-02T03:00:00.000Z"));
    QVERIFY(store->upsertContainer(worker));
    QCOMPARE(store->containers(QStringLiteral("a"))->at(2), worker);
    QCOMPARE(store->containers(QStringLiteral("a"))->size(), 3);

    Result<QList<ContainerRecord>> all = store->allContainers();
    QVERIFY(all);
    QCOMPARE(*all, (QList<ContainerRecord>{web2, web10, worker, otherWeb}));

    Result<bool> removed = store->removeContainer(QStringLiteral("a"), QStringLiteral("web-10"));
    QVERIFY(removed);
    QCOMPARE(*removed, true);
    removed = store->removeContainer(QStringLiteral("a"), QStringLiteral("web-10"));
    QVERIFY(removed);
    QCOMPARE(*removed, false);
    QCOMPARE(*store->containers(QStringLiteral("a")), (QList<ContainerRecord>{web2, worker}));
    QVERIFY(!store->upsertContainer(container(QStringLiteral("nope"), QStringLiteral("web-1"), 1)));
}

void TestStore::gitCredentialsRoundTrip()
{
    auto store = openStore();
    QVERIFY(store);
    QCOMPARE(store->gitCredentials()->size(), 0);
    const QDateTime before = QDateTime::currentDateTimeUtc();
    QVERIFY(store->setGitCredential({QStringLiteral("github.com"),
                                     QStringLiteral("me"),
                                     QStringLiteral("git/github.com"),
                                     {}}));
    QVERIFY(store->setGitCredential({QStringLiteral("git.example.com:8443"),
                                     QStringLiteral("ci"),
                                     QStringLiteral("git/git.example.com:8443"),
                                     {}}));
    Result<QList<GitCredentialRecord>> listed = store->gitCredentials();
    QVERIFY(listed);
    QCOMPARE(listed->size(), 2);
    QCOMPARE(listed->at(0).host, QStringLiteral("git.example.com:8443"));
    QCOMPARE(listed->at(1).host, QStringLiteral("github.com"));
    QCOMPARE(listed->at(1).username, QStringLiteral("me"));
    QCOMPARE(listed->at(1).secretRef, QStringLiteral("git/github.com"));
    QVERIFY(listed->at(1).updatedAt >= before.addMSecs(-1));

    // The same host again replaces its login.
    QVERIFY(store->setGitCredential({QStringLiteral("github.com"),
                                     QStringLiteral("bot"),
                                     QStringLiteral("git/github.com"),
                                     {}}));
    listed = store->gitCredentials();
    QCOMPARE(listed->size(), 2);
    QCOMPARE(listed->at(1).username, QStringLiteral("bot"));

    // Incomplete records are refused; there is nowhere to put a password.
    QVERIFY(!store->setGitCredential(
        {QStringLiteral("a.example"), QString(), QStringLiteral("git/a.example"), {}}));
    QVERIFY(!store->setGitCredential(
        {QStringLiteral("a.example"), QStringLiteral("me"), QString(), {}}));
    const QVariantList columns = rawColumn(
        dbPath(), QStringLiteral("SELECT name FROM pragma_table_info('git_credentials')"));
    QCOMPARE(columns, (QVariantList{QStringLiteral("host"), QStringLiteral("username"),
                                    QStringLiteral("secret_ref"), QStringLiteral("updated_at")}));

    QCOMPARE(store->removeGitCredential(QStringLiteral("github.com")).value_or(false), true);
    QCOMPARE(store->removeGitCredential(QStringLiteral("github.com")).value_or(true), false);
    QCOMPARE(store->gitCredentials()->size(), 1);
}

void TestStore::gitCredentialsMigrateFromFirstSchema()
{
    // A database of the first release, with an app in it, gains the table and keeps its data.
    {
        Result<std::unique_ptr<Store>> old = Store::open(dbPath(), storeMigrations().first(1));
        QVERIFY(old);
        QVERIFY((*old)->createApp(QStringLiteral("kept"), AppSettings{}));
    }
    auto store = openStore();
    QVERIFY(store);
    QCOMPARE(store->schemaVersion().value_or(-1), int(storeMigrations().size()));
    QVERIFY(store->app(QStringLiteral("kept")));
    QVERIFY(store->setGitCredential({QStringLiteral("github.com"),
                                     QStringLiteral("me"),
                                     QStringLiteral("git/github.com"),
                                     {}}));
}

void TestStore::tokensRoundTrip()
{
    auto store = openStore();
    QVERIFY(store);
    const QByteArray laptop = Store::hashToken("laptop-secret");
    const QByteArray ci = Store::hashToken("ci-secret");
    QCOMPARE(laptop.size(), 32);

    Result<TokenRecord> first = store->addToken(QStringLiteral("laptop"), laptop);
    QVERIFY2(first, qUtf8Printable(errorOf(first)));
    Result<TokenRecord> second = store->addToken(QStringLiteral("ci"), ci);
    QVERIFY(second);
    QVERIFY(first->id != second->id);
    QVERIFY(!first->isRevoked());

    Result<QList<TokenRecord>> tokens = store->tokens();
    QVERIFY(tokens);
    QCOMPARE(*tokens, (QList<TokenRecord>{*first, *second}));

    QVERIFY(store->isTokenValid(laptop));
    QVERIFY(store->isTokenValid(ci));
    QVERIFY(!store->isTokenValid(Store::hashToken("guess")));
    QVERIFY(!store->isTokenValid("laptop-secret"));

    Result<TokenRecord> sameName = store->addToken(QStringLiteral("laptop"), Store::hashToken("x"));
    QVERIFY(!sameName);
    QVERIFY(sameName.error().message.contains(QStringLiteral("already exists")));
    QVERIFY(!store->addToken(QStringLiteral("other"), laptop));
    Result<TokenRecord> raw = store->addToken(QStringLiteral("raw"), "a-token-not-a-hash");
    QVERIFY(!raw);
    QVERIFY(raw.error().message.contains(QStringLiteral("SHA-256")));
    QVERIFY(!store->addToken(QStringLiteral("42"), Store::hashToken("y")));

    // By name, then by id.
    QVERIFY(store->revokeToken(QStringLiteral("laptop")));
    QVERIFY(!store->isTokenValid(laptop));
    QVERIFY(store->isTokenValid(ci));
    QVERIFY(store->revokeToken(QString::number(second->id)));
    QVERIFY(!store->isTokenValid(ci));
    const QDateTime revokedAt = store->tokens()->at(0).revokedAt;
    QVERIFY(revokedAt.isValid());
    QVERIFY(store->revokeToken(QStringLiteral("laptop"))); // already revoked: nothing changes
    QCOMPARE(store->tokens()->at(0).revokedAt, revokedAt);
    QVERIFY(!store->revokeToken(QStringLiteral("unknown")));
    QVERIFY(!store->revokeToken(QStringLiteral("999")));

    // A revoked token's name can be used again.
    const QByteArray replacement = Store::hashToken("laptop-secret-2");
    Result<TokenRecord> renewed = store->addToken(QStringLiteral("laptop"), replacement);
    QVERIFY2(renewed, qUtf8Printable(errorOf(renewed)));
    QVERIFY(store->isTokenValid(replacement));
    QVERIFY(!store->isTokenValid(laptop));
    QCOMPARE(store->tokens()->size(), 3);
}

void TestStore::tokenValueNeverStored()
{
    const QByteArray token = "slw_tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    const QByteArray hash = Store::hashToken(token);
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->addToken(QStringLiteral("remote console"), hash));
        QVERIFY(store->isTokenValid(hash));
    }
    QByteArray bytes;
    for (const QString &suffix : {QString(), QStringLiteral("-wal")}) {
        QFile file(dbPath() + suffix);
        if (file.open(QIODevice::ReadOnly))
            bytes += file.readAll();
    }
    QVERIFY(!bytes.isEmpty());
    // The digest is there (so this search can find what was written) and the token is not.
    QVERIFY(bytes.contains(hash.toHex()));
    QVERIFY(!bytes.contains(token));
    QVERIFY(!bytes.contains(token.toHex()));
    QVERIFY(!bytes.contains(token.toBase64()));
}

void TestStore::deleteAppCascades()
{
    auto store = openStore();
    QVERIFY(store);
    for (const QString &name : {QStringLiteral("doomed"), QStringLiteral("kept")}) {
        QVERIFY(store->createApp(name, AppSettings()));
        QVERIFY(store->setBuildpacks(name, {QStringLiteral("nodejs"), QStringLiteral("go")}));
        QVERIFY(store->setConfigVar(name, QStringLiteral("A"), QStringLiteral("1")));
        QVERIFY(store->addRelease(makeRelease(name, 1)));
        QVERIFY(store->setCurrentRelease(name, 1));
        const QString id = name + QStringLiteral("-d1");
        QVERIFY(store->addDeployment(makeDeployment(id, name, DeploymentStatus::Success, {})));
        QVERIFY(store->addTimelineEvent(id, {{}, 5, TimelineEvent::Kind::Note, {}, name}));
        ContainerRecord container;
        container.app = name;
        container.name = QStringLiteral("web-1");
        container.type = QStringLiteral("web");
        container.state = QStringLiteral("running");
        QVERIFY(store->upsertContainer(container));
    }

    const QStringList counts = {
        QStringLiteral("SELECT COUNT(*) FROM apps WHERE name = '%1'"),
        QStringLiteral("SELECT COUNT(*) FROM app_buildpacks WHERE app = '%1'"),
        QStringLiteral("SELECT COUNT(*) FROM config_vars WHERE app = '%1'"),
        QStringLiteral("SELECT COUNT(*) FROM releases WHERE app = '%1'"),
        QStringLiteral("SELECT COUNT(*) FROM deployments WHERE app = '%1'"),
        QStringLiteral("SELECT COUNT(*) FROM timeline_events WHERE deployment_id = '%1-d1'"),
        QStringLiteral("SELECT COUNT(*) FROM containers WHERE app = '%1'"),
    };
    for (const QString &count : counts)
        QVERIFY2(rawValue(dbPath(), count.arg(QStringLiteral("doomed"))).toInt() > 0,
                 qUtf8Printable(count));

    QVERIFY(store->deleteApp(QStringLiteral("doomed")));

    for (const QString &count : counts) {
        QVERIFY2(rawValue(dbPath(), count.arg(QStringLiteral("doomed"))).toInt() == 0,
                 qUtf8Printable(count));
        QVERIFY2(rawValue(dbPath(), count.arg(QStringLiteral("kept"))).toInt() > 0,
                 qUtf8Printable(count));
    }
    QCOMPARE(store->apps()->size(), 1);
    QCOMPARE(store->allContainers()->size(), 1);
    QVERIFY(!store->deployment(QStringLiteral("doomed-d1")));
    QCOMPARE(store->timeline(QStringLiteral("kept-d1"))->size(), 1);
    QVERIFY(!store->app(QStringLiteral("doomed")));
    // The name is free again, with nothing of the old app.
    QVERIFY(store->createApp(QStringLiteral("doomed"), AppSettings()));
    QVERIFY(store->releases(QStringLiteral("doomed"))->isEmpty());
    QCOMPARE(store->nextReleaseVersion(QStringLiteral("doomed")).value_or(-1), 1);
}

void TestStore::walModeAndSchemaVersion()
{
    auto store = openStore();
    QVERIFY(store);
    QCOMPARE(rawValue(dbPath(), QStringLiteral("PRAGMA journal_mode")).toString(),
             QStringLiteral("wal"));
    QCOMPARE(store->schemaVersion().value_or(-1), int(storeMigrations().size()));
    QCOMPARE(rawValue(dbPath(), QStringLiteral("PRAGMA user_version")).toInt(),
             int(storeMigrations().size()));
    QCOMPARE(rawValue(dbPath(), QStringLiteral("SELECT COUNT(*) FROM schema_migrations")).toInt(),
             int(storeMigrations().size()));
    // The state holds config vars: readable by its owner only.
    QCOMPARE(QFile::permissions(dbPath()) & (QFileDevice::ReadGroup | QFileDevice::ReadOther),
             QFileDevice::Permissions());
}

void TestStore::reopenKeepsData()
{
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->createApp(QStringLiteral("persist"), customSettings()));
        QVERIFY(store->setConfigVar(QStringLiteral("persist"), QStringLiteral("K"),
                                    QStringLiteral("v")));
        QVERIFY(store->addRelease(makeRelease(QStringLiteral("persist"), 1)));
        QVERIFY(store->setCurrentRelease(QStringLiteral("persist"), 1));
        QVERIFY(store->addDeployment(makeDeployment(QStringLiteral("p1"), QStringLiteral("persist"),
                                                    DeploymentStatus::Starting, {})));
        QVERIFY(store->addToken(QStringLiteral("t"), Store::hashToken("t")));
    }
    auto store = openStore();
    QVERIFY(store);
    Result<AppRecord> app = store->app(QStringLiteral("persist"));
    QVERIFY(app);
    compareSettings(app->settings, customSettings());
    QCOMPARE(app->currentRelease, std::optional<int>(1));
    QCOMPARE(store->configVars(QStringLiteral("persist"))->size(), 1);
    QCOMPARE(store->release(QStringLiteral("persist"), 1)->toJson(),
             makeRelease(QStringLiteral("persist"), 1).toJson());
    QCOMPARE(store->unfinishedDeployments()->size(), 1);
    QVERIFY(store->isTokenValid(Store::hashToken("t")));
    QCOMPARE(store->schemaVersion().value_or(-1), int(storeMigrations().size()));
}

void TestStore::migratesOlderSchema()
{
    const QList<Migration> migrations = twoStepMigrations();
    {
        Result<std::unique_ptr<Store>> old = Store::open(dbPath(), migrations.first(1));
        QVERIFY2(old, qUtf8Printable(errorOf(old)));
        QCOMPARE((*old)->schemaVersion().value_or(-1), 1);
        QVERIFY((*old)->createApp(QStringLiteral("legacy"), customSettings()));
        QVERIFY((*old)->setConfigVar(QStringLiteral("legacy"), QStringLiteral("K"),
                                     QStringLiteral("v")));
    }
    QVERIFY(rawValue(dbPath(), QStringLiteral("SELECT notes FROM apps"))
                .toString()
                .startsWith(QStringLiteral("error")));

    Result<std::unique_ptr<Store>> store = Store::open(dbPath(), migrations);
    QVERIFY2(store, qUtf8Printable(errorOf(store)));
    QCOMPARE((*store)->schemaVersion().value_or(-1), 2);
    QCOMPARE(rawValue(dbPath(), QStringLiteral("PRAGMA user_version")).toInt(), 2);
    QCOMPARE(rawColumn(dbPath(), QStringLiteral("SELECT version FROM schema_migrations ORDER BY "
                                                "version")),
             (QVariantList{1, 2}));
    QCOMPARE(rawValue(dbPath(), QStringLiteral("SELECT name FROM schema_migrations WHERE "
                                               "version = 2"))
                 .toString(),
             QStringLiteral("app notes"));
    // The new column is there, the old data too.
    QCOMPARE(
        rawValue(dbPath(), QStringLiteral("SELECT COUNT(*) FROM apps WHERE notes = ''")).toInt(),
        1);
    Result<AppRecord> app = (*store)->app(QStringLiteral("legacy"));
    QVERIFY(app);
    compareSettings(app->settings, customSettings());
    QCOMPARE((*store)->configVars(QStringLiteral("legacy"))->size(), 1);
    // Foreign keys are back on after the migration: deleting cascades into the new table too.
    QVERIFY(rawValue(dbPath(), QStringLiteral("SELECT COUNT(*) FROM app_labels")).toInt() == 0);
    QVERIFY((*store)->deleteApp(QStringLiteral("legacy")));
    QCOMPARE(rawValue(dbPath(), QStringLiteral("SELECT COUNT(*) FROM config_vars")).toInt(), 0);
    store->reset();

    // Opening again changes nothing.
    Result<std::unique_ptr<Store>> again = Store::open(dbPath(), migrations);
    QVERIFY(again);
    QCOMPARE(rawValue(dbPath(), QStringLiteral("SELECT COUNT(*) FROM schema_migrations")).toInt(),
             2);
}

void TestStore::failedMigrationRollsBack()
{
    QList<Migration> migrations = storeMigrations().first(1);
    {
        Result<std::unique_ptr<Store>> old = Store::open(dbPath(), migrations);
        QVERIFY(old);
        QVERIFY((*old)->createApp(QStringLiteral("safe"), AppSettings()));
    }
    migrations.append({QStringLiteral("broken step"),
                       {QStringLiteral("CREATE TABLE half_done (x INTEGER)"),
                        QStringLiteral("INSERT INTO no_such_table VALUES (1)")}});
    Result<std::unique_ptr<Store>> store = Store::open(dbPath(), migrations);
    QVERIFY(!store);
    const QString message = store.error().message;
    QVERIFY2(message.contains(QStringLiteral("schema version 2 (broken step)")),
             qUtf8Printable(message));
    QVERIFY2(message.contains(QStringLiteral("no_such_table")), qUtf8Printable(message));
    QVERIFY2(message.contains(QStringLiteral("left at version 1")), qUtf8Printable(message));

    QCOMPARE(rawValue(dbPath(), QStringLiteral("PRAGMA user_version")).toInt(), 1);
    QCOMPARE(rawValue(dbPath(), QStringLiteral("SELECT COUNT(*) FROM sqlite_master WHERE name = "
                                               "'half_done'"))
                 .toInt(),
             0);
    Result<std::unique_ptr<Store>> reopened = Store::open(dbPath(), storeMigrations().first(1));
    QVERIFY(reopened);
    QVERIFY((*reopened)->app(QStringLiteral("safe")));
}

void TestStore::refusesNewerSchema()
{
    {
        Result<std::unique_ptr<Store>> newer = Store::open(dbPath(), twoStepMigrations());
        QVERIFY(newer);
        QVERIFY((*newer)->createApp(QStringLiteral("future"), AppSettings()));
    }
    const QByteArray header = [this] {
        QFile file(dbPath());
        return file.open(QIODevice::ReadOnly) ? file.read(100) : QByteArray();
    }();

    Result<std::unique_ptr<Store>> store = Store::open(dbPath(), twoStepMigrations().first(1));
    QVERIFY(!store);
    const QString message = store.error().message;
    QVERIFY2(message.contains(QStringLiteral("schema version 2, newer than the 1")),
             qUtf8Printable(message));
    QVERIFY2(message.contains(dbPath()), qUtf8Printable(message));

    // Left as it was.
    QCOMPARE(rawValue(dbPath(), QStringLiteral("PRAGMA user_version")).toInt(), 2);
    QFile file(dbPath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.read(100), header);
    QCOMPARE(rawValue(dbPath(), QStringLiteral("SELECT name FROM apps")).toString(),
             QStringLiteral("future"));
}

void TestStore::refusesNonDatabase()
{
    QFile file(dbPath());
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray("this is not an SQLite database, just text\n").repeated(100));
    file.close();
    Result<std::unique_ptr<Store>> store = Store::open(dbPath());
    QVERIFY(!store);
    QVERIFY2(store.error().message.contains(dbPath()), qUtf8Printable(store.error().message));

    // A folder where the file should be.
    QVERIFY(QDir(m_dir->path()).mkpath(QStringLiteral("folder.db")));
    QVERIFY(!Store::open(dbPath(QStringLiteral("folder.db"))));
}

void TestStore::twoStoresAtOnce()
{
    auto first = openStore(QStringLiteral("one/state.db"));
    auto second = openStore(QStringLiteral("two/state.db"));
    QVERIFY(first);
    QVERIFY(second);
    QVERIFY(first->createApp(QStringLiteral("only-in-one"), AppSettings()));
    QVERIFY(second->createApp(QStringLiteral("only-in-two"), AppSettings()));
    QVERIFY(first->addToken(QStringLiteral("t"), Store::hashToken("one")));

    QCOMPARE(first->apps()->size(), 1);
    QCOMPARE(first->apps()->at(0).name, QStringLiteral("only-in-one"));
    QCOMPARE(second->apps()->size(), 1);
    QCOMPARE(second->apps()->at(0).name, QStringLiteral("only-in-two"));
    QVERIFY(first->isTokenValid(Store::hashToken("one")));
    QVERIFY(!second->isTokenValid(Store::hashToken("one")));

    first.reset();
    // The other keeps working once the first is gone.
    QVERIFY(second->createApp(QStringLiteral("later"), AppSettings()));
    QCOMPARE(second->apps()->size(), 2);
}

void TestStore::connectionRemovedOnDestruction()
{
    const QStringList before = QSqlDatabase::connectionNames();
    {
        auto store = openStore();
        QVERIFY(store);
        QCOMPARE(QSqlDatabase::connectionNames().size(), before.size() + 1);
        // A refused open leaves no connection behind either.
        QVERIFY(!Store::open(m_dir->path()));
        QCOMPARE(QSqlDatabase::connectionNames().size(), before.size() + 1);
    }
    QCOMPARE(QSqlDatabase::connectionNames(), before);
}

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
