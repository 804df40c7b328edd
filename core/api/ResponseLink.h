#pragma once

#include "api/ResponsePart.h"

#include <QPointer>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace Slipway {

class ApiIoThread;
class ResponseSink;

// What ties one request's ApiResponder to its connection. The responder may live on after
// the connection (a log follower keeps it), so the link never points at the connection
// directly: parts are posted to the connection's I/O thread with weak references, and once
// the response has ended or the client has left, whatever comes is dropped.
class ResponseLink
{
public:
    ResponseLink(std::weak_ptr<ApiIoThread> thread, std::weak_ptr<ResponseSink> sink,
                 QObject *qtSide);

    // Any thread. Parts out of order (a chunk before the stream began, a second answer)
    // are refused with a warning; false when the part went nowhere.
    bool submit(ResponsePart part);
    // The responder went away: an unanswered request gets a 500, an open stream its end.
    void abandon();
    bool isOpen() const;
    // Runs the callback on the Qt side when the client leaves before the response ended; at
    // once when it already has.
    void onClosed(std::function<void()> callback);
    // Runs the callback on the Qt side once the response is over, written to its end or cut
    // short by the client leaving; at once when it already is.
    void onDone(std::function<void()> callback);

    // I/O side.
    void clientLeft();
    void finished();

private:
    enum class State { Fresh, Streaming, Ended };

    bool post(ResponsePart part); // with m_mutex held
    void runOnQtSide(std::vector<std::function<void()>> callbacks);

    mutable std::mutex m_mutex;
    State m_state = State::Fresh;
    bool m_open = true;
    bool m_clientLeft = false;
    std::vector<std::function<void()>> m_closedCallbacks;
    std::vector<std::function<void()>> m_doneCallbacks;
    bool m_done = false;
    const std::weak_ptr<ApiIoThread> m_thread;
    const std::weak_ptr<ResponseSink> m_sink;
    QObject *const m_qtSide;
};

} // namespace Slipway
