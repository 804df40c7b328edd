// The four-step rollout on runtime=swarm, against a private Docker engine made a Swarm
// manager (advertised on 127.0.0.2), then joined by a second private engine as a worker
// (127.0.0.3): the same engine, router and fixtures as the other runtimes' tests, every
// container a Swarm service task fetching its slug from the daemon's slug server.

#include "EngineFixture.h"
#include "HttpLoad.h"
#include "PrivateDockerd.h"
#include "TestSupport.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "runtime/Container.h"
#include "runtime/docker/DockerClient.h"
#include "runtime/docker/StackImage.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QtTest>

#include <memory>

using namespace Slipway;
using namespace Qt::StringLiterals;

namespace {} // namespace

class TestSwarmRuntime : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<PrivateDockerd> m_manager;
    std::unique_ptr<EngineFixture> m_fixture;
    std::unique_ptr<DockerClient> m_client;

    AppSettings swarmSettings() const
    {
        AppSettings settings;
        settings.runtime = u"swarm"_s;
        settings.dockerHost = u"unix://"_s + m_manager->socketPath();
        settings.bootTimeout = std::chrono::seconds(30);
        settings.gracePeriod = std::chrono::seconds(3);
        settings.drainLimit = std::chrono::seconds(5);
        return settings;
    }

    Deployment *deploy(const QString &app, const QMap<QString, QString> &config = {},
                       const QString &fixture = u"behave"_s)
    {
        if (!m_fixture->engine().app(app)) {
            const Result<AppInstance *> created =
                m_fixture->engine().createApp(app, swarmSettings());
            if (!created)
                qWarning("%s", qPrintable(created.error().message));
        }
        // A cold stack image is built and imported by the first deployment: minutes.
        return m_fixture->deployFixture(app, config, 1800000, fixture);
    }

    QPair<int, QByteArray> get(const QString &app)
    {
        QNetworkAccessManager manager;
        QNetworkRequest request(QUrl(u"http://127.0.0.1:%1/"_s.arg(m_fixture->routerPort())));
        request.setRawHeader("Host", app.toUtf8() + ".localhost");
        request.setTransferTimeout(20000);
        QNetworkReply *reply = manager.get(request);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        finished.wait(25000);
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->readAll();
        reply->deleteLater();
        return {status, body};
    }

    // The cluster's services of `app`.
    QList<DockerService> services(const QString &app)
    {
        const Result<QList<DockerService>> listed =
            awaitDocker<QList<DockerService>>([&](QObject *context, auto done) {
                return m_client->listServices({u"slipway.app="_s + app}, context, done);
            });
        return listed.value_or(QList<DockerService>{});
    }

    QList<DockerTask> tasksOf(const QString &service)
    {
        const Result<QList<DockerTask>> listed =
            awaitDocker<QList<DockerTask>>([&](QObject *context, auto done) {
                return m_client->listTasks(service, context, done);
            });
        return listed.value_or(QList<DockerTask>{});
    }

    int readyCount(const QString &app)
    {
        int count = 0;
        for (const ContainerStatus &status : m_fixture->engine().app(app)->containerStatuses())
            count += status.ready ? 1 : 0;
        return count;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_manager = std::make_unique<PrivateDockerd>();
        if (!m_manager->isReady())
            QSKIP(qPrintable(u"no private Docker engine here: "_s + m_manager->skipReason()));
        m_client = std::make_unique<DockerClient>(m_manager->endpoint());
        const Result<QString> node = awaitDocker<QString>([&](QObject *c, auto done) {
            return m_client->initSwarm({u"127.0.0.2:2377"_s, u"127.0.0.2"_s, {}, 0}, c, done);
        });
        QVERIFY2(node, node ? "" : qPrintable(node.error().message));
        m_fixture = std::make_unique<EngineFixture>();
    }

    void cleanupTestCase()
    {
        if (m_fixture)
            m_fixture->shutdown();
        m_fixture.reset();
        m_client.reset();
        m_manager.reset();
    }

    void notASwarmSaysSo()
    {
        // A plain engine (not in a Swarm) is refused with what to do, before anything starts.
        PrivateDockerd plain;
        if (!plain.isReady())
            QSKIP(qPrintable(u"no second private Docker engine here: "_s + plain.skipReason()));
        AppSettings settings = swarmSettings();
        settings.dockerHost = u"unix://"_s + plain.socketPath();
        QVERIFY(m_fixture->engine().createApp(u"lonely"_s, settings));
        Deployment *deployment = m_fixture->deployFixture(u"lonely"_s, {}, 1800000);
        QVERIFY(deployment);
        QVERIFY(deployment->status() != DeploymentStatus::Success);
        QVERIFY2(deployment->error().contains(u"not part of a Swarm"_s) &&
                     deployment->error().contains(u"docker swarm init"_s),
                 qPrintable(EngineFixture::describe(deployment)));
        QVERIFY(m_fixture->engine().deleteApp(u"lonely"_s));
    }

    void deployServesFromTheCluster()
    {
        Deployment *first = deploy(u"swarmed"_s);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        const QList<TimelineEvent> started =
            EngineFixture::eventsOf(first, TimelineEvent::Kind::ContainerStarted);
        QCOMPARE(started.size(), 1);
        QCOMPARE(started.first().data.value(u"runtime"_s).toString(), u"swarm"_s);
        QVERIFY(!started.first().data.value(u"node"_s).toString().isEmpty());
        QCOMPARE(started.first().data.value(u"host"_s).toString(), u"127.0.0.2"_s);
        QVERIFY(first->log().join(u'\n').contains(u"tasks fetch their slug from 127.0.0.2:"_s));

        const auto [status, body] = get(u"swarmed"_s);
        QCOMPARE(status, 200);
        QVERIFY2(body.startsWith("version=v1 container=web-1"), body.constData());

        // One service, its task running; the hook's job service is gone once it ended.
        QTRY_COMPARE_WITH_TIMEOUT(services(u"swarmed"_s).size(), 1, 20000);
        const DockerService web = services(u"swarmed"_s).first();
        QCOMPARE(web.labels.value(u"slipway.process"_s), u"web"_s);
        QCOMPARE(tasksOf(web.id).first().state, u"running"_s);

        const auto [lines, exitStatus] = m_fixture->runOneOff(
            u"swarmed"_s,
            u"echo uid=$(id -u) home=$HOME pwd=$(pwd) stack=$STACK; ls /app/Procfile; "
            "touch /app/written && echo app-writable; exit 4"_s);
        const QString text = lines.join(u'\n');
        QCOMPARE(exitStatus, 4);
        QVERIFY2(text.contains(u"uid=10000 home=/app pwd=/app stack=debian-12"_s),
                 qPrintable(text));
        QVERIFY2(text.contains(u"/app/Procfile"_s) && text.contains(u"app-writable"_s),
                 qPrintable(text));
        QTRY_COMPARE_WITH_TIMEOUT(services(u"swarmed"_s).size(), 1, 20000);
    }

    void failuresLeaveTheOldReleaseServing_data()
    {
        QTest::addColumn<QString>("variable");
        QTest::addColumn<QString>("value");
        QTest::addColumn<int>("expected");
        QTest::newRow("never listens")
            << u"BEHAVIOUR"_s << u"never-listen"_s << int(DeploymentStatus::TimeoutError);
        QTest::newRow("crashes at boot")
            << u"BEHAVIOUR"_s << u"crash-at-boot"_s << int(DeploymentStatus::CrashedError);
        QTest::newRow("postdeploy exits 3")
            << u"POSTDEPLOY"_s << u"fail"_s << int(DeploymentStatus::HookError);
    }

    void failuresLeaveTheOldReleaseServing()
    {
        QFETCH(QString, variable);
        QFETCH(QString, value);
        QFETCH(int, expected);
        const QString app = u"swarmbroken"_s;
        if (!m_fixture->engine().app(app)) {
            Deployment *first = deploy(app);
            QVERIFY2(first && first->status() == DeploymentStatus::Success,
                     qPrintable(EngineFixture::describe(first)));
        }
        const int serving = m_fixture->engine().app(app)->current().version();
        Result<Deployment *> next = m_fixture->engine().changeConfig(app, {{variable, value}});
        QVERIFY(next && *next);
        QVERIFY(EngineFixture::waitFinished(*next, 120000));
        QVERIFY2(int((*next)->status()) == expected, qPrintable(EngineFixture::describe(*next)));
        const auto [status, body] = get(app);
        QCOMPARE(status, 200);
        QVERIFY2(body.startsWith(QByteArray("version=v" + QByteArray::number(serving))),
                 body.constData());
        QTRY_COMPARE_WITH_TIMEOUT(services(app).size(), 1, 30000);
        Result<Deployment *> back = m_fixture->engine().changeConfig(app, {}, {variable});
        QVERIFY(back && *back);
        QVERIFY(EngineFixture::waitFinished(*back, 120000));
        QVERIFY2((*back)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*back)));
    }

    void sigtermIgnoredIsKilledAfterTheGracePeriod()
    {
        const QString app = u"swarmstubborn"_s;
        Deployment *first = deploy(app, {{u"IGNORE_SIGTERM"_s, u"1"_s}});
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        Result<Deployment *> next = m_fixture->engine().restart(app);
        QVERIFY(next && *next);
        QVERIFY(EngineFixture::waitFinished(*next, 120000));
        QVERIFY2((*next)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*next)));
        QTRY_VERIFY_WITH_TIMEOUT(
            !EngineFixture::eventsOf(*next, TimelineEvent::Kind::OldContainerStopped).isEmpty(),
            30000);
        const TimelineEvent stopped =
            EngineFixture::eventsOf(*next, TimelineEvent::Kind::OldContainerStopped).first();
        QVERIFY2(stopped.data.value(u"killed"_s).toBool(), qPrintable(stopped.text));
        QCOMPARE(stopped.data.value(u"signal"_s).toString(), u"SIGKILL"_s);
        QVERIFY2(stopped.data.value(u"stop_ms"_s).toDouble() >= 2500, qPrintable(stopped.text));
        QVERIFY(m_fixture->engine().deleteApp(app));
    }

    // A task whose container is killed from outside: Swarm starts another, Slipway counts the
    // restart, and the other web containers keep answering meanwhile.
    void taskKilledFromOutsideIsRestartedAndCounted()
    {
        const QString app = u"swarmed"_s;
        // Scaled 1 → 3 (and back to 1 at the end): a service per container.
        QVERIFY(m_fixture->engine().scale(app, {{u"web"_s, 3}}));
        QTRY_COMPARE_WITH_TIMEOUT(readyCount(app), 3, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(services(app).size(), 3, 20000);
        QSet<QByteArray> answered;
        for (int i = 0; i < 12; ++i)
            answered.insert(get(app).second.split(' ').value(1));
        QCOMPARE(answered.size(), 3); // round-robin over web-1, web-2, web-3
        HttpLoad load({m_fixture->routerPort(), app.toUtf8() + ".localhost", "/", 4, 4});
        load.start();
        QTRY_VERIFY_WITH_TIMEOUT(load.totals().ok > 8, 20000);

        QString victim;
        for (const DockerService &service : services(app)) {
            if (service.labels.value(u"slipway.index"_s) == u"1"_s)
                victim = tasksOf(service.id).first().containerId;
        }
        QVERIFY(!victim.isEmpty());
        const Result<void> killed = awaitDocker<void>([&](QObject *c, auto done) {
            return m_client->killContainer(victim, u"SIGKILL"_s, c, done);
        });
        QVERIFY2(killed, killed ? "" : qPrintable(killed.error().message));
        auto restartsOfWeb1 = [&] {
            for (const ContainerStatus &status :
                 m_fixture->engine().app(app)->containerStatuses()) {
                if (status.name == u"web-1"_s)
                    return status.restarts;
            }
            return -1;
        };
        QTRY_COMPARE_WITH_TIMEOUT(restartsOfWeb1(), 1, 30000);
        const qint64 okAtRestart = load.totals().ok;
        QTRY_COMPARE_WITH_TIMEOUT(readyCount(app), 3, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(load.totals().ok > okAtRestart + 8, 20000);
        load.stop();
        const HttpLoad::Totals totals = load.totals();
        qInfo("%lld requests while web-1's task was killed and replaced: %s",
              qint64(totals.requests), qPrintable(totals.report()));
        // SIGKILL may land between the fixture's header and body writes: an answer already
        // under way cannot be sent again by any proxy, so the connection it was on is cut.
        // At most one such request per client; no error answer, and the rest all served.
        QVERIFY2(totals.statuses.isEmpty() && totals.connectionErrors <= 4 &&
                     totals.ok + totals.connectionErrors == totals.requests,
                 qPrintable(totals.report()));
        QVERIFY(m_fixture->engine().scale(app, {{u"web"_s, 1}}));
        QTRY_COMPARE_WITH_TIMEOUT(services(app).size(), 1, 30000);
    }

    void rollsBack()
    {
        const QString app = u"swarmed"_s;
        Result<Deployment *> changed =
            m_fixture->engine().changeConfig(app, {{u"MARK"_s, u"two"_s}});
        QVERIFY(changed && *changed);
        QVERIFY(EngineFixture::waitFinished(*changed, 120000));
        QVERIFY2((*changed)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*changed)));
        Result<Deployment *> back = m_fixture->engine().rollback(app, 1);
        QVERIFY(back && *back);
        QVERIFY(EngineFixture::waitFinished(*back, 120000));
        QVERIFY2((*back)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*back)));
        QCOMPARE(get(app).first, 200);
    }

    // The plain app (backlog 5, dies at once on SIGTERM, keep-alive) redeployed under load.
    void redeploysUnderLoadFailNothing()
    {
        const QString app = u"swarmplain"_s;
        Deployment *first = deploy(app, {}, u"plain"_s);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        HttpLoad load({m_fixture->routerPort(), app.toUtf8() + ".localhost", "/", 8, 4});
        load.start();
        QTRY_VERIFY_WITH_TIMEOUT(load.totals().ok > 8, 20000);
        for (int round = 0; round < 10; ++round) {
            Result<Deployment *> next =
                m_fixture->engine().changeConfig(app, {{u"ROUND"_s, QString::number(round)}});
            QVERIFY(next && *next);
            QVERIFY(EngineFixture::waitFinished(*next, 120000));
            QVERIFY2((*next)->status() == DeploymentStatus::Success,
                     qPrintable(EngineFixture::describe(*next)));
        }
        QTest::qWait(1500);
        load.stop();
        const HttpLoad::Totals totals = load.totals();
        QVERIFY2(totals.clean(), qPrintable(totals.report()));
        QVERIFY(totals.answers.size() >= 5);
        qInfo("%lld requests over 10 redeploys on swarm, 0 failed", qint64(totals.requests));
        QVERIFY(m_fixture->engine().deleteApp(app));
    }

    // runtime=local → swarm → docker → local under load: a normal rollout each time.
    void movesBetweenRuntimesWithoutAFailedRequest()
    {
        const QString app = u"swarmmover"_s;
        AppSettings local = swarmSettings();
        local.runtime = u"local"_s;
        QVERIFY(m_fixture->engine().createApp(app, local));
        Deployment *first = m_fixture->deployFixture(app, {}, 120000, u"plain"_s);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        HttpLoad load({m_fixture->routerPort(), app.toUtf8() + ".localhost", "/", 8, 4});
        load.start();
        QTRY_VERIFY_WITH_TIMEOUT(load.totals().ok > 8, 20000);
        for (const QString &runtime : {u"swarm"_s, u"docker"_s, u"local"_s}) {
            AppSettings settings = m_fixture->engine().app(app)->settings();
            settings.runtime = runtime;
            QVERIFY(m_fixture->engine().setSettings(app, settings));
            Result<Deployment *> moved = m_fixture->engine().restart(app);
            QVERIFY(moved && *moved);
            QVERIFY(EngineFixture::waitFinished(*moved, 600000));
            QVERIFY2((*moved)->status() == DeploymentStatus::Success,
                     qPrintable(EngineFixture::describe(*moved)));
            const QList<TimelineEvent> started =
                EngineFixture::eventsOf(*moved, TimelineEvent::Kind::ContainerStarted);
            QVERIFY(!started.isEmpty());
            QCOMPARE(started.first().data.value(u"runtime"_s).toString(), runtime);
            QTRY_COMPARE_WITH_TIMEOUT(services(app).size(), runtime == u"swarm"_s ? 1 : 0, 30000);
        }
        QTest::qWait(1000);
        load.stop();
        const HttpLoad::Totals totals = load.totals();
        QVERIFY2(totals.clean(), qPrintable(totals.report()));
        QVERIFY(m_fixture->engine().deleteApp(app));
    }

    // Two nodes: the manager (127.0.0.2) and a worker joined from 127.0.0.3. Draining the
    // node that runs web-1 moves it to the other; web-2 serves meanwhile, nothing fails.
    void drainingANodeMovesItsContainers()
    {
        PrivateDockerd workerEngine;
        if (!workerEngine.isReady())
            QSKIP(qPrintable(u"no second private Docker engine here: "_s +
                             workerEngine.skipReason()));
        DockerClient worker(workerEngine.endpoint());
        // Every node needs the stack image: imported from the same cache.
        std::optional<Result<QString>> stack;
        StackImage image(&worker);
        image.ensure({.line = [](const QString &) {},
                      .importProgress = {},
                      .done = [&stack](const Result<QString> &made) { stack = made; }});
        QVERIFY(spinUntil([&] { return stack.has_value(); }, 1800000));
        QVERIFY2(*stack, qPrintable(stack->error().message));
        const Result<DockerSwarmTokens> tokens = awaitDocker<DockerSwarmTokens>(
            [&](QObject *c, auto done) { return m_client->swarmJoinTokens(c, done); });
        QVERIFY(tokens);
        const Result<void> joined = awaitDocker<void>([&](QObject *c, auto done) {
            return worker.joinSwarm(
                {u"127.0.0.3:2377"_s, u"127.0.0.3"_s, {u"127.0.0.2:2377"_s}, tokens->worker}, c,
                done);
        });
        QVERIFY2(joined, joined ? "" : qPrintable(joined.error().message));
        QVERIFY(spinUntil(
            [&] {
                const auto nodes = awaitDocker<QList<DockerNode>>(
                    [&](QObject *c, auto done) { return m_client->listNodes(c, done); });
                return nodes && nodes->size() == 2 &&
                       std::all_of(nodes->begin(), nodes->end(),
                                   [](const DockerNode &n) { return n.state == u"ready"; });
            },
            30000));

        const QString app = u"swarmed"_s;
        // Placement is Swarm's: a second single-task service may well join the first on its
        // node. With that node paused while it is made, web-2 goes to the other one, so
        // one web container serves while the other moves.
        QString firstNode;
        for (const DockerService &service : services(app)) {
            if (service.labels.value(u"slipway.index"_s) == u"1"_s)
                firstNode = tasksOf(service.id).first().nodeId;
        }
        QVERIFY(!firstNode.isEmpty());
        const auto setAvailability = [&](const QString &node, const QString &availability) {
            return awaitDocker<void>([&](QObject *c, auto done) {
                return m_client->setNodeAvailability(node, availability, c, done);
            });
        };
        QVERIFY(setAvailability(firstNode, u"pause"_s));
        QVERIFY(m_fixture->engine().scale(app, {{u"web"_s, 2}}));
        QTRY_COMPARE_WITH_TIMEOUT(readyCount(app), 2, 60000);
        QVERIFY(setAvailability(firstNode, u"active"_s));
        HttpLoad load({m_fixture->routerPort(), app.toUtf8() + ".localhost", "/", 4, 4});
        load.start();
        QTRY_VERIFY_WITH_TIMEOUT(load.totals().ok > 8, 20000);

        auto web1 = [&]() -> ContainerStatus {
            for (const ContainerStatus &status :
                 m_fixture->engine().app(app)->containerStatuses()) {
                if (status.name == u"web-1"_s)
                    return status;
            }
            return {};
        };
        const QString before = web1().node;
        QVERIFY(!before.isEmpty());
        for (const ContainerStatus &status : m_fixture->engine().app(app)->containerStatuses())
            qInfo("%s runs on %s", qPrintable(status.name), qPrintable(status.node));
        QString nodeId;
        QSet<QString> nodes;
        for (const DockerService &service : services(app)) {
            const QString node = tasksOf(service.id).first().nodeId;
            nodes.insert(node);
            if (service.labels.value(u"slipway.index"_s) == u"1"_s)
                nodeId = node;
        }
        QVERIFY(!nodeId.isEmpty());
        QCOMPARE(nodes.size(), 2);
        const Result<void> drained = awaitDocker<void>([&](QObject *c, auto done) {
            return m_client->setNodeAvailability(nodeId, u"drain"_s, c, done);
        });
        QVERIFY2(drained, drained ? "" : qPrintable(drained.error().message));
        QTRY_VERIFY_WITH_TIMEOUT(web1().ready && web1().node != before, 60000);
        qInfo("web-1 moved from %s to %s", qPrintable(before), qPrintable(web1().node));
        const qint64 okAfterMove = load.totals().ok;
        QTRY_VERIFY_WITH_TIMEOUT(load.totals().ok > okAfterMove + 8, 20000);
        load.stop();
        const HttpLoad::Totals totals = load.totals();
        qInfo("%lld requests while a node was drained: %s", qint64(totals.requests),
              qPrintable(totals.report()));
        QVERIFY2(totals.clean(), qPrintable(totals.report()));
        const auto [status, body] = get(app);
        QCOMPARE(status, 200);
        // The worker leaves before its engine stops; the manager forgets it.
        (void)awaitDocker<void>([&](QObject *c, auto done) {
            return m_client->setNodeAvailability(nodeId, u"active"_s, c, done);
        });
        (void)awaitDocker<void>(
            [&](QObject *c, auto done) { return worker.leaveSwarm(true, c, done); });
        QVERIFY(m_fixture->engine().scale(app, {{u"web"_s, 1}}));
    }
};

QTEST_MAIN(TestSwarmRuntime)
#include "tst_swarmruntime.moc"
