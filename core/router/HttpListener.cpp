#include "router/HttpListener.h"

#include "router/CloseOnExec.h"
#include "router/ListeningSocket.h"
#include "router/ProxySession.h"
#include "router/RouterLogging.h"
#include "router/RouterWorker.h"
#include "util/ConnectionAdmission.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace Slipway {

namespace {

void reportFailure(std::exception_ptr failure)
{
    logConnectionFailure("router connection", failure);
}

} // namespace

HttpListener::HttpListener(std::vector<RouterWorker *> workers)
    : m_workers(std::move(workers))
    , m_acceptor(m_workers.front()->context())
    // Browsers on this machine all come from loopback: the per-address cap is for a router
    // opened to the network.
    , m_admission(
          std::make_shared<ConnectionAdmission>(ConnectionAdmission::shareOfDescriptors(0.4),
                                                ConnectionAdmission::shareOfDescriptors(0.1)))
{}

Result<std::shared_ptr<HttpListener>> HttpListener::listen(std::vector<RouterWorker *> workers,
                                                           const tcp::endpoint &endpoint)
{
    auto listener = std::make_shared<HttpListener>(std::move(workers));
    Io::Acceptor &acceptor = listener->m_acceptor;
    const QString where = QString::fromStdString(endpoint.address().to_string()) + u':' +
                          QString::number(endpoint.port());
    boost::system::error_code error = listenOn(acceptor, endpoint);
    if (error)
        return failure(QStringLiteral("The router cannot listen on %1: %2.")
                           .arg(where, QString::fromStdString(error.message())));
    listener->m_port = acceptor.local_endpoint(error).port();
    return listener;
}

void HttpListener::start()
{
    asio::co_spawn(
        m_workers.front()->context().get_executor(),
        [self = shared_from_this()]() { return self->acceptLoop(); }, reportFailure);
}

void HttpListener::close()
{
    asio::post(m_workers.front()->context(), [self = shared_from_this()] {
        boost::system::error_code ignored;
        self->m_acceptor.close(ignored);
    });
}

Io::Task<void> HttpListener::acceptLoop()
{
    const auto self = shared_from_this();
    while (m_acceptor.is_open()) {
        RouterWorker *worker = m_workers[m_next++ % m_workers.size()];
        auto [error, socket] = co_await m_acceptor.async_accept(worker->context(), Io::Nothrow);
        if (error == asio::error::operation_aborted || !m_acceptor.is_open())
            break;
        if (error) {
            // Out of file descriptors and the like: pause rather than spin.
            qCWarning(lcRouter, "accepting a connection failed: %s", error.message().c_str());
            Io::Timer pause(m_acceptor.get_executor(), std::chrono::milliseconds(100));
            co_await pause.async_wait(Io::Nothrow);
            continue;
        }
        setCloseOnExec(socket.native_handle());
        boost::system::error_code ignored;
        std::shared_ptr<void> ticket =
            m_admission->admit(socket.remote_endpoint(ignored).address().to_string());
        if (!ticket) {
            // Over the limit: closed at once, before it costs more than its descriptor.
            if (!m_warnedFull.exchange(true))
                qCWarning(lcRouter,
                          "too many connections (at most %zu, %zu per address); "
                          "closing new ones until some end",
                          m_admission->total(), m_admission->perAddress());
            continue;
        }
        m_warnedFull = false;
        asio::co_spawn(
            worker->context().get_executor(), ProxySession::serve(*worker, std::move(socket)),
            [ticket = std::move(ticket)](std::exception_ptr failure) { reportFailure(failure); });
    }
}

} // namespace Slipway
