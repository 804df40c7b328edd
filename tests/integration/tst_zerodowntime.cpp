// Bounded HTTP traffic through the router (keep-alive and new connections) while the app
// is redeployed again and again: no request may fail, and every answer must come from a
// release that was live. Besides the well-behaved fixture, `plain` is an app as many are
// written (Python's http.server, keep-alive, a listen backlog of 5, dead at once on
// SIGTERM): the router and the rollout must protect it all the same.

#include "EngineFixture.h"
#include "HttpLoad.h"
#include "TestSupport.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "router/Router.h"

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QtTest>

using namespace Slipway;
using namespace TestSupport;

namespace {

const QString Plain = QStringLiteral("plain");

qsizetype positionOf(Deployment *deployment, TimelineEvent::Kind kind)
{
    const QList<TimelineEvent> &timeline = deployment->timeline();
    for (qsizetype i = 0; i < timeline.size(); ++i) {
        if (timeline.at(i).kind == kind)
            return i;
    }
    return -1;
}

QNetworkRequest routed(quint16 port, const QString &app, const QString &target)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(target)));
    request.setRawHeader("Host", app.toUtf8() + ".localhost");
    request.setTransferTimeout(60000);
    return request;
}

// Lines the app's containers print, old and new alike.
class ContainerOutput : public QObject
{
public:
    explicit ContainerOutput(AppInstance *app)
    {
        connect(app, &AppInstance::containerLog, this,
                [this](const LogLine &line) { m_lines.append(line.text); });
    }
    int count(const QString &text) const { return int(m_lines.count(text)); }

private:
    QStringList m_lines;
};

} // namespace

class TestZeroDowntime : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void tenRedeploysUnderLoadFailNothing()
    {
        EngineFixture fixture;
        const QString app = QStringLiteral("steady");
        Deployment *first = fixture.deployFixture(app);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));

        // Four clients in turns: two reuse their connection, two ask for a new one each time.
        QNetworkAccessManager keepAlive;
        QNetworkAccessManager fresh;
        const int maxRequests = 30000; // a bound, well above what 10 redeploys take
        int sent = 0;
        int answered = 0;
        QStringList failures;
        QMap<QString, int> versions;
        bool stop = false;
        std::function<void(bool)> ask = [&](bool reuse) {
            if (stop || sent >= maxRequests)
                return;
            ++sent;
            QNetworkRequest request(
                QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(fixture.routerPort())));
            request.setRawHeader("Host", app.toUtf8() + ".localhost");
            if (!reuse)
                request.setRawHeader("Connection", "close");
            request.setTransferTimeout(20000);
            QNetworkReply *reply = (reuse ? keepAlive : fresh).get(request);
            connect(reply, &QNetworkReply::finished, this, [&, reply, reuse] {
                reply->deleteLater();
                ++answered;
                const int status =
                    reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                const QByteArray body = reply->readAll();
                if (status != 200)
                    failures.append(QStringLiteral("HTTP %1 %2 %3")
                                        .arg(status)
                                        .arg(reply->errorString(), QString::fromUtf8(body)));
                else
                    versions[QString::fromUtf8(body).section(QLatin1Char(' '), 0, 0)] += 1;
                ask(reuse);
            });
        };
        for (int client = 0; client < 4; ++client)
            ask(client % 2 == 0);

        QSet<QString> live{QStringLiteral("version=v1")};
        for (int round = 0; round < 10; ++round) {
            Result<Deployment *> next = fixture.engine().changeConfig(
                app, {{QStringLiteral("ROUND"), QString::number(round)}});
            QVERIFY(next && *next);
            QVERIFY(EngineFixture::waitFinished(*next));
            QVERIFY2((*next)->status() == DeploymentStatus::Success,
                     qPrintable(EngineFixture::describe(*next)));
            live.insert(QStringLiteral("version=v%1").arg((*next)->releaseVersion()));
        }
        stop = true;
        QTRY_VERIFY_WITH_TIMEOUT(answered == sent, 30000);

        QVERIFY2(failures.isEmpty(), qPrintable(QStringLiteral("%1 of %2 failed, first: %3")
                                                    .arg(failures.size())
                                                    .arg(sent)
                                                    .arg(failures.value(0))));
        QVERIFY2(sent > 100, qPrintable(QStringLiteral("only %1 requests were sent").arg(sent)));
        for (auto it = versions.cbegin(); it != versions.cend(); ++it)
            QVERIFY2(live.contains(it.key()),
                     qPrintable(it.key() + QStringLiteral(" was never live")));
        // Traffic reached the new releases as they went live, not only the first.
        QVERIFY(versions.size() >= 3);
        qInfo("%d requests, %lld versions answered, 0 failed", sent, qint64(versions.size()));
    }

    void plainAppRedeployedUnderLoadFailsNothing_data()
    {
        QTest::addColumn<int>("clients");
        QTest::newRow("8 clients") << 8;
        QTest::newRow("64 clients") << 64;
    }

    // 20 redeploys back to back, clients requesting all along (a quarter of them on a new
    // connection each time): not one error, whatever the app does on SIGTERM.
    void plainAppRedeployedUnderLoadFailsNothing()
    {
        QFETCH(int, clients);
        EngineFixture fixture;
        const QString app = QStringLiteral("plain%1").arg(clients);
        Deployment *first = fixture.deployFixture(app, {}, 120000, Plain);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));

        HttpLoad load({fixture.routerPort(), app.toUtf8() + ".localhost", "/", clients, 4});
        load.start();
        QTRY_VERIFY_WITH_TIMEOUT(load.totals().ok > clients, 20000);
        QSet<QByteArray> live{"version=v1"};
        for (int round = 0; round < 20; ++round) {
            Result<Deployment *> next = fixture.engine().changeConfig(
                app, {{QStringLiteral("ROUND"), QString::number(round)}});
            QVERIFY(next && *next);
            QVERIFY(EngineFixture::waitFinished(*next));
            QVERIFY2((*next)->status() == DeploymentStatus::Success,
                     qPrintable(EngineFixture::describe(*next)));
            live.insert("version=v" + QByteArray::number((*next)->releaseVersion()));
        }
        // The last old container is drained and stopped under load too.
        QTest::qWait(1500);
        load.stop();

        const HttpLoad::Totals totals = load.totals();
        QVERIFY2(totals.clean(), qPrintable(totals.report()));
        for (auto it = totals.answers.cbegin(); it != totals.answers.cend(); ++it)
            QVERIFY2(live.contains(it.key()), it.key().constData());
        // Traffic followed the releases as they went live.
        QVERIFY2(totals.answers.size() >= 10, qPrintable(QString::number(totals.answers.size())));
        qInfo("%lld requests from %d clients over 20 redeploys, %lld releases answered, 0 failed",
              totals.requests, clients, qint64(totals.answers.size()));
    }

    // A slow request in flight at the switch is answered by the old container, which is
    // stopped only once it is done; the timeline says how long the drain took.
    void requestInFlightAtTheSwitchCompletes()
    {
        EngineFixture fixture;
        const QString app = QStringLiteral("slowpoke");
        Deployment *first = fixture.deployFixture(app, {}, 120000, Plain);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        ContainerOutput output(fixture.engine().app(app));

        QNetworkAccessManager manager;
        QNetworkReply *slow =
            manager.get(routed(fixture.routerPort(), app, QStringLiteral("/sleep?ms=5000")));
        QTRY_VERIFY_WITH_TIMEOUT(output.count(QStringLiteral("GET /sleep?ms=5000")) == 1, 10000);

        Result<Deployment *> next =
            fixture.engine().changeConfig(app, {{QStringLiteral("ROUND"), QStringLiteral("2")}});
        QVERIFY(next && *next);
        QVERIFY(EngineFixture::waitFinished(*next));
        QVERIFY2((*next)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*next)));

        QTRY_VERIFY_WITH_TIMEOUT(slow->isFinished(), 20000);
        QCOMPARE(slow->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QVERIFY2(slow->readAll().startsWith("slept 5000 version=v1 "), "answered by v1");
        delete slow;

        Deployment *second = *next;
        QTRY_VERIFY_WITH_TIMEOUT(
            !EngineFixture::eventsOf(second, TimelineEvent::Kind::OldContainerStopped).isEmpty(),
            20000);
        const QList<TimelineEvent> draining =
            EngineFixture::eventsOf(second, TimelineEvent::Kind::OldContainerDraining);
        QCOMPARE(draining.size(), 1);
        QCOMPARE(draining.constFirst().container, QStringLiteral("web-1"));
        QCOMPARE(draining.constFirst().data.value(QStringLiteral("release")).toInt(), 1);
        QCOMPARE(draining.constFirst().data.value(QStringLiteral("in_flight")).toInt(), 1);
        QCOMPARE(draining.constFirst().data.value(QStringLiteral("drain_limit_ms")).toInt(), 30000);
        const QJsonObject stopping =
            EngineFixture::eventsOf(second, TimelineEvent::Kind::OldContainerStopping)
                .constFirst()
                .data;
        QCOMPARE(stopping.value(QStringLiteral("waited_requests")).toInt(), 1);
        QCOMPARE(stopping.value(QStringLiteral("requests_left")).toInt(), 0);
        QVERIFY(stopping.value(QStringLiteral("drain_ms")).toDouble() > 0);
        QCOMPARE(stopping.value(QStringLiteral("grace_period_ms")).toInt(), 30000);
        QVERIFY(positionOf(second, TimelineEvent::Kind::TrafficRouted) <
                positionOf(second, TimelineEvent::Kind::OldContainerDraining));
        QVERIFY(positionOf(second, TimelineEvent::Kind::OldContainerDraining) <
                positionOf(second, TimelineEvent::Kind::OldContainerStopping));
        QVERIFY(positionOf(second, TimelineEvent::Kind::OldContainerStopping) <
                positionOf(second, TimelineEvent::Kind::OldContainerStopped));
    }

    // When the drain limit runs out and the old app dies with requests inside, what is safe
    // to repeat (a GET) is sent again to the new release; a POST whose body reached the old
    // app is not, and its client gets a 502.
    void onlySafeRequestsAreSentAgain()
    {
        EngineFixture fixture;
        const QString app = QStringLiteral("impatient");
        QVERIFY(fixture.engine().createApp(app));
        AppSettings settings = fixture.engine().app(app)->settings();
        settings.drainLimit = std::chrono::seconds(1);
        QVERIFY(fixture.engine().setSettings(app, settings));
        Deployment *first = fixture.deployFixture(app, {}, 120000, Plain);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        ContainerOutput output(fixture.engine().app(app));

        QNetworkAccessManager manager;
        QNetworkReply *get =
            manager.get(routed(fixture.routerPort(), app, QStringLiteral("/sleep?ms=4000")));
        QNetworkRequest post = routed(fixture.routerPort(), app, QStringLiteral("/record?ms=8000"));
        post.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("text/plain"));
        QNetworkReply *recorded = manager.post(post, QByteArrayLiteral("order-4711"));
        QTRY_VERIFY_WITH_TIMEOUT(output.count(QStringLiteral("GET /sleep?ms=4000")) == 1 &&
                                     output.count(QStringLiteral("received order-4711")) == 1,
                                 10000);

        Result<Deployment *> next =
            fixture.engine().changeConfig(app, {{QStringLiteral("ROUND"), QStringLiteral("2")}});
        QVERIFY(next && *next);
        QVERIFY(EngineFixture::waitFinished(*next));
        QVERIFY2((*next)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*next)));

        QTRY_VERIFY_WITH_TIMEOUT(get->isFinished() && recorded->isFinished(), 30000);
        QCOMPARE(get->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        const QByteArray answer = get->readAll();
        QVERIFY2(answer.startsWith("slept 4000 version=v2 "), answer.constData());
        QCOMPARE(recorded->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 502);
        delete get;
        delete recorded;

        // The old container was stopped with both requests still inside.
        const QJsonObject stopping =
            EngineFixture::eventsOf(*next, TimelineEvent::Kind::OldContainerStopping).value(0).data;
        QCOMPARE(stopping.value(QStringLiteral("requests_left")).toInt(), 2);
        QCOMPARE(stopping.value(QStringLiteral("waited_requests")).toInt(), 0);
        // The new release saw the GET once more, and never the POST.
        QCOMPARE(output.count(QStringLiteral("GET /sleep?ms=4000")), 2);
        QTest::qWait(500);
        QCOMPARE(output.count(QStringLiteral("received order-4711")), 1);
        QCOMPARE(output.count(QStringLiteral("POST /record?ms=8000")), 1);

        // The access log tells which request was sent again.
        const QString log = fixture.router().accessLogPath(app);
        QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                     QFile file(log);
                                     const QByteArray text = file.open(QIODevice::ReadOnly)
                                                                 ? file.readAll()
                                                                 : QByteArray();
                                     return text.contains(" GET /sleep?ms=4000 200 ") &&
                                            text.contains(" POST /record?ms=8000 502 ");
                                 }()),
                                 5000);
        QFile file(log);
        QVERIFY(file.open(QIODevice::ReadOnly));
        for (const QByteArray &line : file.readAll().split('\n')) {
            if (line.contains(" GET /sleep?ms=4000 "))
                QVERIFY2(line.endsWith(" retried"), line.constData());
            if (line.contains(" POST /record"))
                QVERIFY2(!line.endsWith(" retried"), line.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestZeroDowntime)
#include "tst_zerodowntime.moc"
