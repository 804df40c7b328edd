#include "router/HttpListener.h"

#include "router/ListeningSocket.h"
#include "router/ProxySession.h"
#include "router/RouterLogging.h"
#include "router/RouterWorker.h"
#include "util/ConnectionAdmission.h"
#include "util/FileDescriptor.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

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
    const int listening = m_acceptor.native_handle();
    // Accepting until the queue is empty needs a listening socket that says so.
    boost::system::error_code blocking;
    m_acceptor.non_blocking(true, blocking);
    while (m_acceptor.is_open()) {
        // The listening socket is read here, on the first worker; each connection is then
        // handed over as a bare descriptor and becomes a socket on its worker's own thread,
        // so no worker's reactor is ever touched by another thread (Asio recycles its
        // per-descriptor state between threads without a lock the sanitizer can see).
        auto [waited] = co_await m_acceptor.async_wait(tcp::acceptor::wait_read, Io::Nothrow);
        if (waited == asio::error::operation_aborted || !m_acceptor.is_open())
            break;
        for (;;) {
            sockaddr_storage peer{};
            socklen_t peerLength = sizeof peer;
            const int descriptor = ::accept4(listening, reinterpret_cast<sockaddr *>(&peer),
                                             &peerLength, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (descriptor < 0) {
                const int error = errno;
                if (error == EINTR || error == ECONNABORTED)
                    continue;
                if (error == EAGAIN || error == EWOULDBLOCK)
                    break;
                // Out of file descriptors and the like: pause rather than spin.
                qCWarning(lcRouter, "accepting a connection failed: %s", std::strerror(error));
                Io::Timer pause(m_acceptor.get_executor(), std::chrono::milliseconds(100));
                co_await pause.async_wait(Io::Nothrow);
                break;
            }
            handOver(descriptor, peer, peerLength);
        }
    }
}

void HttpListener::handOver(int descriptor, const sockaddr_storage &peer, socklen_t peerLength)
{
    tcp::endpoint from;
    if (peerLength <= from.capacity()) {
        std::memcpy(from.data(), &peer, peerLength);
        from.resize(peerLength);
    }
    std::shared_ptr<void> ticket = m_admission->admit(from.address().to_string());
    if (!ticket) {
        // Over the limit: closed at once, before it costs more than its descriptor.
        ::close(descriptor);
        if (!m_warnedFull.exchange(true))
            qCWarning(lcRouter,
                      "too many connections (at most %zu, %zu per address); "
                      "closing new ones until some end",
                      m_admission->total(), m_admission->perAddress());
        return;
    }
    m_warnedFull = false;
    RouterWorker *worker = m_workers[m_next++ % m_workers.size()];
    // Owned by the handler until the worker adopts it, so a worker that stops first closes it.
    FileDescriptor connection(descriptor);
    asio::post(worker->context(), [worker, protocol = from.protocol(),
                                   connection = std::move(connection),
                                   ticket = std::move(ticket)]() mutable {
        Io::Socket socket(worker->context());
        boost::system::error_code error;
        socket.assign(protocol, connection.get(), error);
        if (error) {
            // Still owned by `connection`, which closes it.
            qCWarning(lcRouter, "taking over a connection failed: %s", error.message().c_str());
            return;
        }
        (void)connection.release();
        asio::co_spawn(
            worker->context().get_executor(), ProxySession::serve(*worker, std::move(socket)),
            [ticket = std::move(ticket)](std::exception_ptr failure) { reportFailure(failure); });
    });
}

} // namespace Slipway
