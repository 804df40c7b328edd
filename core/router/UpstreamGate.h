#pragma once

#include "router/IoTypes.h"

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace Slipway {

struct UpstreamConnection;

// How many connections the router holds open to one backend, counted across every worker
// thread. An app can only take so many new connections at once (a listen backlog of 5 is
// common) and its kernel drops what does not fit; opening hundreds at once to a container
// that just started is how requests got lost. Under the limit a connection opens at once;
// at the limit a request queues, first come first served, until a connection to the backend
// closes or comes back free, or until its wait runs out.
//
// An UpstreamConnection holds its place from before it connects until it is destroyed, so
// idle pooled connections count too: the backend keeps them open all the same.
class UpstreamGate
{
public:
    // One request in the queue. The fields after `timer` are guarded by the gate's lock.
    struct Waiter : std::enable_shared_from_this<Waiter>
    {
        Waiter(std::shared_ptr<UpstreamGate> gate, const Io::Executor &executor, int worker,
               std::shared_ptr<const std::atomic<bool>> workerAlive);
        ~Waiter(); // gives back a place that was granted but never taken
        Waiter(const Waiter &) = delete;
        Waiter &operator=(const Waiter &) = delete;

        const std::shared_ptr<UpstreamGate> gate;
        Io::Timer timer; // cancelled when served, expires when the wait runs out
        const int worker;
        // Cleared before the worker's io_context goes, so nothing is posted to it afterwards.
        const std::shared_ptr<const std::atomic<bool>> workerAlive;
        bool queued = false;
        bool granted = false;                           // may open a connection of its own
        std::shared_ptr<UpstreamConnection> connection; // or takes over this free one
    };

    explicit UpstreamGate(std::size_t limit);

    std::size_t limit() const { return m_limit; }
    bool hasWaiters() const { return m_waiting.load(std::memory_order_acquire) > 0; }

    // A place for a new connection, when one is free and nobody queues.
    bool tryAcquire();
    // Queues `waiter`, whose timer is already set to when its wait runs out; its timer is
    // cancelled once it is served (at once, when a place came free meanwhile). `first` tells
    // whether the queue was empty, so that idle connections elsewhere may be closed.
    void enqueue(const std::shared_ptr<Waiter> &waiter, bool &first);
    // Once the waiter's timer completed: true when it was served, a free connection moved
    // into `connection` or else a place now held by the caller; false when it was still in
    // the queue (it leaves it).
    bool withdraw(Waiter &waiter, std::shared_ptr<UpstreamConnection> &connection);
    // A connection holding a place closed: the place goes to the first in the queue.
    void release();
    // `connection`, on `worker`, is free for another request: it goes to the first in the
    // queue, moved to that one's thread if need be. False when nobody queues any more, or
    // when the move failed (then the caller closes it, and its place goes on).
    bool handOver(std::shared_ptr<UpstreamConnection> &connection, int worker);

private:
    bool takePlace();
    // Gives free places to the queue; the waiters served are woken once the lock is gone.
    void promoteLocked(std::vector<std::shared_ptr<Waiter>> &served);
    void popFrontLocked();
    static void wake(std::shared_ptr<Waiter> waiter);

    const std::size_t m_limit;
    std::atomic<std::size_t> m_open{0};
    std::atomic<std::size_t> m_waiting{0};
    std::mutex m_mutex;
    // Weak: a session that goes while queued (its worker torn down) leaves an empty entry.
    std::deque<std::weak_ptr<Waiter>> m_queue;
};

} // namespace Slipway
