// The four rollout steps with real containers of the behaviour fixture app behind the
// real router: every status, every failure path (the old version keeps answering), the
// hook, queueing, rollback, config changes, scaling, restarts and one-off commands.

#include "EngineFixture.h"
#include "TestSupport.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "router/Router.h"
#include "runtime/Container.h"
#include "util/ProcessTree.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QtTest>

using namespace Slipway;
using namespace TestSupport;

namespace {

QByteArray marker(const QString &app)
{
    return QByteArrayLiteral("slipway-fixture-") + app.toUtf8();
}

bool hasEvent(Deployment *deployment, TimelineEvent::Kind kind, const QString &containing = {})
{
    for (const TimelineEvent &event : deployment->timeline()) {
        if (event.kind == kind && event.text.contains(containing))
            return true;
    }
    return false;
}

} // namespace

class TestRollout : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<EngineFixture> m_fixture;

    QString body(const QString &app, const QString &path = QStringLiteral("/"))
    {
        const HttpResponse response = routedGet(m_fixture->routerPort(), app, path);
        return response.status == 200
                   ? QString::fromUtf8(response.body).trimmed()
                   : QStringLiteral("HTTP %1 %2").arg(response.status).arg(response.error);
    }

    // Deploys v1 of an app that boots at once, and checks it answers.
    void deployFirst(const QString &app, const QMap<QString, QString> &config = {})
    {
        Deployment *first = m_fixture->deployFixture(app, config);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        QVERIFY(body(app).startsWith(QStringLiteral("version=v1 container=web-1")));
    }

    void setSettings(const QString &app, std::function<void(AppSettings &)> change)
    {
        AppSettings settings = m_fixture->engine().app(app)->settings();
        change(settings);
        QVERIFY(m_fixture->engine().setSettings(app, settings));
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init() { m_fixture = std::make_unique<EngineFixture>(); }

    void cleanup() { m_fixture.reset(); }

    void firstDeploymentGoesThroughEveryStatus()
    {
        QVERIFY(m_fixture->engine().createApp(QStringLiteral("first")));
        // Before any release: the router knows the app but has nothing to route to.
        QCOMPARE(routedGet(m_fixture->routerPort(), QStringLiteral("first")).status, 503);
        Result<Deployment *> deployment = m_fixture->engine().deploySource(
            QStringLiteral("first"), *SourceSpec::parse(m_fixture->fixtureSource()));
        QVERIFY(deployment);
        QSignalSpy statuses(*deployment, &Deployment::statusChanged);
        QVERIFY(EngineFixture::waitFinished(*deployment));
        QVERIFY2((*deployment)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*deployment)));
        QList<DeploymentStatus> seen;
        for (const QList<QVariant> &arguments : statuses)
            seen.append(arguments.at(0).value<DeploymentStatus>());
        QCOMPARE(seen,
                 (QList<DeploymentStatus>{DeploymentStatus::Building, DeploymentStatus::Pushing,
                                          DeploymentStatus::Starting, DeploymentStatus::Success}));
        Deployment *d = *deployment;
        QVERIFY(hasEvent(d, TimelineEvent::Kind::SourceFetched));
        QVERIFY(hasEvent(d, TimelineEvent::Kind::BuildpackDetected, QStringLiteral("Procfile")));
        QVERIFY(hasEvent(d, TimelineEvent::Kind::SlugBuilt));
        QVERIFY(hasEvent(d, TimelineEvent::Kind::ContainerStarted,
                         QStringLiteral("web-1 started on port")));
        QVERIFY(
            hasEvent(d, TimelineEvent::Kind::ContainerReady, QStringLiteral("web-1 ready after")));
        QVERIFY(hasEvent(d, TimelineEvent::Kind::TrafficRouted, QStringLiteral("web-1")));
        // Events are in time order.
        qint64 last = -1;
        for (const TimelineEvent &event : d->timeline()) {
            QVERIFY(event.offsetMilliseconds >= last);
            last = event.offsetMilliseconds;
        }
        QCOMPARE(body(QStringLiteral("first")),
                 QStringLiteral("version=v1 container=web-1 app=first"));
        // The container sees the documented environment.
        const QJsonObject env =
            QJsonDocument::fromJson(
                routedGet(m_fixture->routerPort(), QStringLiteral("first"), QStringLiteral("/env"))
                    .body)
                .object();
        QCOMPARE(env.value(QStringLiteral("APP")).toString(), QStringLiteral("first"));
        QCOMPARE(env.value(QStringLiteral("CONTAINER")).toString(), QStringLiteral("web-1"));
        QCOMPARE(env.value(QStringLiteral("CONTAINER_VERSION")).toString(), QStringLiteral("v1"));
        QCOMPARE(env.value(QStringLiteral("STACK")).toString(), QStringLiteral("debian-12"));
        QVERIFY(env.value(QStringLiteral("PORT")).toString().toInt() > 0);
        QVERIFY(!env.value(QStringLiteral("HOME")).toString().isEmpty());
    }

    void slowBootWaitsAndOldVersionServesMeanwhile()
    {
        const QString app = QStringLiteral("slow");
        deployFirst(app);
        Result<Deployment *> slow = m_fixture->engine().changeConfig(
            app, {{QStringLiteral("BEHAVIOUR"), QStringLiteral("slow-boot")},
                  {QStringLiteral("BOOT_DELAY"), QStringLiteral("2")}});
        QVERIFY(slow && *slow);
        // While v2 boots, v1 answers.
        QTRY_VERIFY_WITH_TIMEOUT((*slow)->status() == DeploymentStatus::Starting, 30000);
        QVERIFY(body(app).startsWith(QStringLiteral("version=v1")));
        QVERIFY(EngineFixture::waitFinished(*slow));
        QVERIFY2((*slow)->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(*slow)));
        QVERIFY(body(app).startsWith(QStringLiteral("version=v2")));
        // More than one probe was needed, and the timeline says how many.
        QVERIFY(hasEvent(*slow, TimelineEvent::Kind::ContainerReady, QStringLiteral("probes")));
        QTRY_VERIFY2_WITH_TIMEOUT(hasEvent(*slow, TimelineEvent::Kind::OldContainerStopped,
                                           QStringLiteral("old web-1 (v1) stopped")),
                                  qPrintable(EngineFixture::describe(*slow)), 15000);
    }

    void neverListeningGivesTimeoutError()
    {
        const QString app = QStringLiteral("deaf");
        deployFirst(app);
        setSettings(app, [](AppSettings &s) { s.bootTimeout = std::chrono::seconds(2); });
        Result<Deployment *> deaf = m_fixture->engine().changeConfig(
            app, {{QStringLiteral("BEHAVIOUR"), QStringLiteral("never-listen")}});
        QVERIFY(EngineFixture::waitFinished(*deaf));
        QCOMPARE((*deaf)->status(), DeploymentStatus::TimeoutError);
        QVERIFY2((*deaf)->error().contains(QStringLiteral("boot timeout of 2 s")),
                 qPrintable((*deaf)->error()));
        QVERIFY(body(app).startsWith(QStringLiteral("version=v1")));
        // The new container is gone; only v1's process is left.
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(marker(app)).size(), 1, 15000);
    }

    void crashAtBootGivesCrashedErrorWithLastLines()
    {
        const QString app = QStringLiteral("crashy");
        deployFirst(app);
        Result<Deployment *> crash = m_fixture->engine().changeConfig(
            app, {{QStringLiteral("BEHAVIOUR"), QStringLiteral("crash-at-boot")}});
        QVERIFY(EngineFixture::waitFinished(*crash));
        QCOMPARE((*crash)->status(), DeploymentStatus::CrashedError);
        QVERIFY2((*crash)
                     ->log()
                     .join(QLatin1Char('\n'))
                     .contains(QStringLiteral("database unreachable")),
                 qPrintable(EngineFixture::describe(*crash)));
        QVERIFY(hasEvent(*crash, TimelineEvent::Kind::ContainerCrashed, QStringLiteral("web-1")));
        QVERIFY(body(app).startsWith(QStringLiteral("version=v1")));
    }

    void crashAfterRolloutIsRestartedWithBackoff()
    {
        const QString app = QStringLiteral("flaky");
        deployFirst(app, {{QStringLiteral("BEHAVIOUR"), QStringLiteral("crash-later")},
                          {QStringLiteral("CRASH_AFTER"), QStringLiteral("1")}});
        AppInstance *instance = m_fixture->engine().app(app);
        QTRY_VERIFY_WITH_TIMEOUT(!instance->containerStatuses().isEmpty() &&
                                     instance->containerStatuses().constFirst().restarts >= 2,
                                 30000);
        // Back on its feet between crashes: it answers again.
        QTRY_VERIFY_WITH_TIMEOUT(body(app).startsWith(QStringLiteral("version=v1")), 20000);
    }

    void oldContainerIgnoringSigtermIsKilledAtGrace()
    {
        const QString app = QStringLiteral("stubborn");
        deployFirst(app, {{QStringLiteral("IGNORE_SIGTERM"), QStringLiteral("1")}});
        setSettings(app, [](AppSettings &s) { s.gracePeriod = std::chrono::seconds(1); });
        Result<Deployment *> next = m_fixture->engine().changeConfig(
            app, {{QStringLiteral("IGNORE_SIGTERM"), QStringLiteral("0")}});
        QVERIFY(EngineFixture::waitFinished(*next));
        QCOMPARE((*next)->status(), DeploymentStatus::Success);
        QTRY_VERIFY_WITH_TIMEOUT(
            hasEvent(*next, TimelineEvent::Kind::OldContainerStopped, QStringLiteral("SIGKILL")),
            15000);
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(marker(app)).size(), 1, 10000);
    }

    void postdeployRunsWithTheNewRelease()
    {
        const QString app = QStringLiteral("hooked");
        // The hook writes into its own container's /tmp: the host stays read-only.
        Deployment *first = m_fixture->deployFixture(
            app, {{QStringLiteral("POSTDEPLOY_MARKER"), QStringLiteral("/tmp/hook-ran")}});
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));
        QVERIFY(first->log()
                    .join(QLatin1Char('\n'))
                    .contains(QStringLiteral("postdeploy-1: postdeploy ran for v1")));
        QVERIFY(hasEvent(first, TimelineEvent::Kind::HookFinished,
                         QStringLiteral("exited with status 0")));
        // The hook ran before the switch.
        qint64 hookDone = -1;
        qint64 routed = -1;
        for (const TimelineEvent &event : first->timeline()) {
            if (event.kind == TimelineEvent::Kind::HookFinished)
                hookDone = event.offsetMilliseconds;
            if (event.kind == TimelineEvent::Kind::TrafficRouted)
                routed = event.offsetMilliseconds;
        }
        QVERIFY(hookDone >= 0 && routed >= hookDone);
    }

    void postdeployFailureKeepsOldVersion_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::addColumn<QString>("expected");
        QTest::newRow("fails") << QStringLiteral("fail") << QStringLiteral("exited with status 3");
        QTest::newRow("hangs") << QStringLiteral("hang") << QStringLiteral("time limit of 2 s");
    }

    void postdeployFailureKeepsOldVersion()
    {
        QFETCH(QString, mode);
        QFETCH(QString, expected);
        const QString app = QStringLiteral("hook-") + mode;
        deployFirst(app);
        setSettings(app, [](AppSettings &s) { s.hookTimeout = std::chrono::seconds(2); });
        Result<Deployment *> next =
            m_fixture->engine().changeConfig(app, {{QStringLiteral("POSTDEPLOY"), mode}});
        QVERIFY(EngineFixture::waitFinished(*next));
        QCOMPARE((*next)->status(), DeploymentStatus::HookError);
        QVERIFY2((*next)->error().contains(expected), qPrintable((*next)->error()));
        QVERIFY(body(app).startsWith(QStringLiteral("version=v1")));
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(marker(app)).size(), 1, 15000);
    }

    void firstDeployShowsDeployingPageDuringHook()
    {
        const QString app = QStringLiteral("patience");
        QVERIFY(m_fixture->engine().createApp(app));
        AppSettings settings;
        settings.hookTimeout = std::chrono::seconds(3);
        QVERIFY(m_fixture->engine().setSettings(app, settings));
        QVERIFY(m_fixture->engine().changeConfig(
            app, {{QStringLiteral("POSTDEPLOY"), QStringLiteral("hang")}}));
        Result<Deployment *> deployment =
            m_fixture->engine().deploySource(app, *SourceSpec::parse(m_fixture->fixtureSource()));
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(*deployment, TimelineEvent::Kind::HookStarted), 30000);
        const HttpResponse during = routedGet(m_fixture->routerPort(), app);
        QCOMPARE(during.status, 503);
        QVERIFY2(during.body.toLower().contains("deploying"), during.body.constData());
        QVERIFY(EngineFixture::waitFinished(*deployment));
        QCOMPARE((*deployment)->status(), DeploymentStatus::HookError);
        QCOMPARE(routedGet(m_fixture->routerPort(), app).status, 503);
    }

    void cancelDuringWaitReadyAborts()
    {
        const QString app = QStringLiteral("cancelled");
        deployFirst(app);
        Result<Deployment *> slow = m_fixture->engine().changeConfig(
            app, {{QStringLiteral("BEHAVIOUR"), QStringLiteral("never-listen")}});
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(*slow, TimelineEvent::Kind::ContainerProbed), 30000);
        (*slow)->cancel();
        QVERIFY(EngineFixture::waitFinished(*slow));
        QCOMPARE((*slow)->status(), DeploymentStatus::Aborted);
        QVERIFY(body(app).startsWith(QStringLiteral("version=v1")));
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(marker(app)).size(), 1, 15000);
    }

    void deploymentsOfOneAppAreQueued()
    {
        const QString app = QStringLiteral("queued");
        QVERIFY(m_fixture->engine().createApp(app));
        const SourceSpec source = *SourceSpec::parse(m_fixture->fixtureSource());
        Deployment *first = *m_fixture->engine().deploySource(app, source);
        Deployment *second = *m_fixture->engine().deploySource(app, source);
        QCOMPARE(second->status(), DeploymentStatus::Queued);
        QTRY_VERIFY_WITH_TIMEOUT(first->status() != DeploymentStatus::Queued, 10000);
        QCOMPARE(second->status(), DeploymentStatus::Queued);
        QVERIFY(EngineFixture::waitFinished(first));
        QVERIFY(EngineFixture::waitFinished(second));
        QCOMPARE(first->status(), DeploymentStatus::Success);
        QCOMPARE(second->status(), DeploymentStatus::Success);
        QVERIFY(first->finishedAt() <= second->finishedAt());
        QCOMPARE(first->releaseVersion(), 1);
        QCOMPARE(second->releaseVersion(), 2);
        QVERIFY(body(app).startsWith(QStringLiteral("version=v2")));
    }

    void rollbackAndConfigChangesMakeNewReleases()
    {
        const QString app = QStringLiteral("history");
        deployFirst(app, {{QStringLiteral("MARK"), QStringLiteral("one")}});
        Result<Deployment *> changed = m_fixture->engine().changeConfig(
            app, {{QStringLiteral("MARK"), QStringLiteral("two")}});
        QVERIFY(EngineFixture::waitFinished(*changed));
        QCOMPARE((*changed)->status(), DeploymentStatus::Success);
        auto mark = [&] {
            return QJsonDocument::fromJson(
                       routedGet(m_fixture->routerPort(), app, QStringLiteral("/env")).body)
                .object()
                .value(QStringLiteral("MARK"))
                .toString();
        };
        QCOMPARE(mark(), QStringLiteral("two"));
        Result<Deployment *> rolledBack = m_fixture->engine().rollback(app, 1);
        QVERIFY(rolledBack);
        QVERIFY(EngineFixture::waitFinished(*rolledBack));
        QCOMPARE((*rolledBack)->status(), DeploymentStatus::Success);
        QCOMPARE((*rolledBack)->releaseVersion(), 3);
        QCOMPARE(mark(), QStringLiteral("one"));
        QVERIFY(body(app).startsWith(QStringLiteral("version=v3")));
        QCOMPARE(m_fixture->engine().releases(app).size(), 3);
        QVERIFY(!m_fixture->engine().rollback(app, 42));
    }

    void scaleChangesOnlyWhatItMust()
    {
        const QString app = QStringLiteral("scaled");
        deployFirst(app);
        AppInstance *instance = m_fixture->engine().app(app);
        const qint64 web1 = instance->containerStatuses().constFirst().pid;
        QVERIFY(m_fixture->engine().scale(
            app, {{QStringLiteral("web"), 3}, {QStringLiteral("worker"), 1}}));
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                int ready = 0;
                for (const ContainerStatus &status : instance->containerStatuses())
                    ready += status.ready ? 1 : 0;
                return ready == 3;
            }(),
            20000);
        QCOMPARE(instance->containerStatuses().size(), 4);
        QCOMPARE(instance->containerStatuses().constFirst().pid, web1); // web-1 untouched
        QSet<QString> answered;
        for (int i = 0; i < 12; ++i)
            answered.insert(body(app).section(QLatin1Char(' '), 1, 1));
        QCOMPARE(answered, (QSet<QString>{QStringLiteral("container=web-1"),
                                          QStringLiteral("container=web-2"),
                                          QStringLiteral("container=web-3")}));
        QVERIFY(m_fixture->engine().scale(
            app, {{QStringLiteral("web"), 1}, {QStringLiteral("worker"), 0}}));
        QCOMPARE(instance->containerStatuses().size(), 1);
        QCOMPARE(instance->containerStatuses().constFirst().pid, web1);
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(marker(app)).size(), 1, 15000);
        QVERIFY(!m_fixture->engine().scale(app, {{QStringLiteral("nope"), 1}}));
        QVERIFY(!m_fixture->engine().scale(app, {{QStringLiteral("web"), -1}}));
    }

    void restartIsAZeroDowntimeRollout()
    {
        const QString app = QStringLiteral("restarted");
        deployFirst(app);
        const qint64 before = m_fixture->engine().app(app)->containerStatuses().constFirst().pid;
        Result<Deployment *> restart = m_fixture->engine().restart(app);
        QVERIFY(EngineFixture::waitFinished(*restart));
        QCOMPARE((*restart)->status(), DeploymentStatus::Success);
        QVERIFY(hasEvent(*restart, TimelineEvent::Kind::TrafficRouted));
        QVERIFY(m_fixture->engine().app(app)->containerStatuses().constFirst().pid != before);
        QVERIFY(body(app).startsWith(QStringLiteral("version=v1")));
    }

    void oneOffCommandReturnsItsStatusAndIsIsolated()
    {
        const QString app = QStringLiteral("oneoff");
        deployFirst(app, {{QStringLiteral("MARK"), QStringLiteral("from-config")}});
        Result<Container *> run =
            m_fixture->engine().run(app,
                                    QStringLiteral("echo \"mark=$MARK version=$CONTAINER_VERSION "
                                                   "home=$HOME\"; ls /app/Procfile; exit 4"),
                                    this);
        QVERIFY(run);
        Container *container = *run;
        QStringList lines;
        connect(container, &Container::logLine, this,
                [&lines](const LogLine &line) { lines.append(line.text); });
        container->start();
        QTRY_VERIFY_WITH_TIMEOUT(container->state() == Container::State::Exited, 30000);
        QCOMPARE(container->exit().outcome.exitCode, 4);
        QVERIFY2(
            lines.join(QLatin1Char('\n')).contains(QStringLiteral("mark=from-config version=v1")),
            qPrintable(lines.join(QLatin1Char('\n'))));
        if (container->isIsolated()) {
            QVERIFY(lines.join(QLatin1Char('\n')).contains(QStringLiteral("home=/app")));
            // Host system read-only, own PID namespace, private /tmp.
            Result<Container *> probe = m_fixture->engine().run(
                app,
                QStringLiteral("touch /usr/slipway-should-fail && echo wrote; echo pids=$(ls /proc "
                               "| grep -c '^[0-9]'); "
                               "touch /tmp/x && echo tmp-ok; touch /app/x && echo app-ok"),
                this);
            QStringList probeLines;
            connect(*probe, &Container::logLine, this,
                    [&probeLines](const LogLine &line) { probeLines.append(line.text); });
            (*probe)->start();
            QTRY_VERIFY_WITH_TIMEOUT((*probe)->state() == Container::State::Exited, 30000);
            const QString text = probeLines.join(QLatin1Char('\n'));
            QVERIFY2(!text.contains(QStringLiteral("wrote")), qPrintable(text));
            QVERIFY2(text.contains(QStringLiteral("tmp-ok")) &&
                         text.contains(QStringLiteral("app-ok")),
                     qPrintable(text));
            const int pids =
                text.section(QStringLiteral("pids="), 1).section(QLatin1Char('\n'), 0, 0).toInt();
            QVERIFY2(pids > 0 && pids < 10, qPrintable(text));
            QVERIFY(!QFile::exists(QStringLiteral("/usr/slipway-should-fail")));
        }
    }

    void killedContainerLeavesNothingInProc()
    {
        const QString app = QStringLiteral("killed");
        deployFirst(app);
        // A tree that tries to escape: a background job, one in a new session, a daemon
        // that ignores SIGTERM and double-forks away from its parent.
        const QByteArray tree = QByteArrayLiteral("killed-tree-") +
                                QByteArray::number(QCoreApplication::applicationPid());
        Result<Container *> run = m_fixture->engine().run(
            app,
            QStringLiteral("bash -c 'sleep 1000; true' %1 & setsid bash -c 'sleep 1000; true' %1 & "
                           "(trap '' TERM; (bash -c 'sleep 1000; true' %1 &) ) & bash -c 'sleep "
                           "1000; true' %1")
                .arg(QString::fromUtf8(tree)),
            this);
        Container *container = *run;
        container->start();
        QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(tree).size() >= 4, 15000);
        const qint64 root = container->processId();
        QVERIFY(root > 0);
        container->kill();
        QTRY_VERIFY_WITH_TIMEOUT(container->state() == Container::State::Exited, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(tree).isEmpty(), 10000);
        QVERIFY(!ProcessTree::isAlive(pid_t(root)));
        // web-1 of the release was not touched.
        QCOMPARE(processesWithMarker(marker(app)).size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestRollout)
#include "tst_rollout.moc"
