#include "EventStream.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QTest>

#include <cstring>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

EventStream::EventStream(const QString &socketPath, const QString &query)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const QByteArray path = QFile::encodeName(socketPath);
    if (fd < 0 || path.size() >= qsizetype(sizeof(address.sun_path)))
        return;
    std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0) {
        ::close(fd);
        return;
    }
    const QByteArray request =
        "GET /v1/events" + query.toUtf8() + " HTTP/1.1\r\nHost: slipway\r\n\r\n";
    if (::write(fd, request.constData(), size_t(request.size())) != request.size()) {
        ::close(fd);
        return;
    }
    m_socket = fd;
    m_reader = std::thread([this] { read(); });
}

EventStream::~EventStream()
{
    if (m_socket < 0)
        return;
    // Ends the reader's blocking recv().
    ::shutdown(m_socket, SHUT_RDWR);
    m_reader.join();
    ::close(m_socket);
}

void EventStream::read()
{
    char buffer[16384];
    for (;;) {
        const ssize_t received = ::recv(m_socket, buffer, sizeof(buffer), 0);
        if (received <= 0)
            return;
        take(QByteArray(buffer, qsizetype(received)));
    }
}

void EventStream::take(const QByteArray &bytes)
{
    QMutexLocker locker(&m_mutex);
    m_raw += bytes;
    if (!m_headersDone) {
        const qsizetype end = m_raw.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        m_raw.remove(0, end + 4);
        m_headersDone = true;
    }
    // Chunked transfer coding: "<hex size>\r\n<data>\r\n", repeated.
    for (;;) {
        const qsizetype lineEnd = m_raw.indexOf("\r\n");
        if (lineEnd < 0)
            return;
        bool ok = false;
        const qsizetype size = m_raw.left(lineEnd).split(';').first().trimmed().toLongLong(&ok, 16);
        if (!ok || size == 0 || m_raw.size() < lineEnd + 2 + size + 2)
            return;
        m_lines += m_raw.mid(lineEnd + 2, size);
        m_raw.remove(0, lineEnd + 2 + size + 2);
        for (qsizetype newline = m_lines.indexOf('\n'); newline >= 0;
             newline = m_lines.indexOf('\n')) {
            const QJsonDocument document = QJsonDocument::fromJson(m_lines.left(newline));
            m_lines.remove(0, newline + 1);
            if (document.isObject())
                m_events.append(document.object());
        }
    }
}

QList<QJsonObject> EventStream::events() const
{
    QMutexLocker locker(&m_mutex);
    return m_events;
}

bool EventStream::waitFor(const std::function<bool(const QList<QJsonObject> &)> &done,
                          int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (!done(events())) {
        if (clock.elapsed() > timeoutMs)
            return false;
        QTest::qWait(50);
    }
    return true;
}
