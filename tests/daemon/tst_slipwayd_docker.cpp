// slipwayd with an app on runtime=docker, killed (-9) and started again: the containers the
// engine still runs are taken over as they run, not restarted, and those of a deployment
// the kill interrupted are removed. The same for runtime=swarm's services, the engine then
// made a Swarm manager.

#include "DaemonProcess.h"
#include "PrivateDockerd.h"
#include "TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

#include <memory>

using namespace Slipway;
using namespace TestSupport;
using namespace Qt::StringLiterals;

class TestSlipwaydDocker : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<PrivateDockerd> m_dockerd;
    std::unique_ptr<DockerClient> m_client;
    QTemporaryDir m_data;
    const QString m_app = u"keeper"_s;

    // The engine's containers of the app: id → release label, running ones only.
    QMap<QString, QString> running()
    {
        const Result<QList<DockerContainerSummary>> listed =
            awaitDocker<QList<DockerContainerSummary>>([&](QObject *context, auto done) {
                return m_client->listContainers({u"slipway.app="_s + m_app}, context, done);
            });
        QMap<QString, QString> found;
        for (const DockerContainerSummary &container :
             listed.value_or(QList<DockerContainerSummary>{})) {
            if (container.state == u"running"_s)
                found.insert(container.id, container.labels.value(u"slipway.release"_s));
        }
        return found;
    }

    QString deploymentId(const QJsonObject &answer)
    {
        return answer.value(u"deployment"_s).toObject().value(u"id"_s).toString();
    }

    // The newest deployment of the app (the boot deployment after a restart).
    QJsonObject newestDeployment(DaemonProcess &daemon)
    {
        const QJsonArray deployments = daemon.call("GET", u"/v1/apps/%1/deployments"_s.arg(m_app))
                                           .value(u"deployments"_s)
                                           .toArray();
        return deployments.isEmpty() ? QJsonObject() : deployments.first().toObject();
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_dockerd = std::make_unique<PrivateDockerd>();
        if (!m_dockerd->isReady())
            QSKIP(qPrintable(u"no private Docker engine here: "_s + m_dockerd->skipReason()));
        m_client = std::make_unique<DockerClient>(m_dockerd->endpoint());
    }

    void killedDaemonTakesOverWhatRuns()
    {
        DaemonProcess daemon(m_data.filePath(u"data"_s));
        QVERIFY(daemon.start());
        int status = 0;
        daemon.call("POST", u"/v1/apps"_s, {{u"app"_s, QJsonObject{{u"name"_s, m_app}}}}, &status);
        QCOMPARE(status, 201);
        const QJsonObject settings = daemon.call(
            "PATCH", u"/v1/apps/%1/settings"_s.arg(m_app),
            QJsonObject{
                {u"settings"_s,
                 QJsonObject{{u"runtime"_s, u"docker"_s},
                             {u"docker_host"_s, QString(u"unix://"_s + m_dockerd->socketPath())},
                             {u"grace_period"_s, 3}}}},
            &status);
        QCOMPARE(status, 200);
        QCOMPARE(settings.value(u"settings"_s).toObject().value(u"runtime"_s).toString(),
                 u"docker"_s);
        const QJsonObject deployment = daemon.call(
            "POST", u"/v1/apps/%1/deployments"_s.arg(m_app),
            {{u"deployment"_s, QJsonObject{{u"source_url"_s, dataPath(u"fixtures/behave"_s)}}}},
            &status);
        QCOMPARE(status, 201);
        QCOMPARE(daemon.waitDeployment(m_app, deploymentId(deployment), 1800000), u"success"_s);
        QCOMPARE(routedGet(daemon.routerPort(), m_app).status, 200);
        const QMap<QString, QString> before = running();
        QCOMPARE(before.size(), 1);
        QCOMPARE(before.first(), u"1"_s);

        // A crash of the daemon: the engine's container runs on.
        daemon.killHard();
        QCOMPARE(running(), before);

        DaemonProcess again(m_data.filePath(u"data"_s));
        QVERIFY(again.start());
        QTRY_COMPARE_WITH_TIMEOUT(routedGet(again.routerPort(), m_app).status, 200, 60000);
        QVERIFY(routedGet(again.routerPort(), m_app).body.startsWith("version=v1 container=web-1"));
        // The very same container: taken over, not started again.
        const QJsonObject boot = newestDeployment(again);
        QCOMPARE(running(), before);
        QCOMPARE(boot.value(u"status"_s).toString(), u"success"_s);
        const QJsonObject detail = again.call(
            "GET", u"/v1/apps/%1/deployments/%2"_s.arg(m_app, boot.value(u"id"_s).toString()));
        const QByteArray timeline = QJsonDocument(detail).toJson();
        QVERIFY2(timeline.contains("was still running on the docker runtime: taken over"),
                 timeline.constData());

        // Mid-rollout: a new release whose container never gets ready is on its way when the
        // daemon dies. The next daemon keeps v1 serving and removes the interrupted one's.
        const QJsonObject changed =
            again.call("POST", u"/v1/apps/%1/variables"_s.arg(m_app),
                       {{u"variables"_s, QJsonArray{QJsonObject{{u"name"_s, u"BEHAVIOUR"_s},
                                                                {u"value"_s, u"never-listen"_s}}}}},
                       &status);
        QCOMPARE(status, 200);
        QVERIFY(!deploymentId(changed).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(running().size(), 2, 60000);
        again.killHard();
        QCOMPARE(running().size(), 2);

        DaemonProcess third(m_data.filePath(u"data"_s));
        QVERIFY(third.start());
        QTRY_COMPARE_WITH_TIMEOUT(routedGet(third.routerPort(), m_app).status, 200, 60000);
        QVERIFY(routedGet(third.routerPort(), m_app).body.startsWith("version=v1 container=web-1"));
        QTRY_COMPARE_WITH_TIMEOUT(running(), before, 30000);

        // A stop by SIGTERM leaves the engine's containers running too, for the next daemon.
        third.terminate();
        QCOMPARE(running(), before);
        DaemonProcess fourth(m_data.filePath(u"data"_s));
        QVERIFY(fourth.start());
        QTRY_COMPARE_WITH_TIMEOUT(routedGet(fourth.routerPort(), m_app).status, 200, 60000);
        QCOMPARE(running(), before);

        // Destroying the app removes its containers from the engine.
        fourth.call("DELETE", u"/v1/apps/%1"_s.arg(m_app), {}, &status);
        QVERIFY2(status == 200 || status == 204, qPrintable(QString::number(status)));
        QTRY_VERIFY_WITH_TIMEOUT(running().isEmpty(), 60000);
        fourth.terminate();
    }

    void killedDaemonTakesOverSwarmServices()
    {
        const Result<QString> node = awaitDocker<QString>([&](QObject *c, auto done) {
            return m_client->initSwarm({u"127.0.0.2:2377"_s, u"127.0.0.2"_s, {}, 0}, c, done);
        });
        QVERIFY2(node, node ? "" : qPrintable(node.error().message));
        const QString app = u"swarmkeeper"_s;
        // The app's services: id → release label.
        auto services = [&] {
            const Result<QList<DockerService>> listed =
                awaitDocker<QList<DockerService>>([&](QObject *context, auto done) {
                    return m_client->listServices({u"slipway.app="_s + app}, context, done);
                });
            QMap<QString, QString> found;
            for (const DockerService &service : listed.value_or(QList<DockerService>{}))
                found.insert(service.id, service.labels.value(u"slipway.release"_s));
            return found;
        };
        const QString data = m_data.filePath(u"swarmdata"_s);
        DaemonProcess daemon(data);
        QVERIFY(daemon.start());
        int status = 0;
        daemon.call("POST", u"/v1/apps"_s, {{u"app"_s, QJsonObject{{u"name"_s, app}}}}, &status);
        QCOMPARE(status, 201);
        daemon.call("PATCH", u"/v1/apps/%1/settings"_s.arg(app),
                    QJsonObject{{u"settings"_s,
                                 QJsonObject{{u"runtime"_s, u"swarm"_s},
                                             {u"docker_host"_s,
                                              QString(u"unix://"_s + m_dockerd->socketPath())},
                                             {u"grace_period"_s, 3}}}},
                    &status);
        QCOMPARE(status, 200);
        const QJsonObject deployment = daemon.call(
            "POST", u"/v1/apps/%1/deployments"_s.arg(app),
            {{u"deployment"_s, QJsonObject{{u"source_url"_s, dataPath(u"fixtures/behave"_s)}}}},
            &status);
        QCOMPARE(status, 201);
        QCOMPARE(daemon.waitDeployment(app, deploymentId(deployment), 1800000), u"success"_s);
        QCOMPARE(routedGet(daemon.routerPort(), app).status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(services().size(), 1, 30000); // the hook's job is gone
        const QMap<QString, QString> before = services();
        QCOMPARE(before.first(), u"1"_s);

        daemon.killHard();
        QCOMPARE(services(), before);
        DaemonProcess again(data);
        QVERIFY(again.start());
        QTRY_COMPARE_WITH_TIMEOUT(routedGet(again.routerPort(), app).status, 200, 60000);
        QVERIFY(routedGet(again.routerPort(), app).body.startsWith("version=v1 container=web-1"));
        QCOMPARE(services(), before);
        const QJsonArray deployments = again.call("GET", u"/v1/apps/%1/deployments"_s.arg(app))
                                           .value(u"deployments"_s)
                                           .toArray();
        QVERIFY(!deployments.isEmpty());
        const QJsonObject boot = deployments.first().toObject();
        const QByteArray timeline =
            QJsonDocument(again.call("GET", u"/v1/apps/%1/deployments/%2"_s.arg(
                                                app, boot.value(u"id"_s).toString())))
                .toJson();
        QVERIFY2(timeline.contains("was still running on the swarm runtime: taken over"),
                 timeline.constData());

        again.call("DELETE", u"/v1/apps/%1"_s.arg(app), {}, &status);
        QVERIFY2(status == 200 || status == 204, qPrintable(QString::number(status)));
        QTRY_VERIFY_WITH_TIMEOUT(services().isEmpty(), 60000);
        again.terminate();
    }
};

QTEST_MAIN(TestSlipwaydDocker)
#include "tst_slipwayd_docker.moc"
