#include "api/ApiClientConnection.h"

#include "api/ApiTls.h"

#include "router/CloseOnExec.h"

#include <QFile>

#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <limits>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;
using boost::system::error_code;

namespace Slipway {

namespace {

constexpr std::size_t PieceSize = 64 * 1024;
constexpr std::uint32_t HeaderLimit = 64 * 1024;
// A declared body length is trusted for one allocation up to this; beyond, it is read in pieces.
constexpr std::uint64_t DirectBodyLimit = 64ULL * 1024 * 1024;

using ResponseParser = http::response_parser<http::buffer_body>;

std::string_view view(const QByteArray &bytes)
{
    return {bytes.constData(), std::size_t(bytes.size())};
}

QByteArray bytes(std::string_view text)
{
    return QByteArray(text.data(), qsizetype(text.size()));
}

// How a connection the server already closed shows when it is used again.
bool closedByPeer(const error_code &error)
{
    return error == http::error::end_of_stream || error == asio::error::eof ||
           error == asio::error::connection_reset || error == asio::error::broken_pipe ||
           error == ssl::error::stream_truncated;
}

bool methodCarriesBody(const QByteArray &method)
{
    return method == "POST" || method == "PUT" || method == "PATCH";
}

} // namespace

ApiClientConnection::ApiClientConnection(QString socketPath)
    : m_socketPath(std::move(socketPath))
{}

ApiClientConnection::ApiClientConnection(QString host, quint16 port, QByteArray token,
                                         QString caCertificateFile)
    : m_host(std::move(host))
    , m_port(port)
    , m_token(std::move(token))
    , m_caCertificateFile(std::move(caCertificateFile))
{}

ApiClientConnection::~ApiClientConnection()
{
    disconnect();
}

QString ApiClientConnection::endpoint() const
{
    if (!m_socketPath.isEmpty())
        return m_socketPath;
    return m_host + u':' + QString::number(m_port);
}

bool ApiClientConnection::isConnected() const
{
    return (m_local && m_local->is_open()) || (m_secure && m_secure->next_layer().is_open());
}

void ApiClientConnection::disconnect()
{
    error_code ignored;
    if (m_local)
        m_local->close(ignored);
    if (m_secure)
        m_secure->next_layer().close(ignored);
    m_local.reset();
    m_secure.reset();
    m_buffer.clear();
}

void ApiClientConnection::armDeadline(std::chrono::milliseconds limit)
{
    m_deadline.expires_after(limit);
    m_deadline.async_wait([this](const error_code &error) {
        if (error || m_deadline.expiry() > Io::Timer::clock_type::now())
            return;
        m_timedOut = true;
        error_code ignored;
        if (m_local)
            m_local->close(ignored);
        if (m_secure)
            m_secure->next_layer().close(ignored);
        if (m_resolver)
            m_resolver->cancel();
    });
}

void ApiClientConnection::disarmDeadline()
{
    m_deadline.expires_at(Io::Timer::time_point::max());
}

QString ApiClientConnection::reasonFor(const error_code &error) const
{
    if (m_timedOut)
        return QStringLiteral("no answer within %1 s").arg(double(m_timeout.count()) / 1000.0);
    if (error == boost::system::errc::no_such_file_or_directory)
        return QStringLiteral("the socket does not exist (is slipwayd running?)");
    if (error == boost::system::errc::connection_refused)
        return QStringLiteral("connection refused (is slipwayd running?)");
    if (error == boost::system::errc::permission_denied)
        return QStringLiteral("permission denied");
    if (closedByPeer(error) || error == http::error::partial_message)
        return QStringLiteral("the connection closed before the answer was complete");
    return QString::fromStdString(error.message());
}

void ApiClientConnection::abort()
{
    m_aborted = true;
    // Runs on the thread inside perform(), where the sockets may be touched.
    asio::post(m_context, [this] {
        error_code ignored;
        if (m_local)
            m_local->close(ignored);
        if (m_secure)
            m_secure->next_layer().close(ignored);
        if (m_resolver)
            m_resolver->cancel();
    });
}

Result<ApiReply> ApiClientConnection::perform(Call &call)
{
    m_timeout = call.timeout;
    for (int attempt = 0;; ++attempt) {
        if (m_aborted)
            return failure(QStringLiteral("the call to slipwayd was cancelled"));
        const bool reused = isConnected();
        m_timedOut = false;
        std::optional<Outcome> result;
        std::exception_ptr thrown;
        asio::co_spawn(m_context.get_executor(), exchange(call),
                       [&](std::exception_ptr error, Outcome outcome) {
                           thrown = error;
                           if (!error)
                               result = std::move(outcome);
                       });
        m_context.restart();
        m_context.run();
        if (thrown) {
            // Not the transport's doing (Asio reports those as values): onChunk threw.
            disconnect();
            std::rethrow_exception(thrown);
        }
        Outcome &outcome = *result;
        if (m_aborted) {
            disconnect();
            return failure(QStringLiteral("the call to slipwayd was cancelled"));
        }
        if (outcome.failure.isEmpty()) {
            if (!outcome.reusable)
                disconnect();
            return std::move(outcome.reply);
        }
        disconnect();
        // A kept-alive connection the server had closed in the meantime: nothing of this
        // request reached it, so it is sent once more on a new connection.
        if (outcome.stale && reused && attempt == 0)
            continue;
        if (!outcome.unreachable)
            return failure(outcome.failure);
        return failure(
            QStringLiteral("cannot reach slipwayd at %1: %2").arg(endpoint(), outcome.failure));
    }
}

Io::Task<ApiClientConnection::Outcome> ApiClientConnection::exchange(Call &call)
{
    Outcome outcome;
    armDeadline(m_timeout);
    if (!isConnected()) {
        const QString problem = co_await connect();
        if (!problem.isEmpty()) {
            disarmDeadline();
            outcome.failure = problem;
            outcome.unreachable = true;
            co_return outcome;
        }
    }
    if (m_local)
        outcome = co_await exchangeOn(*m_local, call);
    else
        outcome = co_await exchangeOn(*m_secure, call);
    // Nothing may stay pending, or the event loop would not return.
    disarmDeadline();
    co_return outcome;
}

Io::Task<QString> ApiClientConnection::connect()
{
    m_buffer.clear();
    if (!m_socketPath.isEmpty()) {
        m_local.emplace(m_context);
        const local::endpoint endpoint(QFile::encodeName(m_socketPath).toStdString());
        const auto [error] = co_await m_local->async_connect(endpoint, Io::Nothrow);
        if (error) {
            const QString reason = reasonFor(error);
            m_local.reset();
            co_return reason;
        }
        setCloseOnExec(m_local->native_handle());
        // Nothing is sent (a password, a token) before the server is known to be the
        // user's own daemon or root's: another user could have put a server at this path.
        ucred credentials{};
        socklen_t size = sizeof credentials;
        const bool known = ::getsockopt(m_local->native_handle(), SOL_SOCKET, SO_PEERCRED,
                                        &credentials, &size) == 0;
        if (!known || (credentials.uid != ::geteuid() && credentials.uid != 0)) {
            m_local.reset();
            co_return known ? QStringLiteral("the server at %1 runs as user %2, not as you; it is "
                                             "not your slipwayd, nothing was sent to it")
                                  .arg(m_socketPath)
                                  .arg(credentials.uid)
                            : QStringLiteral("cannot tell who runs the server at %1: %2")
                                  .arg(m_socketPath, QString::fromLocal8Bit(::strerror(errno)));
        }
        co_return QString();
    }

    if (!m_tls) {
        auto context = ApiTls::clientContext(m_caCertificateFile, m_host);
        if (!context)
            co_return context.error().message;
        m_tls = std::move(*context);
    }
    const std::string host = m_host.toStdString();
    const std::string service = std::to_string(m_port);
    m_resolver.emplace(m_context.get_executor());
    const auto [resolveError, endpoints] =
        co_await m_resolver->async_resolve(host, service, Io::Nothrow);
    m_resolver.reset();
    if (m_timedOut)
        co_return reasonFor(resolveError);
    if (resolveError)
        co_return QStringLiteral("cannot resolve %1: %2")
            .arg(m_host, QString::fromStdString(resolveError.message()));
    m_secure.emplace(m_context, *m_tls);
    const auto [connectError, connected] =
        co_await asio::async_connect(m_secure->next_layer(), endpoints, Io::Nothrow);
    (void)connected;
    if (connectError) {
        const QString reason = reasonFor(connectError);
        m_secure.reset();
        co_return reason;
    }
    setCloseOnExec(m_secure->next_layer().native_handle());
    error_code ignored;
    m_secure->next_layer().set_option(tcp::no_delay(true), ignored);
    asio::ip::make_address(host, ignored);
    if (ignored) // a name, not an address: tell the server which certificate we expect
        SSL_set_tlsext_host_name(m_secure->native_handle(), host.c_str());
    const auto [handshakeError] =
        co_await m_secure->async_handshake(ssl::stream_base::client, Io::Nothrow);
    if (handshakeError) {
        const long verified = SSL_get_verify_result(m_secure->native_handle());
        const QString reason =
            m_timedOut ? reasonFor(handshakeError)
            : verified != X509_V_OK
                ? QStringLiteral("the server's certificate was not accepted: %1")
                      .arg(QString::fromUtf8(X509_verify_cert_error_string(verified)))
                : QStringLiteral("the TLS handshake failed: %1")
                      .arg(QString::fromStdString(handshakeError.message()));
        m_secure.reset();
        co_return reason;
    }
    co_return QString();
}

template<class Stream>
Io::Task<ApiClientConnection::Outcome> ApiClientConnection::exchangeOn(Stream &stream, Call &call)
{
    Outcome outcome;
    const bool upload = call.kind == Call::Kind::Upload;
    QFile file;
    qint64 fileSize = 0;
    if (upload) {
        file.setFileName(call.file);
        if (!file.open(QIODevice::ReadOnly)) {
            outcome.failure =
                QStringLiteral("cannot upload %1: %2").arg(call.file, file.errorString());
            co_return outcome;
        }
        fileSize = file.size();
    }

    {
        const std::string host =
            m_socketPath.isEmpty() ? endpoint().toStdString() : std::string("localhost");
        http::request<http::buffer_body> request;
        request.version(11);
        request.method_string(view(call.method));
        request.target(view(call.target));
        request.set(http::field::host, host);
        request.set(http::field::user_agent, std::string_view("slipway-api-client"));
        if (!m_token.isEmpty())
            request.set(http::field::authorization, "Bearer " + m_token.toStdString());
        const qint64 length = upload ? fileSize : call.body.size();
        if (length > 0 || upload || methodCarriesBody(call.method))
            request.content_length(std::uint64_t(length));
        if (length > 0 && !call.contentType.isEmpty())
            request.set(http::field::content_type, view(call.contentType));
        if (upload && fileSize > 0)
            request.set(http::field::expect, std::string_view("100-continue"));
        if (!upload && !call.body.isEmpty()) {
            request.body().data = const_cast<char *>(call.body.constData()); // only read from
            request.body().size = std::size_t(call.body.size());
        }
        request.body().more = false;
        const auto [error, written] = co_await http::async_write(stream, request, Io::Nothrow);
        (void)written;
        if (error) {
            outcome.failure = reasonFor(error);
            outcome.unreachable = true;
            outcome.stale = closedByPeer(error) && !m_timedOut;
            co_return outcome;
        }
    }

    bool bodySent = !upload || fileSize == 0;
    std::optional<ResponseParser> parser;
    for (;;) {
        parser.emplace();
        parser->header_limit(HeaderLimit);
        parser->body_limit(std::numeric_limits<std::uint64_t>::max());
        if (call.method == "HEAD")
            parser->skip(true);
        const bool nothingYet = m_buffer.size() == 0;
        const auto [error, read] =
            co_await http::async_read_header(stream, m_buffer, *parser, Io::Nothrow);
        (void)read;
        if (error) {
            outcome.failure = reasonFor(error);
            outcome.unreachable = true;
            outcome.stale = nothingYet && closedByPeer(error) && !m_timedOut;
            co_return outcome;
        }
        const unsigned status = parser->get().result_int();
        if (status == 100 && !bodySent) {
            // The server takes the body: stream the file, the timeout counted per piece.
            std::unique_ptr<char[]> piece = std::make_unique<char[]>(PieceSize);
            qint64 remaining = fileSize;
            while (remaining > 0) {
                const qint64 got = file.read(piece.get(), std::min<qint64>(remaining, PieceSize));
                if (got <= 0) {
                    outcome.failure =
                        QStringLiteral("cannot upload %1: it could not be read to the end (%2)")
                            .arg(call.file, file.errorString());
                    co_return outcome;
                }
                remaining -= got;
                armDeadline(m_timeout);
                const auto data = asio::buffer(piece.get(), std::size_t(got));
                const auto [writeError, written] =
                    co_await asio::async_write(stream, data, Io::Nothrow);
                (void)written;
                if (writeError) {
                    outcome.failure = reasonFor(writeError);
                    outcome.unreachable = true;
                    co_return outcome;
                }
                if (call.onProgress && !call.onProgress(fileSize - remaining, fileSize)) {
                    outcome.failure =
                        QStringLiteral("the upload of %1 was cancelled").arg(call.file);
                    co_return outcome;
                }
            }
            armDeadline(m_timeout);
            bodySent = true;
            continue;
        }
        if (status >= 100 && status < 200 && status != 101)
            continue; // other interim answers
        break;
    }

    const auto &response = parser->get();
    outcome.reply.status = int(response.result_int());
    for (const auto &field : response) {
        const QByteArray name = bytes(field.name_string()).toLower();
        const QByteArray value = bytes(field.value());
        auto existing = outcome.reply.headers.find(name);
        if (existing == outcome.reply.headers.end())
            outcome.reply.headers.insert(name, value);
        else
            existing.value() += ", " + value;
    }
    const bool streaming = call.kind == Call::Kind::Stream && outcome.reply.isSuccess();
    if (streaming)
        disarmDeadline(); // a followed stream may stay quiet for a long time
    const QString problem = co_await readBody(stream, *parser, call, outcome);
    if (!problem.isEmpty()) {
        outcome.failure = problem;
        outcome.unreachable = true;
        co_return outcome;
    }
    outcome.reusable = parser->keep_alive() && bodySent && !outcome.stopped;
    co_return outcome;
}

template<class Stream, class Parser>
Io::Task<QString> ApiClientConnection::readBody(Stream &stream, Parser &parser, Call &call,
                                                Outcome &outcome)
{
    const bool streaming = call.kind == Call::Kind::Stream && outcome.reply.isSuccess();
    QByteArray &body = outcome.reply.body;
    const auto length = parser.content_length();
    std::unique_ptr<char[]> piece;
    std::size_t filled = 0;
    // A body of known length is read straight into the reply; otherwise piece by piece.
    if (!streaming && length && *length <= DirectBodyLimit)
        body.resize(qsizetype(*length));
    else
        piece = std::make_unique<char[]>(PieceSize);
    while (!parser.is_done()) {
        char *space = piece ? piece.get() : body.data() + filled;
        const std::size_t room = piece ? PieceSize : std::size_t(body.size()) - filled;
        parser.get().body().data = space;
        parser.get().body().size = room;
        auto [error, read] = co_await http::async_read_some(stream, m_buffer, parser, Io::Nothrow);
        (void)read;
        if (error == http::error::need_buffer ||
            (error == http::error::end_of_stream && parser.is_done()))
            error = {};
        if (error)
            co_return reasonFor(error);
        const std::size_t got = room - parser.get().body().size;
        if (got == 0)
            continue;
        if (!piece) {
            filled += got;
        } else if (!streaming) {
            body.append(piece.get(), qsizetype(got));
        } else {
            const QByteArray chunk(piece.get(), qsizetype(got));
            if (call.onChunk && !call.onChunk(chunk)) {
                outcome.stopped = true;
                co_return QString();
            }
        }
    }
    if (!piece)
        body.truncate(qsizetype(filled));
    co_return QString();
}

} // namespace Slipway
