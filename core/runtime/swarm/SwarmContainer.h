#pragma once

#include "runtime/Container.h"
#include "runtime/docker/DockerClient.h"
#include "runtime/swarm/SwarmRuntime.h"

#include <QPointer>
#include <QTimer>

namespace Slipway {

// A container of the swarm runtime: a service of one task (a replicated job for hooks and
// one-offs). Its tasks are watched through the manager: when the task runs, the container
// runs at its node's address; when it ends by itself, Swarm starts another (`restarted`),
// possibly on another node. Stopping scales the service to zero, so that Swarm sends SIGTERM
// and SIGKILL after the service's stop grace period, and the exit status comes from the
// task; the service is removed once its task ended. Deleting this object while the service
// runs leaves it running, for the next slipwayd to take over.
class SwarmContainer : public Container
{
    Q_OBJECT

public:
    SwarmContainer(ContainerSpec spec, SwarmRuntime *runtime, QObject *parent = nullptr);
    // One whose service already runs (taken over after a restart of the daemon).
    SwarmContainer(ContainerSpec spec, SwarmRuntime *runtime, const DockerService &service,
                   const DockerTask &task, const SwarmRuntime::Node &node,
                   QObject *parent = nullptr);
    ~SwarmContainer() override;

    void start() override;
    void stop(std::chrono::milliseconds grace) override;
    void kill() override;

    QString runtimeName() const override { return QStringLiteral("swarm"); }
    QString host() const override;
    QString placement() const override { return m_node.name; }
    bool outlivesDaemon() const override { return true; }
    QMap<QString, QString> environment() const override;

    QString serviceId() const { return m_serviceId; }
    // The task that runs it now (or last ran it); empty before the first.
    QString taskId() const { return m_taskId; }

private:
    void createService();
    void follow(const QDateTime &since);
    void schedulePoll();
    void poll();
    void onTasks(const QList<DockerTask> &tasks);
    void onTaskRunning(const DockerTask &task);
    // Its task (the one in m_taskId) ended without being asked: told as `restarted`, once.
    void reportEnded(const DockerTask &task);
    ProcessOutcome outcomeOf(const DockerTask &task) const;
    void sendStop();
    void finish(const ProcessOutcome &outcome);
    void conclude();
    void fail(const QString &reason);

    QPointer<SwarmRuntime> m_runtime;
    QPointer<DockerClient> m_client;
    QString m_serviceName;
    QString m_serviceId;
    QString m_taskId;
    QString m_reportedTask; // the ended task `restarted` was told for
    bool m_taskRunning = false;
    SwarmRuntime::Node m_node;
    std::chrono::milliseconds m_grace{0};
    bool m_stopSent = false;
    bool m_killRequested = false;
    DockerCall m_step; // the create, stop or kill in progress
    DockerCall m_logs;
    DockerCall m_tasks;
    bool m_logsEnded = false;
    std::optional<ProcessOutcome> m_outcome;
    QTimer m_poll;
    QTimer m_lastLines;
    QTimer m_stopDeadline;
};

} // namespace Slipway
