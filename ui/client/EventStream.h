#pragma once

#include "client/DaemonEndpoint.h"

#include <QJsonObject>
#include <QList>
#include <QThread>

#include <condition_variable>
#include <mutex>
#include <optional>

namespace Slipway {

class ApiClient;

// Follows GET /v1/events on a thread of its own: each NDJSON line becomes an event on the
// owner's thread. When the stream breaks it says so and tries again, with a growing pause
// (up to 2 s), until stopped; `connected()` marks each new start, so the owner can read
// again what it may have missed.
class EventStream : public QThread
{
    Q_OBJECT

public:
    explicit EventStream(DaemonEndpoint endpoint, QObject *parent = nullptr);
    ~EventStream() override;

    // Ends the stream and the thread; returns once both are gone.
    void stop();
    // Skips the pause before the next attempt (the daemon was just started).
    void retryNow();

Q_SIGNALS:
    void connected();
    void lost(const QString &reason);
    void events(const QList<QJsonObject> &events);

protected:
    void run() override;

private:
    bool waitBeforeRetry(int milliseconds);

    const DaemonEndpoint m_endpoint;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    bool m_retryNow = false;
    ApiClient *m_current = nullptr; // the client of the stream in progress, for stop()
};

} // namespace Slipway
