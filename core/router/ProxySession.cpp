#include "router/ProxySession.h"

#include "router/BackendTraffic.h"
#include "router/ByteTunnel.h"
#include "router/CloseOnExec.h"
#include "router/ErrorPages.h"
#include "router/ProxyHeaders.h"
#include "router/ReadyRead.h"
#include "router/RouterLogging.h"
#include "router/RouterState.h"
#include "router/RouterWorker.h"
#include "router/RoutingTable.h"
#include "router/UpstreamConnection.h"
#include "router/UpstreamGate.h"
#include "router/UpstreamPool.h"
#include "router/UpstreamSocket.h"

#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <span>
#include <type_traits>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace Slipway {

namespace {

constexpr std::size_t ClientBufferSize = 16 * 1024;
constexpr std::size_t UpstreamBufferSize = 16 * 1024;
constexpr std::size_t BodyPieceSize = 64 * 1024;
constexpr std::uint32_t HeaderLimit = 64 * 1024;
constexpr std::size_t ReadSize = 64 * 1024; // at most, per read from a socket

constexpr std::size_t GatherSpace = 8 * 1024;
constexpr std::size_t SmallPiece = 1024;

// Integers as they are, durations with one decimal: the access log's figures.
template<typename Number>
void appendNumber(std::string &text, Number value)
{
    char digits[32];
    std::to_chars_result result;
    if constexpr (std::is_floating_point_v<Number>)
        result = std::to_chars(digits, digits + sizeof digits, value, std::chars_format::fixed, 1);
    else
        result = std::to_chars(digits, digits + sizeof digits, value);
    if (result.ec == std::errc())
        text.append(digits, std::size_t(result.ptr - digits));
    else
        text.append("-");
}

bool isHttpError(const boost::system::error_code &error)
{
    return error.category() == http::make_error_code(http::error::end_of_stream).category();
}

// The buffers the serializer has ready (up to the next body piece it needs, or the end of
// the message), as at most MaxPieces pieces. Beast hands out a header as a dozen small
// buffers (one per field); they are copied together into `space` so the kernel gets one
// piece, while large body pieces are passed on as they are, uncopied.
struct Gathered
{
    static constexpr std::size_t MaxPieces = 8;
    std::array<asio::const_buffer, MaxPieces> pieces;
    std::size_t count = 0;
    std::size_t total = 0;
    std::span<const asio::const_buffer> buffers() const { return {pieces.data(), count}; }
};

template<class Serializer>
Gathered gather(Serializer &serializer, char *space, boost::system::error_code &error)
{
    Gathered gathered;
    serializer.next(error, [&](boost::system::error_code &, const auto &buffers) {
        std::size_t used = 0;
        std::size_t segment = 0; // start of the copied run not yet a piece
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers); ++it) {
            const asio::const_buffer buffer = *it;
            if (buffer.size() <= SmallPiece && used + buffer.size() <= GatherSpace) {
                std::memcpy(space + used, buffer.data(), buffer.size());
                used += buffer.size();
                continue;
            }
            // Room for the copied run and this buffer, or stop: the rest goes next round.
            if (gathered.count + 2 > Gathered::MaxPieces)
                break;
            if (used > segment) {
                gathered.pieces[gathered.count++] =
                    asio::const_buffer(space + segment, used - segment);
                gathered.total += used - segment;
                segment = used;
            }
            gathered.pieces[gathered.count++] = buffer;
            gathered.total += buffer.size();
        }
        if (used > segment && gathered.count < Gathered::MaxPieces) {
            gathered.pieces[gathered.count++] = asio::const_buffer(space + segment, used - segment);
            gathered.total += used - segment;
        }
    });
    return gathered;
}

// Writes what the serializer has ready right away, when the socket (non-blocking) takes it:
// the usual case for a message that fits the socket buffer, with no event loop round trip.
// True when done (or failed: see `error`, need_buffer meaning "give me the next piece");
// false when the socket was full and writeGathered() has to finish the job.
template<class Serializer>
bool writeNow(Io::Socket &socket, Serializer &serializer, char *space,
              boost::system::error_code &error)
{
    while (!serializer.is_done()) {
        const Gathered gathered = gather(serializer, space, error);
        if (error)
            return true;
        const std::size_t written = socket.write_some(gathered.buffers(), error);
        if (error == asio::error::would_block || error == asio::error::try_again) {
            error = {};
            return false;
        }
        if (error)
            return true;
        serializer.consume(written);
        if (written < gathered.total)
            return false;
    }
    error = {};
    return true;
}

// The same, waiting for the socket as long as it takes.
template<class Serializer>
Io::Task<boost::system::error_code> writeGathered(Io::Socket &socket, Serializer &serializer,
                                                  char *space)
{
    while (!serializer.is_done()) {
        boost::system::error_code error;
        const Gathered gathered = gather(serializer, space, error);
        if (error)
            co_return error;
        const auto [writeError, written] =
            co_await asio::async_write(socket, gathered.buffers(), Io::Nothrow);
        if (writeError)
            co_return writeError;
        serializer.consume(gathered.total);
    }
    co_return boost::system::error_code{};
}

// The same for the request on its way upstream, also watching for the backend's answer
// while the socket is full. A backend may answer before it has read the whole body (a 413,
// a 401, a redirect) and then stop reading: the write would wait for the stream timeout.
// `answered` is set when the upstream had something to say (or closed) before taking the
// rest; the write is then left unfinished. Only reached when the socket is full, so the
// usual request pays nothing for the watch.
template<class Serializer>
Io::Task<boost::system::error_code>
writeWatchingUpstream(Io::Socket &socket, Serializer &serializer, char *space, bool &answered)
{
    for (;;) {
        const auto [order, writeError, readError] =
            co_await asio::experimental::make_parallel_group(
                socket.async_wait(Io::Socket::wait_write, asio::deferred),
                socket.async_wait(Io::Socket::wait_read, asio::deferred))
                .async_wait(asio::experimental::wait_for_one(), asio::deferred);
        if (order[0] == 1) {
            answered = !readError;
            co_return readError;
        }
        if (writeError)
            co_return writeError;
        boost::system::error_code error;
        if (writeNow(socket, serializer, space, error))
            co_return error;
    }
}

// Sends the acknowledgement of what was received without waiting for the delayed ACK timer
// (Linux sends a pending ACK when TCP_QUICKACK is set).
void acknowledgeNow(Io::Socket &socket)
{
    const int on = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
}

// Parses body bytes already in `buffer` without going through the event loop, all of them
// at once (eager) rather than one chunk per call. False when nothing could be parsed (more
// must be read from the socket first).
template<class Parser>
bool parseBuffered(Parser &parser, beast::flat_buffer &buffer, boost::system::error_code &error)
{
    if (buffer.size() == 0)
        return false;
    parser.eager(true);
    const std::size_t used = parser.put(buffer.data(), error);
    parser.eager(false);
    buffer.consume(used);
    if (error == http::error::need_more) {
        error = {};
        return used > 0;
    }
    if (error == http::error::need_buffer)
        error = {};
    return true;
}

// The reads below feed Beast's parser straight from the socket. Beast's own composed reads
// do the same through two layers of composed operations each, which cost more than the
// parsing itself on a small request.

// Until the parser has the whole header. A peer that closes before sending anything gives
// end_of_stream (the normal end of a keep-alive connection), one that stops halfway
// partial_message, as with Beast's own reads.
template<class Parser>
Io::Task<boost::system::error_code> readHeader(Io::Socket &socket, beast::flat_buffer &buffer,
                                               Parser &parser)
{
    for (;;) {
        if (buffer.size() > 0) {
            boost::system::error_code error;
            const std::size_t used = parser.put(buffer.data(), error);
            buffer.consume(used);
            if (parser.is_header_done())
                co_return boost::system::error_code{};
            if (error && error != http::error::need_more)
                co_return error;
        }
        const std::size_t room = beast::read_size(buffer, ReadSize);
        if (room == 0)
            co_return http::error::buffer_overflow;
        // The first bytes of a message are waited for, the rest tried for at once: an end of
        // stream that came with the bytes read last raises no edge (see ReadyRead.h).
        boost::system::error_code error;
        std::size_t read = 0;
        if (!parser.got_some() || !Io::readSomeNow(socket, buffer.prepare(room), error, read)) {
            const auto [waitError, waited] =
                co_await Io::asyncReadSome(socket, buffer.prepare(room), Io::Nothrow);
            error = waitError;
            read = waited;
        }
        buffer.commit(read);
        if (error == asio::error::eof) {
            const http::error ending =
                parser.got_some() ? http::error::partial_message : http::error::end_of_stream;
            co_return ending;
        }
        if (error)
            co_return error;
    }
}

// Until some body bytes (or the end of the body) went into the parser's buffer_body target.
// Callers try parseBuffered() first, so that bytes already at hand cost no coroutine frame.
template<class Parser>
Io::Task<boost::system::error_code> readBody(Io::Socket &socket, beast::flat_buffer &buffer,
                                             Parser &parser)
{
    for (;;) {
        const std::size_t room = beast::read_size(buffer, ReadSize);
        if (room == 0)
            co_return http::error::buffer_overflow;
        boost::system::error_code readError;
        std::size_t read = 0;
        if (!Io::readSomeNow(socket, buffer.prepare(room), readError, read)) {
            const auto [waitError, waited] =
                co_await Io::asyncReadSome(socket, buffer.prepare(room), Io::Nothrow);
            readError = waitError;
            read = waited;
        }
        buffer.commit(read);
        if (readError == asio::error::eof) {
            // The end of a body delimited by the close, or one cut short.
            boost::system::error_code ending;
            parser.put_eof(ending);
            co_return ending;
        }
        if (readError)
            co_return readError;
        boost::system::error_code error;
        if (parseBuffered(parser, buffer, error) || error)
            co_return error;
    }
}

} // namespace

ProxySession::ProxySession(RouterWorker &worker, Io::Socket client)
    : m_worker(worker)
    , m_client(std::move(client))
{
    m_worker.watch(this);
}

ProxySession::~ProxySession()
{
    m_worker.unwatch(this);
}

Io::Task<void> ProxySession::serve(RouterWorker &worker, Io::Socket client)
{
    ProxySession session(worker, std::move(client));
    co_await session.run();
}

void ProxySession::setIdleLimit(std::chrono::milliseconds limit)
{
    setDeadline(m_worker.now() + limit);
}

void ProxySession::closeClient()
{
    boost::system::error_code ignored;
    m_client.close(ignored);
}

void ProxySession::closeUpstream()
{
    if (!m_upstream)
        return;
    boost::system::error_code ignored;
    m_upstream->socket.close(ignored);
}

void ProxySession::stopWaiting()
{
    if (m_waiter)
        m_waiter->timer.cancel();
}

void ProxySession::expire()
{
    switch (m_phase) {
    case Phase::Connecting:
        // Only this backend is given up on; forward() tries the next one.
        closeUpstream();
        break;
    case Phase::AwaitingResponse:
        m_timedOut = true;
        closeUpstream();
        break;
    default:
        m_closed = true;
        stopWaiting();
        closeUpstream();
        closeClient();
        break;
    }
}

void ProxySession::tick(Clock::time_point now)
{
    // A new connection the app has not answered on for this long was accepted, most likely
    // (or its app is too slow to matter): the next one may open.
    constexpr auto SettleAfter = std::chrono::milliseconds(200);
    if (m_upstream && m_upstream->opening && m_upstream->openedAt + SettleAfter <= now)
        m_upstream->settle();
    // A client that half-closed right after its request: its end of stream came with the
    // request and raised no edge of its own, so the wait for the next request would last
    // the whole idle time (see ReadyRead.h). Looked for once per wait, after a second.
    constexpr auto LookForEndAfter = std::chrono::seconds(1);
    if (m_phase == Phase::ReadingRequest && !m_endLookedFor && m_request &&
        !m_request->got_some() && m_waitingSince + LookForEndAfter <= now && m_client.is_open()) {
        m_endLookedFor = true;
        if (Io::peek(m_client) == Io::Peeked::Gone) {
            m_closed = true;
            closeClient();
        }
    }
}

void ProxySession::shutdown()
{
    m_closed = true;
    stopWaiting();
    closeUpstream();
    closeClient();
}

Io::Task<void> ProxySession::run()
{
    boost::system::error_code error;
    m_client.set_option(tcp::no_delay(true), error);
    // Writes are tried synchronously first (writeNow); they must never block the thread.
    m_client.non_blocking(true, error);
    const tcp::endpoint peer = m_client.remote_endpoint(error);
    m_clientAddress = error ? std::string("-") : peer.address().to_string();
    m_clientBuffer.reserve(ClientBufferSize);

    while (!m_closed) {
        m_phase = Phase::ReadingRequest;
        setIdleLimit(m_worker.state().timeouts().clientIdle);
        m_waitingSince = m_worker.now();
        m_endLookedFor = false;
        // Last request's messages go, then their arena.
        m_responseSerializer.reset();
        m_requestSerializer.reset();
        m_response.reset();
        m_request.reset();
        m_arena.release();
        m_request.emplace(std::piecewise_construct, std::make_tuple(),
                          std::make_tuple(FieldsAllocator(&m_arena)));
        m_request->header_limit(HeaderLimit);
        m_request->body_limit(std::numeric_limits<std::uint64_t>::max());
        const boost::system::error_code readError =
            co_await readHeader(m_client, m_clientBuffer, *m_request);
        if (readError) {
            // A clean close between requests is the normal end of a keep-alive connection;
            // garbage gets a 400 so the client knows why the connection closes.
            if (!m_closed && isHttpError(readError) && readError != http::error::end_of_stream &&
                readError != http::error::partial_message) {
                std::string reason = readError.message();
                co_await rejectMalformed(std::move(reason));
            }
            break;
        }
        bool keepAlive = false;
        try {
            keepAlive = co_await handleRequest();
        } catch (const std::exception &exception) {
            qCWarning(lcRouter, "request from %s failed: %s", m_clientAddress.c_str(),
                      exception.what());
        }
        if (!keepAlive)
            break;
    }
    closeUpstream();
    boost::system::error_code ignored;
    m_client.shutdown(Io::Socket::shutdown_send, ignored);
    if (!m_closed && m_request && m_request->is_header_done() && !m_request->is_done())
        co_await drainUnreadBody();
    m_client.close(ignored);
}

Io::Task<void> ProxySession::drainUnreadBody()
{
    // Closing with unread bytes in the socket makes the kernel send a reset, which can destroy
    // the answer we just wrote before the client reads it (a 404 or 502 given to an upload).
    // So, like nginx's lingering close, read and drop what is still coming, for a while: a
    // client that writes its whole upload before it reads (many do) must get to the end of
    // it, or the reset comes first. Bounded in time and bytes all the same.
    constexpr std::size_t Limit = 256 * 1024 * 1024;
    m_phase = Phase::Lingering;
    setDeadline(m_worker.now() + std::chrono::seconds(5));
    if (!m_requestBody)
        m_requestBody.reset(new char[BodyPieceSize]);
    for (std::size_t dropped = 0; dropped < Limit && !m_closed;) {
        const asio::mutable_buffer space(m_requestBody.get(), BodyPieceSize);
        boost::system::error_code error;
        std::size_t read = 0;
        if (!Io::readSomeNow(m_client, space, error, read)) {
            const auto [waitError, waited] =
                co_await Io::asyncReadSome(m_client, space, Io::Nothrow);
            error = waitError;
            read = waited;
        }
        if (error)
            break;
        dropped += read;
    }
}

Io::Task<bool> ProxySession::handleRequest()
{
    auto &request = m_request->get();
    // The clock is read only when the line will be written.
    m_logging = m_worker.state().accessLogEnabled();
    if (m_logging)
        m_started = Clock::now();
    m_status = 0;
    m_bytes = 0;
    m_retried = false;
    m_servedBy = nullptr;
    m_bodyHeld = 0;
    m_bodyRead = 0;
    m_bodyStarted = m_worker.now();
    m_bodyReplayable = true;
    m_timedOut = false;
    m_failure.clear();
    m_clientVersion = request.version();
    m_clientKeepAlive = m_request->keep_alive();

    // Refreshing the snapshot only when it changed keeps reference counting off the hot path;
    // the session's copy keeps the routes this request uses alive until it is done.
    if (const auto &current = m_worker.table(); current != m_table)
        m_table = current;

    // One framing, the router's own: an ambiguous one is how requests get smuggled past a
    // proxy to the app behind it.
    if (const char *ambiguous = ProxyHeaders::ambiguity(request)) {
        std::string reason = std::string("the request has ") + ambiguous;
        co_await rejectMalformed(std::move(reason));
        co_return false; // where its body ends is unknown: the connection cannot go on
    }

    const std::string_view host = request[http::field::host];
    const AppRoute *route = ProxyHeaders::appFromHost(host, m_app) ? m_table->find(m_app) : nullptr;

    const std::string_view incomingId = request["X-Request-Id"];
    if (ProxyHeaders::isValidRequestId(incomingId))
        m_requestId.assign(incomingId);
    else
        m_worker.newRequestId(m_requestId);

    // Page texts are built before co_await: GCC 12 mishandles temporaries inside co_await
    // expressions (they can be destroyed twice).
    if (!route) {
        std::string page = ErrorPages::notFound(host, m_worker.state().port());
        co_return co_await respond(http::status::not_found, std::move(page), nullptr, false);
    }
    if (route->backends.empty()) {
        const std::string app = route->name;
        std::string page =
            route->deploying ? ErrorPages::deploying(app) : ErrorPages::noContainerReady(app);
        co_return co_await respond(http::status::service_unavailable, std::move(page), route,
                                   route->deploying);
    }

    m_upgradeRequested = ProxyHeaders::wantsUpgrade(request);
    // The router answers "Expect: 100-continue" itself: the body is streamed on anyway, and
    // the backend's own interim answer would arrive too late to matter.
    const bool expectsContinue =
        beast::iequals(request[http::field::expect], std::string_view("100-continue"));
    if (expectsContinue)
        request.erase(http::field::expect);
    ProxyHeaders::stripHopByHop(request, m_upgradeRequested);
    const auto length = m_request->content_length();
    ProxyHeaders::normaliseFraming(request, m_request->chunked(),
                                   length ? std::optional<std::uint64_t>(*length) : std::nullopt);
    ProxyHeaders::addForwarded(request, m_clientAddress, host, m_requestId,
                               m_worker.state().isTrustedProxy(m_clientAddress));
    // Upstream connections are always HTTP/1.1 keep-alive, whatever the client speaks.
    request.version(11);
    if (m_upgradeRequested)
        request.set(http::field::connection, std::string_view("Upgrade"));

    if (expectsContinue && !m_request->is_done() && m_clientVersion >= 11) {
        static constexpr std::string_view Continue = "HTTP/1.1 100 Continue\r\n\r\n";
        const auto [error, written] =
            co_await asio::async_write(m_client, asio::buffer(Continue), Io::Nothrow);
        if (error)
            co_return false;
    }
    if (!m_request->is_done() && !co_await gatherBodyStart())
        co_return false;
    co_return co_await forward(*route);
}

void ProxySession::setBodyDeadline()
{
    const RouterTimeouts &timeouts = m_worker.state().timeouts();
    const Clock::time_point due =
        m_bodyStarted + timeouts.bodyGrace +
        std::chrono::milliseconds(m_bodyRead * 1000 / timeouts.minimumBodyRate);
    setDeadline(std::min(m_worker.now() + timeouts.streamIdle, due));
}

Io::Task<bool> ProxySession::gatherBodyStart()
{
    // The first piece of the body is read before a backend connection is taken: a client
    // that sends its upload a byte now and then holds only its own connection meanwhile,
    // and a small body is then sent with its header in one go.
    if (!m_requestBody)
        m_requestBody.reset(new char[BodyPieceSize]);
    auto &body = m_request->get().body();
    m_phase = Phase::ReadingRequest;
    while (!m_request->is_done() && m_bodyHeld < BodyPieceSize && !m_closed) {
        body.data = m_requestBody.get() + m_bodyHeld;
        body.size = BodyPieceSize - m_bodyHeld;
        setBodyDeadline();
        boost::system::error_code readError;
        if (!parseBuffered(*m_request, m_clientBuffer, readError) && !readError)
            readError = co_await readBody(m_client, m_clientBuffer, *m_request);
        if (readError || m_closed)
            co_return false;
        const std::size_t got = BodyPieceSize - m_bodyHeld - body.size;
        m_bodyHeld += got;
        m_bodyRead += got;
    }
    co_return !m_closed;
}

namespace {

// The backends one request tried, so that a retry goes elsewhere when it can.
struct TriedSlots
{
    std::array<std::uint64_t, 4> slots{};
    std::size_t count = 0;

    void add(std::uint64_t slot)
    {
        if (count < slots.size())
            slots[count++] = slot;
    }
    bool contains(std::uint64_t slot) const
    {
        return std::find(slots.begin(), slots.begin() + std::ptrdiff_t(count), slot) !=
               slots.begin() + std::ptrdiff_t(count);
    }
};

// A request chose a backend that left its app's routes since its table was read, this many
// times in a row: something is switching faster than requests go, it gets a 502.
constexpr int MaxRepicks = 4;

} // namespace

Io::Task<bool> ProxySession::forward(const AppRoute &requested)
{
    // Where the request goes may change on the way: a retry, or a backend that is being
    // drained, look at the app's route as it is now. Every table a route or backend of
    // this request came from stays until it is done.
    std::vector<std::shared_ptr<const RoutingTable>> held;
    const AppRoute *route = &requested;
    TriedSlots tried;
    bool retryLeft = true;
    bool skipTried = false;
    int repicks = 0;
    std::size_t count = route->backends.size();
    // The shared counter is only touched when there is a choice to make.
    const auto pickFirst = [](const AppRoute &from) -> std::size_t {
        const std::size_t choices = from.backends.size();
        return choices <= 1 ? 0
                            : from.nextBackend->fetch_add(1, std::memory_order_relaxed) % choices;
    };
    std::size_t first = pickFirst(*route);
    std::size_t next = 0;
    const auto startOver = [&] {
        count = route->backends.size();
        first = pickFirst(*route);
        next = 0;
        skipTried =
            std::any_of(route->backends.begin(), route->backends.end(),
                        [&](const RouteBackend &each) { return !tried.contains(each.slot); });
    };
    struct CountingEnds
    {
        ProxySession &session;
        ~CountingEnds() { session.stopCounting(); }
    } countingEnds{*this};

    while (!m_closed) {
        if (next == count) {
            // Every backend of this route refused before taking anything: once, the route as
            // it is now (a switch may have happened meanwhile).
            if (!retryLeft || !reroute(held, route))
                break;
            retryLeft = false;
            m_retried = true;
            startOver();
            continue;
        }
        const RouteBackend &backend = route->backends[(first + next++) % count];
        if (skipTried && tried.contains(backend.slot))
            continue;
        if (!startCounting(backend)) {
            // It left the app's routes after this table was read and is being drained.
            if (++repicks > MaxRepicks || !reroute(held, route)) {
                m_failure = "the app's containers were being replaced";
                break;
            }
            startOver();
            continue;
        }
        tried.add(backend.slot);
        m_servedBy = &backend;
        Attempt attempt = Attempt::TryNextBackend;
        bool usePool = true;
        while (!m_closed) {
            std::shared_ptr<UpstreamConnection> upstream;
            if (usePool)
                upstream = m_worker.pool().take(backend.slot);
            bool reused = upstream != nullptr;
            if (!upstream)
                upstream = co_await connect(backend, reused);
            if (!upstream && m_queueTimedOut) {
                stopCounting();
                const std::string app = route->name;
                std::string page = ErrorPages::backendBusy(
                    app, backend.gate->limit(), m_worker.state().timeouts().backendQueue.count());
                co_return co_await respond(http::status::service_unavailable, std::move(page),
                                           route, true);
            }
            if (!upstream)
                break; // refused or timed out: next backend
            attempt = co_await exchange(std::move(upstream), reused);
            if (attempt != Attempt::RetryFresh)
                break;
            usePool = false;
        }
        stopCounting();
        switch (attempt) {
        case Attempt::RetryFresh:
        case Attempt::TryNextBackend:
            continue;
        case Attempt::Completed:
            logAccess(*route);
            co_return m_clientKeepAlive;
        case Attempt::Aborted:
            logAccess(*route);
            co_return false;
        case Attempt::RetryElsewhere:
            if (retryLeft && reroute(held, route)) {
                retryLeft = false;
                m_retried = true;
                startOver();
                continue;
            }
            [[fallthrough]];
        case Attempt::GiveUp: {
            const std::string app = route->name;
            const http::status status =
                m_timedOut ? http::status::gateway_timeout : http::status::bad_gateway;
            std::string page = m_timedOut ? ErrorPages::gatewayTimeout(app)
                                          : ErrorPages::badGateway(app, m_failure);
            co_return co_await respond(status, std::move(page), route, false);
        }
        }
    }
    if (m_closed)
        co_return false;
    m_servedBy = nullptr;
    std::string page = ErrorPages::badGateway(route->name, m_failure);
    co_return co_await respond(http::status::bad_gateway, std::move(page), route, false);
}

bool ProxySession::reroute(std::vector<std::shared_ptr<const RoutingTable>> &held,
                           const AppRoute *&route)
{
    if (const auto &current = m_worker.table(); current != m_table) {
        held.push_back(std::move(m_table));
        m_table = current;
    }
    const AppRoute *now = m_table->find(m_app);
    if (!now || now->backends.empty())
        return false;
    route = now;
    return true;
}

bool ProxySession::startCounting(const RouteBackend &backend)
{
    if (!backend.traffic)
        return true;
    if (!backend.traffic->enter())
        return false;
    m_counted = backend.traffic.get();
    return true;
}

void ProxySession::stopCounting()
{
    if (m_counted)
        m_counted->leave();
    m_counted = nullptr;
}

Io::Task<bool> ProxySession::waitForPlace(const RouteBackend &backend,
                                          std::shared_ptr<UpstreamConnection> &handedOver)
{
    auto waiter = std::make_shared<UpstreamGate::Waiter>(backend.gate, m_client.get_executor(),
                                                         m_worker.index(), m_worker.alive());
    waiter->timer.expires_after(m_worker.state().timeouts().backendQueue);
    bool first = false;
    backend.gate->enqueue(waiter, first);
    if (first)
        m_worker.state().reclaimIdle(backend.slot); // idle connections elsewhere hold places
    m_waiter = waiter.get();
    m_phase = Phase::Queued;
    clearDeadline(); // the wait has its own
    co_await waiter->timer.async_wait(Io::Nothrow);
    m_waiter = nullptr;
    co_return backend.gate->withdraw(*waiter, handedOver);
}

Io::Task<std::shared_ptr<UpstreamConnection>> ProxySession::connect(const RouteBackend &backend,
                                                                    bool &reused)
{
    m_queueTimedOut = false;
    if (m_closed || m_worker.stopping())
        co_return nullptr;
    if (backend.gate && !backend.gate->tryAcquire()) {
        std::shared_ptr<UpstreamConnection> handedOver;
        const bool served = co_await waitForPlace(backend, handedOver);
        if (handedOver) {
            if (m_closed)
                co_return nullptr; // it closes, and its place goes on
            reused = true;
            co_return handedOver;
        }
        if (!served) {
            m_queueTimedOut = !m_closed;
            co_return nullptr;
        }
    }
    // Holds the place taken above until it goes.
    auto upstream =
        std::make_shared<UpstreamConnection>(m_client.get_executor(), backend.slot, backend.gate);
    if (m_closed)
        co_return nullptr;
    const boost::system::error_code openError =
        openUpstreamSocket(upstream->socket, backend.endpoint, backend.sockets);
    if (openError) {
        m_failure = backend.container + ": cannot open a socket: " + openError.message();
        co_return nullptr;
    }
    upstream->openedAt = m_worker.now();
    m_upstream = upstream.get();
    m_phase = Phase::Connecting;
    setDeadline(m_worker.now() + m_worker.state().timeouts().connect);
    const auto [error] = co_await upstream->socket.async_connect(backend.endpoint, Io::Nothrow);
    m_upstream = nullptr;
    if (error) {
        const std::string reason =
            error == asio::error::operation_aborted
                ? "no connection within " +
                      std::to_string(m_worker.state().timeouts().connect.count()) + " ms"
                : error.message();
        m_failure = backend.container + " at " + backend.endpoint.address().to_string() + ":" +
                    std::to_string(backend.endpoint.port()) + ": " + reason;
        co_return nullptr;
    }
    boost::system::error_code ignored;
    upstream->socket.set_option(tcp::no_delay(true), ignored);
    upstream->socket.non_blocking(true, ignored);
    co_return upstream;
}

ProxySession::Attempt ProxySession::afterUpstreamFailure(bool reused) const
{
    if (m_closed)
        return Attempt::Aborted;
    // Sending again needs every body byte read so far still at hand.
    if (!m_bodyReplayable)
        return Attempt::GiveUp;
    if (m_upstreamWrites == 0) // nothing of it reached the backend
        return reused ? Attempt::RetryFresh : Attempt::TryNextBackend;
    const bool idempotent = ProxyHeaders::isIdempotent(m_request->get().method());
    // The backend had closed the idle connection meanwhile: a new one to it.
    if (reused && (idempotent || !m_bodySent))
        return Attempt::RetryFresh;
    // A fresh connection that broke after the request went out, before any answer (the app
    // died with it, or closed it unread): a request that is safe to repeat goes, once, to the
    // route as it is now. Any other may have been acted on: never sent twice.
    return idempotent ? Attempt::RetryElsewhere : Attempt::GiveUp;
}

Io::Task<ProxySession::Attempt> ProxySession::exchange(std::shared_ptr<UpstreamConnection> upstream,
                                                       bool reused)
{
    m_upstream = upstream.get();
    m_upstreamBuffer.clear();
    m_upstreamBuffer.reserve(UpstreamBufferSize);
    m_upstreamWrites = 0;
    m_bodySent = false;

    m_phase = Phase::SendingRequest;
    setIdleLimit(m_worker.state().timeouts().streamIdle);
    const Sent sent = co_await sendRequest(*upstream);
    m_requestCut = sent != Sent::Whole;
    // Once the header went out, a failed write may mean the backend answered early and
    // closed (a 413 to an upload): that answer, already here, goes to the client.
    const bool lookForAnswer =
        sent == Sent::Answered || (sent == Sent::UpstreamFailed && m_upstreamWrites > 0);
    if (sent == Sent::ClientFailed || m_closed || (m_requestCut && !lookForAnswer)) {
        closeUpstream();
        m_upstream = nullptr;
        if (sent == Sent::ClientFailed || m_closed)
            co_return Attempt::Aborted;
        if (m_failure.empty())
            m_failure = "the connection broke while the request was sent";
        co_return afterUpstreamFailure(reused);
    }

    m_phase = Phase::AwaitingResponse;
    setIdleLimit(m_worker.state().timeouts().streamIdle);
    const bool head = m_request->get().method() == http::verb::head;
    for (;;) {
        m_response.emplace(std::piecewise_construct, std::make_tuple(),
                           std::make_tuple(FieldsAllocator(&m_arena)));
        m_response->header_limit(HeaderLimit);
        m_response->body_limit(std::numeric_limits<std::uint64_t>::max());
        if (head)
            m_response->skip(true);
        const boost::system::error_code error =
            co_await readHeader(upstream->socket, m_upstreamBuffer, *m_response);
        if (error) {
            const bool nothingRead = !m_response->got_some() && m_upstreamBuffer.size() == 0;
            closeUpstream();
            m_upstream = nullptr;
            if (m_closed)
                co_return Attempt::Aborted;
            if (m_timedOut)
                co_return Attempt::GiveUp;
            if (sent != Sent::UpstreamFailed)
                m_failure = "the connection broke before the response header: " + error.message();
            co_return nothingRead ? afterUpstreamFailure(reused) : Attempt::GiveUp;
        }
        upstream->settle(); // the app answers on it: it accepted it
        const unsigned status = m_response->get().result_int();
        // Interim answers (102, 103, a backend's own 100) are not passed on.
        if (status >= 100 && status < 200 && status != 101)
            continue;
        break;
    }
    co_return co_await relayResponse(std::move(upstream));
}

Io::Task<ProxySession::Sent> ProxySession::sendRequest(UpstreamConnection &upstream)
{
    auto &request = m_request->get();
    auto &body = request.body();
    // Kept in the session, not on this coroutine's frame: Asio recycles small frames only,
    // and a serializer alone would push this one over the limit (a malloc per request).
    m_requestSerializer.emplace(request);
    RequestSerializer &serializer = *m_requestSerializer;

    // The header, with whatever body is already held (from an earlier try) behind it.
    body.data = m_bodyHeld > 0 ? m_requestBody.get() : nullptr;
    body.size = m_bodyHeld;
    body.more = !m_request->is_done();
    if (!m_gatherSpace)
        m_gatherSpace.reset(new char[GatherSpace]);
    {
        boost::system::error_code error;
        bool answered = false;
        if (!writeNow(upstream.socket, serializer, m_gatherSpace.get(), error))
            error = co_await writeWatchingUpstream(upstream.socket, serializer, m_gatherSpace.get(),
                                                   answered);
        if (answered)
            co_return Sent::Answered;
        if (error && error != http::error::need_buffer) {
            m_failure = "sending the request failed: " + error.message();
            co_return Sent::UpstreamFailed;
        }
        ++m_upstreamWrites;
        m_bodySent = m_bodyHeld > 0;
    }

    while (!m_request->is_done()) {
        if (!m_requestBody)
            m_requestBody.reset(new char[BodyPieceSize]);
        char *target = m_requestBody.get();
        std::size_t room = BodyPieceSize;
        if (m_bodyReplayable && m_bodyHeld < BodyPieceSize) {
            target += m_bodyHeld;
            room -= m_bodyHeld;
        } else {
            // Too big to keep: from now on the body streams through, and can't be sent twice.
            m_bodyReplayable = false;
        }
        body.data = target;
        body.size = room;
        setBodyDeadline();
        boost::system::error_code readError;
        if (!parseBuffered(*m_request, m_clientBuffer, readError) && !readError)
            readError = co_await readBody(m_client, m_clientBuffer, *m_request);
        if (readError)
            co_return Sent::ClientFailed;
        const std::size_t got = room - body.size;
        m_bodyRead += got;
        if (m_bodyReplayable)
            m_bodyHeld += got;
        if (got == 0 && !m_request->is_done())
            continue;
        body.data = got > 0 ? target : nullptr;
        body.size = got;
        body.more = !m_request->is_done();
        boost::system::error_code writeError;
        bool answered = false;
        if (!writeNow(upstream.socket, serializer, m_gatherSpace.get(), writeError))
            writeError = co_await writeWatchingUpstream(upstream.socket, serializer,
                                                        m_gatherSpace.get(), answered);
        if (answered)
            co_return Sent::Answered;
        if (writeError && writeError != http::error::need_buffer) {
            m_failure = "sending the request body failed: " + writeError.message();
            co_return Sent::UpstreamFailed;
        }
        ++m_upstreamWrites;
        m_bodySent = true;
    }
    co_return Sent::Whole;
}

Io::Task<ProxySession::Attempt>
ProxySession::relayResponse(std::shared_ptr<UpstreamConnection> upstream)
{
    auto &response = m_response->get();
    auto &body = response.body();
    m_phase = Phase::Relaying;
    m_status = response.result_int();
    const bool upgraded =
        m_upgradeRequested && response.result() == http::status::switching_protocols;
    const bool upstreamKeepAlive = m_response->keep_alive();

    ProxyHeaders::stripHopByHop(response, upgraded);
    response.set("X-Request-Id", m_requestId);
    response.version(11);
    bool keepClient = m_clientKeepAlive && m_request->is_done();
    if (upgraded) {
        response.set(http::field::connection, std::string_view("Upgrade"));
    } else {
        const bool delimitedByClose = m_response->need_eof() && !m_response->is_done();
        if (m_clientVersion < 11) {
            // An HTTP/1.0 client knows no chunks: the body runs until we close.
            if (m_response->chunked() || delimitedByClose) {
                response.chunked(false);
                keepClient = false;
            }
        } else if (delimitedByClose) {
            // Re-framed as chunks, so the client connection can stay open.
            response.chunked(true);
        }
        if (!keepClient)
            response.set(http::field::connection, std::string_view("close"));
        else if (m_clientVersion < 11)
            response.set(http::field::connection, std::string_view("keep-alive"));
    }
    m_clientKeepAlive = keepClient;

    m_responseSerializer.emplace(response);
    ResponseSerializer &serializer = *m_responseSerializer;
    if (m_response->is_done()) {
        // HEAD, 1xx, 204, 304 or an empty body: the header is the whole answer.
        body.data = nullptr;
        body.size = 0;
        body.more = false;
        const auto [error, written] =
            co_await http::async_write_header(m_client, serializer, Io::Nothrow);
        if (error) {
            closeUpstream();
            m_upstream = nullptr;
            co_return Attempt::Aborted;
        }
    } else {
        if (!m_responseBody)
            m_responseBody.reset(new char[BodyPieceSize]);
        if (!m_gatherSpace)
            m_gatherSpace.reset(new char[GatherSpace]);
        bool headerSent = false;
        for (;;) {
            std::size_t got = 0;
            if (m_response->is_done()) {
                body.data = nullptr;
                body.size = 0;
                body.more = false;
            } else if (!headerSent && m_upstreamBuffer.size() == 0) {
                // None of the body has arrived yet: the header goes now, so a slow or
                // streaming answer shows up at once. And our acknowledgement goes at once
                // too: an app that writes its header and its body separately, with Nagle's
                // algorithm on (Python's http.server does), holds the body back until the
                // header is acknowledged, which a delayed ACK puts off for 40 ms.
                acknowledgeNow(upstream->socket);
                body.data = nullptr;
                body.size = 0;
                body.more = true;
            } else {
                body.data = m_responseBody.get();
                body.size = BodyPieceSize;
                boost::system::error_code readError;
                if (!parseBuffered(*m_response, m_upstreamBuffer, readError) && !readError)
                    readError = co_await readBody(upstream->socket, m_upstreamBuffer, *m_response);
                if (readError) {
                    // The answer has started: only a closed connection tells the client
                    // it is incomplete.
                    closeUpstream();
                    m_upstream = nullptr;
                    closeClient();
                    co_return Attempt::Aborted;
                }
                got = BodyPieceSize - body.size;
                if (got == 0 && !m_response->is_done() && headerSent)
                    continue;
                body.data = got > 0 ? m_responseBody.get() : nullptr;
                body.size = got;
                body.more = !m_response->is_done();
            }
            setIdleLimit(m_worker.state().timeouts().streamIdle);
            boost::system::error_code writeError;
            if (!writeNow(m_client, serializer, m_gatherSpace.get(), writeError))
                writeError = co_await writeGathered(m_client, serializer, m_gatherSpace.get());
            if (writeError && writeError != http::error::need_buffer) {
                closeUpstream();
                m_upstream = nullptr;
                co_return Attempt::Aborted;
            }
            headerSent = true;
            m_bytes += got;
            if (serializer.is_done())
                break;
        }
    }

    if (upgraded) {
        m_phase = Phase::Tunnelling;
        m_clientKeepAlive = false;
        upstream->leaveGate();
        stopCounting(); // a drain does not wait for a conversation
        ByteTunnel tunnel(m_worker, *this, m_worker.state().timeouts().streamIdle);
        const ByteTunnel::Totals totals = co_await tunnel.run(
            m_client, m_clientBuffer.data(), upstream->socket, m_upstreamBuffer.data());
        m_bytes += totals.fromSecond;
        m_upstream = nullptr;
        co_return Attempt::Completed;
    }

    m_upstream = nullptr;
    // After an early answer the backend holds part of a request: it can't take another.
    const bool reusable = upstreamKeepAlive && m_response->is_done() && m_request->is_done() &&
                          !m_requestCut && m_upstreamBuffer.size() == 0 && !m_closed;
    if (reusable) {
        m_worker.recycle(std::move(upstream));
    } else {
        boost::system::error_code ignored;
        upstream->socket.close(ignored);
    }
    co_return Attempt::Completed;
}

Io::Task<bool> ProxySession::respond(http::status status, std::string text, const AppRoute *route,
                                     bool retryLater)
{
    if (m_closed)
        co_return false;
    http::response<http::string_body> response{status, 11};
    response.set(http::field::content_type, std::string_view("text/plain; charset=utf-8"));
    response.set(http::field::cache_control, std::string_view("no-store"));
    response.set("X-Content-Type-Options", std::string_view("nosniff"));
    response.set("X-Request-Id", m_requestId);
    if (retryLater) {
        response.set(http::field::retry_after, std::string_view("2"));
        // Browsers reload by themselves; curl and scripts go by Retry-After.
        response.set("Refresh", std::string_view("2"));
    }
    // A body the client is still sending would be read as the next request: close instead.
    const bool keepAlive = m_clientKeepAlive && m_request->is_done();
    if (!keepAlive)
        response.set(http::field::connection, std::string_view("close"));
    else if (m_clientVersion < 11)
        response.set(http::field::connection, std::string_view("keep-alive"));
    response.content_length(text.size());
    m_status = unsigned(status);
    if (m_request->get().method() != http::verb::head) {
        m_bytes = text.size();
        response.body() = std::move(text);
    }
    const auto [error, written] = co_await http::async_write(m_client, response, Io::Nothrow);
    if (route)
        logAccess(*route);
    co_return !error && keepAlive;
}

Io::Task<void> ProxySession::rejectMalformed(std::string reason)
{
    http::response<http::string_body> response{http::status::bad_request, 11};
    response.set(http::field::content_type, std::string_view("text/plain; charset=utf-8"));
    response.set(http::field::connection, std::string_view("close"));
    response.body() = ErrorPages::badRequest(reason);
    response.prepare_payload();
    co_await http::async_write(m_client, response, Io::Nothrow);
}

void ProxySession::logAccess(const AppRoute &route)
{
    if (!m_logging)
        return;
    const double elapsed =
        std::chrono::duration<double, std::milli>(Clock::now() - m_started).count();
    const auto sinceEpoch = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    AccessLogWriter &log = m_worker.accessLog();
    const auto &request = m_request->get();
    std::string &line = m_worker.lineSpace();
    line.clear();
    line.append(log.timestamp(std::time_t(sinceEpoch / 1000), int(sinceEpoch % 1000)));
    line.append(" ").append(m_clientAddress).append(" ");
    line.append(request.method_string()).append(" ").append(request.target()).append(" ");
    if (m_status)
        appendNumber(line, m_status);
    else
        line.append("-");
    line.append(" ");
    appendNumber(line, m_bytes);
    line.append(" ");
    appendNumber(line, elapsed);
    line.append("ms ");
    line.append(m_servedBy && !m_servedBy->container.empty()
                    ? std::string_view(m_servedBy->container)
                    : std::string_view("-"));
    line.append(" ").append(m_requestId);
    if (m_retried)
        line.append(" retried");
    log.append(route.name, line);
    if (m_worker.state().accessLogSignalled())
        m_worker.state().appendAccessLog(
            {QString::fromStdString(route.name), QString::fromStdString(line)});
}

} // namespace Slipway
