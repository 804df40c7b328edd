// The four rollout steps with real containers of the behaviour fixture app behind the
// real router: every status, every failure path (the old version keeps answering), the
// hook, queueing, rollback, config changes, scaling, restarts and one-off commands.

#include "EngineFixture.h"
#include "TestSupport.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "rollout/ReadinessProbe.h"
#include "router/Router.h"
#include "runtime/Container.h"
#include "util/ProcessTree.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QtTest>

#include <poll.h>
#include <sys/socket.h>

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

QJsonObject dataOf(Deployment *deployment, TimelineEvent::Kind kind)
{
    const QList<TimelineEvent> found = EngineFixture::eventsOf(deployment, kind);
    return found.isEmpty() ? QJsonObject() : found.constFirst().data;
}

// Where the first event of a kind (with `step` for step-started ones) is in the timeline.
qsizetype positionOf(Deployment *deployment, TimelineEvent::Kind kind, const QString &step = {})
{
    const QList<TimelineEvent> &timeline = deployment->timeline();
    for (qsizetype i = 0; i < timeline.size(); ++i) {
        if (timeline.at(i).kind == kind &&
            (step.isEmpty() || timeline.at(i).data.value(QStringLiteral("step")) == step))
            return i;
    }
    return -1;
}

QStringList stepsOf(Deployment *deployment)
{
    QStringList steps;
    for (const TimelineEvent &event :
         EngineFixture::eventsOf(deployment, TimelineEvent::Kind::StepStarted))
        steps.append(event.data.value(QStringLiteral("step")).toString());
    return steps;
}

// Every "-----> " line of the log has a log-section event with its index, and no other does.
QString checkLogSections(Deployment *deployment)
{
    const QStringList &log = deployment->log();
    QList<int> expected;
    for (qsizetype i = 0; i < log.size(); ++i) {
        if (log.at(i).startsWith(QLatin1String("-----> ")))
            expected.append(int(i));
    }
    QList<int> seen;
    for (const TimelineEvent &event :
         EngineFixture::eventsOf(deployment, TimelineEvent::Kind::LogSection)) {
        const int line = event.data.value(QStringLiteral("line")).toInt(-1);
        const QString title = event.data.value(QStringLiteral("title")).toString();
        if (line < 0 || line >= log.size() || log.at(line) != QStringLiteral("-----> ") + title)
            return QStringLiteral("log-section %1 \"%2\" does not point at its line")
                .arg(line)
                .arg(title);
        seen.append(line);
    }
    if (seen != expected)
        return QStringLiteral("sections at lines %1, expected %2")
            .arg(QString::fromUtf8(
                QJsonDocument(QJsonArray::fromVariantList(QVariantList(seen.cbegin(), seen.cend())))
                    .toJson(QJsonDocument::Compact)))
            .arg(expected.size());
    return {};
}

// Sandbox socket channels (SOCK_SEQPACKET) of this process whose other end was closed.
int channelsToGoneSandboxes()
{
    int gone = 0;
    const QDir fds(QStringLiteral("/proc/self/fd"));
    for (const QString &name :
         fds.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System)) {
        const int fd = name.toInt();
        int type = 0;
        socklen_t length = sizeof type;
        if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_SEQPACKET)
            continue;
        pollfd state{fd, POLLIN, 0};
        if (::poll(&state, 1, 0) == 1 && (state.revents & POLLHUP))
            ++gone;
    }
    return gone;
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

    void timelineEventsCarryTheirData()
    {
        const QString app = QStringLiteral("facts");
        Deployment *first = m_fixture->deployFixture(app);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));

        // The build's facts.
        QVERIFY(dataOf(first, TimelineEvent::Kind::SourceFetched)
                    .value(QStringLiteral("bytes"))
                    .toDouble() > 1000);
        const QList<TimelineEvent> detected =
            EngineFixture::eventsOf(first, TimelineEvent::Kind::BuildpackDetected);
        QCOMPARE(detected.size(), 1);
        QCOMPARE(detected.constFirst().data.value(QStringLiteral("buildpack")).toString(),
                 QStringLiteral("procfile"));
        QVERIFY(!detected.constFirst().data.value(QStringLiteral("name")).toString().isEmpty());
        QCOMPARE(detected.constFirst().data.value(QStringLiteral("rule")).toString(),
                 QStringLiteral("auto-detection"));
        QVERIFY(dataOf(first, TimelineEvent::Kind::SlugBuilt)
                    .value(QStringLiteral("bytes"))
                    .toDouble() > 0);
        QCOMPARE(dataOf(first, TimelineEvent::Kind::ReleaseCreated)
                     .value(QStringLiteral("release"))
                     .toInt(),
                 1);
        // A first deploy: nothing served before, nothing to stop.
        QCOMPARE(first->previousRelease(), std::optional<int>());
        QCOMPARE(stepsOf(first), (QStringList{QStringLiteral("start"), QStringLiteral("wait-ready"),
                                              QStringLiteral("postdeploy"), QStringLiteral("route"),
                                              QStringLiteral("stop-old")}));
        QVERIFY(EngineFixture::eventsOf(first, TimelineEvent::Kind::StepStarted)
                    .constFirst()
                    .data.value(QStringLiteral("previous_release"))
                    .isNull());
        const QJsonObject firstStopOld =
            EngineFixture::eventsOf(first, TimelineEvent::Kind::StepStarted).constLast().data;
        QVERIFY(firstStopOld.value(QStringLiteral("release")).isNull());
        QCOMPARE(firstStopOld.value(QStringLiteral("containers")).toArray(), QJsonArray());
        QVERIFY(dataOf(first, TimelineEvent::Kind::TrafficRouted)
                    .value(QStringLiteral("from_release"))
                    .isNull());
        const QString firstSections = checkLogSections(first);
        QVERIFY2(firstSections.isEmpty(), qPrintable(firstSections));
        QVERIFY(EngineFixture::eventsOf(first, TimelineEvent::Kind::LogSection).size() >= 5);

        setSettings(app, [](AppSettings &s) {
            s.gracePeriod = std::chrono::seconds(7);
            s.bootTimeout = std::chrono::seconds(45);
            s.probeInterval = std::chrono::milliseconds(150);
            s.hookTimeout = std::chrono::seconds(90);
        });
        Result<Deployment *> next =
            m_fixture->engine().changeConfig(app, {{QStringLiteral("MARK"), QStringLiteral("2")}});
        QVERIFY(next && *next);
        Deployment *second = *next;
        QVERIFY(EngineFixture::waitFinished(second));
        QVERIFY2(second->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(second)));
        QCOMPARE(second->previousRelease(), std::optional<int>(1));
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(second, TimelineEvent::Kind::OldContainerStopped), 20000);

        // One step-started per step, in order, each before what happens in it.
        QCOMPARE(stepsOf(second),
                 (QStringList{QStringLiteral("start"), QStringLiteral("wait-ready"),
                              QStringLiteral("postdeploy"), QStringLiteral("route"),
                              QStringLiteral("stop-old")}));
        using Kind = TimelineEvent::Kind;
        QVERIFY(positionOf(second, Kind::StepStarted, QStringLiteral("start")) <
                positionOf(second, Kind::ContainerStarted));
        QVERIFY(positionOf(second, Kind::StepStarted, QStringLiteral("wait-ready")) <
                positionOf(second, Kind::ContainerReady));
        QVERIFY(positionOf(second, Kind::StepStarted, QStringLiteral("postdeploy")) <
                positionOf(second, Kind::HookStarted));
        QVERIFY(positionOf(second, Kind::StepStarted, QStringLiteral("route")) <
                positionOf(second, Kind::TrafficRouted));
        QCOMPARE(positionOf(second, Kind::StepStarted, QStringLiteral("stop-old")),
                 positionOf(second, Kind::TrafficRouted) + 1);
        QVERIFY(positionOf(second, Kind::StepStarted, QStringLiteral("stop-old")) <
                positionOf(second, Kind::OldContainerStopping));
        QVERIFY(positionOf(second, Kind::OldContainerStopping) <
                positionOf(second, Kind::OldContainerStopped));

        const QList<TimelineEvent> steps = EngineFixture::eventsOf(second, Kind::StepStarted);
        const QJsonObject start = steps.at(0).data;
        QCOMPARE(start.value(QStringLiteral("release")).toInt(), 2);
        QCOMPARE(start.value(QStringLiteral("previous_release")).toInt(), 1);
        const QJsonArray planned = start.value(QStringLiteral("containers")).toArray();
        QCOMPARE(planned.size(), 1);
        const QJsonObject web = planned.at(0).toObject();
        QCOMPARE(web.value(QStringLiteral("name")).toString(), QStringLiteral("web-1"));
        QCOMPARE(web.value(QStringLiteral("type")).toString(), QStringLiteral("web"));
        QCOMPARE(web.value(QStringLiteral("index")).toInt(), 1);
        QCOMPARE(web.value(QStringLiteral("probed")).toBool(), true);
        const int port = web.value(QStringLiteral("port")).toInt();
        QVERIFY(port > 0);

        const QJsonObject waiting = steps.at(1).data;
        QCOMPARE(waiting.value(QStringLiteral("boot_timeout_ms")).toInt(), 45000);
        QCOMPARE(waiting.value(QStringLiteral("probe_interval_ms")).toInt(), 150);
        QCOMPARE(waiting.value(QStringLiteral("containers")).toArray(),
                 QJsonArray{QStringLiteral("web-1")});

        const QJsonObject hook = steps.at(2).data;
        QCOMPARE(hook.value(QStringLiteral("skipped")).toBool(true), false);
        QVERIFY(hook.value(QStringLiteral("command"))
                    .toString()
                    .contains(QStringLiteral("behave.py postdeploy")));
        QCOMPARE(hook.value(QStringLiteral("time_limit_ms")).toInt(), 90000);

        const QJsonObject route = steps.at(3).data;
        QCOMPARE(route.value(QStringLiteral("from_release")).toInt(), 1);
        QCOMPARE(route.value(QStringLiteral("to_release")).toInt(), 2);

        const QJsonObject stopOld = steps.at(4).data;
        QCOMPARE(stopOld.value(QStringLiteral("release")).toInt(), 1);
        QCOMPARE(stopOld.value(QStringLiteral("grace_period_ms")).toInt(), 7000);
        QCOMPARE(stopOld.value(QStringLiteral("containers")).toArray(),
                 QJsonArray{QStringLiteral("web-1")});

        const QJsonObject started = dataOf(second, Kind::ContainerStarted);
        QCOMPARE(started.value(QStringLiteral("type")).toString(), QStringLiteral("web"));
        QCOMPARE(started.value(QStringLiteral("index")).toInt(), 1);
        QCOMPARE(started.value(QStringLiteral("port")).toInt(), port);
        QVERIFY(started.value(QStringLiteral("pid")).toDouble() > 0);
        QCOMPARE(started.value(QStringLiteral("release")).toInt(), 2);
        QVERIFY(started.value(QStringLiteral("isolated")).isBool());

        const QJsonObject ready = dataOf(second, Kind::ContainerReady);
        QVERIFY(ready.value(QStringLiteral("probes")).toInt() >= 1);
        QVERIFY(ready.value(QStringLiteral("elapsed_ms")).toDouble() >= 0);
        QCOMPARE(ready.value(QStringLiteral("port")).toInt(), port);
        // The container's status (slipctl ps, GET containers) keeps the same count.
        const QList<ContainerStatus> statuses = m_fixture->engine().app(app)->containerStatuses();
        QCOMPARE(statuses.size(), 1);
        QCOMPARE(statuses.constFirst().probes, ready.value(QStringLiteral("probes")).toInt());
        for (const TimelineEvent &probe : EngineFixture::eventsOf(second, Kind::ContainerProbed)) {
            QVERIFY(probe.data.value(QStringLiteral("probes")).toInt() >= 1);
            QCOMPARE(probe.data.value(QStringLiteral("port")).toInt(), port);
        }

        const QJsonObject hookStarted = dataOf(second, Kind::HookStarted);
        QCOMPARE(hookStarted.value(QStringLiteral("command")),
                 hook.value(QStringLiteral("command")));
        QCOMPARE(hookStarted.value(QStringLiteral("time_limit_ms")).toInt(), 90000);
        const QJsonObject hookFinished = dataOf(second, Kind::HookFinished);
        QCOMPARE(hookFinished.value(QStringLiteral("exit_status")).toInt(-1), 0);
        QVERIFY(hookFinished.value(QStringLiteral("signal")).isNull());
        QCOMPARE(hookFinished.value(QStringLiteral("timed_out")).toBool(true), false);

        const QJsonObject routed = dataOf(second, Kind::TrafficRouted);
        QCOMPARE(routed.value(QStringLiteral("from_release")).toInt(), 1);
        QCOMPARE(routed.value(QStringLiteral("to_release")).toInt(), 2);
        QCOMPARE(routed.value(QStringLiteral("containers")).toArray(),
                 QJsonArray{QStringLiteral("web-1")});

        const QJsonObject stopping = dataOf(second, Kind::OldContainerStopping);
        QCOMPARE(stopping.value(QStringLiteral("release")).toInt(), 1);
        QCOMPARE(stopping.value(QStringLiteral("signal")).toString(), QStringLiteral("SIGTERM"));
        QCOMPARE(stopping.value(QStringLiteral("grace_period_ms")).toInt(), 7000);
        QCOMPARE(EngineFixture::eventsOf(second, Kind::OldContainerStopping).constFirst().container,
                 QStringLiteral("web-1"));
        // The fixture stops gracefully on SIGTERM, well within the grace period.
        const QJsonObject stopped = dataOf(second, Kind::OldContainerStopped);
        QCOMPARE(stopped.value(QStringLiteral("release")).toInt(), 1);
        QCOMPARE(stopped.value(QStringLiteral("exit_status")).toInt(-1), 0);
        QVERIFY(stopped.value(QStringLiteral("signal")).isNull());
        QCOMPARE(stopped.value(QStringLiteral("killed")).toBool(true), false);
        QVERIFY(stopped.value(QStringLiteral("stop_ms")).toDouble() >= 0);
        QVERIFY(stopped.value(QStringLiteral("stop_ms")).toDouble() < 7000);
        QCOMPARE(dataOf(second, Kind::ReleaseCreated).value(QStringLiteral("release")).toInt(), 2);

        // Every event but notes says something in data; the sentences stay.
        for (const TimelineEvent &event : second->timeline()) {
            QVERIFY2(!event.text.isEmpty(), qPrintable(TimelineEvent::kindName(event.kind)));
            if (event.kind != Kind::Note)
                QVERIFY2(!event.data.isEmpty(), qPrintable(TimelineEvent::kindName(event.kind)));
        }
        QVERIFY(hasEvent(second, Kind::ContainerReady, QStringLiteral("web-1 ready after")));
        const QString sections = checkLogSections(second);
        QVERIFY2(sections.isEmpty(), qPrintable(sections));
    }

    void restartSkipsTheHookInItsStep()
    {
        const QString app = QStringLiteral("again");
        deployFirst(app);
        Result<Deployment *> restart = m_fixture->engine().restart(app);
        QVERIFY(restart && *restart);
        QVERIFY(EngineFixture::waitFinished(*restart));
        QCOMPARE((*restart)->status(), DeploymentStatus::Success);
        QCOMPARE((*restart)->previousRelease(), std::optional<int>(1));
        const QList<TimelineEvent> steps =
            EngineFixture::eventsOf(*restart, TimelineEvent::Kind::StepStarted);
        QCOMPARE(stepsOf(*restart).size(), 5);
        QCOMPARE(steps.at(2).data.value(QStringLiteral("skipped")).toBool(), true);
        QVERIFY(steps.at(2)
                    .data.value(QStringLiteral("command"))
                    .toString()
                    .contains(QStringLiteral("postdeploy")));
        QVERIFY(!hasEvent(*restart, TimelineEvent::Kind::HookStarted));
        QCOMPARE(steps.at(3).data.value(QStringLiteral("from_release")).toInt(), 1);
        QCOMPARE(steps.at(3).data.value(QStringLiteral("to_release")).toInt(), 1);
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
        // The failure says where it happened; the steps after it were never reached.
        const QJsonObject failed = dataOf(*deaf, TimelineEvent::Kind::Failed);
        QCOMPARE(failed.value(QStringLiteral("status")).toString(),
                 QStringLiteral("timeout-error"));
        QCOMPARE(failed.value(QStringLiteral("step")).toString(), QStringLiteral("wait-ready"));
        QCOMPARE(stepsOf(*deaf),
                 (QStringList{QStringLiteral("start"), QStringLiteral("wait-ready")}));
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(*deaf, TimelineEvent::Kind::NewContainerStopped), 15000);
        const QJsonObject stopping = dataOf(*deaf, TimelineEvent::Kind::NewContainerStopping);
        QCOMPARE(stopping.value(QStringLiteral("release")).toInt(), 2);
        QCOMPARE(stopping.value(QStringLiteral("signal")).toString(), QStringLiteral("SIGTERM"));
        QVERIFY(stopping.value(QStringLiteral("grace_period_ms")).toDouble() > 0);
        const QJsonObject stopped = dataOf(*deaf, TimelineEvent::Kind::NewContainerStopped);
        QCOMPARE(stopped.value(QStringLiteral("release")).toInt(), 2);
        QCOMPARE(stopped.value(QStringLiteral("killed")).toBool(true), false);
        QVERIFY(stopped.contains(QStringLiteral("exit_status")));
        QVERIFY(stopped.contains(QStringLiteral("signal")));
        QVERIFY(stopped.value(QStringLiteral("stop_ms")).toDouble() >= 0);
        QVERIFY(!hasEvent(*deaf, TimelineEvent::Kind::OldContainerStopping));
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
        const QJsonObject crashed = dataOf(*crash, TimelineEvent::Kind::ContainerCrashed);
        QCOMPARE(crashed.value(QStringLiteral("exit_status")).toInt(-1), 1);
        QVERIFY(crashed.value(QStringLiteral("signal")).isNull());
        QCOMPARE(crashed.value(QStringLiteral("how")).toString(),
                 QStringLiteral("exited with status 1"));
        const QJsonObject failed = dataOf(*crash, TimelineEvent::Kind::Failed);
        QCOMPARE(failed.value(QStringLiteral("status")).toString(),
                 QStringLiteral("crashed-error"));
        QVERIFY(failed.value(QStringLiteral("step")).toString() == QLatin1String("start") ||
                failed.value(QStringLiteral("step")).toString() == QLatin1String("wait-ready"));
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

    // A container restarted after a crash gets a probe of its own; when a rollout then
    // retires it, the probe goes too, and with it the container's socket channel. A
    // daemon that kept them ran out of descriptors after days of crashes and deploys.
    void retiredContainersLeaveNoProbeOrChannel()
    {
        const QString app = QStringLiteral("leaky");
        deployFirst(app, {{QStringLiteral("BEHAVIOUR"), QStringLiteral("crash-later")},
                          {QStringLiteral("CRASH_AFTER"), QStringLiteral("0.5")}});
        AppInstance *instance = m_fixture->engine().app(app);
        QTRY_VERIFY_WITH_TIMEOUT(instance->containerStatuses().constFirst().restarts >= 2, 30000);
        for (int round = 0; round < 3; ++round) {
            Result<Deployment *> next = m_fixture->engine().changeConfig(
                app, {{QStringLiteral("BEHAVIOUR"),
                       round % 2 ? QStringLiteral("crash-later") : QStringLiteral("ready")}});
            QVERIFY(next);
            QVERIFY(EngineFixture::waitFinished(*next));
            QCOMPARE((*next)->status(), DeploymentStatus::Success);
            if (round % 2)
                QTRY_VERIFY_WITH_TIMEOUT(instance->containerStatuses().constFirst().restarts >= 1,
                                         30000);
        }
        QTRY_VERIFY_WITH_TIMEOUT(body(app).startsWith(QStringLiteral("version=v4")), 20000);
        // Probes are left only for serving containers that were restarted (v4 never was).
        qsizetype restarted = 0;
        for (const ContainerStatus &status : instance->containerStatuses())
            restarted += status.restarts > 0 ? 1 : 0;
        const qsizetype probes = instance->findChildren<ReadinessProbe *>().size();
        QVERIFY2(probes <= restarted,
                 qPrintable(QStringLiteral("%1 probes, %2 restarted").arg(probes).arg(restarted)));
        // No channel to a sandbox that is gone stays open in this process.
        QTRY_COMPARE_WITH_TIMEOUT(channelsToGoneSandboxes(), 0, 15000);
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
        // Killed at the end of its grace period, and the data says so.
        const QJsonObject stopped = dataOf(*next, TimelineEvent::Kind::OldContainerStopped);
        QCOMPARE(stopped.value(QStringLiteral("killed")).toBool(), true);
        QCOMPARE(stopped.value(QStringLiteral("signal")).toString(), QStringLiteral("SIGKILL"));
        QVERIFY(stopped.value(QStringLiteral("exit_status")).isNull());
        // The whole grace period went by first (the clock rounds to the millisecond).
        QVERIFY2(stopped.value(QStringLiteral("stop_ms")).toDouble() >= 995,
                 qPrintable(QString::number(stopped.value(QStringLiteral("stop_ms")).toDouble())));
        QCOMPARE(dataOf(*next, TimelineEvent::Kind::OldContainerStopping)
                     .value(QStringLiteral("grace_period_ms"))
                     .toInt(),
                 1000);
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
        const QJsonObject failed = dataOf(*next, TimelineEvent::Kind::Failed);
        QCOMPARE(failed.value(QStringLiteral("status")).toString(), QStringLiteral("hook-error"));
        QCOMPARE(failed.value(QStringLiteral("step")).toString(), QStringLiteral("postdeploy"));
        const QJsonObject finished = dataOf(*next, TimelineEvent::Kind::HookFinished);
        QCOMPARE(finished.value(QStringLiteral("timed_out")).toBool(),
                 mode == QLatin1String("hang"));
        if (mode == QLatin1String("fail")) {
            QCOMPARE(finished.value(QStringLiteral("exit_status")).toInt(), 3);
            QVERIFY(finished.value(QStringLiteral("signal")).isNull());
        } else {
            QVERIFY(finished.value(QStringLiteral("exit_status")).isNull());
            QCOMPARE(finished.value(QStringLiteral("signal")).toString(),
                     QStringLiteral("SIGKILL"));
        }
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
        Deployment *third = *m_fixture->engine().deploySource(app, source);
        QCOMPARE(second->status(), DeploymentStatus::Queued);
        QTRY_VERIFY_WITH_TIMEOUT(first->status() != DeploymentStatus::Queued, 10000);
        QCOMPARE(second->status(), DeploymentStatus::Queued);
        // Each waits for the one just ahead of it.
        QCOMPARE(first->waitingFor(), QString());
        QCOMPARE(second->waitingFor(), first->id());
        QCOMPARE(third->waitingFor(), second->id());
        QCOMPARE(second->previousRelease(), std::optional<int>());
        third->cancel();
        QCOMPARE(third->status(), DeploymentStatus::Aborted);
        QCOMPARE(third->waitingFor(), QString());
        QCOMPARE(dataOf(third, TimelineEvent::Kind::Failed).value(QStringLiteral("step")),
                 QJsonValue(QStringLiteral("build")));
        QVERIFY(EngineFixture::waitFinished(first));
        QVERIFY(EngineFixture::waitFinished(second));
        QCOMPARE(second->waitingFor(), QString());
        QCOMPARE(first->previousRelease(), std::optional<int>());
        QCOMPARE(second->previousRelease(), std::optional<int>(1));
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
