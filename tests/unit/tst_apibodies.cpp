#include "daemon/ApiBodies.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace Slipway;
using namespace Slipway::ApiBodies;

// The JSON bodies of the API read as the routes read them; the daemon tests drive the same
// functions through real requests, these pin the rules a body must follow.
class tst_ApiBodies : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rollbackVersionIsAWholeNumber_data();
    void rollbackVersionIsAWholeNumber();
    void scaleAmountsAreWholeNumbers();
    void buildpackFoldersAreAbsolute_data();
    void buildpackFoldersAreAbsolute();
    void lastEntryOfAVariableDecidesItsSecrecy();
    void settingsKeepTheirBounds();
    void refusedShapesSayWhatToSend();
};

namespace {

QJsonDocument json(const char *text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray(text), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("test body does not parse: %s", text);
    return document;
}

} // namespace

void tst_ApiBodies::rollbackVersionIsAWholeNumber_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status"); // 0: accepted
    QTest::newRow("3") << QByteArray(R"({"version": 3})") << 0;
    QTest::newRow("3.0") << QByteArray(R"({"version": 3.0})") << 0;
    // Read as an int, these all became 0 and the engine looked for release v0.
    QTest::newRow("2.5") << QByteArray(R"({"version": 2.5})") << 422;
    QTest::newRow("0") << QByteArray(R"({"version": 0})") << 422;
    QTest::newRow("-1") << QByteArray(R"({"version": -1})") << 422;
    QTest::newRow("1e308") << QByteArray(R"({"version": 1e308})") << 422;
    QTest::newRow("text") << QByteArray(R"({"version": "3"})") << 400;
    QTest::newRow("missing") << QByteArray(R"({})") << 400;
}

void tst_ApiBodies::rollbackVersionIsAWholeNumber()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    const BodyResult<int> version = rollbackVersion(QJsonDocument::fromJson(body));
    if (status == 0) {
        QVERIFY(version.has_value());
        QCOMPARE(*version, 3);
    } else {
        QVERIFY(!version.has_value());
        QCOMPARE(version.error().status, status);
        if (status == 422)
            QVERIFY(version.error().message.contains(QLatin1String("whole numbers from 1 up")));
    }
}

void tst_ApiBodies::scaleAmountsAreWholeNumbers()
{
    const auto counts = scale(
        json(R"({"containers": [{"name": "web", "amount": 2}, {"name": "worker", "amount": 0}]})"));
    QVERIFY(counts.has_value());
    QCOMPARE(counts->value(QStringLiteral("web")), 2);
    QCOMPARE(counts->value(QStringLiteral("worker")), 0);
    const auto half = scale(json(R"({"containers": [{"name": "web", "amount": 1.5}]})"));
    QVERIFY(!half.has_value());
    QCOMPARE(half.error().status, 422);
    QVERIFY(half.error().message.contains(QLatin1String("amount of web must be a whole number")));
}

void tst_ApiBodies::buildpackFoldersAreAbsolute_data()
{
    QTest::addColumn<QString>("reference");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("absolute") << QStringLiteral("/opt/buildpacks/noop") << true;
    QTest::newRow("home") << QStringLiteral("~/buildpacks/noop") << true;
    QTest::newRow("built-in") << QStringLiteral("nodejs") << true;
    // Kept as written, these would be read against the daemon's folder at every build.
    QTest::newRow("dot slash") << QStringLiteral("./noop") << false;
    QTest::newRow("dot dot slash") << QStringLiteral("../noop") << false;
    QTest::newRow("dot") << QStringLiteral(".") << false;
    QTest::newRow("dot dot, padded") << QStringLiteral("  ..  ") << false;
}

void tst_ApiBodies::buildpackFoldersAreAbsolute()
{
    QFETCH(QString, reference);
    QFETCH(bool, accepted);
    const QJsonDocument list(QJsonObject{{QStringLiteral("buildpacks"), QJsonArray{reference}}});
    const QJsonDocument check(QJsonObject{{QStringLiteral("buildpack"), reference}});
    const BodyResult<QStringList> kept = buildpackList(list);
    const BodyResult<BuildpackRef> checked = buildpackToCheck(check);
    QCOMPARE(kept.has_value(), accepted);
    QCOMPARE(checked.has_value(), accepted);
    if (!accepted) {
        for (const BodyError &error : {kept.error(), checked.error()}) {
            QCOMPARE(error.status, 422);
            QVERIFY2(error.message.contains(QLatin1String("give the buildpack's folder as an "
                                                          "absolute path")),
                     qPrintable(error.message));
        }
    }
}

void tst_ApiBodies::lastEntryOfAVariableDecidesItsSecrecy()
{
    const auto changes = variables(json(R"({"variables": [
        {"name": "TOKEN", "value": "a", "secret": true},
        {"name": "TOKEN", "value": "b"},
        {"name": "KEY", "value": "c", "secret": false}]})"));
    QVERIFY(changes.has_value());
    QCOMPARE(changes->values.value(QStringLiteral("TOKEN")), QStringLiteral("b"));
    // The last TOKEN entry says nothing: it keeps whatever it was before.
    QVERIFY(!changes->secret.contains(QStringLiteral("TOKEN")));
    QCOMPARE(changes->secret.value(QStringLiteral("KEY"), true), false);
    const auto refused = variables(json(R"({"variables": [{"name": "1BAD", "value": "x"}]})"));
    QVERIFY(!refused.has_value());
    QCOMPARE(refused.error().status, 422);
}

void tst_ApiBodies::settingsKeepTheirBounds()
{
    const auto changed = ApiBodies::settings(
        json(R"({"settings": {"boot_timeout": 90, "router_name": "shop", "network": "none"}})"),
        AppSettings{}, QStringLiteral("my-app"));
    QVERIFY(changed.has_value());
    QCOMPARE(changed->bootTimeout, std::chrono::milliseconds(90000));
    QCOMPARE(changed->routerName, QStringLiteral("shop"));
    QCOMPARE(changed->outboundNetwork, false);
    // The app's own name is the default router name, kept as none.
    const auto own = ApiBodies::settings(json(R"({"settings": {"router_name": "my-app"}})"),
                                         *changed, QStringLiteral("my-app"));
    QVERIFY(own.has_value());
    QVERIFY(own->routerName.isEmpty());
    const auto tooLong = ApiBodies::settings(json(R"({"settings": {"boot_timeout": 3601}})"),
                                             AppSettings{}, QStringLiteral("my-app"));
    QVERIFY(!tooLong.has_value());
    QCOMPARE(tooLong.error().status, 422);
    QVERIFY(tooLong.error().message.contains(QLatin1String("boot_timeout must be a number from 1 "
                                                           "to 3600")));

    // Where the containers run: the runtime, the engine's address, the memory limit.
    const auto docker = ApiBodies::settings(
        json(R"({"settings": {"runtime": "docker", "docker_host": "unix:///run/docker.sock",
                              "memory_mib": 512}})"),
        AppSettings{}, QStringLiteral("my-app"));
    QVERIFY2(docker.has_value(), docker ? "" : qPrintable(docker.error().message));
    QCOMPARE(docker->runtime, QStringLiteral("docker"));
    QCOMPARE(docker->dockerHost, QStringLiteral("unix:///run/docker.sock"));
    QCOMPARE(docker->memoryLimitMiB, 512);
    const auto swarm = ApiBodies::settings(json(R"({"settings": {"runtime": "swarm"}})"),
                                           AppSettings{}, QStringLiteral("my-app"));
    QVERIFY2(swarm.has_value(), swarm ? "" : qPrintable(swarm.error().message));
    QCOMPARE(swarm->runtime, QStringLiteral("swarm"));
    const QList<QPair<QByteArray, QString>> refused = {
        {R"({"settings": {"runtime": "kubernetes"}})", QStringLiteral("runtime must be local")},
        {R"({"settings": {"docker_host": "http://engine:2375"}})", QStringLiteral("http://engine")},
        {R"({"settings": {"docker_host": 7}})", QStringLiteral("docker_host must be a string")},
        {R"({"settings": {"memory_mib": 2.5}})", QStringLiteral("memory_mib must be a whole")},
        {R"({"settings": {"memory_mib": 3}})", QStringLiteral("from 6 to 1048576")},
    };
    for (const auto &[body, message] : refused) {
        const auto answer =
            ApiBodies::settings(json(body.constData()), AppSettings{}, QStringLiteral("a"));
        QVERIFY2(!answer.has_value(), body.constData());
        QCOMPARE(answer.error().status, 422);
        QVERIFY2(answer.error().message.contains(message), qPrintable(answer.error().message));
    }
}

void tst_ApiBodies::refusedShapesSayWhatToSend()
{
    const QJsonDocument empty = json("{}");
    const QList<BodyError> errors = {
        newAppName(empty).error(),
        gitCredential(empty).error(),
        scale(empty).error(),
        rollbackVersion(empty).error(),
        deploymentSource(empty).error(),
        ApiBodies::settings(empty, {}, {}).error(),
        variables(empty).error(),
        runCommand(empty).error(),
        buildpackList(empty).error(),
        buildpackToCheck(empty).error(),
    };
    for (const BodyError &error : errors) {
        QCOMPARE(error.status, 400);
        QVERIFY2(error.message.startsWith(QLatin1String("send {")), qPrintable(error.message));
    }
    // Detection takes an empty body too: it says what is missing from the source.
    QCOMPARE(detectionSource(empty).error().status, 422);
}

QTEST_GUILESS_MAIN(tst_ApiBodies)
#include "tst_apibodies.moc"
