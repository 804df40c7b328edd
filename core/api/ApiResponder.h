#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QString>

#include <functional>
#include <memory>

namespace Slipway {

class ResponseLink;

// How a handler answers one request, now or later, from any thread. Either one send()
// (or sendError()), or beginStream(), write()... and end(). Calls after the client left or
// after the response ended are ignored. Dropping the last reference without answering
// answers 500 (or ends an open stream).
class ApiResponder
{
public:
    explicit ApiResponder(std::shared_ptr<ResponseLink> link); // made by ApiServer
    ~ApiResponder();
    ApiResponder(const ApiResponder &) = delete;
    ApiResponder &operator=(const ApiResponder &) = delete;

    void send(int status, const QJsonValue &json); // application/json
    void send(int status, const QByteArray &body, const QByteArray &contentType);
    void sendError(int status,
                   const QString &message); // {"error": {"status": N, "message": "..."}}

    // Chunked transfer encoding; every write() goes out as it comes.
    void beginStream(int status, const QByteArray &contentType);
    void write(const QByteArray &chunk);
    void end();

    // True until the response has ended or the client has left.
    bool isOpen() const;
    // Runs on the server's thread when the client disconnects before the response ended
    // (to stop following logs); at once if it already has.
    void onClosed(std::function<void()> callback);
    // Runs on the server's thread once the response is over: written to its end, or cut
    // short by the client leaving (to stop the daemon only after its answer went out).
    void onDone(std::function<void()> callback);

private:
    std::shared_ptr<ResponseLink> m_link;
};

} // namespace Slipway
