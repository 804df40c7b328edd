#include "runtime/swarm/SlugServer.h"

#include "router/CloseOnExec.h"
#include "util/ConnectionAdmission.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace Slipway {

namespace {

using namespace std::chrono_literals;

constexpr auto RequestTimeout = 10s;
// A slug of a few hundred megabytes over a slow link still arrives; a stalled one is cut.
constexpr auto TransferTimeout = 15min;
constexpr std::size_t KeyBytes = 32;
constexpr std::size_t MostConnections = 128;
constexpr std::size_t MostConnectionsPerAddress = 32;

constexpr auto token = asio::as_tuple(asio::use_awaitable);

Result<QByteArray> loadKey(const QString &stateDirectory)
{
    QByteArray key(KeyBytes, Qt::Uninitialized);
    auto fill = [&key] {
        QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(key.data()),
                                             reinterpret_cast<quint32 *>(key.data() + KeyBytes));
    };
    if (stateDirectory.isEmpty()) {
        fill();
        return key;
    }
    const QString path = QDir(stateDirectory).filePath(QLatin1String(SlugServer::KeyFile));
    QFile file(path);
    if (file.open(QIODevice::ReadOnly)) {
        const QByteArray stored = file.read(KeyBytes + 1);
        if (stored.size() == qsizetype(KeyBytes))
            return stored;
        return failure(QStringLiteral("the slug key '%1' is damaged: remove it and the running "
                                      "Swarm services of this daemon's apps get new slug URLs at "
                                      "their next deployment")
                           .arg(path));
    }
    fill();
    QDir().mkpath(stateDirectory);
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly | QIODevice::NewOnly) ||
        !out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
        out.write(key) != qint64(KeyBytes) || !out.flush())
        return failure(
            QStringLiteral("cannot write the slug key '%1': %2").arg(path, out.errorString()));
    return key;
}

} // namespace

struct SlugServerIo
{
    asio::io_context context{1};
    tcp::acceptor acceptor{context};
    std::shared_ptr<ConnectionAdmission> admission =
        std::make_shared<ConnectionAdmission>(MostConnections, MostConnectionsPerAddress);
    std::thread thread;
};

namespace {

asio::awaitable<void> answer(beast::tcp_stream &stream, http::status status, unsigned version)
{
    http::response<http::empty_body> response{status, version};
    response.keep_alive(false);
    response.content_length(0);
    co_await http::async_write(stream, response, token);
}

asio::awaitable<void> serve(tcp::socket socket, const SlugServer *server,
                            std::shared_ptr<void> ticket)
{
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer(8192);
    http::request_parser<http::empty_body> parser;
    parser.header_limit(8192);
    parser.body_limit(0);
    stream.expires_after(RequestTimeout);
    const auto [readError, read] = co_await http::async_read(stream, buffer, parser, token);
    if (readError)
        co_return;
    const auto &request = parser.get();
    const unsigned version = request.version();
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
        co_await answer(stream, http::status::method_not_allowed, version);
        co_return;
    }
    const std::string_view target = request.target();
    const QString file = server->fileFor(QByteArray(target.data(), qsizetype(target.size())));
    http::response<http::file_body> response{http::status::ok, version};
    beast::error_code openError;
    if (!file.isEmpty())
        response.body().open(QFile::encodeName(file).constData(), beast::file_mode::scan,
                             openError);
    if (file.isEmpty() || openError) {
        co_await answer(stream, http::status::not_found, version);
        co_return;
    }
    response.set(http::field::content_type, "application/gzip");
    response.keep_alive(false);
    response.prepare_payload();
    stream.expires_after(TransferTimeout);
    if (request.method() == http::verb::head) {
        http::response_serializer<http::file_body> serializer{response};
        co_await http::async_write_header(stream, serializer, token);
    } else {
        co_await http::async_write(stream, response, token);
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    (void)ticket;
}

asio::awaitable<void> acceptLoop(SlugServerIo *io, const SlugServer *server)
{
    for (;;) {
        auto [error, socket] = co_await io->acceptor.async_accept(token);
        if (error == asio::error::operation_aborted || !io->acceptor.is_open())
            co_return;
        if (error) {
            // Out of descriptors, say: wait a moment rather than spin.
            asio::steady_timer pause(io->context, 100ms);
            co_await pause.async_wait(token);
            continue;
        }
        setCloseOnExec(socket.native_handle());
        beast::error_code ignored;
        const tcp::endpoint remote = socket.remote_endpoint(ignored);
        std::shared_ptr<void> ticket = io->admission->admit(remote.address().to_string());
        if (!ticket)
            continue; // closed as it goes out of scope
        asio::co_spawn(io->context, serve(std::move(socket), server, std::move(ticket)),
                       asio::detached);
    }
}

} // namespace

Result<std::unique_ptr<SlugServer>> SlugServer::start(const QString &address, quint16 port,
                                                      const QString &stateDirectory)
{
    Result<QByteArray> key = loadKey(stateDirectory);
    if (!key)
        return std::unexpected(key.error());
    std::unique_ptr<SlugServer> server(new SlugServer);
    server->m_key = *key;
    server->m_io = std::make_unique<SlugServerIo>();
    SlugServerIo &io = *server->m_io;
    boost::system::error_code error;
    const asio::ip::address ip = asio::ip::make_address(address.toStdString(), error);
    if (error)
        return failure(
            QStringLiteral("cannot serve slugs on '%1': not an IP address").arg(address));
    const tcp::endpoint endpoint(ip, port);
    io.acceptor.open(endpoint.protocol(), error);
    if (!error) {
        setCloseOnExec(io.acceptor.native_handle());
        io.acceptor.set_option(tcp::acceptor::reuse_address(true), error);
        io.acceptor.bind(endpoint, error);
    }
    if (!error)
        io.acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error)
        return failure(QStringLiteral("cannot serve slugs to the Swarm's tasks on %1:%2: %3")
                           .arg(address)
                           .arg(port)
                           .arg(QString::fromStdString(error.message())));
    server->m_address = address;
    server->m_port = io.acceptor.local_endpoint().port();
    asio::co_spawn(io.context, acceptLoop(&io, server.get()), asio::detached);
    io.thread = std::thread([&io] { io.context.run(); });
    return server;
}

SlugServer::~SlugServer()
{
    if (!m_io)
        return;
    asio::post(m_io->context, [io = m_io.get()] {
        boost::system::error_code ignored;
        io->acceptor.close(ignored);
        io->context.stop();
    });
    if (m_io->thread.joinable())
        m_io->thread.join();
}

QString SlugServer::publish(const QString &slugPath)
{
    const QString file = QFileInfo(slugPath).absoluteFilePath();
    const QByteArray path =
        "/slugs/" +
        QMessageAuthenticationCode::hash(file.toUtf8(), m_key, QCryptographicHash::Sha256).toHex();
    {
        const std::lock_guard lock(m_mutex);
        m_files.insert(path, file);
    }
    const QString host = m_address.contains(u':') ? u'[' + m_address + u']' : m_address;
    return QStringLiteral("http://%1:%2%3").arg(host).arg(m_port).arg(QString::fromLatin1(path));
}

QString SlugServer::fileFor(const QByteArray &target) const
{
    const std::lock_guard lock(m_mutex);
    return m_files.value(target);
}

} // namespace Slipway
