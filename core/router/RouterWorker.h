#pragma once

#include "router/AccessLogWriter.h"
#include "router/UpstreamPool.h"
#include "router/WatchedConnection.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace Slipway {

class RouterState;
class RoutingTable;

// One I/O thread with its own io_context. Each client connection lives on one worker from
// accept to close, so its state, the worker's upstream pool and its cached routing table are
// touched by that thread only: no locks and no strands on the request path.
class RouterWorker
{
public:
    using Clock = std::chrono::steady_clock;

    RouterWorker(RouterState &state, int index);
    ~RouterWorker();
    RouterWorker(const RouterWorker &) = delete;
    RouterWorker &operator=(const RouterWorker &) = delete;

    boost::asio::io_context &context() { return *m_context; }
    RouterState &state() { return m_state; }
    UpstreamPool &pool() { return m_pool; }
    AccessLogWriter &accessLog() { return m_accessLog; }
    // Where this worker's access log lines are put together, reused from line to line.
    std::string &lineSpace() { return m_lineSpace; }
    int index() const { return m_index; }

    void start();
    // Closes every connection this worker holds, lets the thread finish, and joins it.
    void stop();
    bool stopping() const { return m_stopping; }

    // Worker thread only. The current routing table, reloaded when the router published a
    // new one; the returned pointer stays valid until the next call.
    const std::shared_ptr<const RoutingTable> &table();
    // Worker thread only; to be posted when the router published a new table, so idle
    // connections to backends that left are closed even when no request comes.
    void refreshTable();

    // Coarse time (updated by the sweep, four times a second): deadlines need no clock call.
    Clock::time_point now() const { return m_now; }

    // Worker thread only. A connection done with its request and fit for another: to a
    // request queued for its backend if there is one, else to the pool.
    void recycle(std::shared_ptr<UpstreamConnection> connection);

    // True until the worker's io_context goes: nothing may be posted to it afterwards.
    const std::shared_ptr<std::atomic<bool>> &alive() const { return m_alive; }

    void watch(WatchedConnection *connection);
    void unwatch(WatchedConnection *connection);

    // A random 32-hex-digit request id, written into `id` (whose storage is reused).
    void newRequestId(std::string &id);

private:
    void armSweep();
    void sweep();
    void closeEverything();
    std::uint64_t nextRandom();

    RouterState &m_state;
    const int m_index;
    std::optional<boost::asio::io_context> m_context;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
        m_workGuard;
    std::optional<boost::asio::steady_timer> m_sweepTimer;
    UpstreamPool m_pool;
    AccessLogWriter m_accessLog;
    std::string m_lineSpace;
    std::shared_ptr<const RoutingTable> m_table;
    std::uint64_t m_tableGeneration = ~std::uint64_t(0);
    WatchedConnection *m_firstWatched = nullptr;
    Clock::time_point m_now = Clock::now();
    std::uint64_t m_random[4] = {};
    bool m_stopping = false;
    std::thread m_thread;
    std::promise<void> m_finished;
    std::shared_ptr<std::atomic<bool>> m_alive = std::make_shared<std::atomic<bool>>(true);
};

} // namespace Slipway
