#include "client/EventStream.h"

#include "client/ApiTransport.h"

#include <QJsonDocument>

namespace Slipway {

EventStream::EventStream(DaemonEndpoint endpoint, QObject *parent)
    : QThread(parent)
    , m_endpoint(std::move(endpoint))
{}

EventStream::~EventStream()
{
    stop();
}

void EventStream::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        if (m_current)
            m_current->abort();
    }
    m_wake.notify_all();
    wait();
}

void EventStream::retryNow()
{
    {
        std::lock_guard lock(m_mutex);
        m_retryNow = true;
    }
    m_wake.notify_all();
}

bool EventStream::waitBeforeRetry(int milliseconds)
{
    std::unique_lock lock(m_mutex);
    m_wake.wait_for(lock, std::chrono::milliseconds(milliseconds),
                    [this] { return m_stopping || m_retryNow; });
    m_retryNow = false;
    return !m_stopping;
}

void EventStream::run()
{
    int pause = 250;
    for (;;) {
        ApiClient client = ApiTransport::clientFor(m_endpoint);
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping)
                return;
            m_current = &client;
        }
        QByteArray pending;
        bool greeted = false;
        const Result<int> streamed = client.stream(
            "GET", QStringLiteral("/v1/events"), {},
            [this, &pending, &greeted, &pause](const QByteArray &chunk) {
                pending += chunk;
                QList<QJsonObject> batch;
                qsizetype start = 0;
                for (qsizetype end = pending.indexOf('\n'); end >= 0;
                     end = pending.indexOf('\n', start)) {
                    const QJsonDocument document =
                        QJsonDocument::fromJson(pending.mid(start, end - start));
                    start = end + 1;
                    if (!document.isObject())
                        continue;
                    const QJsonObject object = document.object();
                    if (object.value(QStringLiteral("type")).toString() == QLatin1String("hello")) {
                        greeted = true;
                        pause = 250;
                        Q_EMIT connected();
                        continue;
                    }
                    batch.append(object);
                }
                pending.remove(0, start);
                if (!batch.isEmpty())
                    Q_EMIT events(batch);
                std::lock_guard lock(m_mutex);
                return !m_stopping;
            },
            5000);
        {
            std::lock_guard lock(m_mutex);
            m_current = nullptr;
            if (m_stopping)
                return;
        }
        Q_EMIT lost(streamed ? QStringLiteral("slipwayd ended the event stream (it stopped)")
                             : streamed.error().message);
        if (!waitBeforeRetry(pause))
            return;
        pause = greeted ? 250 : qMin(pause * 2, 2000);
    }
}

} // namespace Slipway
