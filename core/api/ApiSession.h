#pragma once

#include "api/ApiConnection.h"
#include "api/ApiIoTypes.h"
#include "api/ResponseSink.h"
#include "api/SpoolFile.h"

#include <QString>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string_view>

namespace Slipway {

class ApiIoThread;
class ResponseLink;
struct ApiRequest;
struct ApiSessionSettings;

// One API connection from accept to close, on one I/O thread: reads each request with
// Beast (the body into memory or, past the memory limit, into a spool file as it arrives),
// hands it to the Qt side, and writes whatever the responder sends back — one answer or a
// chunked stream — keeping the connection alive between requests. While an answer is
// awaited the socket is still read, so a client that leaves is noticed at once.
//
// Stream is Io::LocalSocket (the Unix socket) or Io::TlsStream (TCP, token required).
template<class Stream>
class ApiSession final
    : public ApiConnection
    , public ResponseSink
    , public std::enable_shared_from_this<ApiSession<Stream>>
{
public:
    ApiSession(std::shared_ptr<const ApiSessionSettings> settings, ApiIoThread &thread,
               Stream stream, QString peer);
    ~ApiSession() override;

    // Serves the connection until it closes; the coroutine keeps the session alive.
    static Io::Task<void> serve(std::shared_ptr<ApiSession> session);

    void shutdown() override;
    void accept(ResponsePart part) override;

private:
    // What becomes of the connection after a step.
    enum class Next {
        KeepAlive, // ready for the next request
        Close,     // close now
        Linger     // answered early with a body still coming: stop sending, drain a little, close
    };
    using RequestParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;
    using Clock = std::chrono::steady_clock;

    Io::Task<void> run();
    Io::Task<Next> handshake();
    Io::Task<Next> readHeader();
    Io::Task<Next> serveRequest();
    Io::Task<Next> receiveBody(ApiRequest &request);
    Io::Task<Next> relayResponse(bool keepAlive, bool headOnly, unsigned version);
    Io::Task<boost::system::error_code> writeWhole(const ResponsePart &part, bool keepAlive,
                                                   bool headOnly, unsigned version);
    Io::Task<boost::system::error_code> writeStreamHead(const ResponsePart &part, bool keepAlive,
                                                        bool chunked, unsigned version);
    Io::Task<boost::system::error_code> writeChunks(ResponsePart &first, bool chunked);
    Io::Task<boost::system::error_code> writeLastChunk();
    Io::Task<Next> replyError(int status, const QString &message, Next after,
                              std::string_view challenge);
    Io::Task<void> lingeringClose();
    Io::Task<void> waitForWake();

    void notify();
    void startWatch();
    void watched(const boost::system::error_code &error, std::size_t bytes);
    void armDeadline(Clock::duration limit);
    QString bodyTooLarge(bool upload) const;
    void disarmDeadline();
    void expire();
    void closeSocket();
    auto &lowestLayer();

    const std::shared_ptr<const ApiSessionSettings> m_settings;
    ApiIoThread &m_thread;
    Stream m_stream;
    const QString m_peer;
    Io::Timer m_wake;     // cancelled to wake the coroutine (a part came, the client left)
    Io::Timer m_deadline; // closes the socket when a read or write takes too long
    boost::beast::flat_buffer m_buffer;
    std::optional<RequestParser> m_parser;
    std::unique_ptr<char[]> m_piece; // body pieces, in and (when lingering) out
    SpoolFile m_spool;
    std::uint64_t m_bodyLimit = 0; // this request's
    std::shared_ptr<ResponseLink> m_link;
    std::deque<ResponsePart> m_outbox;
    qint64 m_outboxBytes = 0;
    bool m_awaitingAnswer = false;
    bool m_watching = false; // a read is pending while the answer is awaited
    bool m_peerGone = false;
    bool m_closing = false; // shutdown, timeout, or a client too slow for its stream
};

} // namespace Slipway
