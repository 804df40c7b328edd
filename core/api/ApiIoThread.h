#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_set>

namespace Slipway {

class ApiConnection;

// One I/O thread of the API server with its own io_context. A connection lives on one
// thread from accept to close; other threads only post to it.
class ApiIoThread : public std::enable_shared_from_this<ApiIoThread>
{
public:
    explicit ApiIoThread(int index);
    ~ApiIoThread();
    ApiIoThread(const ApiIoThread &) = delete;
    ApiIoThread &operator=(const ApiIoThread &) = delete;

    boost::asio::io_context &context() { return *m_context; }
    void start();
    // Closes every connection, lets the thread finish (stopping it after a grace period)
    // and joins it.
    void stop();

    // I/O thread only.
    void attach(ApiConnection *connection);
    void detach(ApiConnection *connection);

private:
    const int m_index;
    std::unordered_set<ApiConnection *> m_connections; // outlives the context: see ~ApiIoThread
    bool m_stopping = false;
    std::optional<boost::asio::io_context> m_context;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
        m_workGuard;
    std::thread m_thread;
    std::promise<void> m_finished;
};

} // namespace Slipway
