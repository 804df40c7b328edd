#pragma once

#include "rollout/AppSettings.h"
#include "rollout/LiveRelease.h"
#include "rollout/TimelineEvent.h"
#include "router/Backend.h"
#include "runtime/LogLine.h"
#include "util/Result.h"

#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>

namespace Slipway {

class Container;
class Deployment;
class ReadinessProbe;
class Rollout;
class Runtime;
struct ContainerSpec;
struct ContainerExit;
struct RuntimeContext;

// What the console shows of one container.
struct ContainerStatus
{
    QString name; // web-1
    QString type; // web
    int releaseVersion = 0;
    QString state;    // starting, running, ready, stopping, crashed, restarting
    quint16 port = 0; // the port it is probed on and routed to
    qint64 pid = 0;
    int probes = 0;
    bool ready = false;
    int restarts = 0;
    bool isolated = false;
    QString runtime = QStringLiteral("local"); // local, docker, swarm
    QString node;                              // where it runs, for a cluster
    bool outlivesDaemon = false;               // an engine's container: taken over, not ended
};

// One app on this machine: the release that serves it, its containers, their supervision
// (a crashed container comes back with a growing back-off), its formation and the queue
// of its deployments, which run one at a time.
class AppInstance : public QObject
{
    Q_OBJECT

public:
    using Job = std::function<void(Deployment *deployment, std::function<void()> done)>;

    AppInstance(QString name, AppSettings settings, RuntimeContext *context,
                QObject *parent = nullptr);
    ~AppInstance() override;

    const QString &name() const { return m_name; }
    const AppSettings &settings() const { return m_settings; }
    void setSettings(const AppSettings &settings);
    RuntimeContext *context() const { return m_context; }
    // The host name the router serves the app on: <routerName>.localhost.
    QString routerName() const;
    const LiveRelease &current() const { return m_current; }
    QList<ContainerStatus> containerStatuses() const;
    QList<Container *> containers() const;

    // Deployments run one at a time, in order; the others wait as `queued`.
    void enqueue(Deployment *deployment, Job job);
    bool isBusy() const { return m_running != nullptr; }
    Deployment *runningDeployment() const { return m_running; }

    // The four steps with `next`; `done(true)` once traffic is on it.
    void rollOut(Deployment *deployment, const LiveRelease &next, bool runHook,
                 std::function<void(bool)> done);

    // After a restart of the daemon: the containers of `next` its runtime still runs are
    // taken over as they are (no restart, no gap); when they are not the whole formation,
    // a normal rollout of `next`. Containers of other releases are removed.
    void resume(Deployment *deployment, const LiveRelease &next, std::function<void(bool)> done);

    // Changes only the containers it must; web and tcp join the router once ready.
    Result<void> scale(const QMap<QString, int> &counts);

    // A one-off container of the current release with its environment. The caller owns it.
    Result<Container *> createOneOff(const QString &command, QObject *parent);

    // Stops every container (SIGTERM, grace, SIGKILL); `done` once all have exited. With
    // `leaveEngineContainers`, those that outlive the daemon (docker, swarm) keep running, to
    // be taken over by the next slipwayd.
    void shutdown(std::function<void()> done, bool leaveEngineContainers = false);

    // The runtime the app's settings choose now, and the one its serving containers run on
    // (they differ while a change of runtime rolls out, or after one failed).
    Result<Runtime *> chosenRuntime() const;
    Result<Runtime *> servingRuntime() const;

    // For Rollout.
    Container *createContainer(Runtime *runtime, const LiveRelease &release, const QString &type,
                               int index, QObject *parent);
    // SIGTERM, the grace period, SIGKILL, each step on `deployment`'s timeline. A container
    // that served web traffic (`routed`) is drained by the router first: it gets SIGTERM
    // once no request to it is in flight, or when the app's drain limit has passed.
    void retire(Container *container, Deployment *deployment, TimelineEvent::Kind kind,
                bool routed = false);

Q_SIGNALS:
    void containersChanged();
    void containerLog(const Slipway::LogLine &line);
    void currentReleaseChanged(int version);
    void queueChanged();

private:
    // Owns its probe and back-off timer: whichever way a slot goes, they go with it (a
    // probe holds its container's socket channel open).
    struct Slot
    {
        Slot() = default;
        Slot(const Slot &) = delete;
        Slot &operator=(const Slot &) = delete;
        ~Slot();

        QString type;
        int index = 1;
        QPointer<Container> container;
        QPointer<ReadinessProbe> probe;
        bool ready = false;
        int readyAfterProbes = 0; // the probes of the rollout that handed it over
        int restarts = 0;
        int consecutiveCrashes = 0;
        QTimer *backoff = nullptr;
    };

    ContainerSpec specFor(const LiveRelease &release, const QString &type, int index);
    void runNext();
    void updateWaiting();
    void adopt(const QList<Container *> &containers);
    void watch(Slot *slot);
    void onSlotExited(Slot *slot, const ContainerExit &exit);
    void restartSlot(Slot *slot);
    void startSlot(Slot *slot);
    void probeSlot(Slot *slot);
    void updateRouter();
    Backend backendOf(const Container *container) const;
    void sendStop(Container *container, const QPointer<Deployment> &deployment, bool old,
                  const QJsonObject &drained);
    Slot *addSlot(const QString &type, int index);
    void removeSlot(Slot *slot, Deployment *deployment);

    QString m_name;
    AppSettings m_settings;
    RuntimeContext *m_context;
    LiveRelease m_current;
    QList<Slot *> m_slots;
    QList<QPair<QPointer<Deployment>, Job>> m_queue;
    QPointer<Deployment> m_running;
    QPointer<Rollout> m_rollout;
    QPointer<Runtime> m_runtime;                          // where the serving containers run
    QList<QPointer<Container>> m_retiring;                // retired, not exited yet
    QHash<Container *, std::function<void()>> m_draining; // being drained: SIGTERM them now
    int m_oneOffs = 0;
    bool m_shuttingDown = false;
};

} // namespace Slipway
