#include "api/ApiSession.h"

#include "api/ApiIoThread.h"
#include "api/ApiJson.h"
#include "api/ApiLogging.h"
#include "api/ApiRequest.h"
#include "api/ApiResponder.h"
#include "api/ApiSessionSettings.h"
#include "api/ResponseLink.h"

#include <QUrl>

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace Slipway {

namespace {

constexpr std::uint32_t HeaderLimit = 64 * 1024;
constexpr std::size_t PieceSize = 64 * 1024;
constexpr std::size_t WatchPiece = 4 * 1024;
// A stream whose client reads slower than the Qt side writes is cut past this backlog.
constexpr qint64 OutboxLimit = 64LL * 1024 * 1024;
constexpr std::size_t MaxGatheredChunks = 64;
constexpr auto IdleTimeout = std::chrono::seconds(120);
constexpr auto BodyIdleTimeout = std::chrono::seconds(60);
constexpr auto WriteTimeout = std::chrono::seconds(60);
constexpr auto HandshakeTimeout = std::chrono::seconds(15);
constexpr auto LingerTimeout = std::chrono::seconds(2);
constexpr std::size_t LingerBytes = 1024 * 1024;
constexpr std::string_view ServerName = "slipwayd";
constexpr std::string_view JsonType = "application/json";
constexpr qint64 MaxJsonBodyBytes = 4LL * 1024 * 1024;

// A body in a binary type, or one named by ?filename=, is an uploaded archive.
bool isUpload(std::string_view contentType, std::string_view target)
{
    static constexpr std::string_view ArchiveTypes[] = {
        "application/octet-stream", "application/gzip",        "application/x-gzip",
        "application/x-tar",        "application/zip",         "application/x-bzip2",
        "application/x-xz",         "application/java-archive"};
    for (const std::string_view type : ArchiveTypes) {
        if (contentType.size() >= type.size() &&
            beast::iequals(contentType.substr(0, type.size()), type))
            return true;
    }
    const std::size_t question = target.find('?');
    return question != std::string_view::npos &&
           (target.find("?filename=", question) != std::string_view::npos ||
            target.find("&filename=", question) != std::string_view::npos);
}

template<class Stream>
constexpr bool IsTls = std::is_same_v<Stream, Io::TlsStream>;

bool isHttpError(const error_code &error)
{
    return error.category() == http::make_error_code(http::error::end_of_stream).category();
}

std::string_view view(const QByteArray &bytes)
{
    return {bytes.constData(), std::size_t(bytes.size())};
}

QByteArray bytes(std::string_view text)
{
    return QByteArray(text.data(), qsizetype(text.size()));
}

// The token of "Authorization: Bearer <token>"; empty when there is none.
std::string_view bearerToken(std::string_view authorization)
{
    constexpr std::string_view Scheme = "bearer ";
    if (authorization.size() <= Scheme.size() ||
        !beast::iequals(authorization.substr(0, Scheme.size()), Scheme))
        return {};
    std::string_view token = authorization.substr(Scheme.size());
    while (!token.empty() && token.front() == ' ')
        token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ')
        token.remove_suffix(1);
    return token;
}

bool bodyless(int status)
{
    return status == 204 || status == 304;
}

// Registers the connection with its thread for as long as the coroutine frame lives, so a
// stopping server can close it (also when the frame is destroyed without finishing).
class Attachment
{
public:
    Attachment(ApiIoThread &thread, ApiConnection *connection)
        : m_thread(thread)
        , m_connection(connection)
    {
        m_thread.attach(m_connection);
    }
    ~Attachment() { m_thread.detach(m_connection); }
    Attachment(const Attachment &) = delete;
    Attachment &operator=(const Attachment &) = delete;

private:
    ApiIoThread &m_thread;
    ApiConnection *m_connection;
};

} // namespace

template<class Stream>
ApiSession<Stream>::ApiSession(std::shared_ptr<const ApiSessionSettings> settings,
                               ApiIoThread &thread, Stream stream, QString peer)
    : m_settings(std::move(settings))
    , m_thread(thread)
    , m_stream(std::move(stream))
    , m_peer(std::move(peer))
    , m_wake(m_stream.get_executor())
    , m_deadline(m_stream.get_executor())
{}

template<class Stream>
ApiSession<Stream>::~ApiSession() = default;

template<class Stream>
auto &ApiSession<Stream>::lowestLayer()
{
    if constexpr (IsTls<Stream>)
        return m_stream.next_layer();
    else
        return m_stream;
}

template<class Stream>
Io::Task<void> ApiSession<Stream>::serve(std::shared_ptr<ApiSession> session)
{
    co_await session->run();
}

template<class Stream>
void ApiSession<Stream>::shutdown()
{
    m_closing = true;
    closeSocket();
    notify();
}

template<class Stream>
void ApiSession<Stream>::closeSocket()
{
    error_code ignored;
    lowestLayer().close(ignored);
}

template<class Stream>
void ApiSession<Stream>::notify()
{
    m_wake.cancel();
}

template<class Stream>
Io::Task<void> ApiSession<Stream>::waitForWake()
{
    // Only this coroutine waits on m_wake, and every condition it waits for is checked
    // before it suspends, on this same thread: no wake-up can be missed.
    m_wake.expires_at(Io::Timer::time_point::max());
    const auto [error] = co_await m_wake.async_wait(Io::Nothrow);
    (void)error;
}

template<class Stream>
void ApiSession<Stream>::armDeadline(Clock::duration limit)
{
    m_deadline.expires_after(limit);
    m_deadline.async_wait([weak = this->weak_from_this()](const error_code &error) {
        if (error)
            return;
        const auto self = weak.lock();
        // A deadline moved after this wait had already fired is not a timeout.
        if (self && self->m_deadline.expiry() <= Clock::now())
            self->expire();
    });
}

template<class Stream>
QString ApiSession<Stream>::bodyTooLarge(bool upload) const
{
    if (upload)
        return QStringLiteral("the uploaded archive is over the limit of %1 bytes")
            .arg(m_settings->maxBodyBytes);
    return QStringLiteral("the request body is over the limit of %1 bytes for JSON; send an "
                          "archive as application/octet-stream")
        .arg(std::min(m_settings->maxBodyBytes, MaxJsonBodyBytes));
}

template<class Stream>
void ApiSession<Stream>::disarmDeadline()
{
    m_deadline.expires_at(Io::Timer::time_point::max());
}

template<class Stream>
void ApiSession<Stream>::expire()
{
    qCDebug(lcApi, "connection from %s timed out", qUtf8Printable(m_peer));
    m_closing = true;
    closeSocket();
    notify();
}

template<class Stream>
void ApiSession<Stream>::accept(ResponsePart part)
{
    if (m_peerGone || m_closing || !m_awaitingAnswer)
        return;
    m_outboxBytes += part.data.size();
    m_outbox.push_back(std::move(part));
    if (m_outboxBytes > OutboxLimit) {
        qCWarning(lcApi, "client %s reads its stream too slowly (%lld bytes waiting); closing it",
                  qUtf8Printable(m_peer), m_outboxBytes);
        m_closing = true;
        closeSocket();
    }
    notify();
}

template<class Stream>
void ApiSession<Stream>::startWatch()
{
    // Bytes of a next request (pipelining) say the client is still there; and a watch must
    // not stay pending once one is buffered, or readHeader() would wait for more that never
    // comes. A pipelining client's departure shows at the next write instead.
    if (m_watching || m_peerGone || m_closing || !m_awaitingAnswer || m_buffer.size() > 0)
        return;
    m_watching = true;
    const auto space = m_buffer.prepare(WatchPiece);
    m_stream.async_read_some(
        space, [self = this->shared_from_this()](const error_code &error, std::size_t bytes) {
            self->watched(error, bytes);
        });
}

template<class Stream>
void ApiSession<Stream>::watched(const error_code &error, std::size_t bytes)
{
    m_watching = false;
    if (error) {
        if (!m_closing) {
            m_peerGone = true;
            if (m_link)
                m_link->clientLeft();
        }
        notify();
        return;
    }
    // Bytes of the next request: kept for readHeader(), and no further watch (see startWatch()).
    m_buffer.commit(bytes);
    notify();
}

template<class Stream>
Io::Task<void> ApiSession<Stream>::run()
{
    const Attachment attachment(m_thread, this);
    Next next = co_await handshake();
    while (next == Next::KeepAlive) {
        next = co_await readHeader();
        if (next != Next::KeepAlive)
            break;
        next = Next::Close;
        try {
            next = co_await serveRequest();
        } catch (const std::exception &error) {
            qCWarning(lcApi, "request from %s failed: %s", qUtf8Printable(m_peer), error.what());
        }
        m_spool.remove();
    }
    if (m_link) {
        m_link->clientLeft();
        m_link.reset();
    }
    m_spool.remove();
    if (next == Next::Linger && !m_closing)
        co_await lingeringClose();
    m_closing = true;
    closeSocket();
    m_deadline.cancel();
    m_wake.cancel();
}

template<class Stream>
auto ApiSession<Stream>::handshake() -> Io::Task<Next>
{
    if constexpr (IsTls<Stream>) {
        armDeadline(HandshakeTimeout);
        Io::Socket &socket = m_stream.next_layer();
        std::array<char, 1> first{};
        const auto firstByte = asio::buffer(first);
        const auto [peekError, peeked] =
            co_await socket.async_receive(firstByte, asio::socket_base::message_peek, Io::Nothrow);
        if (peekError || peeked == 0) {
            disarmDeadline();
            co_return Next::Close;
        }
        // A TLS connection opens with a handshake record (22); anything else is most likely
        // plain HTTP, which gets an answer it can show rather than a dropped connection.
        if (first[0] != 0x16) {
            const QByteArray body = ApiJson::error(
                400,
                QStringLiteral("this port speaks HTTPS only: use https:// and a bearer token"));
            const std::string reply =
                "HTTP/1.1 400 Bad Request\r\nServer: " + std::string(ServerName) +
                "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body.toStdString();
            const auto replyBuffer = asio::buffer(reply);
            const auto [writeError, written] =
                co_await asio::async_write(socket, replyBuffer, Io::Nothrow);
            (void)written;
            disarmDeadline();
            co_return writeError ? Next::Close : Next::Linger;
        }
        const auto [error] =
            co_await m_stream.async_handshake(asio::ssl::stream_base::server, Io::Nothrow);
        disarmDeadline();
        if (error) {
            qCDebug(lcApi, "TLS handshake with %s failed: %s", qUtf8Printable(m_peer),
                    error.message().c_str());
            co_return Next::Close;
        }
        co_return Next::KeepAlive;
    } else {
        co_return Next::KeepAlive;
    }
}

template<class Stream>
auto ApiSession<Stream>::readHeader() -> Io::Task<Next>
{
    armDeadline(IdleTimeout);
    // The read that watched the connection during the last answer may still be pending;
    // it completes when the client sends its next request (or leaves).
    while (m_watching && !m_closing)
        co_await waitForWake();
    if (m_closing || m_peerGone) {
        disarmDeadline();
        co_return Next::Close;
    }
    m_parser.emplace();
    m_parser->header_limit(HeaderLimit);
    m_parser->body_limit(
        std::numeric_limits<std::uint64_t>::max()); // checked here, with a JSON answer
    const auto [error, read] =
        co_await http::async_read_header(m_stream, m_buffer, *m_parser, Io::Nothrow);
    (void)read;
    disarmDeadline();
    if (!error)
        co_return Next::KeepAlive;
    // A clean close between requests is how keep-alive connections end; garbage gets a 400
    // so the client learns why the connection closes.
    if (m_closing || !isHttpError(error) || error == http::error::end_of_stream ||
        error == http::error::partial_message)
        co_return Next::Close;
    const QString message =
        QStringLiteral("malformed request: %1").arg(QString::fromStdString(error.message()));
    co_return co_await replyError(400, message, Next::Linger, {});
}

template<class Stream>
auto ApiSession<Stream>::serveRequest() -> Io::Task<Next>
{
    const auto &header = m_parser->get().base();
    const unsigned version = header.version();
    const bool keepAlive = m_parser->keep_alive();
    const bool bodyPending = !m_parser->is_done();
    // Refused before its body was read, a request leaves the connection unusable.
    const Next afterRefusal =
        bodyPending ? Next::Linger : (keepAlive ? Next::KeepAlive : Next::Close);

    const std::string_view target = header.target();
    if (target.empty() || target.front() != '/') {
        const QString message =
            QStringLiteral("the request target must be a path starting with \"/\"");
        co_return co_await replyError(400, message, afterRefusal, {});
    }

    ApiRequest request;
    const std::string_view method = header.method_string();
    request.method = QString::fromLatin1(method.data(), qsizetype(method.size()));
    const std::size_t question = target.find('?');
    request.path = QUrl::fromPercentEncoding(bytes(target.substr(0, question)));
    if (question != std::string_view::npos) {
        const std::string_view query = target.substr(question + 1);
        request.query = QUrlQuery(QString::fromUtf8(query.data(), qsizetype(query.size())));
    }
    for (const auto &field : header) {
        const QByteArray name = bytes(field.name_string()).toLower();
        const QByteArray value = bytes(field.value());
        auto existing = request.headers.find(name);
        if (existing == request.headers.end())
            request.headers.insert(name, value);
        else
            existing.value() += ", " + value;
    }
    request.peer = m_peer;
    request.viaTcp = IsTls<Stream>;

    if constexpr (IsTls<Stream>) {
        const std::string_view token = bearerToken(header[http::field::authorization]);
        bool accepted = false;
        if (!token.empty() && m_settings->validateToken) {
            try {
                accepted = m_settings->validateToken(bytes(token));
            } catch (const std::exception &error) {
                qCWarning(lcApi, "the token check failed: %s", error.what());
            }
        }
        if (!accepted) {
            const QString message =
                token.empty()
                    ? QStringLiteral(
                          "a bearer token is required on TCP (Authorization: Bearer <token>)")
                    : QStringLiteral("the token was not accepted (unknown or revoked)");
            const std::string_view challenge =
                token.empty()
                    ? std::string_view(R"(Bearer realm="slipway")")
                    : std::string_view(R"(Bearer realm="slipway", error="invalid_token")");
            co_return co_await replyError(401, message, afterRefusal, challenge);
        }
    }

    // Archives may be large; anything else is parsed whole in memory (JSON), so it gets a
    // small limit of its own.
    const bool upload = isUpload(header[http::field::content_type], target);
    m_bodyLimit = upload ? std::uint64_t(m_settings->maxBodyBytes)
                         : std::uint64_t(std::min(m_settings->maxBodyBytes, MaxJsonBodyBytes));
    const auto length = m_parser->content_length();
    if (length && *length > m_bodyLimit) {
        const QString message = bodyTooLarge(upload);
        co_return co_await replyError(413, message, afterRefusal, {});
    }

    if (bodyPending && version >= 11 &&
        beast::iequals(header[http::field::expect], std::string_view("100-continue"))) {
        static constexpr std::string_view Continue = "HTTP/1.1 100 Continue\r\n\r\n";
        const auto continueBuffer = asio::buffer(Continue);
        armDeadline(WriteTimeout);
        const auto [error, written] =
            co_await asio::async_write(m_stream, continueBuffer, Io::Nothrow);
        (void)written;
        disarmDeadline();
        if (error)
            co_return Next::Close;
    }

    if (bodyPending) {
        const Next received = co_await receiveBody(request);
        if (received != Next::KeepAlive)
            co_return received;
    }

    const bool headOnly = header.method() == http::verb::head;
    const std::weak_ptr<ResponseSink> sink = this->shared_from_this();
    m_link = std::make_shared<ResponseLink>(m_thread.weak_from_this(), sink, m_settings->qtSide);
    m_outbox.clear();
    m_outboxBytes = 0;
    m_settings->dispatch(std::move(request), std::make_shared<ApiResponder>(m_link));
    co_return co_await relayResponse(keepAlive, headOnly, version);
}

template<class Stream>
auto ApiSession<Stream>::receiveBody(ApiRequest &request) -> Io::Task<Next>
{
    const std::uint64_t limit = m_bodyLimit;
    const std::uint64_t inMemory = std::uint64_t(std::max<qint64>(0, m_settings->memoryBodyLimit));
    if (const auto length = m_parser->content_length(); length && *length <= inMemory)
        request.body.reserve(qsizetype(*length));
    if (!m_piece)
        m_piece = std::make_unique<char[]>(PieceSize);

    std::uint64_t total = 0;
    QString storeFailure;
    const Clock::time_point started = Clock::now();
    while (!m_parser->is_done()) {
        auto &body = m_parser->get().body();
        body.data = m_piece.get();
        body.size = PieceSize;
        // Each read may idle a while, and the whole body has a deadline that grows with
        // what came: the grace period plus a second per minimumBodyRate bytes.
        const Clock::time_point due =
            started + m_settings->bodyGrace +
            std::chrono::milliseconds(total * 1000 / std::uint64_t(m_settings->minimumBodyRate));
        const Clock::time_point now = Clock::now();
        if (due <= now) {
            qCWarning(lcApi,
                      "%s: the request body came too slowly (%llu bytes in %lld s); "
                      "connection closed",
                      qUtf8Printable(m_peer), static_cast<unsigned long long>(total),
                      static_cast<long long>(
                          std::chrono::duration_cast<std::chrono::seconds>(now - started).count()));
            co_return Next::Close;
        }
        armDeadline(std::min<Clock::duration>(BodyIdleTimeout, due - now));
        auto [error, read] =
            co_await http::async_read_some(m_stream, m_buffer, *m_parser, Io::Nothrow);
        (void)read;
        disarmDeadline();
        if (error == http::error::need_buffer)
            error = {};
        const std::size_t got = PieceSize - m_parser->get().body().size;
        if (error) {
            if (!m_closing && isHttpError(error) && error != http::error::partial_message &&
                error != http::error::end_of_stream) {
                const QString message = QStringLiteral("malformed request body: %1")
                                            .arg(QString::fromStdString(error.message()));
                co_return co_await replyError(400, message, Next::Linger, {});
            }
            co_return Next::Close; // the client left or went quiet
        }
        total += got;
        if (total > limit) {
            const QString message = bodyTooLarge(limit == std::uint64_t(m_settings->maxBodyBytes));
            co_return co_await replyError(413, message, Next::Linger, {});
        }
        if (got == 0)
            continue;
        if (!m_spool.isOpen() && std::uint64_t(request.body.size()) + got > inMemory) {
            // Past the memory limit the body goes to disk, what came so far first.
            Result<void> stored = m_spool.create(m_settings->spoolDirectory);
            if (stored)
                stored = m_spool.write(request.body.constData(), std::size_t(request.body.size()));
            if (!stored) {
                storeFailure = stored.error().message;
                break;
            }
            request.body = QByteArray();
        }
        if (m_spool.isOpen()) {
            if (Result<void> stored = m_spool.write(m_piece.get(), got); !stored) {
                storeFailure = stored.error().message;
                break;
            }
        } else {
            request.body.append(m_piece.get(), qsizetype(got));
        }
    }
    if (!storeFailure.isEmpty()) {
        qCWarning(lcApi, "%s", qUtf8Printable(storeFailure));
        m_spool.remove();
        co_return co_await replyError(500, storeFailure, Next::Linger, {});
    }
    if (m_spool.exists()) {
        m_spool.close();
        request.bodyFile = m_spool.path();
    }
    co_return Next::KeepAlive;
}

template<class Stream>
auto ApiSession<Stream>::relayResponse(bool keepAlive, bool headOnly, unsigned version)
    -> Io::Task<Next>
{
    const bool chunked = version >= 11;
    bool persistent = keepAlive;
    bool complete = false;
    m_awaitingAnswer = true;
    startWatch();
    while (!complete) {
        while (m_outbox.empty() && !m_peerGone && !m_closing)
            co_await waitForWake();
        if (m_peerGone || m_closing)
            break;
        ResponsePart part = std::move(m_outbox.front());
        m_outbox.pop_front();
        m_outboxBytes -= part.data.size();
        error_code error;
        if (part.kind == ResponsePart::Kind::Whole) {
            error = co_await writeWhole(part, persistent, headOnly, version);
            complete = true;
        } else if (part.kind == ResponsePart::Kind::Head) {
            // Without chunked encoding (HTTP/1.0) the end of the stream is the end of the
            // connection.
            if (!chunked)
                persistent = false;
            error = co_await writeStreamHead(part, persistent, chunked, version);
            complete = headOnly;
        } else if (part.kind == ResponsePart::Kind::Chunk) {
            error = co_await writeChunks(part, chunked);
        } else {
            if (chunked)
                error = co_await writeLastChunk();
            complete = true;
        }
        if (error) {
            complete = false;
            break;
        }
    }
    m_awaitingAnswer = false;
    m_outbox.clear();
    m_outboxBytes = 0;
    if (!complete)
        co_return Next::Close;
    m_link->finished();
    m_link.reset();
    co_return persistent ? Next::KeepAlive : Next::Close;
}

template<class Stream>
Io::Task<error_code> ApiSession<Stream>::writeWhole(const ResponsePart &part, bool keepAlive,
                                                    bool headOnly, unsigned version)
{
    http::response<http::buffer_body> response;
    response.version(version);
    response.result(unsigned(part.status));
    response.set(http::field::server, ServerName);
    if (!part.contentType.isEmpty())
        response.set(http::field::content_type, view(part.contentType));
    const bool withBody = !bodyless(part.status);
    if (withBody)
        response.content_length(std::uint64_t(part.data.size()));
    response.keep_alive(keepAlive);
    auto &body = response.body();
    if (withBody && !headOnly && !part.data.isEmpty()) {
        body.data = const_cast<char *>(part.data.constData()); // only read from
        body.size = std::size_t(part.data.size());
    }
    body.more = false;
    armDeadline(WriteTimeout);
    const auto [error, written] = co_await http::async_write(m_stream, response, Io::Nothrow);
    (void)written;
    disarmDeadline();
    co_return error;
}

template<class Stream>
Io::Task<error_code> ApiSession<Stream>::writeStreamHead(const ResponsePart &part, bool keepAlive,
                                                         bool chunked, unsigned version)
{
    http::response<http::empty_body> response;
    response.version(version);
    response.result(unsigned(part.status));
    response.set(http::field::server, ServerName);
    if (!part.contentType.isEmpty())
        response.set(http::field::content_type, view(part.contentType));
    response.set(http::field::cache_control, std::string_view("no-cache"));
    if (chunked)
        response.chunked(true);
    response.keep_alive(keepAlive);
    http::response_serializer<http::empty_body> serializer(response);
    armDeadline(WriteTimeout);
    const auto [error, written] =
        co_await http::async_write_header(m_stream, serializer, Io::Nothrow);
    (void)written;
    disarmDeadline();
    co_return error;
}

template<class Stream>
Io::Task<error_code> ApiSession<Stream>::writeChunks(ResponsePart &first, bool chunked)
{
    // Pieces that piled up while the last write was on its way go out together.
    std::vector<QByteArray> held;
    held.push_back(std::move(first.data));
    while (!m_outbox.empty() && m_outbox.front().kind == ResponsePart::Kind::Chunk &&
           held.size() < MaxGatheredChunks) {
        m_outboxBytes -= m_outbox.front().data.size();
        held.push_back(std::move(m_outbox.front().data));
        m_outbox.pop_front();
    }
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(held.size());
    for (const QByteArray &piece : held)
        buffers.emplace_back(piece.constData(), std::size_t(piece.size()));
    armDeadline(WriteTimeout);
    error_code error;
    if (chunked) {
        const auto chunk = http::make_chunk(buffers);
        const auto [writeError, written] = co_await asio::async_write(m_stream, chunk, Io::Nothrow);
        (void)written;
        error = writeError;
    } else {
        const auto [writeError, written] =
            co_await asio::async_write(m_stream, buffers, Io::Nothrow);
        (void)written;
        error = writeError;
    }
    disarmDeadline();
    co_return error;
}

template<class Stream>
Io::Task<error_code> ApiSession<Stream>::writeLastChunk()
{
    const auto last = http::make_chunk_last();
    armDeadline(WriteTimeout);
    const auto [error, written] = co_await asio::async_write(m_stream, last, Io::Nothrow);
    (void)written;
    disarmDeadline();
    co_return error;
}

template<class Stream>
auto ApiSession<Stream>::replyError(int status, const QString &message, Next after,
                                    std::string_view challenge) -> Io::Task<Next>
{
    const QByteArray body = ApiJson::error(status, message);
    http::response<http::buffer_body> response;
    response.version(11);
    response.result(unsigned(status));
    response.set(http::field::server, ServerName);
    response.set(http::field::content_type, JsonType);
    if (!challenge.empty())
        response.set(http::field::www_authenticate, challenge);
    response.content_length(std::uint64_t(body.size()));
    response.keep_alive(after == Next::KeepAlive);
    response.body().data = const_cast<char *>(body.constData()); // only read from
    response.body().size = std::size_t(body.size());
    response.body().more = false;
    armDeadline(WriteTimeout);
    const auto [error, written] = co_await http::async_write(m_stream, response, Io::Nothrow);
    (void)written;
    disarmDeadline();
    co_return error ? Next::Close : after;
}

template<class Stream>
Io::Task<void> ApiSession<Stream>::lingeringClose()
{
    // Closing with unread bytes would reset the connection (on TCP) and could take the
    // answer with it; so: no more sending, read a little of what still comes, then close.
    error_code ignored;
    lowestLayer().shutdown(asio::socket_base::shutdown_send, ignored);
    if (!m_piece)
        m_piece = std::make_unique<char[]>(PieceSize);
    armDeadline(LingerTimeout);
    std::size_t drained = 0;
    while (drained < LingerBytes && !m_closing) {
        const auto space = asio::buffer(m_piece.get(), PieceSize);
        const auto [error, read] = co_await lowestLayer().async_read_some(space, Io::Nothrow);
        if (error)
            break;
        drained += read;
    }
    disarmDeadline();
}

template class ApiSession<Io::LocalSocket>;
template class ApiSession<Io::TlsStream>;

} // namespace Slipway
