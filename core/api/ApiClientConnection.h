#pragma once

#include "api/ApiIoTypes.h"
#include "api/ApiReply.h"

#include "util/Result.h"

#include <QByteArray>
#include <QString>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace Slipway {

// ApiClient's connection and its private event loop: one call at a time, run to the end
// on the calling thread.
class ApiClientConnection
{
public:
    struct Call
    {
        enum class Kind { Whole, Upload, Stream };
        Kind kind = Kind::Whole;
        QByteArray method;
        QByteArray target;
        QByteArray body;
        QByteArray contentType;
        QString file;                                    // Upload
        std::function<bool(const QByteArray &)> onChunk; // Stream
        // Upload: after each piece sent; returning false stops the upload.
        std::function<bool(qint64 sent, qint64 total)> onProgress;
        std::chrono::milliseconds timeout{30000};
    };

    explicit ApiClientConnection(QString socketPath);
    ApiClientConnection(QString host, quint16 port, QByteArray token, QString caCertificateFile);
    ~ApiClientConnection();
    ApiClientConnection(const ApiClientConnection &) = delete;
    ApiClientConnection &operator=(const ApiClientConnection &) = delete;

    QString endpoint() const;
    Result<ApiReply> perform(Call &call);
    void disconnect();
    // From any thread: ends the call in progress, and every later call fails at once.
    void abort();

private:
    struct Outcome
    {
        ApiReply reply;
        QString failure;          // empty: it worked
        bool unreachable = false; // the failure is the transport's ("cannot reach ...")
        bool stale = false;       // a kept-alive connection the server had closed: try again
        bool reusable = false;
        bool stopped = false; // onChunk asked to stop
    };

    Io::Task<Outcome> exchange(Call &call);
    Io::Task<QString> connect();
    template<class Stream>
    Io::Task<Outcome> exchangeOn(Stream &stream, Call &call);
    template<class Stream, class Parser>
    Io::Task<QString> readBody(Stream &stream, Parser &parser, Call &call, Outcome &outcome);

    bool isConnected() const;
    void armDeadline(std::chrono::milliseconds limit);
    void disarmDeadline();
    QString reasonFor(const boost::system::error_code &error) const;

    const QString m_socketPath; // empty for TLS
    const QString m_host;
    const quint16 m_port = 0;
    const QByteArray m_token;
    const QString m_caCertificateFile;

    boost::asio::io_context m_context{1};
    std::shared_ptr<boost::asio::ssl::context> m_tls;
    std::optional<Io::LocalSocket> m_local;
    std::optional<Io::TlsStream> m_secure;
    std::optional<boost::asio::ip::basic_resolver<boost::asio::ip::tcp, Io::Executor>> m_resolver;
    Io::Timer m_deadline{m_context.get_executor()};
    boost::beast::flat_buffer m_buffer;
    std::chrono::milliseconds m_timeout{0};
    bool m_timedOut = false;
    std::atomic<bool> m_aborted{false};
};

} // namespace Slipway
