#pragma once

#include "router/UpstreamConnection.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace Slipway {

class RoutingTable;

// Idle keep-alive connections to backends, per backend slot, for one worker thread (so no
// locking). Connections to a slot that left the routing table are closed and never handed
// out again; ones the backend closed are found by the periodic check (and a request that
// still meets one is sent again on a fresh connection).
class UpstreamPool
{
public:
    using Clock = std::chrono::steady_clock;

    explicit UpstreamPool(std::size_t maxIdlePerBackend);
    ~UpstreamPool();
    UpstreamPool(const UpstreamPool &) = delete;
    UpstreamPool &operator=(const UpstreamPool &) = delete;

    // The most recently used idle connection to `slot`, or null.
    std::shared_ptr<UpstreamConnection> take(std::uint64_t slot);
    // Keeps `connection` while its slot is in `current` and there is room; closes it otherwise.
    void put(std::shared_ptr<UpstreamConnection> connection, const RoutingTable &current,
             Clock::time_point now);

    void prune(const RoutingTable &current);
    // Closes the idle connections to `slot` (requests queue for their places).
    void closeIdle(std::uint64_t slot);
    void closeIdleSince(Clock::time_point before);
    // Closes idle connections the backend has closed (or sent something unasked on).
    void dropClosedByBackends();
    void closeAll();
    std::size_t idleCount() const;

private:
    std::unordered_map<std::uint64_t, std::vector<std::shared_ptr<UpstreamConnection>>> m_idle;
    std::size_t m_maxIdlePerBackend;
    bool m_closed = false;
};

} // namespace Slipway
