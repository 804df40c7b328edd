// The four-step rollout on runtime=docker, against a private Docker engine: the same engine,
// router and fixtures as the local runtime's tests, the containers made by the engine from
// the debian-12 stack image.

#include "EngineFixture.h"
#include "HttpLoad.h"
#include "PrivateDockerd.h"
#include "TestSupport.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "runtime/Container.h"
#include "runtime/docker/DockerRuntime.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QtTest>

#include <memory>

using namespace Slipway;
using namespace Qt::StringLiterals;

namespace {} // namespace

class TestDockerRuntime : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<PrivateDockerd> m_dockerd;
    std::unique_ptr<EngineFixture> m_fixture;
    std::unique_ptr<DockerClient> m_client;

    AppSettings dockerSettings() const
    {
        AppSettings settings;
        settings.runtime = u"docker"_s;
        settings.dockerHost = u"unix://"_s + m_dockerd->socketPath();
        settings.bootTimeout = std::chrono::seconds(20);
        settings.gracePeriod = std::chrono::seconds(3);
        settings.drainLimit = std::chrono::seconds(5);
        return settings;
    }

    // Deploys the behave fixture (or another) to a docker app made with dockerSettings().
    Deployment *deploy(const QString &app, const QMap<QString, QString> &config = {},
                       const QString &fixture = u"behave"_s)
    {
        if (!m_fixture->engine().app(app)) {
            const Result<AppInstance *> created =
                m_fixture->engine().createApp(app, dockerSettings());
            if (!created)
                qWarning("%s", qPrintable(created.error().message));
        }
        // A cold stack image is built and imported by the first deployment: minutes.
        return m_fixture->deployFixture(app, config, 1800000, fixture);
    }

    QPair<int, QByteArray> get(const QString &app, const QString &target = u"/"_s)
    {
        QNetworkAccessManager manager;
        QNetworkRequest request(
            QUrl(u"http://127.0.0.1:%1%2"_s.arg(m_fixture->routerPort()).arg(target)));
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

    // The engine's containers of `app`, running or not.
    QList<DockerContainerSummary> engineContainers(const QString &app)
    {
        const Result<QList<DockerContainerSummary>> listed =
            awaitDocker<QList<DockerContainerSummary>>([&](QObject *context, auto done) {
                return m_client->listContainers({u"slipway.app="_s + app}, context, done);
            });
        return listed.value_or(QList<DockerContainerSummary>{});
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_dockerd = std::make_unique<PrivateDockerd>();
        if (!m_dockerd->isReady())
            QSKIP(qPrintable(u"no private Docker engine here: "_s + m_dockerd->skipReason()));
        m_client = std::make_unique<DockerClient>(m_dockerd->endpoint());
        m_fixture = std::make_unique<EngineFixture>();
    }

    void cleanupTestCase()
    {
        if (m_fixture)
            m_fixture->shutdown();
        m_fixture.reset();
        m_client.reset();
        m_dockerd.reset();
    }

    void deployServesFromTheEngine()
    {
        Deployment *first = deploy(u"dock"_s);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        const QList<TimelineEvent> started =
            EngineFixture::eventsOf(first, TimelineEvent::Kind::ContainerStarted);
        QCOMPARE(started.size(), 1);
        QCOMPARE(started.first().data.value(u"runtime"_s).toString(), u"docker"_s);
        QVERIFY(first->log().join(u'\n').contains(u"docker runtime"_s));

        const auto [status, body] = get(u"dock"_s);
        QCOMPARE(status, 200);
        QVERIFY2(body.startsWith("version=v1 container=web-1"), body.constData());

        // One engine container, labelled, running as the stack's user with the platform's
        // environment, the slug at /app and writable by it.
        // (The postdeploy hook's container is removed once it ended: a moment later.)
        QTRY_COMPARE_WITH_TIMEOUT(engineContainers(u"dock"_s).size(), 1, 20000);
        const QList<DockerContainerSummary> containers = engineContainers(u"dock"_s);
        QCOMPARE(containers.first().state, u"running"_s);
        QCOMPARE(containers.first().labels.value(u"slipway.process"_s), u"web"_s);
        QCOMPARE(containers.first().labels.value(u"slipway.release"_s), u"1"_s);
        const auto [lines, exitStatus] = m_fixture->runOneOff(
            u"dock"_s, u"echo uid=$(id -u) home=$HOME pwd=$(pwd) stack=$STACK; ls /app/Procfile; "
                       "touch /app/written && echo app-writable; exit 4"_s);
        QCOMPARE(exitStatus, 4);
        const QString text = lines.join(u'\n');
        QVERIFY2(text.contains(u"uid=10000 home=/app pwd=/app stack=debian-12"_s),
                 qPrintable(text));
        QVERIFY2(text.contains(u"/app/Procfile"_s) && text.contains(u"app-writable"_s),
                 qPrintable(text));
        // The one-off's container is gone once it ended.
        QTRY_COMPARE_WITH_TIMEOUT(engineContainers(u"dock"_s).size(), 1, 20000);
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
        const QString app = u"broken"_s;
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
        // The failed release's containers are stopped and removed from the engine.
        QTRY_VERIFY_WITH_TIMEOUT(engineContainers(app).size() == 1, 30000);
        // Back to a release that works, for the next row.
        Result<Deployment *> back = m_fixture->engine().changeConfig(app, {}, {variable});
        QVERIFY(back && *back);
        QVERIFY(EngineFixture::waitFinished(*back, 120000));
        QVERIFY2((*back)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*back)));
    }

    void sigtermIgnoredIsKilledAfterTheGracePeriod()
    {
        const QString app = u"stubborn"_s;
        Deployment *first = deploy(app, {{u"IGNORE_SIGTERM"_s, u"1"_s}});
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        Result<Deployment *> next = m_fixture->engine().restart(app);
        QVERIFY(next && *next);
        QVERIFY(EngineFixture::waitFinished(*next, 120000));
        QVERIFY2((*next)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*next)));
        // The old container ignores SIGTERM: the engine kills it once the 3 s are over.
        QTRY_VERIFY_WITH_TIMEOUT(
            !EngineFixture::eventsOf(*next, TimelineEvent::Kind::OldContainerStopped).isEmpty(),
            30000);
        const TimelineEvent stopped =
            EngineFixture::eventsOf(*next, TimelineEvent::Kind::OldContainerStopped).first();
        QVERIFY2(stopped.data.value(u"killed"_s).toBool(), qPrintable(stopped.text));
        QCOMPARE(stopped.data.value(u"signal"_s).toString(), u"SIGKILL"_s);
        QVERIFY2(stopped.data.value(u"stop_ms"_s).toDouble() >= 2500, qPrintable(stopped.text));
    }

    void scalesUpAndDown()
    {
        const QString app = u"dock"_s;
        QVERIFY(m_fixture->engine().scale(app, {{u"web"_s, 3}}));
        AppInstance *instance = m_fixture->engine().app(app);
        auto ready = [instance] {
            int count = 0;
            for (const ContainerStatus &status : instance->containerStatuses())
                count += status.ready ? 1 : 0;
            return count;
        };
        QTRY_COMPARE_WITH_TIMEOUT(ready(), 3, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(engineContainers(app).size(), 3, 20000);
        QSet<QByteArray> answered;
        for (int i = 0; i < 12; ++i)
            answered.insert(get(app).second.split(' ').value(1));
        QCOMPARE(answered.size(), 3); // round-robin over web-1, web-2, web-3
        QVERIFY(m_fixture->engine().scale(app, {{u"web"_s, 1}}));
        QTRY_COMPARE_WITH_TIMEOUT(engineContainers(app).size(), 1, 30000);
        QCOMPARE(get(app).first, 200);
    }

    void rollsBack()
    {
        const QString app = u"dock"_s;
        Result<Deployment *> changed =
            m_fixture->engine().changeConfig(app, {{u"MARK"_s, u"two"_s}});
        QVERIFY(changed && *changed);
        QVERIFY(EngineFixture::waitFinished(*changed, 120000));
        const int newer = (*changed)->releaseVersion();
        QVERIFY(get(app).second.startsWith(QByteArray("version=v" + QByteArray::number(newer))));
        Result<Deployment *> back = m_fixture->engine().rollback(app, 1);
        QVERIFY(back && *back);
        QVERIFY(EngineFixture::waitFinished(*back, 120000));
        QVERIFY2((*back)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*back)));
        QVERIFY2(get(app).second.startsWith("version=v"), get(app).second.constData());
        QCOMPARE(m_fixture->engine().app(app)->current().release.slugPath(),
                 m_fixture->engine().releases(app).first().slugPath());
    }

    // The plain app (backlog 5, dies at once on SIGTERM, keep-alive) redeployed under load on
    // the engine: not one failed request, as on the local runtime.
    void redeploysUnderLoadFailNothing()
    {
        const QString app = u"plaindock"_s;
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
        qInfo("%lld requests over 10 redeploys on docker, 0 failed", qint64(totals.requests));
    }

    // runtime=local → docker → local under load: a normal rollout each way, nothing fails.
    void movesBetweenRuntimesWithoutAFailedRequest()
    {
        const QString app = u"mover"_s;
        AppSettings local = dockerSettings();
        local.runtime = u"local"_s;
        QVERIFY(m_fixture->engine().createApp(app, local));
        Deployment *first = m_fixture->deployFixture(app, {}, 120000, u"plain"_s);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        HttpLoad load({m_fixture->routerPort(), app.toUtf8() + ".localhost", "/", 8, 4});
        load.start();
        QTRY_VERIFY_WITH_TIMEOUT(load.totals().ok > 8, 20000);
        for (const QString &runtime : {u"docker"_s, u"local"_s}) {
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
            QTRY_COMPARE_WITH_TIMEOUT(engineContainers(app).size(), runtime == u"docker"_s ? 1 : 0,
                                      30000);
        }
        QTest::qWait(1000);
        load.stop();
        const HttpLoad::Totals totals = load.totals();
        QVERIFY2(totals.clean(), qPrintable(totals.report()));
    }

    void unreachableEngineSaysWhereAndKeepsServing()
    {
        const QString app = u"dock"_s;
        const int serving = m_fixture->engine().app(app)->current().version();
        AppSettings settings = m_fixture->engine().app(app)->settings();
        const QString before = settings.dockerHost;
        settings.dockerHost = u"unix:///nonexistent/docker.sock"_s;
        QVERIFY(m_fixture->engine().setSettings(app, settings));
        Result<Deployment *> next = m_fixture->engine().restart(app);
        QVERIFY(next && *next);
        QVERIFY(EngineFixture::waitFinished(*next, 60000));
        QCOMPARE((*next)->status(), DeploymentStatus::CrashedError);
        QVERIFY2((*next)->error().contains(u"/nonexistent/docker.sock"_s),
                 qPrintable((*next)->error()));
        QVERIFY(get(app).second.startsWith(QByteArray("version=v" + QByteArray::number(serving))));
        settings.dockerHost = before;
        QVERIFY(m_fixture->engine().setSettings(app, settings));
    }
};

QTEST_MAIN(TestDockerRuntime)
#include "tst_dockerruntime.moc"
