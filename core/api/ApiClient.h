#pragma once

#include "api/ApiReply.h"

#include "util/Result.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>

namespace Slipway {

class ApiClientConnection;

// The API as slipctl and the console call it: blocking calls with a timeout, each running
// its own small event loop on the calling thread (never call it on the thread that runs the
// server's handler: the answer could not come). One connection, kept alive between calls
// and made again when the server closed it. Copies share the connection; use it from one
// thread at a time.
//
// Transport failures are errors "cannot reach slipwayd at <where>: <reason>"; an HTTP error
// status is a reply (see ApiReply::errorMessage()).
class ApiClient
{
public:
    static ApiClient unixSocket(const QString &path);
    // TLS over TCP with a bearer token. `caCertificateFile` (PEM) holds either the authority
    // that signed the server's certificate (the host name must match it) or the server's
    // own certificate, pinned.
    static ApiClient tls(const QString &host, quint16 port, const QByteArray &token,
                         const QString &caCertificateFile);

    ~ApiClient();
    ApiClient(const ApiClient &);
    ApiClient &operator=(const ApiClient &);

    QString endpoint() const; // the socket path, or host:port

    // `timeoutMs` bounds the whole call, connecting included.
    Result<ApiReply> request(const QByteArray &method, const QString &pathAndQuery,
                             const QByteArray &body = {},
                             const QByteArray &contentType = "application/json",
                             int timeoutMs = 30000);
    // Sends the file as the body, streamed from disk ("Expect: 100-continue" first, so a
    // refusal comes before the upload). The timeout applies to each step, not the whole.
    // `onProgress` (optional) hears of each piece sent; returning false stops the upload.
    Result<ApiReply> upload(const QByteArray &method, const QString &pathAndQuery,
                            const QString &file, const QByteArray &contentType,
                            int timeoutMs = 30000,
                            std::function<bool(qint64 sent, qint64 total)> onProgress = {});
    // A streamed (chunked) answer: onChunk gets each piece as it arrives, until the server
    // ends the stream or onChunk returns false (the connection is then closed, which the
    // server sees as the client leaving). Returns the status. An error status is not
    // streamed: its body is read whole and its message returned as the error. `timeoutMs`
    // bounds connecting and the wait for the answer's head; a stream may then idle forever.
    Result<int> stream(const QByteArray &method, const QString &pathAndQuery,
                       const QByteArray &body, std::function<bool(const QByteArray &chunk)> onChunk,
                       int timeoutMs = 30000);

    // Closes the kept-alive connection (the next call makes a new one).
    void disconnect();
    // The one call that may come from another thread: ends the call in progress (a stream
    // that idles, say) and makes every later call on this connection fail at once.
    void abort();

private:
    explicit ApiClient(std::shared_ptr<ApiClientConnection> connection);

    std::shared_ptr<ApiClientConnection> m_connection;
};

} // namespace Slipway
