#include "router/UpstreamGate.h"

#include "router/UpstreamConnection.h"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace Slipway {

UpstreamGate::Waiter::Waiter(std::shared_ptr<UpstreamGate> gate, const Io::Executor &executor,
                             int worker, std::shared_ptr<const std::atomic<bool>> workerAlive)
    : gate(std::move(gate))
    , timer(executor)
    , worker(worker)
    , workerAlive(std::move(workerAlive))
{}

UpstreamGate::Waiter::~Waiter()
{
    // Served after its session was gone (the router stopping): the place goes on to the
    // next in line. A connection handed over gives its place back by itself.
    if (granted)
        gate->release(true);
}

UpstreamGate::UpstreamGate(std::size_t limit, std::size_t openingLimit)
    : m_limit(std::max<std::size_t>(1, limit))
    , m_openingLimit(std::clamp<std::size_t>(openingLimit, 1, m_limit))
{}

bool UpstreamGate::takePlace()
{
    std::uint64_t places = m_places.load();
    while (openOf(places) < m_limit && openingOf(places) < m_openingLimit) {
        if (m_places.compare_exchange_weak(places, places + 1 + OneOpening))
            return true;
    }
    return false;
}

bool UpstreamGate::tryAcquire()
{
    // Those already queued go first.
    return !hasWaiters() && takePlace();
}

void UpstreamGate::enqueue(const std::shared_ptr<Waiter> &waiter, bool &first)
{
    std::vector<std::shared_ptr<Waiter>> served;
    {
        std::lock_guard lock(m_mutex);
        first = m_queue.empty();
        m_queue.push_back({waiter, waiter->worker});
        m_waiting.fetch_add(1);
        waiter->queued = true;
        // A place given back just before the count above went up was not handed to anyone
        // (release() only looks at the queue afterwards): it is handed out here.
        promoteLocked(served);
    }
    for (std::shared_ptr<Waiter> &each : served)
        wake(std::move(each));
}

bool UpstreamGate::withdraw(Waiter &waiter, std::shared_ptr<UpstreamConnection> &connection)
{
    std::lock_guard lock(m_mutex);
    if (waiter.queued) {
        waiter.queued = false;
        const std::weak_ptr<Waiter> self = waiter.weak_from_this();
        const auto it = std::find_if(m_queue.begin(), m_queue.end(), [&](const Entry &entry) {
            return !entry.waiter.owner_before(self) && !self.owner_before(entry.waiter);
        });
        if (it != m_queue.end()) {
            m_queue.erase(it);
            m_waiting.fetch_sub(1);
        }
        return false;
    }
    connection = std::move(waiter.connection);
    const bool served = waiter.granted || connection;
    waiter.granted = false; // the place, if any, is the caller's now
    return served;
}

void UpstreamGate::settled()
{
    giveBack(OneOpening);
}

void UpstreamGate::release(bool opening)
{
    giveBack(1 + (opening ? OneOpening : 0));
}

void UpstreamGate::giveBack(std::uint64_t places)
{
    m_places.fetch_sub(places);
    // Both counters are sequentially consistent: either this sees the queue enqueue() just
    // grew, or enqueue() sees the place given back.
    if (m_waiting.load() == 0)
        return;
    std::vector<std::shared_ptr<Waiter>> served;
    {
        std::lock_guard lock(m_mutex);
        promoteLocked(served);
    }
    for (std::shared_ptr<Waiter> &each : served)
        wake(std::move(each));
}

bool UpstreamGate::handOver(std::shared_ptr<UpstreamConnection> &connection, int worker)
{
    // Both dropped only once the lock is gone.
    std::shared_ptr<Waiter> chosen;
    std::shared_ptr<UpstreamConnection> emptied;
    {
        std::lock_guard lock(m_mutex);
        while (!m_queue.empty() && !(chosen = m_queue.front().waiter.lock()))
            popFrontLocked(); // its session is gone
        if (!chosen)
            return false;
        // Moving a connection to another thread costs four system calls and a wake-up of that
        // thread; under a full limit it happened for every other request. So the first
        // request queued on this same thread takes it, if there is one; the first in the
        // queue is passed over a few times in a row at most, so that it is served soon even
        // when its own thread frees no connection.
        auto taker = m_queue.begin();
        if (chosen->worker != worker && m_passedOver < MaxPassedOver) {
            for (auto it = m_queue.begin() + 1; it != m_queue.end(); ++it) {
                if (it->worker != worker)
                    continue;
                if (std::shared_ptr<Waiter> local = it->waiter.lock()) {
                    taker = it;
                    chosen = std::move(local);
                    break;
                }
            }
        }
        m_passedOver = taker == m_queue.begin() ? 0 : m_passedOver + 1;
        if (chosen->worker != worker) {
            std::shared_ptr<UpstreamConnection> moved =
                connection->moveTo(chosen->timer.get_executor());
            if (!moved)
                return false;
            emptied = std::move(connection);
            connection = std::move(moved);
        }
        m_queue.erase(taker);
        m_waiting.fetch_sub(1);
        chosen->queued = false;
        chosen->connection = std::move(connection);
    }
    wake(std::move(chosen));
    return true;
}

void UpstreamGate::promoteLocked(std::vector<std::shared_ptr<Waiter>> &served)
{
    while (!m_queue.empty() && takePlace()) {
        std::shared_ptr<Waiter> waiter = m_queue.front().waiter.lock();
        popFrontLocked();
        if (!waiter) {
            // Its session is gone: the place goes to the next one.
            m_places.fetch_sub(1 + OneOpening);
            continue;
        }
        waiter->queued = false;
        waiter->granted = true;
        served.push_back(std::move(waiter));
    }
}

void UpstreamGate::popFrontLocked()
{
    m_queue.pop_front();
    m_waiting.fetch_sub(1);
}

void UpstreamGate::wake(std::shared_ptr<Waiter> waiter)
{
    // A worker being torn down runs nothing more; the waiter's destructor passes the place
    // on when its session goes with that worker.
    if (!waiter->workerAlive->load())
        return;
    const Io::Executor executor = waiter->timer.get_executor();
    // The timer belongs to the waiter's thread: it is cancelled there, and the waiter's
    // coroutine, suspended on it, resumes.
    boost::asio::post(executor, [waiter = std::move(waiter)] { waiter->timer.cancel(); });
}

} // namespace Slipway
