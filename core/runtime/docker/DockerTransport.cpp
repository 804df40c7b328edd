#include "runtime/docker/DockerTransport.h"

#include "router/CloseOnExec.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <limits>
#include <optional>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;
using boost::system::error_code;

namespace Slipway {

namespace {

using LocalSocket = asio::basic_stream_socket<local, Io::Executor>;
using TlsStream = ssl::stream<Io::Socket>;
using Resolver = asio::ip::basic_resolver<tcp, Io::Executor>;
using ResponseParser = http::response_parser<http::buffer_body>;

constexpr std::size_t PieceSize = 64 * 1024;
constexpr std::uint32_t HeaderLimit = 64 * 1024;
// An answer that is not streamed is kept whole; nothing the engine answers that way (a
// list, an inspection) comes near this.
constexpr qsizetype WholeBodyLimit = 256 * 1024 * 1024;

std::string_view view(const QByteArray &bytes)
{
    return {bytes.constData(), std::size_t(bytes.size())};
}

bool closedByPeer(const error_code &error)
{
    return error == http::error::end_of_stream || error == asio::error::eof ||
           error == asio::error::connection_reset || error == asio::error::broken_pipe ||
           error == ssl::error::stream_truncated;
}

QString describe(const error_code &error)
{
    if (error == boost::system::errc::no_such_file_or_directory)
        return QStringLiteral("the socket does not exist");
    if (error == boost::system::errc::connection_refused)
        return QStringLiteral("connection refused");
    if (error == boost::system::errc::permission_denied)
        return QStringLiteral("permission denied (run as root or as a member of the docker group)");
    if (closedByPeer(error) || error == http::error::partial_message)
        return QStringLiteral("the connection closed before the answer was complete");
    return QString::fromStdString(error.message());
}

// Closes a stream's socket from the deadline or a cancellation.
void closeStream(LocalSocket &socket)
{
    error_code ignored;
    socket.close(ignored);
}

void closeStream(TlsStream &stream)
{
    error_code ignored;
    stream.next_layer().close(ignored);
}

} // namespace

QString DockerResponse::engineMessage() const
{
    const QJsonDocument document = QJsonDocument::fromJson(body);
    const QString message = document.object().value(QStringLiteral("message")).toString();
    if (!message.isEmpty())
        return message;
    const QByteArray line = body.trimmed().split('\n').value(0).left(300);
    if (!line.isEmpty())
        return QString::fromUtf8(line);
    return QStringLiteral("HTTP status %1").arg(status);
}

DockerTransport::DockerTransport(Io::Executor executor, DockerEndpoint endpoint)
    : m_executor(executor)
    , m_endpoint(std::move(endpoint))
{
    if (m_endpoint.kind() != DockerEndpoint::Kind::Tls)
        return;
    auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
    error_code error;
    const auto load = [&](const QString &file, auto &&step) {
        if (error)
            return;
        step(QFile::encodeName(file).toStdString(), error);
        if (error)
            m_tlsProblem =
                QStringLiteral("cannot use %1 for the TLS connection to the Docker engine "
                               "at %2: %3")
                    .arg(file, m_endpoint.address(), QString::fromStdString(error.message()));
    };
    load(m_endpoint.caFile(),
         [&](const std::string &path, error_code &e) { context->load_verify_file(path, e); });
    load(m_endpoint.certificateFile(), [&](const std::string &path, error_code &e) {
        context->use_certificate_chain_file(path, e);
    });
    load(m_endpoint.keyFile(), [&](const std::string &path, error_code &e) {
        context->use_private_key_file(path, ssl::context::pem, e);
    });
    context->set_verify_mode(ssl::verify_peer);
    m_tls = std::move(context);
}

QString DockerTransport::unreachable(const QString &reason) const
{
    return QStringLiteral("cannot reach the Docker engine at %1: %2 (is dockerd running? set "
                          "docker-host=unix:///path/to/docker.sock or tcp://host:port to use "
                          "another engine)")
        .arg(m_endpoint.address(), reason);
}

Io::Task<Result<DockerResponse>> DockerTransport::exchange(const DockerRequest &request,
                                                           DockerCallState &call)
{
    if (!m_tlsProblem.isEmpty())
        co_return failure(m_tlsProblem);
    if (call.cancelled)
        co_return failure(QStringLiteral("cancelled"));

    bool timedOut = false;
    Io::Timer deadline(m_executor);
    std::function<void()> close;
    const std::function<void()> disarm = [&] { deadline.cancel(); };
    const std::function<void()> arm = [&] {
        if (request.timeout.count() <= 0)
            return;
        deadline.expires_after(request.timeout);
        deadline.async_wait([&, expiry = deadline.expiry()](const error_code &error) {
            if (error || deadline.expiry() != expiry)
                return;
            timedOut = true;
            if (close)
                close();
        });
    };
    const auto timeoutText = [&] {
        return QStringLiteral("no answer within %1 s").arg(request.timeout.count() / 1000.0);
    };
    arm();

    std::optional<Result<DockerResponse>> result;
    if (m_endpoint.kind() == DockerEndpoint::Kind::UnixSocket) {
        LocalSocket socket(m_executor);
        close = [&] { closeStream(socket); };
        call.closeConnection = close;
        const local::endpoint where(QFile::encodeName(m_endpoint.socketPath()).toStdString());
        const auto [error] = co_await socket.async_connect(where, Io::Nothrow);
        if (error) {
            result = failure(unreachable(timedOut ? timeoutText() : describe(error)));
        } else {
            setCloseOnExec(socket.native_handle());
            result = co_await exchangeOn(socket, request, call, timedOut, arm, disarm);
        }
    } else {
        TlsStream stream(m_executor, *m_tls);
        Resolver resolver(m_executor);
        close = [&] {
            resolver.cancel();
            closeStream(stream);
        };
        call.closeConnection = close;
        const std::string host = m_endpoint.host().toStdString();
        const auto [resolveError, endpoints] =
            co_await resolver.async_resolve(host, std::to_string(m_endpoint.port()), Io::Nothrow);
        if (resolveError) {
            result = failure(unreachable(
                timedOut
                    ? timeoutText()
                    : QStringLiteral("cannot resolve %1: %2")
                          .arg(m_endpoint.host(), QString::fromStdString(resolveError.message()))));
        } else {
            const auto [connectError, connected] =
                co_await asio::async_connect(stream.next_layer(), endpoints, Io::Nothrow);
            (void)connected;
            if (connectError) {
                result = failure(unreachable(timedOut ? timeoutText() : describe(connectError)));
            } else {
                setCloseOnExec(stream.next_layer().native_handle());
                error_code ignored;
                stream.next_layer().set_option(tcp::no_delay(true), ignored);
                asio::ip::make_address(host, ignored);
                if (ignored) // a name: tell the engine which certificate is expected
                    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
                stream.set_verify_callback(ssl::host_name_verification(host));
                const auto [handshakeError] =
                    co_await stream.async_handshake(ssl::stream_base::client, Io::Nothrow);
                if (handshakeError) {
                    const long verified = SSL_get_verify_result(stream.native_handle());
                    result = failure(unreachable(
                        timedOut ? timeoutText()
                        : verified != X509_V_OK
                            ? QStringLiteral("the engine's certificate was not accepted (%1); "
                                             "check ca.pem in %2")
                                  .arg(QString::fromUtf8(X509_verify_cert_error_string(verified)),
                                       m_endpoint.certificateFolder())
                            : QStringLiteral("the TLS handshake failed: %1 (check cert.pem and "
                                             "key.pem in %2)")
                                  .arg(QString::fromStdString(handshakeError.message()),
                                       m_endpoint.certificateFolder())));
                } else {
                    result = co_await exchangeOn(stream, request, call, timedOut, arm, disarm);
                }
            }
        }
    }
    call.closeConnection = {};
    close = {};
    deadline.cancel();
    if (call.cancelled)
        co_return failure(QStringLiteral("cancelled"));
    if (!*result && timedOut)
        co_return failure(unreachable(timeoutText()));
    co_return std::move(*result);
}

template<class Stream>
Io::Task<Result<DockerResponse>>
DockerTransport::exchangeOn(Stream &stream, const DockerRequest &request, DockerCallState &call,
                            const bool &timedOut, const std::function<void()> &rearm,
                            const std::function<void()> &disarm)
{
    const auto broken = [&](const error_code &error) {
        QString reason = timedOut ? QStringLiteral("no answer in time") : describe(error);
        // With TLS 1.3 the engine checks the client's certificate after the handshake and
        // answers a refusal with an alert ("bad certificate") or by closing the connection.
        if (!timedOut && m_endpoint.kind() == DockerEndpoint::Kind::Tls &&
            (closedByPeer(error) || error.category() == asio::error::get_ssl_category()))
            reason += QStringLiteral("; did the engine refuse the client certificate %1?")
                          .arg(m_endpoint.certificateFile());
        return failure(unreachable(reason));
    };
    const bool upload = !request.bodyFile.isEmpty();
    QFile file;
    qint64 fileSize = 0;
    if (upload) {
        file.setFileName(request.bodyFile);
        if (!file.open(QIODevice::ReadOnly))
            co_return failure(QStringLiteral("cannot read %1 to send it to the Docker engine: %2")
                                  .arg(request.bodyFile, file.errorString()));
        fileSize = file.size();
    }

    {
        http::request<http::buffer_body> head;
        head.version(11);
        head.method_string(view(request.method));
        head.target(view(request.target));
        // The engine ignores the host on its socket; over TLS it is the engine's name.
        head.set(http::field::host, m_endpoint.kind() == DockerEndpoint::Kind::Tls
                                        ? m_endpoint.host().toStdString()
                                        : std::string("docker"));
        head.set(http::field::user_agent, std::string_view("Slipway"));
        const qint64 length = upload ? fileSize : request.body.size();
        if (length > 0 || request.method == "POST" || request.method == "PUT")
            head.content_length(std::uint64_t(length));
        if (length > 0 && !request.contentType.isEmpty())
            head.set(http::field::content_type, view(request.contentType));
        if (upload && fileSize > 0)
            head.set(http::field::expect, std::string_view("100-continue"));
        if (!upload && !request.body.isEmpty()) {
            head.body().data = const_cast<char *>(request.body.constData()); // only read from
            head.body().size = std::size_t(request.body.size());
        }
        head.body().more = false;
        const auto [error, written] = co_await http::async_write(stream, head, Io::Nothrow);
        (void)written;
        if (error)
            co_return broken(error);
    }

    beast::flat_buffer buffer;
    bool bodySent = !upload || fileSize == 0;
    std::optional<ResponseParser> parser;
    for (;;) {
        parser.emplace();
        parser->header_limit(HeaderLimit);
        parser->body_limit(std::numeric_limits<std::uint64_t>::max());
        const auto [error, read] =
            co_await http::async_read_header(stream, buffer, *parser, Io::Nothrow);
        (void)read;
        if (error)
            co_return broken(error);
        const unsigned status = parser->get().result_int();
        if (status == 100 && !bodySent) {
            // The engine takes the body: send the file piece by piece.
            const auto piece = std::make_unique<char[]>(PieceSize);
            qint64 remaining = fileSize;
            while (remaining > 0) {
                const qint64 got = file.read(piece.get(), std::min<qint64>(remaining, PieceSize));
                if (got <= 0)
                    co_return failure(QStringLiteral("cannot read %1 to the end to send it to the "
                                                     "Docker engine: %2")
                                          .arg(request.bodyFile, file.errorString()));
                remaining -= got;
                const auto [writeError, written] = co_await asio::async_write(
                    stream, asio::buffer(piece.get(), std::size_t(got)), Io::Nothrow);
                (void)written;
                if (writeError)
                    co_return broken(writeError);
                rearm(); // the time bound counts for each piece of a long upload
                if (request.onSent)
                    request.onSent(fileSize - remaining, fileSize);
                if (call.cancelled)
                    co_return failure(QStringLiteral("cancelled"));
            }
            bodySent = true;
            continue;
        }
        if (status >= 100 && status < 200)
            continue;
        break;
    }

    DockerResponse response;
    response.status = int(parser->get().result_int());
    const bool streamed = response.isSuccess() && request.onPiece;
    if (streamed)
        disarm(); // a followed stream may stay quiet for as long as it likes
    const auto piece = std::make_unique<char[]>(PieceSize);
    Io::Timer pause(m_executor);
    while (!parser->is_done()) {
        parser->get().body().data = piece.get();
        parser->get().body().size = PieceSize;
        auto [error, read] = co_await http::async_read_some(stream, buffer, *parser, Io::Nothrow);
        (void)read;
        if (error == http::error::need_buffer ||
            (error == http::error::end_of_stream && parser->is_done()))
            error = {};
        if (error)
            co_return broken(error);
        const std::size_t got = PieceSize - parser->get().body().size;
        if (got == 0)
            continue;
        if (!streamed) {
            if (response.body.size() + qsizetype(got) > WholeBodyLimit)
                co_return failure(QStringLiteral("the Docker engine's answer to %1 %2 is over "
                                                 "%3 MiB: not read")
                                      .arg(QString::fromLatin1(request.method),
                                           QString::fromLatin1(request.target))
                                      .arg(WholeBodyLimit / (1024 * 1024)));
            response.body.append(piece.get(), qsizetype(got));
            continue;
        }
        if (!request.onPiece(QByteArray(piece.get(), qsizetype(got))))
            break;
        // The caller's thread is behind: wait for it rather than pile up its input.
        while (call.queuedBytes > DockerCallState::StreamBacklogBytes && !call.cancelled) {
            pause.expires_after(std::chrono::milliseconds(10));
            co_await pause.async_wait(Io::Nothrow);
        }
        if (call.cancelled)
            break;
    }
    co_return response;
}

} // namespace Slipway
