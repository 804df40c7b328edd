#include "api/ResponseLink.h"

#include "api/ApiIoThread.h"
#include "api/ApiJson.h"
#include "api/ApiLogging.h"
#include "api/ResponseSink.h"

#include <boost/asio/post.hpp>

namespace Slipway {

namespace {

const char *kindName(ResponsePart::Kind kind)
{
    switch (kind) {
    case ResponsePart::Kind::Whole:
        return "send()";
    case ResponsePart::Kind::Head:
        return "beginStream()";
    case ResponsePart::Kind::Chunk:
        return "write()";
    case ResponsePart::Kind::End:
        return "end()";
    }
    return "?";
}

} // namespace

ResponseLink::ResponseLink(std::weak_ptr<ApiIoThread> thread, std::weak_ptr<ResponseSink> sink,
                           QObject *qtSide)
    : m_thread(std::move(thread))
    , m_sink(std::move(sink))
    , m_qtSide(qtSide)
{}

bool ResponseLink::submit(ResponsePart part)
{
    std::lock_guard lock(m_mutex);
    if (!m_open)
        return false;
    State next = m_state;
    bool allowed = false;
    switch (part.kind) {
    case ResponsePart::Kind::Whole:
        allowed = m_state == State::Fresh;
        next = State::Ended;
        break;
    case ResponsePart::Kind::Head:
        allowed = m_state == State::Fresh;
        next = State::Streaming;
        break;
    case ResponsePart::Kind::Chunk:
        allowed = m_state == State::Streaming;
        if (allowed && part.data.isEmpty())
            return true; // an empty chunk would end the stream on the wire
        break;
    case ResponsePart::Kind::End:
        allowed = m_state == State::Streaming;
        next = State::Ended;
        break;
    }
    if (!allowed) {
        qCWarning(lcApi, "ApiResponder::%s ignored: the response %s", kindName(part.kind),
                  m_state == State::Fresh ? "has not begun a stream" : "was already given");
        return false;
    }
    m_state = next;
    return post(std::move(part));
}

void ResponseLink::abandon()
{
    std::lock_guard lock(m_mutex);
    if (!m_open || m_state == State::Ended)
        return;
    ResponsePart part;
    if (m_state == State::Fresh) {
        qCWarning(lcApi, "a request was dropped without an answer; it gets a 500");
        part.status = 500;
        part.contentType = QByteArrayLiteral("application/json");
        part.data =
            ApiJson::error(500, QStringLiteral("the request was dropped without an answer"));
    } else {
        part.kind = ResponsePart::Kind::End;
    }
    m_state = State::Ended;
    post(std::move(part));
}

bool ResponseLink::post(ResponsePart part)
{
    // The thread is held only while posting: the I/O context cannot go away under us, and
    // the link alone never keeps it alive.
    const std::shared_ptr<ApiIoThread> thread = m_thread.lock();
    if (!thread)
        return false;
    boost::asio::post(thread->context(), [sink = m_sink, part = std::move(part)]() mutable {
        if (const std::shared_ptr<ResponseSink> connection = sink.lock())
            connection->accept(std::move(part));
    });
    return true;
}

bool ResponseLink::isOpen() const
{
    std::lock_guard lock(m_mutex);
    return m_open;
}

void ResponseLink::onClosed(std::function<void()> callback)
{
    if (!callback)
        return;
    std::unique_lock lock(m_mutex);
    if (m_open) {
        m_closedCallbacks.push_back(std::move(callback));
        return;
    }
    const bool left = m_clientLeft;
    lock.unlock();
    if (left)
        callback();
}

void ResponseLink::clientLeft()
{
    std::vector<std::function<void()>> callbacks;
    {
        std::lock_guard lock(m_mutex);
        if (!m_open)
            return;
        m_open = false;
        m_clientLeft = true;
        m_done = true;
        callbacks.swap(m_closedCallbacks);
        for (auto &callback : m_doneCallbacks)
            callbacks.push_back(std::move(callback));
        m_doneCallbacks.clear();
    }
    runOnQtSide(std::move(callbacks));
}

void ResponseLink::finished()
{
    std::vector<std::function<void()>> callbacks;
    {
        std::lock_guard lock(m_mutex);
        m_open = false;
        m_done = true;
        m_closedCallbacks.clear();
        callbacks.swap(m_doneCallbacks);
    }
    runOnQtSide(std::move(callbacks));
}

void ResponseLink::onDone(std::function<void()> callback)
{
    {
        std::lock_guard lock(m_mutex);
        if (!m_done) {
            m_doneCallbacks.push_back(std::move(callback));
            return;
        }
    }
    runOnQtSide({std::move(callback)});
}

void ResponseLink::runOnQtSide(std::vector<std::function<void()>> callbacks)
{
    if (callbacks.empty() || !m_qtSide)
        return;
    // The I/O threads only run while the server object lives, so m_qtSide is valid here.
    QMetaObject::invokeMethod(
        m_qtSide,
        [callbacks = std::move(callbacks)] {
            for (const auto &callback : callbacks)
                callback();
        },
        Qt::QueuedConnection);
}

} // namespace Slipway
