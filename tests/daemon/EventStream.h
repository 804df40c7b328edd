#pragma once

#include <QJsonObject>
#include <QList>
#include <QMutex>
#include <QString>

#include <functional>
#include <thread>

// A client of a daemon's GET /v1/events, reading on a thread of its own so that a test can
// make blocking API calls meanwhile. Plain HTTP/1.1 over the Unix socket, the chunked
// answer taken apart here: one JSON object per line.
class EventStream
{
public:
    // `query`: "?app=shop" or empty.
    explicit EventStream(const QString &socketPath, const QString &query = {});
    ~EventStream();
    EventStream(const EventStream &) = delete;
    EventStream &operator=(const EventStream &) = delete;

    bool isConnected() const { return m_socket >= 0; }
    QList<QJsonObject> events() const;
    // Waits (bounded) until `done` holds for the events received so far.
    bool waitFor(const std::function<bool(const QList<QJsonObject> &)> &done, int timeoutMs);

private:
    void read();
    void take(const QByteArray &bytes);

    int m_socket = -1;
    std::thread m_reader;
    mutable QMutex m_mutex;
    QList<QJsonObject> m_events;
    QByteArray m_raw;   // received, not yet taken apart
    QByteArray m_lines; // the body, not yet a complete line
    bool m_headersDone = false;
};
