#include "runtime/swarm/SwarmContainer.h"

#include "runtime/docker/DockerContainer.h"
#include "runtime/docker/DockerRuntime.h"

#include <algorithm>
#include <csignal>
#include <utility>

namespace Slipway {

namespace {

using namespace std::chrono_literals;

// How often the task is looked at: often while it starts or stops, less while it runs.
constexpr auto BusyPoll = 250ms;
constexpr auto SteadyPoll = 1s;
// After the task ended, its last lines may still be on their way.
constexpr auto LastLinesWait = 1s;
// How long after the grace period a stopped task has to report its end.
constexpr auto StopReportWait = 20s;

bool hasEnded(const DockerTask &task)
{
    static const QStringList ended = {QStringLiteral("complete"), QStringLiteral("failed"),
                                      QStringLiteral("shutdown"), QStringLiteral("rejected"),
                                      QStringLiteral("orphaned"), QStringLiteral("remove")};
    return ended.contains(task.state);
}

} // namespace

SwarmContainer::SwarmContainer(ContainerSpec spec, SwarmRuntime *runtime, QObject *parent)
    : Container(std::move(spec), parent)
    , m_runtime(runtime)
    , m_client(runtime->client())
    , m_grace(m_spec.gracePeriod)
{
    m_poll.setSingleShot(true);
    connect(&m_poll, &QTimer::timeout, this, &SwarmContainer::poll);
    m_lastLines.setSingleShot(true);
    connect(&m_lastLines, &QTimer::timeout, this, &SwarmContainer::conclude);
    m_stopDeadline.setSingleShot(true);
    connect(&m_stopDeadline, &QTimer::timeout, this, [this] {
        note(QStringLiteral("Swarm did not report the end of its task within %1 s of the stop: "
                            "its service is removed")
                 .arg(std::chrono::ceil<std::chrono::seconds>(m_grace + StopReportWait).count()));
        ProcessOutcome outcome;
        outcome.kind = ProcessOutcome::Kind::Signalled;
        outcome.signal = SIGKILL;
        outcome.forced = true;
        finish(outcome);
    });
}

SwarmContainer::SwarmContainer(ContainerSpec spec, SwarmRuntime *runtime,
                               const DockerService &service, const DockerTask &task,
                               const SwarmRuntime::Node &node, QObject *parent)
    : SwarmContainer(std::move(spec), runtime, parent)
{
    m_serviceName = service.name;
    m_serviceId = service.id;
    m_taskId = task.id;
    m_taskRunning = true;
    m_node = node;
    setState(State::Starting);
    markStarted();
    follow(QDateTime::currentDateTimeUtc());
    schedulePoll();
}

SwarmContainer::~SwarmContainer()
{
    // The calls end with this object; the service runs on (outlivesDaemon).
    m_step.cancel();
    m_logs.cancel();
    m_tasks.cancel();
}

QString SwarmContainer::host() const
{
    return m_node.address.isEmpty() ? QStringLiteral("127.0.0.1") : m_node.address;
}

QMap<QString, QString> SwarmContainer::environment() const
{
    return environmentFor(m_spec, QStringLiteral("/app"), QStringLiteral("/tmp"));
}

void SwarmContainer::start()
{
    if (state() != State::Created)
        return;
    setState(State::Starting);
    if (!m_client || !m_runtime) {
        fail(QStringLiteral("its swarm runtime is gone"));
        return;
    }
    if (m_runtime->isPrepared() && !m_runtime->stackImage().isEmpty()) {
        createService();
        return;
    }
    const QPointer<SwarmContainer> guard = this;
    m_runtime->prepare(
        m_spec,
        [guard](const QString &line) {
            if (guard)
                guard->note(line);
        },
        [guard](const Result<void> &prepared) {
            if (!guard || guard->state() != State::Starting)
                return;
            if (!prepared)
                guard->fail(prepared.error().message);
            else if (guard->stopRequested())
                guard->fail({});
            else
                guard->createService();
        });
}

void SwarmContainer::createService()
{
    m_serviceName = DockerRuntime::engineName(m_spec, m_runtime->owner());
    const DockerServiceSpec service =
        m_runtime->serviceSpec(m_spec, m_serviceName, m_runtime->slugUrl(m_spec.slugPath), m_grace);
    const QDateTime since = QDateTime::currentDateTimeUtc().addSecs(-1);
    m_step = m_client->createService(service, this, [this, since](const Result<QString> &made) {
        if (!made) {
            fail(made.error().message);
            return;
        }
        m_serviceId = *made;
        follow(since);
        if (stopRequested())
            sendStop();
        poll();
    });
}

void SwarmContainer::follow(const QDateTime &since)
{
    DockerLogOptions options;
    options.follow = true;
    options.timestamps = true;
    options.since = since;
    m_logs = m_client->serviceLogs(
        m_serviceId, options, this,
        [this](const QList<DockerLogLine> &lines) {
            for (const DockerLogLine &line : lines) {
                addLine(LogLine{line.time.isValid() ? line.time : QDateTime::currentDateTimeUtc(),
                                m_spec.name(), line.standardError, line.text});
            }
        },
        [this](const Result<void> &) {
            m_logsEnded = true;
            if (m_outcome)
                conclude();
        });
}

void SwarmContainer::schedulePoll()
{
    if (state() == State::Exited || m_outcome)
        return;
    const bool steady = state() == State::Running && m_taskRunning && !stopRequested();
    m_poll.start(steady ? SteadyPoll : BusyPoll);
}

void SwarmContainer::poll()
{
    if (!m_client || m_serviceId.isEmpty() || m_outcome || m_tasks.isValid())
        return;
    m_tasks =
        m_client->listTasks(m_serviceId, this, [this](const Result<QList<DockerTask>> &tasks) {
            m_tasks = {};
            if (tasks)
                onTasks(*tasks);
            schedulePoll();
        });
}

void SwarmContainer::onTasks(const QList<DockerTask> &tasks)
{
    if (tasks.isEmpty() || m_outcome)
        return;
    const DockerTask &newest = tasks.first(); // newest first
    if (newest.id != m_taskId) {
        // Swarm made a new task: the one before ended, by itself or moved off its node (the
        // new one is made at once, its start delayed), whether or not a look caught it ended.
        if (!m_taskId.isEmpty() && !stopRequested()) {
            auto previous =
                std::find_if(tasks.cbegin(), tasks.cend(),
                             [this](const DockerTask &task) { return task.id == m_taskId; });
            reportEnded(previous != tasks.cend() ? *previous : DockerTask{});
        }
        m_taskId = newest.id;
        m_taskRunning = false;
    }
    if (!hasEnded(newest)) {
        if (newest.state == QLatin1String("running") && !m_taskRunning)
            onTaskRunning(newest);
        return;
    }
    // The task ended: asked to (a stop, a one-off's or hook's end), or by itself.
    m_taskRunning = false;
    if (stopRequested() || SwarmRuntime::runsOnce(m_spec.processType)) {
        finish(outcomeOf(newest));
        return;
    }
    reportEnded(newest);
}

void SwarmContainer::reportEnded(const DockerTask &task)
{
    if (m_reportedTask == m_taskId || m_outcome)
        return;
    m_reportedTask = m_taskId;
    m_taskRunning = false;
    ContainerExit previous;
    if (task.id.isEmpty()) {
        previous.outcome.kind = ProcessOutcome::Kind::FailedToStart;
        previous.outcome.errorString = QStringLiteral("its task ended");
    } else {
        previous.outcome = outcomeOf(task);
    }
    QString why = !task.error.isEmpty() ? task.error : previous.describe();
    if (task.desiredState == QLatin1String("shutdown") && !task.exitCode)
        why = QStringLiteral("Swarm moved it (%1)").arg(task.message);
    note(QStringLiteral("its task on %1 ended: %2; Swarm starts another")
             .arg(m_node.name.isEmpty() ? QStringLiteral("its node") : m_node.name, why));
    setState(State::Starting);
    Q_EMIT restarted(previous);
}

void SwarmContainer::onTaskRunning(const DockerTask &task)
{
    m_taskRunning = true;
    const QString taskId = task.id;
    const QPointer<SwarmContainer> guard = this;
    m_runtime->node(task.nodeId, [guard, taskId](const SwarmRuntime::Node &node) {
        if (!guard || guard->m_taskId != taskId || guard->m_outcome ||
            guard->state() == State::Exited)
            return;
        guard->m_node = node;
        if (!guard->stopRequested())
            guard->markStarted();
    });
}

ProcessOutcome SwarmContainer::outcomeOf(const DockerTask &task) const
{
    if (task.exitCode)
        return DockerContainer::outcomeOfStatus(*task.exitCode, m_stopSent, m_killRequested);
    ProcessOutcome outcome;
    if (stopRequested() && task.error.isEmpty()) {
        outcome.kind = ProcessOutcome::Kind::Cancelled;
    } else {
        outcome.kind = ProcessOutcome::Kind::FailedToStart;
        outcome.errorString = task.error.isEmpty() ? task.message : task.error;
    }
    return outcome;
}

void SwarmContainer::sendStop()
{
    if (m_stopSent || m_serviceId.isEmpty() || !m_client || !m_runtime)
        return;
    m_stopSent = true;
    setState(State::Stopping);
    if (SwarmRuntime::runsOnce(m_spec.processType)) {
        // A job cannot be scaled down: removing it stops its task (SIGTERM, then SIGKILL after
        // the grace period); its exit status goes with it.
        ProcessOutcome outcome;
        outcome.kind = ProcessOutcome::Kind::Signalled;
        outcome.signal = m_killRequested ? SIGKILL : SIGTERM;
        finish(outcome);
        return;
    }
    // Scaled to zero: Swarm sends the stop signal, then SIGKILL after the grace period; the
    // task says how it ended, then the service goes.
    DockerServiceSpec service =
        m_runtime->serviceSpec(m_spec, m_serviceName, m_runtime->slugUrl(m_spec.slugPath), m_grace);
    service.replicas = 0;
    if (m_killRequested) {
        service.stopSignal = QStringLiteral("SIGKILL");
        service.stopGracePeriod = 0ms;
    }
    // A task on a node that left the cluster never says it ended: the service goes anyway.
    m_stopDeadline.start(m_grace + StopReportWait);
    m_step = m_client->inspectService(
        m_serviceId, this, [this, service](const Result<std::optional<DockerService>> &current) {
            if (!current || !*current) {
                // Gone already (removed by hand): nothing runs it any more.
                ProcessOutcome outcome;
                outcome.kind = ProcessOutcome::Kind::Cancelled;
                finish(outcome);
                return;
            }
            m_step = m_client->updateService(m_serviceId, (*current)->version, service, this,
                                             [this](const Result<void> &updated) {
                                                 if (!updated && state() != State::Exited)
                                                     note(updated.error().message);
                                                 poll();
                                             });
        });
}

void SwarmContainer::stop(std::chrono::milliseconds grace)
{
    if (state() == State::Exited)
        return;
    m_grace = grace;
    markStopRequested();
    if (!m_serviceId.isEmpty()) {
        sendStop();
        return;
    }
    // Created: it never will; Starting: the service's creation looks at the request.
    if (state() == State::Created)
        fail({});
}

void SwarmContainer::kill()
{
    if (state() == State::Exited)
        return;
    markStopRequested();
    m_killRequested = true;
    if (m_serviceId.isEmpty()) {
        m_step.cancel();
        fail({});
        return;
    }
    if (m_stopSent) {
        // Stopping already: the service goes now, whatever its task was doing.
        ProcessOutcome outcome;
        outcome.kind = ProcessOutcome::Kind::Signalled;
        outcome.signal = SIGKILL;
        finish(outcome);
        return;
    }
    sendStop();
}

void SwarmContainer::finish(const ProcessOutcome &outcome)
{
    if (m_outcome)
        return;
    m_outcome = outcome;
    m_poll.stop();
    m_stopDeadline.stop();
    m_tasks.cancel();
    if (m_logsEnded)
        conclude();
    else
        m_lastLines.start(LastLinesWait);
}

void SwarmContainer::conclude()
{
    if (!m_outcome || state() == State::Exited)
        return;
    m_lastLines.stop();
    m_logs.cancel();
    m_step.cancel();
    const ProcessOutcome outcome = *m_outcome;
    if (m_client && !m_serviceId.isEmpty()) {
        // Ended is ended: nothing of it stays on the cluster.
        m_client->removeService(m_serviceId, nullptr, [](const Result<void> &) {});
    }
    markExited(outcome);
}

void SwarmContainer::fail(const QString &reason)
{
    ProcessOutcome outcome;
    if (reason.isEmpty()) {
        outcome.kind = ProcessOutcome::Kind::Cancelled;
    } else {
        outcome.kind = ProcessOutcome::Kind::FailedToStart;
        outcome.errorString = reason;
        note(QStringLiteral("could not start: %1").arg(reason));
    }
    m_outcome = outcome;
    conclude();
}

} // namespace Slipway
