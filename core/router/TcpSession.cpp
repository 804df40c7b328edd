#include "router/TcpSession.h"

#include "router/ByteTunnel.h"
#include "router/CloseOnExec.h"
#include "router/RouterState.h"
#include "router/RouterWorker.h"
#include "router/TcpProxy.h"
#include "router/UpstreamSocket.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace Slipway {

TcpSession::TcpSession(RouterWorker &worker, std::shared_ptr<TcpProxy> proxy, Io::Socket client)
    : m_worker(worker)
    , m_proxy(std::move(proxy))
    , m_client(std::move(client))
    , m_upstream(m_client.get_executor())
{
    m_worker.watch(this);
    m_proxy->attach(this);
}

TcpSession::~TcpSession()
{
    m_proxy->detach(this);
    m_worker.unwatch(this);
}

Io::Task<void> TcpSession::serve(RouterWorker &worker, std::shared_ptr<TcpProxy> proxy,
                                 Io::Socket client)
{
    TcpSession session(worker, std::move(proxy), std::move(client));
    co_await session.run();
}

void TcpSession::expire()
{
    boost::system::error_code ignored;
    m_upstream.close(ignored);
    if (!m_connecting) {
        m_closed = true;
        m_client.close(ignored);
    }
}

void TcpSession::shutdown()
{
    m_closed = true;
    boost::system::error_code ignored;
    m_upstream.close(ignored);
    m_client.close(ignored);
}

Io::Task<void> TcpSession::run()
{
    boost::system::error_code ignored;
    m_client.set_option(tcp::no_delay(true), ignored);
    const std::shared_ptr<const TcpProxy::Endpoints> backends = m_proxy->backends();
    const std::size_t count = backends ? backends->size() : 0;
    bool connected = false;
    if (count > 0) {
        const std::size_t first = m_proxy->nextBackend() % count;
        for (std::size_t i = 0; i < count && !connected && !m_closed; ++i) {
            const TcpProxy::Target &target = (*backends)[(first + i) % count];
            const tcp::endpoint &endpoint = target.endpoint;
            m_upstream = Io::Socket(m_client.get_executor());
            if (openUpstreamSocket(m_upstream, endpoint, target.sockets))
                continue;
            m_connecting = true;
            setDeadline(m_worker.now() + m_worker.state().timeouts().connect);
            const auto [error] = co_await m_upstream.async_connect(endpoint, Io::Nothrow);
            m_connecting = false;
            connected = !error;
        }
    }
    if (!connected || m_closed) {
        // Nobody to talk to: the client sees the connection close.
        m_client.close(ignored);
        co_return;
    }
    m_upstream.set_option(tcp::no_delay(true), ignored);
    ByteTunnel tunnel(m_worker, *this, m_worker.state().timeouts().streamIdle);
    co_await tunnel.run(m_client, asio::const_buffer(), m_upstream, asio::const_buffer());
}

} // namespace Slipway
