#pragma once

#include "api/ApiRequest.h"
#include "api/ApiResponder.h"

#include "util/Result.h"

#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace Slipway {

class ApiIoThread;
class ApiListener;
class UnixSocketFile;
struct ApiSessionSettings;

// The daemon's HTTP/1.1 + JSON transport, knowing nothing of the endpoints: a Unix socket
// for the user (mode 0600, no token), and optionally TLS over TCP with bearer tokens for
// remote consoles. Requests are read on I/O threads (Boost.Beast/Asio) and handed, body
// complete, to the handler on this object's thread; the answer goes back through the
// ApiResponder whenever the handler has it.
//
// What the server answers on its own, always as {"error": {"status": N, "message": "..."}}:
// 400 for a malformed request, 401 (with WWW-Authenticate: Bearer) for a missing or refused
// token on TCP, 413 for a body over the limit (before reading it), 500 when a handler throws
// or drops a request unanswered. "Expect: 100-continue" is honoured; connections are kept
// alive.
class ApiServer : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        // Unix socket. Its folder is created 0700 when missing; a socket file left by a
        // server that died is replaced, a live one (another server answers) is an error.
        QString socketPath;
        // Optional TCP listener, only with TLS (PEM files); without both a TCP listener is
        // refused. tcpPort 0 picks a free port (see tcpPort()).
        QString tcpAddress;
        quint16 tcpPort = 0;
        QString certificateFile;
        QString privateKeyFile;
        // Bearer tokens on TCP; required with a TCP listener. Called on I/O threads, before
        // the body is read: it must be thread-safe, and must not wait for this object's
        // thread (stop() joins the I/O threads from there). Unix socket peers are the user
        // and need no token.
        std::function<bool(const QByteArray &token)> validateToken;
        qint64 maxBodyBytes = 512LL * 1024 * 1024;  // 413 beyond
        qint64 memoryBodyLimit = 4LL * 1024 * 1024; // larger bodies go to a spool file
        // The slowest a body may come, on average, once the grace period is over.
        std::chrono::milliseconds bodyGrace{std::chrono::seconds(30)};
        qint64 minimumBodyRate = 4096; // bytes per second
        QString spoolDirectory;        // empty: the system's temporary folder
        int threads = 1;
    };
    using Handler = std::function<void(const ApiRequest &, std::shared_ptr<ApiResponder>)>;

    explicit ApiServer(Options options, QObject *parent = nullptr);
    ~ApiServer() override; // stops

    // Binds and starts serving; the error says what could not be listened on and why.
    Result<void> start();
    // Closes the listeners and every connection, joins the I/O threads, removes the socket.
    void stop();
    bool isRunning() const { return m_running; }
    quint16 tcpPort() const { return m_tcpPort; } // the actual port; 0 without TCP

    // Called on this object's thread for every request; answer through the responder, now
    // or later, from any thread.
    void setHandler(Handler handler);

private:
    void handle(const ApiRequest &request, const std::shared_ptr<ApiResponder> &responder);

    Options m_options;
    Handler m_handler;
    std::shared_ptr<ApiSessionSettings> m_settings;
    std::vector<std::shared_ptr<ApiIoThread>> m_threads;
    std::shared_ptr<ApiListener> m_listener;
    std::unique_ptr<UnixSocketFile> m_socketFile;
    quint16 m_tcpPort = 0;
    bool m_running = false;
};

} // namespace Slipway
