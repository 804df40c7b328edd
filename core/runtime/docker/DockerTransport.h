#pragma once

#include "runtime/docker/DockerEndpoint.h"

#include "router/IoTypes.h"
#include "util/Result.h"

#include <QByteArray>
#include <QString>

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

namespace Slipway {

// One HTTP/1.1 exchange with the engine, on a connection of its own.
struct DockerRequest
{
    QByteArray method = "GET";
    QByteArray target; // "/v1.41/containers/json?all=1"
    QByteArray body;
    QByteArray contentType = "application/json";
    // When set, the body is this file, streamed from disk (the engine asks for it with
    // "100 Continue", so a refusal comes back before the upload).
    QString bodyFile;
    std::function<void(qint64 sent, qint64 total)> onSent; // I/O thread
    // A successful answer is handed over piece by piece instead of kept; returning false
    // ends the exchange. I/O thread. The exchange may await between pieces (see
    // DockerCallState::queuedBytes).
    std::function<bool(const QByteArray &piece)> onPiece;
    // Bounds connecting and waiting for the answer's head and, for an answer that is not
    // streamed, for the whole answer. Zero: no bound (a long poll such as wait).
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

struct DockerResponse
{
    int status = 0;
    QByteArray body; // empty for a streamed answer
    bool isSuccess() const { return status >= 200 && status < 300; }
    // The engine's {"message": ...}, or the body's first line, or the status.
    QString engineMessage() const;
};

// What a caller of DockerClient holds of one call, shared with the I/O thread.
struct DockerCallState
{
    std::atomic<bool> cancelled{false};
    // Bytes handed to the caller's thread and not consumed yet: a streamed answer pauses
    // reading while this is above StreamBacklogBytes, so memory stays bounded when the
    // caller's thread is slower than the engine.
    std::atomic<qint64> queuedBytes{0};
    static constexpr qint64 StreamBacklogBytes = 4 * 1024 * 1024;
    // Closes the call's connection; I/O thread only, set while a connection is open.
    std::function<void()> closeConnection;
};

// Talks HTTP to one engine. Every exchange runs on the executor's (single) thread.
class DockerTransport
{
public:
    DockerTransport(Io::Executor executor, DockerEndpoint endpoint);

    const DockerEndpoint &endpoint() const { return m_endpoint; }

    // A transport failure (cannot connect, the connection broke, time-out) is an error that
    // names the engine and what to check; an HTTP answer, any status, is a response.
    Io::Task<Result<DockerResponse>> exchange(const DockerRequest &request, DockerCallState &call);

private:
    template<class Stream>
    Io::Task<Result<DockerResponse>> exchangeOn(Stream &stream, const DockerRequest &request,
                                                DockerCallState &call, const bool &timedOut,
                                                const std::function<void()> &rearm,
                                                const std::function<void()> &disarm);
    QString unreachable(const QString &reason) const;

    Io::Executor m_executor;
    const DockerEndpoint m_endpoint;
    std::shared_ptr<boost::asio::ssl::context> m_tls;
    QString m_tlsProblem; // why the TLS context could not be made
};

} // namespace Slipway
