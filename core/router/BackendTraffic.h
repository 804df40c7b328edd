#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>

namespace Slipway {

// The requests in flight to one backend, counted across every worker thread, so that a
// container is stopped only once the router has nothing left for it (connection draining).
//
// Once retired (the backend left its app's routes and is about to be stopped), it takes no
// new request: a request that picked it from a routing table read just before the switch
// is told to pick again from the current one. The count and the flag are sequentially
// consistent, so either such a request sees the flag, or the drain sees it counted.
class BackendTraffic
{
public:
    BackendTraffic() = default;
    BackendTraffic(const BackendTraffic &) = delete;
    BackendTraffic &operator=(const BackendTraffic &) = delete;

    // A request starts going to this backend; false (and nothing counted) once retired.
    bool enter();
    // That request is done with it (answered, failed, or turned into a tunnel).
    void leave();
    std::size_t inFlight() const;
    bool isRetired() const { return m_retired.load(); }

    // No new request from now on; `idle` runs once nothing is in flight, at once (on the
    // caller's thread) when nothing is now, else on the thread of the last request to leave.
    // Returns how many requests were in flight when it was called.
    std::size_t retire(std::function<void()> idle);

private:
    void notifyIdle();

    std::atomic<std::ptrdiff_t> m_inFlight{0};
    std::atomic<bool> m_retired{false};
    std::mutex m_mutex;
    std::function<void()> m_idle; // guarded by m_mutex; taken by whoever calls it
};

} // namespace Slipway
