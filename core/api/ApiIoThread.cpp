#include "api/ApiIoThread.h"

#include "api/ApiConnection.h"
#include "api/ApiLogging.h"

#include <boost/asio/post.hpp>

#include <chrono>
#include <vector>

namespace Slipway {

namespace {

constexpr auto StopGrace = std::chrono::seconds(2);

} // namespace

ApiIoThread::ApiIoThread(int index)
    : m_index(index)
{
    // Sockets are only used from this thread (others post to it), so Asio may skip its
    // per-socket locks, as the router's workers do.
    m_context.emplace(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
}

ApiIoThread::~ApiIoThread()
{
    stop();
    // Connections still suspended in the context go with it; they detach themselves.
    m_context.reset();
}

void ApiIoThread::start()
{
    if (m_thread.joinable())
        return;
    m_workGuard.emplace(m_context->get_executor());
    m_thread = std::thread([this] {
        for (;;) {
            try {
                m_context->run();
                break;
            } catch (const std::exception &error) {
                // A handler threw: the connection it served is lost, the others go on.
                qCWarning(lcApi, "API I/O thread %d: %s", m_index, error.what());
            }
        }
        m_finished.set_value();
    });
}

void ApiIoThread::stop()
{
    if (!m_thread.joinable())
        return;
    boost::asio::post(*m_context, [this] {
        m_stopping = true;
        const std::vector<ApiConnection *> open(m_connections.begin(), m_connections.end());
        for (ApiConnection *connection : open)
            connection->shutdown();
    });
    m_workGuard.reset();
    if (m_finished.get_future().wait_for(StopGrace) != std::future_status::ready) {
        qCWarning(lcApi, "API I/O thread %d did not wind down in time; stopping it", m_index);
        m_context->stop();
    }
    m_thread.join();
}

void ApiIoThread::attach(ApiConnection *connection)
{
    m_connections.insert(connection);
    if (m_stopping)
        connection->shutdown();
}

void ApiIoThread::detach(ApiConnection *connection)
{
    m_connections.erase(connection);
}

} // namespace Slipway
