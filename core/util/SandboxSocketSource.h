#pragma once

#include <memory>
#include <mutex>

namespace Slipway {

// Unconnected TCP sockets made inside a sandbox's own network namespace by the small
// server slipway-sandbox-init leaves there. Connected from the daemon to 127.0.0.1:PORT,
// such a socket reaches the app's loopback, which nothing outside the sandbox can: this is
// how the router and the readiness probe talk to a container. Thread-safe.
class SandboxSocketSource
{
public:
    // Takes `channel`, the daemon's end of a SOCK_SEQPACKET pair.
    explicit SandboxSocketSource(int channel);
    ~SandboxSocketSource();
    SandboxSocketSource(const SandboxSocketSource &) = delete;
    SandboxSocketSource &operator=(const SandboxSocketSource &) = delete;

    // A close-on-exec TCP socket of the sandbox, or -1 with errno set: EPIPE once the
    // sandbox is gone or its server stopped answering within `timeoutMs`, ETIMEDOUT with a
    // timeout of 0 while the answer is not there yet (the sandbox is still being set up;
    // a later call takes it). The router waits; the readiness probe never does.
    int makeSocket(bool ipv6 = false, int timeoutMs = 500);
    // Once the sandbox is gone: its channel is closed at once, whoever still holds this
    // source (a routing table being replaced, a probe), and makeSocket() says EPIPE.
    void close();

    // Both ends of a new channel: [0] for this class, [1] for the sandbox. Close-on-exec.
    static bool makeChannel(int ends[2]);

private:
    std::mutex m_mutex;
    int m_channel = -1;
    bool m_requested = false;    // a request is on its way
    bool m_unresponsive = false; // its server let a waiting call time out
};

} // namespace Slipway
