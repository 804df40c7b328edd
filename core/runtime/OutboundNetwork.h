#pragma once

#include "util/Result.h"

#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>

#include <sys/types.h>

class QSocketNotifier;

namespace Slipway {

class ProcessRunner;

// A container's way out to the network: slirp4netns, a user-mode TCP/IP stack of its own,
// connected to the container's network namespace through a tap device. What the app sends
// out leaves through ordinary sockets of this machine; the host's own loopback stays out
// of reach (--disable-host-loopback) and nothing comes in: the router and the readiness
// probe keep reaching the app through SandboxSocketSource, never through this stack.
//
// slirp4netns runs in a PID namespace of its own (and, for an ordinary user, in the user
// namespace that owns the container's network namespace), so the API tells its connections
// from the user's; it confines itself (seccomp; as root also a mount namespace without
// capabilities) and dies with the daemon (bubblewrap's --die-with-parent). The sandbox waits
// for it before running anything of the app. One per container, stopped with it.
class OutboundNetwork : public QObject
{
    Q_OBJECT

public:
    static constexpr const char *ResolverAddress = "10.0.2.3"; // slirp4netns' DNS forwarder
    static constexpr const char *GuestAddress = "10.0.2.100";
    static constexpr const char *GatewayAddress = "10.0.2.2"; // refuses every connection
    static constexpr std::chrono::milliseconds SetupLimit{std::chrono::seconds(10)};

    // slirp4netns is installed and this user may open /dev/net/tun (and sandboxes exist).
    static bool isAvailable();
    // Why containers have no way out, for the console and the container's log; empty when
    // they have one.
    static QString unavailableReason();
    // What a container reads as its /etc/resolv.conf: slirp4netns' forwarder, which asks
    // the host's resolvers; the host's search domains and options are kept.
    static QByteArray resolverConfiguration();

    explicit OutboundNetwork(QObject *parent = nullptr);
    ~OutboundNetwork() override;

    // The two ends the sandbox is started with, as Sandbox::Setup's infoDescriptor and
    // holdDescriptor; the sandbox's starter closes them once it started.
    struct SandboxEnds
    {
        int info = -1;
        int hold = -1;
    };
    Result<SandboxEnds> prepare();
    // Once the sandbox was started: waits for bubblewrap to name the sandbox's first process
    // and for slipway-sandbox-init to say bubblewrap is done (its own loopback set up, its
    // user namespaces mapped), connects that network namespace to the outside, then lets
    // the app start. Emits ready() or failed().
    void connectSandbox();
    // Ends slirp4netns (at once: the container it served is gone).
    void stop();
    bool isReady() const { return m_ready; }

Q_SIGNALS:
    void ready();
    // The network could not be set up, or slirp4netns ended under a running container.
    void failed(const QString &reason);

private:
    void readInfo();
    void readHello();
    void launchWhenBothKnown();
    void launch(pid_t sandboxPid);
    void readReady();
    void fail(const QString &reason);
    void closeDescriptors();

    pid_t m_sandboxPid = 0;
    bool m_sandboxWaits = false; // slipway-sandbox-init said it is there
    int m_info = -1;             // bubblewrap's info pipe, our end
    int m_hold = -1;             // the sandbox's hold, our end: it says hello, a byte lets it go on
    int m_readyPipe = -1;
    QSocketNotifier *m_infoNotifier = nullptr;
    QSocketNotifier *m_holdNotifier = nullptr;
    QSocketNotifier *m_readyNotifier = nullptr;
    QByteArray m_infoText;
    QPointer<ProcessRunner> m_runner;
    QStringList m_lastLines; // slirp4netns' last words, for a failure
    QTimer m_deadline;
    bool m_ready = false;
    bool m_over = false; // stopped or failed: nothing more is reported
};

} // namespace Slipway
