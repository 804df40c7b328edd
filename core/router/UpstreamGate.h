#pragma once

#include "router/IoTypes.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace Slipway {

struct UpstreamConnection;

// How many connections the router holds open to one backend, and how many of them are still
// being opened, counted across every worker thread. An app can only take so many new
// connections at once (a listen backlog of 5 is common) and its kernel drops what does not
// fit, so a client waits a whole second for the retransmission; opening dozens at once to a
// container that just took over under load does exactly that. So a connection counts as
// opening from before it connects until its first answer comes back (proof that the app
// accepted it) or until it has waited for that long enough to be accepted; at most
// `openingLimit` are opening at a time. Under both limits a connection opens at once;
// otherwise a request queues, first come first served (but for a connection that comes back
// free on a thread where a request queues too, see handOver()), and takes the first
// connection that comes back free (the usual case: the app answers fast) or the first place,
// until its wait runs out.
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

    UpstreamGate(std::size_t limit, std::size_t openingLimit);

    std::size_t limit() const { return m_limit; }
    std::size_t openingLimit() const { return m_openingLimit; }
    bool hasWaiters() const { return m_waiting.load(std::memory_order_acquire) > 0; }

    // A place for a new connection, when one is free and nobody queues. The connection
    // counts as opening until settled().
    bool tryAcquire();
    // Queues `waiter`, whose timer is already set to when its wait runs out; its timer is
    // cancelled once it is served (at once, when a place came free meanwhile). `first` tells
    // whether the queue was empty, so that idle connections elsewhere may be closed.
    void enqueue(const std::shared_ptr<Waiter> &waiter, bool &first);
    // Once the waiter's timer completed: true when it was served, a free connection moved
    // into `connection` or else a place now held by the caller; false when it was still in
    // the queue (it leaves it).
    bool withdraw(Waiter &waiter, std::shared_ptr<UpstreamConnection> &connection);
    // A connection that was opening got its first answer (or waited long enough): a new one
    // may open.
    void settled();
    // A connection holding a place closed (`opening`: before it settled): the place goes to
    // the first in the queue.
    void release(bool opening);
    // `connection`, on `worker`, is free for another request: it goes to the first in the
    // queue on that same thread (unless the first in the queue was passed over too often
    // already), else to the first in the queue, moved to that one's thread. False when nobody
    // queues any more, or when the move failed (then the caller closes it, and its place goes on).
    bool handOver(std::shared_ptr<UpstreamConnection> &connection, int worker);

private:
    bool takePlace();
    // Gives free places to the queue; the waiters served are woken once the lock is gone.
    void promoteLocked(std::vector<std::shared_ptr<Waiter>> &served);
    void popFrontLocked();
    static void wake(std::shared_ptr<Waiter> waiter);

    // Open and opening connections, packed in one word so both limits are checked at once.
    static constexpr std::uint64_t OneOpening = std::uint64_t(1) << 32;
    static std::uint64_t openOf(std::uint64_t places) { return places & (OneOpening - 1); }
    static std::uint64_t openingOf(std::uint64_t places) { return places >> 32; }
    void giveBack(std::uint64_t places);

    // One request in the queue, with its thread (read without locking the waiter).
    struct Entry
    {
        std::weak_ptr<Waiter> waiter;
        int worker;
    };
    // How many times in a row handOver() may pass over the first in the queue.
    static constexpr int MaxPassedOver = 8;

    const std::size_t m_limit;
    const std::size_t m_openingLimit;
    std::atomic<std::uint64_t> m_places{0};
    std::atomic<std::size_t> m_waiting{0};
    std::mutex m_mutex;
    // Weak: a session that goes while queued (its worker torn down) leaves an empty entry.
    std::deque<Entry> m_queue;
    int m_passedOver = 0; // how many times in a row the first in the queue was passed over
};

} // namespace Slipway
