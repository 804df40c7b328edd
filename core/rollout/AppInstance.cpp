#include "rollout/AppInstance.h"

#include "release/ConfigVars.h"
#include "release/ProcessTypes.h"
#include "rollout/Deployment.h"
#include "rollout/ReadinessProbe.h"
#include "rollout/Rollout.h"
#include "rollout/RuntimeContext.h"
#include "router/BackendDrain.h"
#include "router/Router.h"
#include "runtime/Container.h"
#include "runtime/Runtime.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSet>
#include <QUuid>

namespace Slipway {

namespace {

constexpr std::chrono::milliseconds FirstBackoff{1000};
constexpr std::chrono::milliseconds LongestBackoff{std::chrono::minutes(1)};
// A container that ran this long before crashing starts its back-off from the beginning.
constexpr qint64 StableMilliseconds = 60000;

QString durationText(std::chrono::milliseconds duration)
{
    if (duration.count() % 1000 == 0)
        return QStringLiteral("%1 s").arg(duration.count() / 1000);
    return QStringLiteral("%1 ms").arg(duration.count());
}

// "old web-1 (v3)", as the timeline names a container being stopped.
QString whichContainer(const Container *container, bool old)
{
    return (old ? QStringLiteral("old %1 (v%2)") : QStringLiteral("new %1 (v%2)"))
        .arg(container->name())
        .arg(container->spec().releaseVersion);
}

} // namespace

AppInstance::AppInstance(QString name, AppSettings settings, RuntimeContext *context,
                         QObject *parent)
    : QObject(parent)
    , m_name(std::move(name))
    , m_settings(std::move(settings))
    , m_context(context)
{}

AppInstance::Slot::~Slot()
{
    delete probe;
    delete backoff;
}

AppInstance::~AppInstance()
{
    for (Slot *slot : std::as_const(m_slots)) {
        if (slot->container)
            slot->container->kill();
        delete slot;
    }
}

void AppInstance::setSettings(const AppSettings &settings)
{
    const QString before = routerName();
    m_settings = settings;
    Router *router = m_context->router;
    if (router && before != routerName()) {
        // Served under its new name at once, and no longer under the old one.
        router->removeApp(before);
        router->closeTcpPort(before);
        updateRouter();
    }
}

QString AppInstance::routerName() const
{
    return m_settings.routerName.isEmpty() ? m_name : m_settings.routerName;
}

QList<Container *> AppInstance::containers() const
{
    QList<Container *> result;
    for (Slot *slot : m_slots) {
        if (slot->container)
            result.append(slot->container);
    }
    return result;
}

QList<ContainerStatus> AppInstance::containerStatuses() const
{
    QList<ContainerStatus> result;
    for (Slot *slot : m_slots) {
        ContainerStatus status;
        status.type = slot->type;
        status.name = slot->type + QLatin1Char('-') + QString::number(slot->index);
        status.restarts = slot->restarts;
        status.ready = slot->ready;
        if (slot->container) {
            const Container *container = slot->container;
            status.releaseVersion = container->spec().releaseVersion;
            status.port = container->spec().port;
            status.pid = container->processId();
            status.isolated = container->isIsolated();
            status.runtime = container->runtimeName();
            status.node = container->placement();
            status.outlivesDaemon = container->outlivesDaemon();
            status.state =
                slot->ready ? QStringLiteral("ready") : Container::stateName(container->state());
        } else {
            status.releaseVersion = m_current.version();
            status.state = QStringLiteral("restarting");
        }
        status.probes = slot->probe ? slot->probe->probes() : slot->readyAfterProbes;
        result.append(status);
    }
    return result;
}

// ---- queue ---------------------------------------------------------------------------

void AppInstance::updateWaiting()
{
    // Each queued deployment waits for the one just ahead of it.
    QString ahead = m_running ? m_running->id() : QString();
    for (const auto &[deployment, job] : std::as_const(m_queue)) {
        if (!deployment)
            continue;
        deployment->setWaitingFor(ahead);
        ahead = deployment->id();
    }
}

void AppInstance::enqueue(Deployment *deployment, Job job)
{
    m_queue.append({deployment, std::move(job)});
    updateWaiting();
    connect(deployment, &Deployment::cancelRequested, this, [this, deployment] {
        // A queued deployment is simply dropped; a running one is stopped by its runner.
        for (int i = 0; i < m_queue.size(); ++i) {
            if (m_queue.at(i).first == deployment) {
                m_queue.removeAt(i);
                deployment->setWaitingFor({});
                updateWaiting();
                deployment->setStatus(
                    DeploymentStatus::Aborted,
                    QStringLiteral("the deployment was cancelled before it started"));
                Q_EMIT queueChanged();
                return;
            }
        }
    });
    Q_EMIT queueChanged();
    if (!m_running)
        QMetaObject::invokeMethod(this, &AppInstance::runNext, Qt::QueuedConnection);
}

void AppInstance::runNext()
{
    if (m_running || m_queue.isEmpty() || m_shuttingDown)
        return;
    auto [deployment, job] = m_queue.takeFirst();
    Q_EMIT queueChanged();
    if (!deployment) {
        runNext();
        return;
    }
    m_running = deployment;
    deployment->setWaitingFor({});
    if (!m_current.isNull())
        deployment->setPreviousRelease(m_current.version());
    updateWaiting();
    job(deployment, [this] {
        // The first in line keeps naming this one until it starts, a moment later.
        m_running = nullptr;
        QMetaObject::invokeMethod(this, &AppInstance::runNext, Qt::QueuedConnection);
    });
}

// ---- rollout -------------------------------------------------------------------------

Container *AppInstance::createContainer(Runtime *runtime, const LiveRelease &release,
                                        const QString &type, int index, QObject *parent)
{
    Container *container = runtime->create(specFor(release, type, index), parent);
    connect(container, &Container::logLine, this, &AppInstance::containerLog);
    const quint16 port = container->spec().port;
    connect(container, &Container::exited, this, [this, port] {
        if (port)
            m_context->ports.release(port);
    });
    return container;
}

ContainerSpec AppInstance::specFor(const LiveRelease &release, const QString &type, int index)
{
    ContainerSpec spec;
    spec.app = m_name;
    spec.releaseVersion = release.version();
    spec.processType = type;
    spec.index = index;
    spec.command =
        type == QLatin1String("run") ? QString() : release.release.processTypes().value(type);
    spec.releaseDirectory = release.directory;
    spec.slugPath = release.release.slugPath();
    spec.config = ConfigVar::merge(release.release.configDefaults(), release.release.config());
    spec.stack = m_context->stack;
    spec.gracePeriod = m_settings.gracePeriod;
    spec.outbound = m_settings.outboundNetwork;
    spec.memoryLimitMiB = m_settings.memoryLimitMiB;
    if (isProbedType(type))
        spec.port = m_context->ports.allocate();
    return spec;
}

Result<Runtime *> AppInstance::chosenRuntime() const
{
    return m_context->runtimeFor(m_settings);
}

Result<Runtime *> AppInstance::servingRuntime() const
{
    if (m_runtime)
        return m_runtime.data();
    return chosenRuntime();
}

void AppInstance::retire(Container *container, Deployment *deployment, TimelineEvent::Kind kind,
                         bool routed)
{
    container->setParent(this);
    const QPointer<Deployment> watcher = deployment;
    const bool old = kind == TimelineEvent::Kind::OldContainerStopped;
    const QString which = whichContainer(container, old);
    const int release = container->spec().releaseVersion;
    auto report = [this, container, watcher, kind, which, release] {
        m_retiring.removeAll(container);
        m_draining.remove(container);
        if (watcher) {
            const ContainerExit &exit = container->exit();
            const std::optional<int> status = exit.exitStatus();
            const QString signal = exit.signalName();
            watcher->addEvent(
                kind, which + QStringLiteral(" stopped: ") + exit.describe(), container->name(),
                {{QStringLiteral("release"), release},
                 {QStringLiteral("exit_status"), status ? QJsonValue(*status) : QJsonValue()},
                 {QStringLiteral("signal"), signal.isEmpty() ? QJsonValue() : QJsonValue(signal)},
                 {QStringLiteral("killed"), exit.outcome.forced},
                 {QStringLiteral("stop_ms"), double(exit.stopMilliseconds)}});
        }
        container->deleteLater();
        Q_EMIT containersChanged();
    };
    if (container->state() == Container::State::Exited) {
        report();
        return;
    }
    connect(container, &Container::exited, this, report);
    m_retiring.append(container);
    Router *router = m_context->router;
    if (!routed || !router || m_settings.drainLimit.count() <= 0) {
        sendStop(container, watcher, old, {});
        return;
    }

    // Drained first: the router sends it nothing new and tells once nothing is in flight.
    BackendDrain *drain = router->drain(routerName(), backendOf(container), container);
    const std::size_t inFlight = drain->inFlightAtStart();
    const qint64 limit = m_settings.drainLimit.count();
    if (watcher) {
        watcher->addEvent(TimelineEvent::Kind::OldContainerDraining,
                          which + QStringLiteral(" draining: %1 in flight, at most %2")
                                      .arg(inFlight == 1
                                               ? QStringLiteral("1 request")
                                               : QStringLiteral("%1 requests").arg(inFlight))
                                      .arg(durationText(m_settings.drainLimit)),
                          container->name(),
                          {{QStringLiteral("release"), release},
                           {QStringLiteral("in_flight"), double(inFlight)},
                           {QStringLiteral("drain_limit_ms"), double(limit)}});
    }
    QElapsedTimer clock;
    clock.start();
    auto finish = [this, container, watcher, old, drain, clock] {
        if (!m_draining.remove(container))
            return; // done already
        const std::size_t atStart = drain->inFlightAtStart();
        const std::size_t left = drain->inFlight();
        const QJsonObject facts{
            {QStringLiteral("drain_ms"), double(clock.elapsed())},
            {QStringLiteral("waited_requests"), double(atStart > left ? atStart - left : 0)},
            {QStringLiteral("requests_left"), double(left)}};
        drain->deleteLater();
        sendStop(container, watcher, old, facts);
    };
    m_draining.insert(container, finish);
    connect(drain, &BackendDrain::drained, this, finish);
    auto *limitTimer = new QTimer(drain);
    limitTimer->setSingleShot(true);
    connect(limitTimer, &QTimer::timeout, this, finish);
    limitTimer->start(std::chrono::milliseconds(limit));
}

void AppInstance::sendStop(Container *container, const QPointer<Deployment> &deployment, bool old,
                           const QJsonObject &drained)
{
    if (deployment) {
        QJsonObject data{
            {QStringLiteral("release"), container->spec().releaseVersion},
            {QStringLiteral("signal"), QStringLiteral("SIGTERM")},
            {QStringLiteral("grace_period_ms"), double(m_settings.gracePeriod.count())}};
        for (auto it = drained.constBegin(); it != drained.constEnd(); ++it)
            data.insert(it.key(), it.value());
        deployment->addEvent(old ? TimelineEvent::Kind::OldContainerStopping
                                 : TimelineEvent::Kind::NewContainerStopping,
                             whichContainer(container, old) +
                                 QStringLiteral(" sent SIGTERM, %1 to stop")
                                     .arg(durationText(m_settings.gracePeriod)),
                             container->name(), data);
    }
    container->stop(m_settings.gracePeriod);
}

Backend AppInstance::backendOf(const Container *container) const
{
    Backend backend;
    backend.container = container->name();
    backend.host = container->host();
    backend.port = container->spec().port;
    backend.sockets = container->sockets();
    return backend;
}

void AppInstance::resume(Deployment *deployment, const LiveRelease &next,
                         std::function<void(bool)> done)
{
    const Result<Runtime *> chosen = chosenRuntime();
    if (!chosen) {
        rollOut(deployment, next, false, std::move(done));
        return;
    }
    Runtime *runtime = *chosen;
    const QPointer<Deployment> watcher = deployment;
    runtime->findRunning(
        m_name,
        [this, runtime, watcher, next, done](const Result<QList<Container *>> &found) {
            if (!watcher) {
                if (found)
                    qDeleteAll(*found);
                done(false);
                return;
            }
            QList<Container *> kept;
            QList<Container *> leftovers;
            QSet<QString> names;
            for (Container *container : found.value_or(QList<Container *>{})) {
                const ContainerSpec &spec = container->spec();
                const bool wanted = spec.releaseVersion == next.version() &&
                                    spec.index <= m_settings.scaleOf(spec.processType) &&
                                    !names.contains(spec.name()) &&
                                    next.release.processTypes().contains(spec.processType) &&
                                    container->state() == Container::State::Running;
                // Only those taken over count: another release's web-1 does not hide ours.
                if (wanted)
                    names.insert(spec.name());
                (wanted ? kept : leftovers).append(container);
            }
            if (!found) {
                watcher->appendLog(QStringLiteral("       Could not list what runs on the %1 "
                                                  "runtime: %2")
                                       .arg(runtime->name(), found.error().message));
            }
            // Only a whole formation is taken over; anything less starts afresh.
            bool whole = true;
            const ProcessTypes &types = next.release.processTypes();
            for (auto it = types.cbegin(); it != types.cend(); ++it) {
                for (int index = 1; !isHookType(it.key()) && index <= m_settings.scaleOf(it.key());
                     ++index) {
                    if (!names.contains(QStringLiteral("%1-%2").arg(it.key()).arg(index)))
                        whole = false;
                }
            }
            if (!whole || kept.isEmpty()) {
                leftovers += kept;
                kept.clear();
            }
            for (Container *container : std::as_const(leftovers)) {
                // A container of an interrupted deployment, or one left over: removed.
                watcher->addEvent(TimelineEvent::Kind::Note,
                                  QStringLiteral("%1 of v%2 left by an earlier run is removed")
                                      .arg(container->name())
                                      .arg(container->spec().releaseVersion),
                                  container->name(),
                                  {{QStringLiteral("release"), container->spec().releaseVersion},
                                   {QStringLiteral("runtime"), runtime->name()}});
                container->setParent(this);
                connect(container, &Container::exited, container, &QObject::deleteLater);
                container->kill();
            }
            if (kept.isEmpty()) {
                rollOut(watcher, next, false, done);
                return;
            }
            m_current = next;
            m_runtime = runtime;
            QStringList adopted;
            for (Container *container : std::as_const(kept)) {
                if (container->spec().port)
                    m_context->ports.reserve(container->spec().port);
                adopted.append(container->name());
                watcher->addEvent(
                    TimelineEvent::Kind::ContainerStarted,
                    QStringLiteral("%1 was still running on the %2 runtime: taken over")
                        .arg(container->name(), runtime->name()),
                    container->name(),
                    {{QStringLiteral("type"), container->spec().processType},
                     {QStringLiteral("index"), container->spec().index},
                     {QStringLiteral("port"),
                      container->spec().port ? QJsonValue(container->spec().port) : QJsonValue()},
                     {QStringLiteral("release"), next.version()},
                     {QStringLiteral("runtime"), runtime->name()},
                     {QStringLiteral("host"), container->host()},
                     {QStringLiteral("node"), container->placement().isEmpty()
                                                  ? QJsonValue()
                                                  : QJsonValue(container->placement())},
                     {QStringLiteral("adopted"), true}});
            }
            adopt(kept);
            // Taken over as they run: each web or tcp one serves again once it accepts.
            for (Slot *slot : std::as_const(m_slots)) {
                slot->ready = false;
                probeSlot(slot);
            }
            updateRouter();
            watcher->addEvent(TimelineEvent::Kind::TrafficRouted,
                              QStringLiteral("release v%1 serves again from %2")
                                  .arg(next.version())
                                  .arg(adopted.join(QStringLiteral(", "))),
                              {},
                              {{QStringLiteral("to_release"), next.version()},
                               {QStringLiteral("containers"), QJsonArray::fromStringList(adopted)},
                               {QStringLiteral("adopted"), true}});
            watcher->setStatus(DeploymentStatus::Success);
            Q_EMIT currentReleaseChanged(next.version());
            Q_EMIT containersChanged();
            done(true);
        },
        this);
}

void AppInstance::rollOut(Deployment *deployment, const LiveRelease &next, bool runHook,
                          std::function<void(bool)> done)
{
    deployment->setStatus(DeploymentStatus::Starting);
    deployment->setReleaseVersion(next.version());
    Rollout::Options options;
    options.runHook = runHook;
    options.firstDeploy = m_current.isNull();
    auto *rollout = new Rollout(this, deployment, next, options, this);
    m_rollout = rollout;
    const QPointer<Deployment> watcher = deployment;
    connect(
        rollout, &Rollout::succeeded, this,
        [this, rollout, watcher, next, done](const QList<Container *> &containers) {
            rollout->deleteLater();
            const QList<Slot *> previous = m_slots;
            const int from = m_current.isNull() ? 0 : m_current.version();
            m_slots.clear();
            m_current = next;
            m_runtime = rollout->runtime();
            adopt(containers);
            // What each container took to get ready stays with it.
            for (Slot *slot : std::as_const(m_slots)) {
                if (slot->container)
                    slot->readyAfterProbes = rollout->probesOf(slot->container);
            }
            // Step 4: one switch of the router to the new containers, then the old ones
            // get SIGTERM and their grace period while requests in flight finish.
            updateRouter();
            if (m_context->router)
                m_context->router->setDeploying(routerName(), false);
            QStringList names;
            QStringList routed;
            for (Slot *slot : std::as_const(m_slots)) {
                if (isProbedType(slot->type) && slot->container) {
                    names.append(QStringLiteral("%1 (port %2)")
                                     .arg(slot->container->name())
                                     .arg(slot->container->spec().port));
                    routed.append(slot->container->name());
                }
            }
            QStringList retiring;
            for (Slot *slot : previous) {
                if (slot->container)
                    retiring.append(slot->container->name());
            }
            if (watcher) {
                watcher->addEvent(
                    TimelineEvent::Kind::TrafficRouted,
                    names.isEmpty() ? QStringLiteral("release v%1 is live (no web container)")
                                          .arg(next.version())
                                    : QStringLiteral("traffic routed to %1")
                                          .arg(names.join(QStringLiteral(", "))),
                    {},
                    {{QStringLiteral("from_release"), from ? QJsonValue(from) : QJsonValue()},
                     {QStringLiteral("to_release"), next.version()},
                     {QStringLiteral("containers"), QJsonArray::fromStringList(routed)}});
                // The old containers' retirement, the last step of every rollout.
                watcher->addEvent(
                    TimelineEvent::Kind::StepStarted,
                    retiring.isEmpty()
                        ? QStringLiteral("no old container to stop")
                        : QStringLiteral("stop the old containers %1 of v%2 (grace period %3)")
                              .arg(retiring.join(QStringLiteral(", ")))
                              .arg(from)
                              .arg(durationText(m_settings.gracePeriod)),
                    {},
                    {{QStringLiteral("step"), QStringLiteral("stop-old")},
                     {QStringLiteral("release"), from ? QJsonValue(from) : QJsonValue()},
                     {QStringLiteral("grace_period_ms"), double(m_settings.gracePeriod.count())},
                     {QStringLiteral("containers"), QJsonArray::fromStringList(retiring)}});
                watcher->setStatus(DeploymentStatus::Success);
            }
            for (Slot *slot : previous) {
                if (slot->backoff)
                    slot->backoff->stop();
                if (slot->probe)
                    slot->probe->stop();
                if (slot->container) {
                    slot->container->disconnect(this);
                    retire(slot->container, watcher, TimelineEvent::Kind::OldContainerStopped,
                           slot->ready && slot->type == QLatin1String("web"));
                }
                delete slot;
            }
            Q_EMIT currentReleaseChanged(next.version());
            Q_EMIT containersChanged();
            done(true);
        });
    connect(rollout, &Rollout::failed, this,
            [rollout, watcher, done](DeploymentStatus status, const QString &reason) {
                rollout->deleteLater();
                if (watcher)
                    watcher->setStatus(status, reason);
                done(false);
            });
    rollout->start();
}

// ---- supervision ---------------------------------------------------------------------

AppInstance::Slot *AppInstance::addSlot(const QString &type, int index)
{
    auto *slot = new Slot;
    slot->type = type;
    slot->index = index;
    m_slots.append(slot);
    return slot;
}

void AppInstance::adopt(const QList<Container *> &containers)
{
    for (Container *container : containers) {
        container->setParent(this);
        container->disconnect(); // the rollout's handlers are done
        connect(container, &Container::logLine, this, &AppInstance::containerLog);
        const quint16 port = container->spec().port;
        connect(container, &Container::exited, this, [this, port] {
            if (port)
                m_context->ports.release(port);
        });
        Slot *slot = addSlot(container->spec().processType, container->spec().index);
        slot->container = container;
        // The rollout only hands over containers that passed their probe.
        slot->ready = isProbedType(slot->type);
        watch(slot);
    }
}

void AppInstance::watch(Slot *slot)
{
    Container *container = slot->container;
    connect(container, &Container::exited, this,
            [this, slot](const ContainerExit &exit) { onSlotExited(slot, exit); });
    // Its engine brought it back by itself (a Swarm task replaced, maybe on another node):
    // out of the router until the new one accepts again, counted as a restart.
    connect(container, &Container::restarted, this, [this, slot](const ContainerExit &previous) {
        if (!m_slots.contains(slot) || m_shuttingDown || !slot->container)
            return;
        slot->ready = false;
        delete slot->probe;
        ++slot->restarts;
        updateRouter();
        Q_EMIT containerLog({QDateTime::currentDateTimeUtc(), slot->container->name(), true,
                             QStringLiteral("[slipway] %1 %2; its engine starts it again")
                                 .arg(slot->container->name(), previous.describe())});
        Q_EMIT containersChanged();
    });
    connect(container, &Container::started, this, [this, slot] {
        // Started again by its engine after its slot was scaled away or during a shutdown.
        if (m_slots.contains(slot) && !m_shuttingDown)
            probeSlot(slot);
    });
}

void AppInstance::onSlotExited(Slot *slot, const ContainerExit &exit)
{
    if (!m_slots.contains(slot) || exit.requested || m_shuttingDown)
        return;
    Container *crashed = slot->container;
    const qint64 ranFor = crashed && crashed->startedAt().isValid()
                              ? crashed->startedAt().msecsTo(QDateTime::currentDateTimeUtc())
                              : 0;
    slot->ready = false;
    updateRouter();
    if (crashed) {
        Q_EMIT containerLog(
            {QDateTime::currentDateTimeUtc(), crashed->name(), true,
             QStringLiteral("[slipway] %1 %2; restarting").arg(crashed->name(), exit.describe())});
        crashed->deleteLater();
    }
    slot->container = nullptr;
    slot->consecutiveCrashes = ranFor >= StableMilliseconds ? 1 : slot->consecutiveCrashes + 1;
    ++slot->restarts;
    // 1 s, 2 s, 4 s, ... up to a minute between attempts.
    qint64 delay = FirstBackoff.count();
    for (int i = 1; i < slot->consecutiveCrashes && delay < LongestBackoff.count(); ++i)
        delay *= 2;
    delay = qMin<qint64>(delay, LongestBackoff.count());
    if (!slot->backoff) {
        slot->backoff = new QTimer(this);
        slot->backoff->setSingleShot(true);
        connect(slot->backoff, &QTimer::timeout, this, [this, slot] { restartSlot(slot); });
    }
    slot->backoff->start(int(delay));
    Q_EMIT containersChanged();
}

void AppInstance::restartSlot(Slot *slot)
{
    if (!m_slots.contains(slot) || m_current.isNull() || m_shuttingDown)
        return;
    startSlot(slot);
}

void AppInstance::startSlot(Slot *slot)
{
    const Result<Runtime *> runtime = servingRuntime();
    if (!runtime) {
        Q_EMIT containerLog(
            {QDateTime::currentDateTimeUtc(),
             QStringLiteral("%1-%2").arg(slot->type).arg(slot->index), true,
             QStringLiteral("[slipway] cannot start: %1").arg(runtime.error().message)});
        return;
    }
    Container *container = createContainer(*runtime, m_current, slot->type, slot->index, this);
    slot->container = container;
    slot->ready = false;
    watch(slot);
    container->start();
    Q_EMIT containersChanged();
}

void AppInstance::probeSlot(Slot *slot)
{
    if (!slot->container || !isProbedType(slot->type)) {
        Q_EMIT containersChanged();
        return;
    }
    delete slot->probe;
    auto *probe = new ReadinessProbe(slot->container->host(), slot->container->spec().port,
                                     m_settings.probeInterval, slot->container->sockets(), this);
    slot->probe = probe;
    connect(probe, &ReadinessProbe::ready, this, [this, slot] {
        slot->ready = true;
        updateRouter();
        Q_EMIT containersChanged();
    });
    probe->start();
}

void AppInstance::updateRouter()
{
    Router *router = m_context->router;
    if (!router)
        return;
    QList<Backend> web;
    QList<Backend> tcp;
    for (Slot *slot : std::as_const(m_slots)) {
        if (!slot->ready || !slot->container)
            continue;
        const Backend backend = backendOf(slot->container);
        if (slot->type == QLatin1String("web"))
            web.append(backend);
        else if (slot->type == QLatin1String("tcp"))
            tcp.append(backend);
    }
    const QString host = routerName();
    router->setBackends(host, web);
    if (!tcp.isEmpty() || router->tcpPort(host) != 0) {
        if (router->tcpPort(host) == 0)
            router->openTcpPort(host);
        router->setTcpBackends(host, tcp);
    }
}

// ---- scale ---------------------------------------------------------------------------

Result<void> AppInstance::scale(const QMap<QString, int> &counts)
{
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        if (it.value() < 0 || it.value() > 100)
            return failure(QStringLiteral("%1=%2: a process type scales from 0 to 100 containers")
                               .arg(it.key())
                               .arg(it.value()));
        if (isHookType(it.key()))
            return failure(QStringLiteral("postdeploy is a hook that runs once per deployment; it "
                                          "cannot be scaled"));
        if (!m_current.isNull() && !m_current.release.processTypes().contains(it.key()))
            return failure(QStringLiteral("release v%1 has no process type '%2'; its types are: %3")
                               .arg(m_current.version())
                               .arg(it.key(), m_current.release.processTypes().keys().join(
                                                  QStringLiteral(", "))));
    }
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        m_settings.formation.insert(it.key(), it.value());
    if (m_current.isNull())
        return {};
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        QList<Slot *> ofType;
        int highest = 0;
        for (Slot *slot : std::as_const(m_slots)) {
            if (slot->type == it.key()) {
                ofType.append(slot);
                highest = qMax(highest, slot->index);
            }
        }
        std::sort(ofType.begin(), ofType.end(),
                  [](Slot *a, Slot *b) { return a->index < b->index; });
        // Up: only the missing ones start. Down: the highest numbers leave, router first.
        for (int n = int(ofType.size()); n < it.value(); ++n)
            startSlot(addSlot(it.key(), ++highest));
        for (int n = int(ofType.size()); n > it.value(); --n)
            removeSlot(ofType.at(n - 1), nullptr);
    }
    updateRouter();
    Q_EMIT containersChanged();
    return {};
}

void AppInstance::removeSlot(Slot *slot, Deployment *deployment)
{
    m_slots.removeOne(slot);
    updateRouter();
    if (slot->backoff)
        slot->backoff->stop();
    if (slot->container) {
        slot->container->disconnect(this);
        retire(slot->container, deployment, TimelineEvent::Kind::OldContainerStopped,
               slot->ready && slot->type == QLatin1String("web"));
    }
    delete slot;
}

// ---- one-off and shutdown ------------------------------------------------------------

Result<Container *> AppInstance::createOneOff(const QString &command, QObject *parent)
{
    if (m_current.isNull())
        return failure(
            QStringLiteral("%1 has no release yet: deploy it before running commands").arg(m_name));
    if (command.trimmed().isEmpty())
        return failure(QStringLiteral("give the command to run"));
    const Result<Runtime *> runtime = servingRuntime();
    if (!runtime)
        return std::unexpected(runtime.error());
    ContainerSpec spec = specFor(m_current, QStringLiteral("run"), ++m_oneOffs);
    spec.command = command; // the user's, not a process type's
    // A one-off's output goes to whoever ran it, not to the app's log: it may well print
    // what the user asked to see once (a secret, a dump).
    return (*runtime)->create(spec, parent);
}

void AppInstance::shutdown(std::function<void()> done, bool leaveEngineContainers)
{
    m_shuttingDown = true;
    if (m_rollout)
        m_rollout->cancel();
    for (auto &[deployment, job] : m_queue) {
        if (!deployment)
            continue;
        deployment->setWaitingFor({});
        deployment->setStatus(DeploymentStatus::Aborted,
                              QStringLiteral("the engine is shutting down"));
    }
    m_queue.clear();
    auto remaining = std::make_shared<int>(0);
    auto finishOne = [remaining, done] {
        if (--*remaining == 0)
            done();
    };
    const QList<Slot *> slots = m_slots;
    m_slots.clear();
    updateRouter();
    // Containers on their way out: no more draining, they get SIGTERM now if they have not
    // yet, and are waited for with the others.
    const QList<std::function<void()>> hurry = m_draining.values();
    for (const std::function<void()> &finish : hurry)
        finish();
    for (const QPointer<Container> &container : std::as_const(m_retiring)) {
        if (container && container->state() != Container::State::Exited) {
            ++*remaining;
            connect(container, &Container::exited, this, finishOne);
        }
    }
    for (Slot *slot : slots) {
        if (slot->backoff)
            slot->backoff->stop();
        if (slot->container && slot->container->state() != Container::State::Exited &&
            !(leaveEngineContainers && slot->container->outlivesDaemon())) {
            ++*remaining;
            Container *container = slot->container;
            container->disconnect(this);
            connect(container, &Container::exited, this, finishOne);
            container->stop(m_settings.gracePeriod);
        }
        delete slot;
    }
    if (*remaining == 0)
        done();
}

} // namespace Slipway
