#pragma once

#include "runtime/Container.h"
#include "runtime/docker/DockerClient.h"

#include <QPointer>
#include <QTimer>

namespace Slipway {

class DockerRuntime;

// A container of the docker runtime: created from the stack image, the slug unpacked at
// /app, started; its output followed into the app's log; its end seen by waiting on the
// engine. Stopping asks the engine (SIGTERM, SIGKILL after the grace period). The engine's
// container is removed once it ended; deleting this object while it runs leaves it
// running, for the next slipwayd to take over.
class DockerContainer : public Container
{
    Q_OBJECT

public:
    // A container to create.
    DockerContainer(ContainerSpec spec, DockerRuntime *runtime, QObject *parent = nullptr);
    // One that already runs on the engine (taken over after a restart of the daemon).
    DockerContainer(ContainerSpec spec, DockerRuntime *runtime, const DockerContainerInfo &running,
                    QObject *parent = nullptr);
    ~DockerContainer() override;

    void start() override;
    void stop(std::chrono::milliseconds grace) override;
    void kill() override;

    QString runtimeName() const override { return QStringLiteral("docker"); }
    QString host() const override;
    qint64 processId() const override { return m_pid; }
    bool outlivesDaemon() const override { return true; }
    QMap<QString, QString> environment() const override;

    // The engine's id of the container; empty until created.
    QString engineId() const { return m_id; }
    // How a container that exited with `status` ended: the init process reports a child
    // ended by signal N as 128 + N, as shells do. `stopSent`: the engine was told to stop it
    // (a SIGKILL then means the grace period ran out, unless `killRequested`).
    static ProcessOutcome outcomeOfStatus(int status, bool stopSent, bool killRequested);
    // The container's spec back from its labels; nullopt when they are not Slipway's.
    static std::optional<ContainerSpec> specFromLabels(const DockerLabels &labels);

private:
    void create();
    void upload();
    void uploadSlug(const QString &slug);
    void launch();
    void follow(const QDateTime &since);
    void onWaited(const Result<DockerWaitResult> &waited);
    void conclude();
    void fail(const QString &reason);
    void sendStop();

    QPointer<DockerRuntime> m_runtime;
    QPointer<DockerClient> m_client;
    QString m_id;
    qint64 m_pid = 0;
    std::chrono::milliseconds m_grace{0};
    bool m_stopSent = false;
    bool m_killRequested = false;
    DockerCall m_step; // the create, upload or start in progress
    DockerCall m_logs;
    DockerCall m_wait;
    bool m_logsEnded = false;
    std::optional<ProcessOutcome> m_outcome; // once the engine says it ended
    QTimer m_lastLines; // the end is told once its last lines are in, or after a moment
};

} // namespace Slipway
