#pragma once

#include <chrono>

namespace Slipway {

class RouterWorker;

// A connection the worker's periodic sweep looks after. Setting a deadline is a plain
// store (no timer is touched per request); the sweep calls expire() once it has passed,
// and shutdown() when the router stops.
class WatchedConnection
{
public:
    using Clock = std::chrono::steady_clock;

    WatchedConnection() = default;
    WatchedConnection(const WatchedConnection &) = delete;
    WatchedConnection &operator=(const WatchedConnection &) = delete;
    virtual ~WatchedConnection() = default;

    void setDeadline(Clock::time_point deadline) { m_deadline = deadline; }
    void clearDeadline() { m_deadline = Clock::time_point::max(); }
    Clock::time_point deadline() const { return m_deadline; }

    virtual void expire() = 0;
    virtual void shutdown() = 0;
    // Called by every sweep, with the sweep's time.
    virtual void tick(Clock::time_point now) { (void)now; }

private:
    friend class RouterWorker; // owns the intrusive list below
    WatchedConnection *m_previous = nullptr;
    WatchedConnection *m_next = nullptr;
    Clock::time_point m_deadline = Clock::time_point::max();
};

} // namespace Slipway
