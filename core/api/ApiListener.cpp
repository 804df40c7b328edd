#include "api/ApiListener.h"

#include "api/ApiIoThread.h"
#include "api/ApiLogging.h"
#include "api/ApiSession.h"
#include "api/ApiSessionSettings.h"
#include "api/UnixSocketFile.h"

#include "router/CloseOnExec.h"
#include "util/ConnectionAdmission.h"
#include "util/PeerProcess.h"

#include <QFile>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include <sys/socket.h>
#include <unistd.h>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

namespace Slipway {

namespace {

void reportFailure(std::exception_ptr failure)
{
    if (!failure)
        return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception &error) {
        qCWarning(lcApi, "API connection ended with an error: %s", error.what());
    }
}

// Why a Unix-socket peer is turned away; empty when it is welcome. The socket's mode keeps
// other users out, and this also turns away anyone who got hold of a descriptor some other
// way (root may connect, as it could anyway); a process inside a container or a build is
// refused whatever its user, since it runs code the user did not write.
QString refusedPeer(int descriptor)
{
    ucred credentials{};
    socklen_t size = sizeof credentials;
    if (::getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0)
        return QStringLiteral("its credentials are unknown");
    if (credentials.uid != ::geteuid() && credentials.uid != 0)
        return QStringLiteral("it belongs to user %1").arg(credentials.uid);
    if (const QString foreign = PeerProcess::foreignNamespace(credentials.pid); !foreign.isEmpty())
        return QStringLiteral("it comes from inside a container or build (%1)").arg(foreign);
    return {};
}

// The same for a TLS connection from this machine: a build shares the host's network, so
// its process is looked up by its socket.
QString refusedLocalTcpPeer(const tcp::endpoint &remote, const tcp::endpoint &local)
{
    if (!remote.address().is_loopback() && remote.address() != local.address())
        return {};
    const pid_t pid = PeerProcess::ofLoopbackTcp(
        QString::fromStdString(remote.address().to_string()), remote.port(), local.port());
    if (pid == 0)
        return {};
    if (const QString foreign = PeerProcess::foreignNamespace(pid); !foreign.isEmpty())
        return QStringLiteral("it comes from inside a container or build (%1)").arg(foreign);
    return {};
}

QString describe(const boost::system::error_code &error)
{
    return QString::fromStdString(error.message());
}

} // namespace

ApiListener::ApiListener(std::vector<ApiIoThread *> threads,
                         std::shared_ptr<const ApiSessionSettings> settings)
    : m_threads(std::move(threads))
    , m_settings(std::move(settings))
    , m_localAdmission(
          std::make_shared<ConnectionAdmission>(ConnectionAdmission::shareOfDescriptors(0.15),
                                                ConnectionAdmission::shareOfDescriptors(0.15)))
    , m_tcpAdmission(
          std::make_shared<ConnectionAdmission>(ConnectionAdmission::shareOfDescriptors(0.1),
                                                ConnectionAdmission::shareOfDescriptors(0.01, 16)))
{}

Result<void> ApiListener::listenLocal(UnixSocketFile &file)
{
    if (Result<void> prepared = file.prepare(); !prepared)
        return prepared;
    m_local.emplace(m_threads.front()->context());
    const local::endpoint endpoint(QFile::encodeName(file.path()).toStdString());
    boost::system::error_code error;
    m_local->open(endpoint.protocol(), error);
    if (!error) {
        setCloseOnExec(m_local->native_handle());
        m_local->bind(endpoint, error);
    }
    if (error) {
        m_local.reset();
        return failure(
            QStringLiteral("the API cannot listen on %1: %2").arg(file.path(), describe(error)));
    }
    if (Result<void> claimed = file.claim(); !claimed) {
        m_local.reset();
        return claimed;
    }
    m_local->listen(local::acceptor::max_listen_connections, error);
    if (error) {
        m_local.reset();
        file.release();
        return failure(
            QStringLiteral("the API cannot listen on %1: %2").arg(file.path(), describe(error)));
    }
    return {};
}

Result<quint16> ApiListener::listenTcp(const QString &address, quint16 port)
{
    const QString where = address + u':' + QString::number(port);
    boost::system::error_code error;
    const asio::ip::address ip = asio::ip::make_address(address.toStdString(), error);
    if (error)
        return failure(QStringLiteral("the API cannot listen on %1: \"%2\" is not an IP address")
                           .arg(where, address));
    const tcp::endpoint endpoint(ip, port);
    m_tcp.emplace(m_threads.front()->context());
    m_tcp->open(endpoint.protocol(), error);
    if (!error) {
        setCloseOnExec(m_tcp->native_handle());
        m_tcp->set_option(tcp::acceptor::reuse_address(true), error);
    }
    if (!error)
        m_tcp->bind(endpoint, error);
    if (!error)
        m_tcp->listen(tcp::acceptor::max_listen_connections, error);
    if (error) {
        m_tcp.reset();
        return failure(
            QStringLiteral("the API cannot listen on %1: %2").arg(where, describe(error)));
    }
    return m_tcp->local_endpoint(error).port();
}

void ApiListener::start()
{
    const auto executor = m_threads.front()->context().get_executor();
    if (m_local)
        asio::co_spawn(
            executor, [self = shared_from_this()] { return self->acceptLocal(); }, reportFailure);
    if (m_tcp)
        asio::co_spawn(
            executor, [self = shared_from_this()] { return self->acceptTcp(); }, reportFailure);
}

void ApiListener::close()
{
    asio::post(m_threads.front()->context(), [self = shared_from_this()] {
        boost::system::error_code ignored;
        if (self->m_local)
            self->m_local->close(ignored);
        if (self->m_tcp)
            self->m_tcp->close(ignored);
    });
}

ApiIoThread &ApiListener::nextThread()
{
    return *m_threads[m_next++ % m_threads.size()];
}

Io::Task<void> ApiListener::acceptLocal()
{
    const auto self = shared_from_this();
    while (m_local->is_open()) {
        ApiIoThread &thread = nextThread();
        auto [error, socket] = co_await m_local->async_accept(thread.context(), Io::Nothrow);
        if (error == asio::error::operation_aborted || !m_local->is_open())
            break;
        if (error) {
            // Out of file descriptors and the like: pause rather than spin.
            qCWarning(lcApi, "accepting an API connection failed: %s", error.message().c_str());
            Io::Timer pause(m_local->get_executor(), std::chrono::milliseconds(100));
            co_await pause.async_wait(Io::Nothrow);
            continue;
        }
        setCloseOnExec(socket.native_handle());
        if (const QString refused = refusedPeer(socket.native_handle()); !refused.isEmpty()) {
            qCWarning(lcApi, "refused an API connection: %s", qUtf8Printable(refused));
            continue;
        }
        std::shared_ptr<void> ticket = m_localAdmission->admit(std::string());
        if (!ticket) {
            qCWarning(lcApi, "too many API connections on the socket (at most %zu); refused one",
                      m_localAdmission->total());
            continue;
        }
        // The session is made on its own thread, where it lives.
        asio::post(thread.context(), [settings = m_settings, &thread, socket = std::move(socket),
                                      ticket = std::move(ticket)]() mutable {
            auto session = std::make_shared<ApiSession<Io::LocalSocket>>(
                settings, thread, std::move(socket), QStringLiteral("unix"));
            asio::co_spawn(thread.context().get_executor(),
                           ApiSession<Io::LocalSocket>::serve(std::move(session)),
                           [ticket = std::move(ticket)](std::exception_ptr failure) {
                               reportFailure(failure);
                           });
        });
    }
}

Io::Task<void> ApiListener::acceptTcp()
{
    const auto self = shared_from_this();
    while (m_tcp->is_open()) {
        ApiIoThread &thread = nextThread();
        auto [error, socket] = co_await m_tcp->async_accept(thread.context(), Io::Nothrow);
        if (error == asio::error::operation_aborted || !m_tcp->is_open())
            break;
        if (error) {
            qCWarning(lcApi, "accepting an API connection failed: %s", error.message().c_str());
            Io::Timer pause(m_tcp->get_executor(), std::chrono::milliseconds(100));
            co_await pause.async_wait(Io::Nothrow);
            continue;
        }
        setCloseOnExec(socket.native_handle());
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored); // chunks of a stream go out as written
        const tcp::endpoint remote = socket.remote_endpoint(ignored);
        if (const QString refused = refusedLocalTcpPeer(remote, socket.local_endpoint(ignored));
            !refused.isEmpty()) {
            qCWarning(lcApi, "refused an API connection: %s", qUtf8Printable(refused));
            continue;
        }
        const QString host = QString::fromStdString(remote.address().to_string());
        const QString peer = (remote.address().is_v6() ? u'[' + host + u']' : host) + u':' +
                             QString::number(remote.port());
        // The TLS port is the one anyone on the network can reach: its connections have a
        // limit of their own, and one address may hold only a few of them.
        std::shared_ptr<void> ticket = m_tcpAdmission->admit(remote.address().to_string());
        if (!ticket) {
            qCWarning(lcApi,
                      "too many API connections (at most %zu, %zu per address); refused "
                      "one from %s",
                      m_tcpAdmission->total(), m_tcpAdmission->perAddress(), qUtf8Printable(peer));
            continue;
        }
        asio::post(thread.context(), [settings = m_settings, &thread, socket = std::move(socket),
                                      peer, ticket = std::move(ticket)]() mutable {
            Io::TlsStream stream(std::move(socket), *settings->tls);
            auto session = std::make_shared<ApiSession<Io::TlsStream>>(settings, thread,
                                                                       std::move(stream), peer);
            asio::co_spawn(thread.context().get_executor(),
                           ApiSession<Io::TlsStream>::serve(std::move(session)),
                           [ticket = std::move(ticket)](std::exception_ptr failure) {
                               reportFailure(failure);
                           });
        });
    }
}

} // namespace Slipway
