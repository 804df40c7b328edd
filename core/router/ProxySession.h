#pragma once

#include "router/IoTypes.h"

#include "router/ProxyHeaders.h"
#include "router/UpstreamGate.h"
#include "router/WatchedConnection.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/status.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <vector>

namespace Slipway {

class BackendTraffic;
class RouterWorker;
class RoutingTable;
struct AppRoute;
struct RouteBackend;
struct UpstreamConnection;

// One client connection, from accept to close, on one worker thread: reads requests with
// Beast, picks a backend round-robin, streams the request to it and the response back (body
// pieces as they arrive, in bounded memory), keeps both sides alive, retries where that is
// safe, and turns upgraded connections into byte tunnels.
class ProxySession final : public WatchedConnection
{
public:
    ProxySession(RouterWorker &worker, Io::Socket client);
    ~ProxySession() override;

    // Serves the connection until it closes; the session lives in the coroutine frame.
    static Io::Task<void> serve(RouterWorker &worker, Io::Socket client);

    void expire() override;
    void shutdown() override;
    void tick(Clock::time_point now) override;

private:
    enum class Phase {
        ReadingRequest,
        Queued, // for a connection to a backend at its limit
        Connecting,
        SendingRequest,
        AwaitingResponse,
        Relaying,
        Tunnelling,
        Lingering
    };
    enum class Sent {
        Whole,
        Answered, // the backend answered (or closed) before taking the whole request
        UpstreamFailed,
        ClientFailed
    };
    // How one try on one upstream connection ended.
    enum class Attempt {
        Completed,      // a response went to the client
        RetryFresh,     // a pooled connection was stale; same backend, new connection
        TryNextBackend, // nothing reached this backend
        RetryElsewhere, // it failed after the request went out, and may be sent again once
        GiveUp,         // answer 502 (or 504)
        Aborted         // the client side is gone or the response broke off: close
    };
    using RequestParser =
        boost::beast::http::request_parser<boost::beast::http::buffer_body, FieldsAllocator>;
    using ResponseParser =
        boost::beast::http::response_parser<boost::beast::http::buffer_body, FieldsAllocator>;
    using RequestSerializer =
        boost::beast::http::request_serializer<boost::beast::http::buffer_body, ProxyFields>;
    using ResponseSerializer =
        boost::beast::http::response_serializer<boost::beast::http::buffer_body, ProxyFields>;

    Io::Task<void> run();
    Io::Task<bool> handleRequest();
    Io::Task<bool> forward(const AppRoute &requested);
    // The app's route as it is now into `route`, the tables left behind kept in `held`;
    // false when the app has no backend any more.
    bool reroute(std::vector<std::shared_ptr<const RoutingTable>> &held, const AppRoute *&route);
    // The request counts as in flight to `backend` (see BackendTraffic); false when that
    // one is being drained.
    bool startCounting(const RouteBackend &backend);
    void stopCounting();
    // A new connection, or one another request just finished with (then `reused` is set).
    Io::Task<std::shared_ptr<UpstreamConnection>> connect(const RouteBackend &backend,
                                                          bool &reused);
    Io::Task<bool> waitForPlace(const RouteBackend &backend,
                                std::shared_ptr<UpstreamConnection> &handedOver);
    Io::Task<Attempt> exchange(std::shared_ptr<UpstreamConnection> upstream, bool reused);
    Io::Task<Sent> sendRequest(UpstreamConnection &upstream);
    Io::Task<Attempt> relayResponse(std::shared_ptr<UpstreamConnection> upstream);
    Io::Task<bool> respond(boost::beast::http::status status, std::string text,
                           const AppRoute *route, bool retryLater);
    Io::Task<void> rejectMalformed(std::string reason);
    Io::Task<void> drainUnreadBody();
    Attempt afterUpstreamFailure(bool reused) const;

    void setIdleLimit(std::chrono::milliseconds limit);
    void closeClient();
    void closeUpstream();
    void stopWaiting();
    // The next read of a request body may idle for streamIdle, and the whole body has its
    // own deadline growing with what came (RouterTimeouts::bodyGrace, minimumBodyRate).
    void setBodyDeadline();
    Io::Task<bool> gatherBodyStart();
    void logAccess(const AppRoute &route);

    RouterWorker &m_worker;
    Io::Socket m_client;
    std::string m_clientAddress;
    boost::beast::flat_buffer m_clientBuffer;
    boost::beast::flat_buffer m_upstreamBuffer;
    // Declared before the parsers, which allocate from it.
    std::array<std::byte, 4096> m_arenaSpace;
    std::pmr::monotonic_buffer_resource m_arena{m_arenaSpace.data(), m_arenaSpace.size()};
    std::optional<RequestParser> m_request;
    std::optional<ResponseParser> m_response;
    std::optional<RequestSerializer> m_requestSerializer;
    std::optional<ResponseSerializer> m_responseSerializer;
    // Request body pieces. While the whole body read so far fits, it stays here, so the
    // request can be sent again on another connection.
    std::unique_ptr<char[]> m_requestBody;
    std::unique_ptr<char[]> m_responseBody;
    std::unique_ptr<char[]> m_gatherSpace; // where small header buffers are joined for writing
    std::size_t m_bodyHeld = 0;
    std::uint64_t m_bodyRead = 0;    // of this request, for its minimum rate
    Clock::time_point m_bodyStarted; // when its header was read
    bool m_bodyReplayable = true;
    bool m_bodySent = false;
    bool m_requestCut = false; // the request did not reach the backend whole
    int m_upstreamWrites = 0;

    UpstreamConnection *m_upstream = nullptr; // the one in use, for timeouts and shutdown
    BackendTraffic *m_counted = nullptr;      // where the request counts as in flight
    UpstreamGate::Waiter *m_waiter = nullptr; // while queued for a connection
    std::shared_ptr<const RoutingTable> m_table;
    std::string m_app;
    std::string m_requestId;
    std::string m_failure;
    Phase m_phase = Phase::ReadingRequest;
    Clock::time_point m_waitingSince; // for the next request
    bool m_endLookedFor = false;      // in this wait (see tick())
    bool m_closed = false;
    bool m_timedOut = false;
    bool m_queueTimedOut = false;
    bool m_upgradeRequested = false;
    bool m_clientKeepAlive = false;
    unsigned m_clientVersion = 11;

    // For the access log line.
    bool m_logging = false;
    Clock::time_point m_started;
    unsigned m_status = 0;
    std::uint64_t m_bytes = 0;
    bool m_retried = false; // sent again after a failed try: the log line says so
    const RouteBackend *m_servedBy = nullptr;
};

} // namespace Slipway
