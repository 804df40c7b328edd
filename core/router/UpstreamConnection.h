#pragma once

#include "router/IoTypes.h"

#include <chrono>
#include <cstdint>
#include <memory>

namespace Slipway {

class UpstreamGate;

// One keep-alive connection from the router to a backend. While `gate` is set it holds one
// of the places the backend's limit allows (see UpstreamGate); the place is given back when
// the connection goes, after its socket closed.
struct UpstreamConnection
{
    UpstreamConnection(const Io::Executor &executor, std::uint64_t slot,
                       std::shared_ptr<UpstreamGate> gate);
    ~UpstreamConnection();
    UpstreamConnection(const UpstreamConnection &) = delete;
    UpstreamConnection &operator=(const UpstreamConnection &) = delete;

    // The same connection (descriptor, place, slot) on another thread's io_context, for a
    // request queued there; this one is left empty. Null when that failed: this one is
    // then left to be closed. Called on this connection's thread.
    std::shared_ptr<UpstreamConnection> moveTo(const Io::Executor &executor);

    // No longer counted against the backend's limit: an upgraded connection (a WebSocket)
    // lives as long as its conversation, not as long as a request.
    void leaveGate();
    // The backend answered on it, or it waited long enough: no longer counted as opening.
    void settle();

    Io::Socket socket;
    std::uint64_t slot = 0;
    std::shared_ptr<UpstreamGate> gate;
    bool opening = true; // see UpstreamGate
    std::chrono::steady_clock::time_point openedAt;
    std::chrono::steady_clock::time_point idleSince;
};

} // namespace Slipway
