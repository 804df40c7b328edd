#include "router/RouterWorker.h"

#include "router/RouterLogging.h"
#include "router/RouterState.h"
#include "router/RoutingTable.h"
#include "router/UpstreamGate.h"

#include <boost/asio/post.hpp>

#include <random>

namespace Slipway {

namespace {

// Backends keep idle keep-alive connections open for a while; ours let go first.
constexpr auto PooledIdleLimit = std::chrono::seconds(30);
constexpr std::size_t MaxIdlePerBackend = 32;
constexpr auto StopGrace = std::chrono::seconds(2);
// Deadlines are checked this often, so timeouts are this precise.
constexpr auto SweepInterval = std::chrono::milliseconds(250);

std::uint64_t rotateLeft(std::uint64_t value, int bits)
{
    return (value << bits) | (value >> (64 - bits));
}

} // namespace

RouterWorker::RouterWorker(RouterState &state, int index)
    : m_state(state)
    , m_index(index)
    , m_pool(MaxIdlePerBackend)
    , m_accessLog(state.accessLogDirectory(), state.accessLogWarned())
{
    // One thread runs this context and every socket on it is only used from that thread
    // (other threads only post to it), so Asio may skip its per-socket locks.
    m_context.emplace(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
    m_sweepTimer.emplace(*m_context);
    std::random_device device;
    for (std::uint64_t &word : m_random)
        word = (std::uint64_t(device()) << 32) ^ device() ^
               std::uint64_t(index + 1) * 0x9E3779B97F4A7C15ULL;
}

RouterWorker::~RouterWorker()
{
    stop();
    m_alive->store(false);
    // Whatever still refers to the context (timers, pooled sockets, suspended coroutines)
    // goes before the context itself.
    m_sweepTimer.reset();
    m_pool.closeAll();
    m_context.reset();
}

void RouterWorker::start()
{
    if (m_thread.joinable())
        return;
    m_workGuard.emplace(m_context->get_executor());
    armSweep();
    m_thread = std::thread([this] {
        for (;;) {
            try {
                m_context->run();
                break;
            } catch (const std::exception &error) {
                // A handler threw: the connection it served is lost, the others go on.
                qCWarning(lcRouter, "router worker %d: %s", m_index, error.what());
            }
        }
        m_finished.set_value();
    });
}

void RouterWorker::stop()
{
    if (!m_thread.joinable())
        return;
    boost::asio::post(*m_context, [this] { closeEverything(); });
    m_workGuard.reset();
    // Closed sockets make every coroutine unwind and run() return; if one doesn't, the
    // context is stopped and what is left is destroyed with it.
    if (m_finished.get_future().wait_for(StopGrace) != std::future_status::ready) {
        qCWarning(lcRouter, "router worker %d did not wind down in time; stopping it", m_index);
        m_context->stop();
    }
    m_thread.join();
}

const std::shared_ptr<const RoutingTable> &RouterWorker::table()
{
    if (m_state.generation() != m_tableGeneration)
        refreshTable();
    return m_table;
}

void RouterWorker::refreshTable()
{
    const std::uint64_t generation = m_state.generation();
    if (generation == m_tableGeneration)
        return;
    m_tableGeneration = generation;
    m_table = m_state.table();
    m_pool.prune(*m_table);
    m_accessLog.closeUnless([this](const std::string &app) { return m_table->hasLogName(app); });
}

void RouterWorker::recycle(std::shared_ptr<UpstreamConnection> connection)
{
    if (connection->gate && connection->gate->hasWaiters()) {
        // Requests queue for this backend: the first in line takes the connection over.
        const std::shared_ptr<UpstreamGate> gate = connection->gate;
        if (gate->handOver(connection, m_index))
            return;
        if (gate->hasWaiters()) {
            connection.reset(); // it could not move: it closes, its place goes on
            return;
        }
        // The queue only held requests that are gone by now.
    }
    m_pool.put(std::move(connection), *table(), m_now);
}

void RouterWorker::watch(WatchedConnection *connection)
{
    connection->m_previous = nullptr;
    connection->m_next = m_firstWatched;
    if (m_firstWatched)
        m_firstWatched->m_previous = connection;
    m_firstWatched = connection;
}

void RouterWorker::unwatch(WatchedConnection *connection)
{
    if (connection->m_previous)
        connection->m_previous->m_next = connection->m_next;
    else if (m_firstWatched == connection)
        m_firstWatched = connection->m_next;
    if (connection->m_next)
        connection->m_next->m_previous = connection->m_previous;
    connection->m_previous = connection->m_next = nullptr;
}

void RouterWorker::armSweep()
{
    m_sweepTimer->expires_after(SweepInterval);
    m_sweepTimer->async_wait([this](const boost::system::error_code &error) {
        if (error || m_stopping)
            return;
        sweep();
        armSweep();
    });
}

void RouterWorker::sweep()
{
    m_now = Clock::now();
    for (WatchedConnection *connection = m_firstWatched; connection;) {
        WatchedConnection *next = connection->m_next;
        connection->tick(m_now);
        if (connection->deadline() <= m_now) {
            connection->clearDeadline();
            connection->expire();
        }
        connection = next;
    }
    m_pool.closeIdleSince(m_now - PooledIdleLimit);
    m_pool.dropClosedByBackends();
    m_accessLog.flush();
}

void RouterWorker::closeEverything()
{
    m_stopping = true;
    m_sweepTimer->cancel();
    for (WatchedConnection *connection = m_firstWatched; connection;) {
        WatchedConnection *next = connection->m_next;
        connection->shutdown();
        connection = next;
    }
    m_pool.closeAll();
    m_accessLog.flush();
}

std::uint64_t RouterWorker::nextRandom()
{
    // xoshiro256**: fast, and plenty for ids that only have to be unique.
    const std::uint64_t result = rotateLeft(m_random[1] * 5, 7) * 9;
    const std::uint64_t t = m_random[1] << 17;
    m_random[2] ^= m_random[0];
    m_random[3] ^= m_random[1];
    m_random[1] ^= m_random[2];
    m_random[0] ^= m_random[3];
    m_random[2] ^= t;
    m_random[3] = rotateLeft(m_random[3], 45);
    return result;
}

void RouterWorker::newRequestId(std::string &id)
{
    static constexpr char digits[] = "0123456789abcdef";
    id.resize(32);
    for (int half = 0; half < 2; ++half) {
        std::uint64_t bits = nextRandom();
        for (int i = 0; i < 16; ++i, bits >>= 4)
            id[half * 16 + i] = digits[bits & 0xF];
    }
}

} // namespace Slipway
