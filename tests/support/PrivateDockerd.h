#pragma once

#include "runtime/docker/DockerClient.h"
#include "runtime/docker/DockerEndpoint.h"

#include "util/Result.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QTimer>

#include <optional>

// A private Docker engine for one test: Debian's dockerd with its own data root, exec root,
// pid file, config and socket in a temporary folder, no iptables rules and no bridge
// (containers use the host's network), stopped and cleaned up (its mounts, its processes,
// Swarm's docker_gwbridge) when destroyed. Several may run at once. Tests skip where
// isReady() is false, with skipReason().
class PrivateDockerd
{
public:
    // `extraArguments` go to dockerd as they are (another listener, TLS...).
    explicit PrivateDockerd(const QStringList &extraArguments = {});
    ~PrivateDockerd();
    PrivateDockerd(const PrivateDockerd &) = delete;
    PrivateDockerd &operator=(const PrivateDockerd &) = delete;

    bool isReady() const { return m_ready; }
    QString skipReason() const { return m_skipReason; }
    QString folder() const { return m_folder.path(); }
    QString socketPath() const;
    Slipway::DockerEndpoint endpoint() const;
    // The last lines dockerd logged (for a failing test's message).
    QString logTail(int lines = 30) const;

    // SIGTERM, SIGKILL after a grace period, then every leftover process and mount.
    void stop();

    // Makes the test image (a root filesystem of busybox-static's busybox with its applets,
    // /etc/passwd, /tmp) in the engine, imported through `client`: no registry, a few
    // hundred kilobytes. Returns its tag.
    static Slipway::Result<QString> makeBusyboxImage(Slipway::DockerClient &client,
                                                     const QString &workFolder);
    static constexpr auto BusyboxImage = "slipway-test/busybox:1";

private:
    QTemporaryDir m_folder{QStringLiteral("/tmp/slipway-dockerd-XXXXXX")};
    QProcess m_process;
    bool m_ready = false;
    bool m_stopped = false;
    QString m_skipReason;
};

// Runs one DockerClient call to its end on this thread's event loop, for tests:
//   auto id = awaitDocker<QString>([&](QObject *context, auto done) {
//       return client.createContainer(config, context, done); });
template<typename T, typename Start>
Slipway::Result<T> awaitDocker(Start start, int timeoutMs = 60000)
{
    std::optional<Slipway::Result<T>> result;
    QObject context;
    QEventLoop loop;
    Slipway::DockerCall call = start(&context, [&](Slipway::Result<T> answer) {
        result = std::move(answer);
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!result)
        loop.exec();
    if (!result) {
        call.cancel();
        return Slipway::failure(
            QStringLiteral("no answer from the engine within %1 s").arg(timeoutMs / 1000));
    }
    return std::move(*result);
}

// Spins the event loop until `condition` holds or the time is up.
template<typename Condition>
bool spinUntil(Condition condition, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (!condition()) {
        if (clock.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        QEventLoop loop;
        QTimer::singleShot(20, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}
