#pragma once

#include "rollout/DeploymentStatus.h"
#include "rollout/LiveRelease.h"
#include "runtime/Container.h"
#include "runtime/Runtime.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace Slipway {

class AppInstance;
class Container;

class Deployment;
class ReadinessProbe;

// Puts a release in service in the four steps of product.md §5:
//   1. start its containers, 2. wait until every web/tcp container accepts TCP on its PORT,
//   3. run the postdeploy hook in a one-off container, 4. switch the router at once.
// Any failure in 1–3 stops the new containers and leaves the running version untouched.
class Rollout : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        bool runHook = true;      // restarts of the same release skip the hook
        bool firstDeploy = false; // the router shows "deploying" during the hook
    };

    Rollout(AppInstance *app, Deployment *deployment, LiveRelease next, Options options,
            QObject *parent = nullptr);
    ~Rollout() override;

    void start();
    void cancel();
    // How many probes a new container took to accept connections; 0 for one not probed.
    int probesOf(const Container *container) const;
    // Where the new containers run (set in step 1).
    Runtime *runtime() const { return m_runtime; }

Q_SIGNALS:
    // The new containers serve the app now; the caller adopts them and retires the old.
    void succeeded(const QList<Slipway::Container *> &containers);
    void failed(Slipway::DeploymentStatus status, const QString &reason);

private:
    using StepFunction = void (Rollout::*)();
    static const QList<QPair<const char *, StepFunction>> &recipe();
    void runStep(int index);
    void stepDone();

    void startContainers();
    void startPrepared();
    void waitReady();
    void runHook();
    void switchTraffic();

    void onContainerExited(Container *container, const ContainerExit &exit);
    void fail(DeploymentStatus status, const QString &reason);
    void log(const QString &line);

    AppInstance *m_app;
    QPointer<Deployment> m_deployment;
    LiveRelease m_next;
    Options m_options;
    int m_step = -1;
    bool m_finished = false;
    QPointer<Runtime> m_runtime;
    QList<Container *> m_containers;
    QList<ReadinessProbe *> m_probes;
    int m_waitingFor = 0;
    QTimer m_bootTimer;
    QPointer<Container> m_hook;
    QTimer m_hookTimer;
    bool m_hookTimedOut = false;
};

} // namespace Slipway
