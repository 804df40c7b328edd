#include "router/TcpProxy.h"

#include "router/CloseOnExec.h"
#include "router/ListeningSocket.h"
#include "router/RouterLogging.h"
#include "router/RouterWorker.h"
#include "router/TcpSession.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace Slipway {

namespace {

void reportFailure(std::exception_ptr failure)
{
    logConnectionFailure("TCP proxy connection", failure);
}

} // namespace

TcpProxy::TcpProxy(RouterWorker &worker, QString app)
    : m_worker(worker)
    , m_app(std::move(app))
    , m_acceptor(worker.context())
    , m_backends(std::make_shared<const Endpoints>())
{}

Result<std::shared_ptr<TcpProxy>> TcpProxy::open(RouterWorker &worker, const QString &app,
                                                 const tcp::endpoint &endpoint)
{
    auto proxy = std::make_shared<TcpProxy>(worker, app);
    Io::Acceptor &acceptor = proxy->m_acceptor;
    boost::system::error_code error = listenOn(acceptor, endpoint);
    if (error)
        return failure(QStringLiteral("The TCP port of %1 cannot listen on %2:%3: %4.")
                           .arg(app, QString::fromStdString(endpoint.address().to_string()))
                           .arg(endpoint.port())
                           .arg(QString::fromStdString(error.message())));
    proxy->m_port = acceptor.local_endpoint(error).port();
    return proxy;
}

void TcpProxy::start()
{
    asio::co_spawn(
        m_worker.context().get_executor(),
        [self = shared_from_this()]() { return self->acceptLoop(); }, reportFailure);
}

void TcpProxy::setBackends(Endpoints endpoints)
{
    m_backends.store(std::make_shared<const Endpoints>(std::move(endpoints)),
                     std::memory_order_release);
}

void TcpProxy::close()
{
    asio::post(m_worker.context(), [self = shared_from_this()] {
        boost::system::error_code ignored;
        self->m_acceptor.close(ignored);
        // shutdown() only closes sockets; sessions detach later, when their coroutines end.
        for (TcpSession *session : self->m_sessions)
            session->shutdown();
    });
}

Io::Task<void> TcpProxy::acceptLoop()
{
    const auto self = shared_from_this();
    while (m_acceptor.is_open()) {
        auto [error, socket] = co_await m_acceptor.async_accept(Io::Nothrow);
        if (error == asio::error::operation_aborted || !m_acceptor.is_open())
            break;
        if (error) {
            qCWarning(lcRouter, "TCP port of %s: accepting failed: %s", qUtf8Printable(m_app),
                      error.message().c_str());
            Io::Timer pause(m_acceptor.get_executor(), std::chrono::milliseconds(100));
            co_await pause.async_wait(Io::Nothrow);
            continue;
        }
        setCloseOnExec(socket.native_handle());
        asio::co_spawn(m_worker.context().get_executor(),
                       TcpSession::serve(m_worker, self, std::move(socket)), reportFailure);
    }
}

} // namespace Slipway
