#include "rollout/Rollout.h"

#include "release/ProcessTypes.h"
#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/ReadinessProbe.h"
#include "rollout/RuntimeContext.h"
#include "router/Router.h"
#include "runtime/Container.h"
#include "runtime/Runtime.h"

#include <QJsonArray>

namespace Slipway {

namespace {

constexpr int CrashLogLines = 20;

QString seconds(std::chrono::milliseconds duration)
{
    if (duration.count() % 60000 == 0 && duration.count() >= 60000)
        return QStringLiteral("%1 min").arg(duration.count() / 60000);
    if (duration.count() % 1000 == 0)
        return QStringLiteral("%1 s").arg(duration.count() / 1000);
    return QStringLiteral("%1 ms").arg(duration.count());
}

// Ports and release versions of 0 mean "none": null in the timeline's data.
QJsonValue orNull(qint64 number)
{
    return number > 0 ? QJsonValue(double(number)) : QJsonValue();
}

QJsonValue orNull(const QString &text)
{
    return text.isEmpty() ? QJsonValue() : QJsonValue(text);
}

} // namespace

Rollout::Rollout(AppInstance *app, Deployment *deployment, LiveRelease next, Options options,
                 QObject *parent)
    : QObject(parent)
    , m_app(app)
    , m_deployment(deployment)
    , m_next(std::move(next))
    , m_options(options)
{
    m_bootTimer.setSingleShot(true);
    m_hookTimer.setSingleShot(true);
}

Rollout::~Rollout() = default;

const QList<QPair<const char *, Rollout::StepFunction>> &Rollout::recipe()
{
    static const QList<QPair<const char *, StepFunction>> steps = {
        {"start", &Rollout::startContainers},
        {"wait-ready", &Rollout::waitReady},
        {"postdeploy", &Rollout::runHook},
        {"route", &Rollout::switchTraffic},
    };
    return steps;
}

void Rollout::start()
{
    if (m_deployment)
        connect(m_deployment, &Deployment::cancelRequested, this, &Rollout::cancel);
    runStep(0);
}

int Rollout::probesOf(const Container *container) const
{
    for (const ReadinessProbe *probe : m_probes) {
        if (container->spec().port != 0 && probe->port() == container->spec().port)
            return probe->probes();
    }
    return 0;
}

void Rollout::cancel()
{
    fail(DeploymentStatus::Aborted, QStringLiteral("the deployment was cancelled; the running "
                                                   "version keeps serving"));
}

void Rollout::log(const QString &line)
{
    if (m_deployment)
        m_deployment->appendLog(line);
}

void Rollout::runStep(int index)
{
    if (m_finished)
        return;
    if (index >= recipe().size())
        return;
    m_step = index;
    (this->*recipe().at(index).second)();
}

void Rollout::stepDone()
{
    runStep(m_step + 1);
}

// ---- 1. start ------------------------------------------------------------------------

void Rollout::startContainers()
{
    const Result<Runtime *> runtime = m_app->chosenRuntime();
    if (!runtime) {
        fail(DeploymentStatus::CrashedError,
             QStringLiteral("no container could start: %1").arg(runtime.error().message));
        return;
    }
    m_runtime = *runtime;
    // What the runtime must have before a container starts (a stack image in an engine)
    // is made ready first, its progress in the deployment log.
    ContainerSpec model;
    model.app = m_app->name();
    model.releaseVersion = m_next.version();
    model.stack = m_app->context()->stack;
    const QPointer<Rollout> guard = this;
    m_runtime->prepare(
        model,
        [guard](const QString &line) {
            if (guard)
                guard->log(QStringLiteral("       ") + line);
        },
        [guard](const Result<void> &prepared) {
            if (!guard || guard->m_finished)
                return;
            if (!prepared) {
                guard->fail(DeploymentStatus::CrashedError,
                            QStringLiteral("the %1 runtime is not ready: %2")
                                .arg(guard->m_runtime ? guard->m_runtime->name() : QString(),
                                     prepared.error().message));
                return;
            }
            guard->startPrepared();
        });
}

void Rollout::startPrepared()
{
    log(QStringLiteral("-----> Starting release v%1 (%2 runtime)")
            .arg(m_next.version())
            .arg(m_runtime->name()));
    const AppSettings &settings = m_app->settings();
    const ProcessTypes &types = m_next.release.processTypes();
    for (auto it = types.cbegin(); it != types.cend(); ++it) {
        if (isHookType(it.key()))
            continue;
        const int count = settings.scaleOf(it.key());
        for (int index = 1; index <= count; ++index) {
            Container *container = m_app->createContainer(m_runtime, m_next, it.key(), index, this);
            m_containers.append(container);
            connect(container, &Container::exited, this,
                    [this, container] { onContainerExited(container, container->exit()); });
            // Brought back by its engine (Swarm) before the switch: it crashed all the same.
            connect(container, &Container::restarted, this,
                    [this, container](const ContainerExit &previous) {
                        onContainerExited(container, previous);
                    });
            connect(container, &Container::logLine, this, [this](const LogLine &line) {
                log(QStringLiteral("       %1: %2").arg(line.container, line.text));
            });
            connect(container, &Container::started, this, [this, container] {
                const ContainerSpec &spec = container->spec();
                QString where =
                    spec.port ? QStringLiteral(" on port %1").arg(spec.port) : QString();
                if (!container->placement().isEmpty())
                    where += QStringLiteral(" on node %1").arg(container->placement());
                m_deployment->addEvent(TimelineEvent::Kind::ContainerStarted,
                                       QStringLiteral("%1 started%2 (pid %3%4)")
                                           .arg(container->name(), where)
                                           .arg(container->processId())
                                           .arg(container->isIsolated()
                                                    ? QString()
                                                    : QStringLiteral(", not isolated")),
                                       container->name(),
                                       {{QStringLiteral("type"), spec.processType},
                                        {QStringLiteral("index"), spec.index},
                                        {QStringLiteral("port"), orNull(spec.port)},
                                        {QStringLiteral("pid"), double(container->processId())},
                                        {QStringLiteral("release"), spec.releaseVersion},
                                        {QStringLiteral("isolated"), container->isIsolated()},
                                        {QStringLiteral("runtime"), container->runtimeName()},
                                        {QStringLiteral("host"), container->host()},
                                        {QStringLiteral("node"), orNull(container->placement())}});
            });
        }
    }
    if (m_containers.isEmpty())
        log(QStringLiteral(
            "       No container to start: the formation runs none of this release's types"));
    QJsonArray planned;
    for (Container *container : std::as_const(m_containers)) {
        const ContainerSpec &spec = container->spec();
        planned.append(QJsonObject{{QStringLiteral("name"), container->name()},
                                   {QStringLiteral("type"), spec.processType},
                                   {QStringLiteral("index"), spec.index},
                                   {QStringLiteral("port"), orNull(spec.port)},
                                   {QStringLiteral("probed"), isProbedType(spec.processType)}});
    }
    const int previous = m_app->current().isNull() ? 0 : m_app->current().version();
    m_deployment->addEvent(TimelineEvent::Kind::StepStarted,
                           QStringLiteral("step 1 of 4: start %1 container%2 of release v%3 "
                                          "(%4 runtime)")
                               .arg(m_containers.size())
                               .arg(m_containers.size() == 1 ? QString() : QStringLiteral("s"))
                               .arg(m_next.version())
                               .arg(m_runtime->name()),
                           {},
                           {{QStringLiteral("step"), QStringLiteral("start")},
                            {QStringLiteral("release"), m_next.version()},
                            {QStringLiteral("previous_release"), orNull(previous)},
                            {QStringLiteral("runtime"), m_runtime->name()},
                            {QStringLiteral("containers"), planned}});
    for (Container *container : std::as_const(m_containers))
        container->start();
    stepDone();
}

// ---- 2. wait ready -------------------------------------------------------------------

void Rollout::waitReady()
{
    const AppSettings &settings = m_app->settings();
    QStringList probed;
    for (Container *container : std::as_const(m_containers)) {
        if (isProbedType(container->spec().processType))
            probed.append(container->name());
    }
    m_deployment->addEvent(
        TimelineEvent::Kind::StepStarted,
        probed.isEmpty()
            ? QStringLiteral("step 2 of 4: no web or tcp container to wait for")
            : QStringLiteral("step 2 of 4: wait until %1 accept%2 connections (boot timeout %3)")
                  .arg(probed.join(QStringLiteral(", ")),
                       probed.size() == 1 ? QStringLiteral("s") : QString(),
                       seconds(settings.bootTimeout)),
        {},
        {{QStringLiteral("step"), QStringLiteral("wait-ready")},
         {QStringLiteral("boot_timeout_ms"), double(settings.bootTimeout.count())},
         {QStringLiteral("probe_interval_ms"), double(settings.probeInterval.count())},
         {QStringLiteral("containers"), QJsonArray::fromStringList(probed)}});
    for (Container *container : std::as_const(m_containers)) {
        if (!isProbedType(container->spec().processType))
            continue;
        auto *probe = new ReadinessProbe(container->host(), container->spec().port,
                                         settings.probeInterval, container->sockets(), this);
        m_probes.append(probe);
        ++m_waitingFor;
        connect(probe, &ReadinessProbe::probed, this, [this, container](int probes) {
            if (m_deployment)
                m_deployment->addEvent(TimelineEvent::Kind::ContainerProbed,
                                       QStringLiteral("%1 probe %2 on port %3")
                                           .arg(container->name())
                                           .arg(probes)
                                           .arg(container->spec().port),
                                       container->name(),
                                       {{QStringLiteral("probes"), probes},
                                        {QStringLiteral("port"), container->spec().port}});
        });
        connect(probe, &ReadinessProbe::ready, this, [this, container](int probes, qint64 elapsed) {
            m_deployment->addEvent(TimelineEvent::Kind::ContainerReady,
                                   QStringLiteral("%1 ready after %2 probe%3 (%4 ms) on port %5")
                                       .arg(container->name())
                                       .arg(probes)
                                       .arg(probes == 1 ? QString() : QStringLiteral("s"))
                                       .arg(elapsed)
                                       .arg(container->spec().port),
                                   container->name(),
                                   {{QStringLiteral("probes"), probes},
                                    {QStringLiteral("elapsed_ms"), double(elapsed)},
                                    {QStringLiteral("port"), container->spec().port}});
            if (--m_waitingFor == 0 && !m_finished) {
                m_bootTimer.stop();
                stepDone();
            }
        });
        // Probing starts once the process exists.
        if (container->state() == Container::State::Running)
            probe->start();
        else
            connect(container, &Container::started, probe, &ReadinessProbe::start);
    }
    if (m_waitingFor == 0) {
        stepDone();
        return;
    }
    log(QStringLiteral("-----> Waiting for %1 container%2 to accept connections (boot timeout %3)")
            .arg(m_waitingFor)
            .arg(m_waitingFor == 1 ? QString() : QStringLiteral("s"))
            .arg(seconds(settings.bootTimeout)));
    connect(&m_bootTimer, &QTimer::timeout, this, [this] {
        QStringList late;
        for (ReadinessProbe *probe : std::as_const(m_probes)) {
            if (!probe->isReady())
                late.append(QStringLiteral("port %1 after %2 probes")
                                .arg(probe->port())
                                .arg(probe->probes()));
        }
        QStringList names;
        for (Container *container : std::as_const(m_containers)) {
            for (ReadinessProbe *probe : std::as_const(m_probes)) {
                if (!probe->isReady() && probe->port() == container->spec().port)
                    names.append(container->name());
            }
        }
        fail(DeploymentStatus::TimeoutError,
             QStringLiteral("%1 did not accept connections on its PORT within the boot timeout of "
                            "%2 (%3); make the app listen on $PORT, or raise the boot timeout")
                 .arg(names.join(QStringLiteral(", ")), seconds(m_app->settings().bootTimeout),
                      late.join(QStringLiteral(", "))));
    });
    m_bootTimer.start(settings.bootTimeout);
}

void Rollout::onContainerExited(Container *container, const ContainerExit &exit)
{
    if (m_finished)
        return;
    if (exit.requested)
        return;
    const std::optional<int> status = exit.exitStatus();
    m_deployment->addEvent(
        TimelineEvent::Kind::ContainerCrashed,
        QStringLiteral("%1 %2 before the traffic switch").arg(container->name(), exit.describe()),
        container->name(),
        {{QStringLiteral("exit_status"), status ? QJsonValue(*status) : QJsonValue()},
         {QStringLiteral("signal"), orNull(exit.signalName())},
         {QStringLiteral("how"), exit.describe()}});
    const QList<LogLine> lines = container->recentLines(CrashLogLines);
    log(QStringLiteral("-----> Last lines of %1:").arg(container->name()));
    for (const LogLine &line : lines)
        log(QStringLiteral("       %1: %2").arg(line.container, line.text));
    fail(DeploymentStatus::CrashedError,
         QStringLiteral("%1 %2 while booting; its last lines are in the deployment log")
             .arg(container->name(), exit.describe()));
}

// ---- 3. postdeploy -------------------------------------------------------------------

void Rollout::runHook()
{
    const QString command = m_next.release.processTypes().value(QStringLiteral("postdeploy"));
    const bool skipped = command.isEmpty() || !m_options.runHook;
    const std::chrono::milliseconds limit = m_app->settings().hookTimeout;
    QString text =
        QStringLiteral("step 3 of 4: run the postdeploy hook (time limit %1)").arg(seconds(limit));
    if (command.isEmpty())
        text =
            QStringLiteral("step 3 of 4: no postdeploy hook in release v%1").arg(m_next.version());
    else if (!m_options.runHook)
        text = QStringLiteral("step 3 of 4: the postdeploy hook already ran for release v%1")
                   .arg(m_next.version());
    m_deployment->addEvent(TimelineEvent::Kind::StepStarted, text, {},
                           {{QStringLiteral("step"), QStringLiteral("postdeploy")},
                            {QStringLiteral("skipped"), skipped},
                            {QStringLiteral("command"), orNull(command)},
                            {QStringLiteral("time_limit_ms"), double(limit.count())}});
    if (skipped) {
        stepDone();
        return;
    }
    if (m_options.firstDeploy && m_app->context()->router)
        m_app->context()->router->setDeploying(m_app->routerName(), true);
    log(QStringLiteral("-----> Running the postdeploy hook: %1").arg(command));
    m_deployment->addEvent(TimelineEvent::Kind::HookStarted,
                           QStringLiteral("postdeploy started: %1").arg(command),
                           QStringLiteral("postdeploy-1"),
                           {{QStringLiteral("command"), command},
                            {QStringLiteral("time_limit_ms"), double(limit.count())}});
    Container *hook =
        m_app->createContainer(m_runtime, m_next, QStringLiteral("postdeploy"), 1, this);
    m_hook = hook;
    connect(hook, &Container::logLine, this, [this](const LogLine &line) {
        log(QStringLiteral("       %1: %2").arg(line.container, line.text));
    });
    connect(hook, &Container::exited, this, [this, hook](const ContainerExit &exit) {
        m_hookTimer.stop();
        m_hook = nullptr;
        hook->deleteLater();
        if (m_finished)
            return;
        const std::optional<int> status = exit.exitStatus();
        const QJsonObject ended{
            {QStringLiteral("exit_status"), status ? QJsonValue(*status) : QJsonValue()},
            {QStringLiteral("signal"), orNull(exit.signalName())},
            {QStringLiteral("timed_out"), m_hookTimedOut}};
        if (m_hookTimedOut) {
            m_deployment->addEvent(TimelineEvent::Kind::HookFinished,
                                   QStringLiteral("postdeploy stopped at its time limit"),
                                   hook->name(), ended);
            fail(DeploymentStatus::HookError,
                 QStringLiteral("the postdeploy hook ran past its time limit of %1 and was stopped")
                     .arg(seconds(m_app->settings().hookTimeout)));
            return;
        }
        m_deployment->addEvent(TimelineEvent::Kind::HookFinished,
                               QStringLiteral("postdeploy %1").arg(exit.describe()), hook->name(),
                               ended);
        if (!(exit.outcome.kind == ProcessOutcome::Kind::Exited && exit.outcome.exitCode == 0)) {
            fail(DeploymentStatus::HookError,
                 QStringLiteral("the postdeploy hook %1; the release was not put in service")
                     .arg(exit.describe()));
            return;
        }
        stepDone();
    });
    connect(&m_hookTimer, &QTimer::timeout, this, [this] {
        m_hookTimedOut = true;
        if (m_hook)
            m_hook->kill();
    });
    m_hookTimer.start(m_app->settings().hookTimeout);
    hook->start();
}

// ---- 4. route ------------------------------------------------------------------------

void Rollout::switchTraffic()
{
    const int from = m_app->current().isNull() ? 0 : m_app->current().version();
    m_deployment->addEvent(
        TimelineEvent::Kind::StepStarted,
        from ? QStringLiteral("step 4 of 4: route traffic from v%1 to v%2")
                   .arg(from)
                   .arg(m_next.version())
             : QStringLiteral("step 4 of 4: route traffic to v%1").arg(m_next.version()),
        {},
        {{QStringLiteral("step"), QStringLiteral("route")},
         {QStringLiteral("from_release"), orNull(from)},
         {QStringLiteral("to_release"), m_next.version()}});
    m_finished = true;
    m_bootTimer.stop();
    Q_EMIT succeeded(m_containers);
}

void Rollout::fail(DeploymentStatus status, const QString &reason)
{
    if (m_finished)
        return;
    m_finished = true;
    m_bootTimer.stop();
    m_hookTimer.stop();
    for (ReadinessProbe *probe : std::as_const(m_probes))
        probe->stop();
    if (m_options.firstDeploy && m_app->context()->router)
        m_app->context()->router->setDeploying(m_app->routerName(), false);
    if (m_hook)
        m_app->retire(m_hook, m_deployment, TimelineEvent::Kind::NewContainerStopped);
    // The new containers go; the old ones were never touched.
    for (Container *container : std::as_const(m_containers))
        m_app->retire(container, m_deployment, TimelineEvent::Kind::NewContainerStopped);
    m_containers.clear();
    Q_EMIT failed(status, reason);
}

} // namespace Slipway
