// The router against real backends: the behave fixture (python3) started on free ports,
// clients that are raw sockets (responses parsed with Beast) or curl, and a backend written
// here where a test needs one that misbehaves on purpose.

#include "router/Router.h"

#include "TcpSockets.h"
#include "TestSupport.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include <csignal>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Slipway;
using namespace Qt::StringLiterals;
namespace http = boost::beast::http;

namespace {

constexpr int ReplyTimeoutMs = 15000;

QString hostFor(const QString &app, quint16 port)
{
    return app + u".localhost:"_s + QString::number(port);
}

// One process of the behave fixture: `web` (HTTP) or `tcp` (echo) on a free port.
class Fixture
{
public:
    Fixture(const QString &mode, const QString &container, const QString &version,
            const QString &logDirectory)
        : m_container(container)
        , m_port(TestSupport::freePort())
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(u"PORT"_s, QString::number(m_port));
        environment.insert(u"CONTAINER"_s, container);
        environment.insert(u"CONTAINER_VERSION"_s, version);
        environment.insert(u"APP"_s, u"routed"_s);
        m_process.setProcessEnvironment(environment);
        // Into a file, never a pipe nobody reads: a full pipe would stall the fixture.
        m_process.setStandardOutputFile(logDirectory + u"/"_s + container + u".log"_s);
        m_process.setStandardErrorFile(logDirectory + u"/"_s + container + u".err"_s);
        // Gone with the test, even when it crashes.
        m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        m_process.start(u"python3"_s, {TestSupport::dataPath(u"fixtures/behave/behave.py"_s), mode,
                                       u"--tag"_s, u"slipway-router-test"_s});
    }

    ~Fixture()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(5000);
    }

    bool waitReady(int timeoutMs = 15000)
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            if (m_process.state() == QProcess::NotRunning && timer.elapsed() > 1000)
                return false;
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, m_port);
            if (probe.waitForConnected(200))
                return true;
            QTest::qWait(50);
        }
        return false;
    }

    quint16 port() const { return m_port; }
    QString container() const { return m_container; }
    Backend backend() const { return Backend{m_container, u"127.0.0.1"_s, m_port}; }

private:
    QProcess m_process;
    QString m_container;
    quint16 m_port = 0;
};

struct Reply
{
    int status = 0;                        // 0: no complete response
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;
    QString error;
    qint64 firstBodyMs = -1; // when the first body bytes arrived, after sending
    qint64 doneMs = -1;

    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

// Sends `bytes` and the end of the stream in one segment (corked until the end is added),
// so the peer finds both at once, with one wake-up for the two.
void sendWithItsEnd(int descriptor, const QByteArray &bytes)
{
    const int on = 1;
    ::setsockopt(descriptor, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
    (void)!::write(descriptor, bytes.constData(), size_t(bytes.size()));
    ::shutdown(descriptor, SHUT_WR);
}

// A client connection whose responses are parsed by Beast. Waiting runs the event loop, so
// a backend living in this thread keeps working meanwhile.
class HttpConnection
{
public:
    bool open(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        return m_socket.waitForConnected(5000);
    }

    void send(const QByteArray &raw)
    {
        m_clock.start();
        m_socket.write(raw);
        m_socket.flush();
    }

    // Sends `raw` and then nothing more: the end of the stream goes with it (sendWithItsEnd).
    void sendAndEnd(const QByteArray &raw)
    {
        m_clock.start();
        sendWithItsEnd(int(m_socket.socketDescriptor()), raw);
    }

    Reply read(bool head = false, int timeoutMs = ReplyTimeoutMs)
    {
        http::response_parser<http::string_body> parser;
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        parser.eager(true);
        if (head)
            parser.skip(true);
        Reply reply;
        bool failed = false;
        const auto feed = [&]() {
            m_buffer += m_socket.readAll();
            while (!m_buffer.isEmpty() && !parser.is_done()) {
                boost::system::error_code error;
                const std::size_t used = parser.put(
                    boost::asio::buffer(m_buffer.constData(), std::size_t(m_buffer.size())), error);
                m_buffer.remove(0, qsizetype(used));
                if (error == http::error::need_more)
                    break;
                if (error) {
                    reply.error = QString::fromStdString(error.message());
                    failed = true;
                    break;
                }
            }
            if (reply.firstBodyMs < 0 && parser.is_header_done() && !parser.get().body().empty())
                reply.firstBodyMs = m_clock.elapsed();
            if (m_socket.state() != QAbstractSocket::ConnectedState &&
                m_socket.bytesAvailable() == 0 && !parser.is_done() && parser.is_header_done() &&
                parser.need_eof()) {
                boost::system::error_code error;
                parser.put_eof(error);
            }
            return failed || parser.is_done();
        };
        if (!feed()) {
            QEventLoop loop;
            QTimer timer;
            timer.setSingleShot(true);
            QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
            QObject::connect(&m_socket, &QTcpSocket::readyRead, &loop, [&] {
                if (feed())
                    loop.quit();
            });
            QObject::connect(&m_socket, &QTcpSocket::disconnected, &loop, [&] {
                feed();
                loop.quit();
            });
            timer.start(timeoutMs);
            if (m_socket.state() == QAbstractSocket::ConnectedState)
                loop.exec();
            feed();
        }
        if (!parser.is_done()) {
            if (reply.error.isEmpty())
                reply.error = m_socket.state() == QAbstractSocket::ConnectedState
                                  ? u"timed out"_s
                                  : u"connection closed"_s;
            return reply;
        }
        reply.doneMs = m_clock.elapsed();
        const auto &response = parser.get();
        reply.status = int(response.result_int());
        for (const auto &field : response) {
            const QByteArray name =
                QByteArray(field.name_string().data(), qsizetype(field.name_string().size()))
                    .toLower();
            const QByteArray value(field.value().data(), qsizetype(field.value().size()));
            reply.headers[name] =
                reply.headers.contains(name) ? reply.headers[name] + ", " + value : value;
        }
        reply.body = QByteArray(response.body().data(), qsizetype(response.body().size()));
        return reply;
    }

    Reply request(const QByteArray &method, const QByteArray &target, const QString &host,
                  const QList<QByteArray> &headers = {}, const QByteArray &body = {})
    {
        QByteArray raw = method + ' ' + target + " HTTP/1.1\r\n";
        if (!host.isNull())
            raw += "Host: " + host.toUtf8() + "\r\n";
        for (const QByteArray &header : headers)
            raw += header + "\r\n";
        if (!body.isEmpty() || method == "POST")
            raw += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
        raw += "\r\n" + body;
        send(raw);
        return read(method == "HEAD");
    }

    Reply get(const QByteArray &target, const QString &host, const QList<QByteArray> &headers = {})
    {
        return request("GET", target, host, headers);
    }

    // True once the router closed the connection (within `timeoutMs`).
    bool waitForClosed(int timeoutMs = 3000)
    {
        if (m_socket.state() != QAbstractSocket::ConnectedState)
            return true;
        QEventLoop loop;
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        QObject::connect(&m_socket, &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &loop,
                         [&] { m_buffer += m_socket.readAll(); });
        loop.exec();
        return m_socket.state() != QAbstractSocket::ConnectedState;
    }

    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    QTcpSocket &socket() { return m_socket; }
    QByteArray &buffered() { return m_buffer; }

    // Reads until `count` bytes are buffered (after the last response).
    bool waitForBytes(qsizetype count, int timeoutMs = ReplyTimeoutMs)
    {
        QElapsedTimer timer;
        timer.start();
        m_buffer += m_socket.readAll();
        while (m_buffer.size() < count && timer.elapsed() < timeoutMs) {
            if (!m_socket.waitForReadyRead(int(timeoutMs - timer.elapsed())))
                break;
            m_buffer += m_socket.readAll();
        }
        return m_buffer.size() >= count;
    }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
    QElapsedTimer m_clock;
};

// A backend that answers the first request on each connection, keeping the connection
// alive, and drops the connection without a word when a second request comes: what a
// backend closing an idle keep-alive connection looks like to a proxy that reuses it.
class OneShotBackend : public QObject
{
public:
    OneShotBackend()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                const int id = ++m_connections;
                auto parser =
                    std::make_shared<std::optional<http::request_parser<http::string_body>>>();
                parser->emplace();
                auto served = std::make_shared<int>(0);
                QObject::connect(
                    socket, &QTcpSocket::readyRead, socket, [socket, parser, served, id, this] {
                        const QByteArray data = socket->readAll();
                        boost::system::error_code error;
                        std::size_t offset = 0;
                        while (offset < std::size_t(data.size())) {
                            offset += (*parser)->put(
                                boost::asio::buffer(data.constData() + offset,
                                                    std::size_t(data.size()) - offset),
                                error);
                            if (error)
                                break;
                        }
                        if (!(*parser)->is_done())
                            return;
                        if (*served > 0) {
                            ++m_dropped;
                            socket->abort();
                            return;
                        }
                        ++*served;
                        const QByteArray body = "connection-" + QByteArray::number(id);
                        socket->write("HTTP/1.1 200 OK\r\nContent-Length: " +
                                      QByteArray::number(body.size()) + "\r\n\r\n" + body);
                        parser->emplace();
                    });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    quint16 port() const { return m_server.serverPort(); }
    int connections() const { return m_connections; }
    int dropped() const { return m_dropped; }

private:
    QTcpServer m_server;
    int m_connections = 0;
    int m_dropped = 0;
};

// A backend whose answer breaks off: it promises 100 bytes, sends 10, and closes.
class TruncatingBackend : public QObject
{
public:
    TruncatingBackend()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                    socket->readAll();
                    socket->write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
                    socket->flush();
                    socket->disconnectFromHost();
                });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }

private:
    QTcpServer m_server;
};

// A backend that writes its whole answer and closes in the same breath, the end of the
// stream in the segment of the last bytes: what an app answering HTTP/1.0-style (the body
// runs until the close) or one dying mid-answer can look like to the router.
class AnswerThenCloseBackend : public QObject
{
public:
    explicit AnswerThenCloseBackend(QByteArray answer)
        : m_answer(std::move(answer))
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
                    if (!socket->readAll().contains("\r\n\r\n"))
                        return;
                    sendWithItsEnd(int(socket->socketDescriptor()), m_answer);
                    socket->disconnectFromHost();
                });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }

private:
    QByteArray m_answer;
    QTcpServer m_server;
};

// A backend that answers as soon as a request's header is in, without reading the body:
// a 413 to an upload that is too large, after which it closes, or a 401 with the
// connection left open and never read again.
class EarlyAnswerBackend : public QObject
{
public:
    enum class Then { Close, StopReading };

    EarlyAnswerBackend(const QByteArray &answer, Then then)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this, answer, then] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                ++m_connections;
                // Qt would otherwise go on reading into a buffer of its own, without limit.
                socket->setReadBufferSize(16 * 1024);
                auto header = std::make_shared<QByteArray>();
                auto answered = std::make_shared<bool>(false);
                QObject::connect(socket, &QTcpSocket::readyRead, socket,
                                 [socket, header, answered, answer, then] {
                                     if (*answered)
                                         return; // left unread
                                     *header += socket->readAll();
                                     if (!header->contains("\r\n\r\n"))
                                         return;
                                     *answered = true;
                                     socket->write(answer);
                                     socket->flush();
                                     if (then == Then::Close)
                                         socket->disconnectFromHost();
                                 });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    quint16 port() const { return m_server.serverPort(); }
    int connections() const { return m_connections; }

private:
    QTcpServer m_server;
    int m_connections = 0;
};

// A backend that answers every request after `delayMs`, keeping connections alive, and
// counts the connections it holds at once. A connection whose other end has closed counts
// as gone from then on, even before this thread got to its disconnected() signal.
class CountingBackend : public QObject
{
public:
    explicit CountingBackend(int delayMs)
        : m_delayMs(delayMs)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                forgetClosed();
                ++m_accepted;
                m_open.insert(socket);
                m_mostOpen = std::max(m_mostOpen, int(m_open.size()));
                auto pending = std::make_shared<QByteArray>();
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, pending] {
                    *pending += socket->readAll();
                    for (qsizetype end; (end = pending->indexOf("\r\n\r\n")) >= 0;) {
                        pending->remove(0, end + 4);
                        ++m_requests;
                        QTimer::singleShot(m_delayMs, socket, [socket] {
                            socket->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                        });
                    }
                });
                QObject::connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                    m_open.remove(socket);
                    socket->deleteLater();
                });
            }
        });
    }

    quint16 port() const { return m_server.serverPort(); }
    Backend backend(const QString &container) const
    {
        return Backend{container, u"127.0.0.1"_s, port()};
    }
    int accepted() const { return m_accepted; }
    int requests() const { return m_requests; }
    int mostOpen() const { return m_mostOpen; }

private:
    void forgetClosed()
    {
        for (auto it = m_open.begin(); it != m_open.end();) {
            char byte = 0;
            const ssize_t peeked =
                ::recv(int((*it)->socketDescriptor()), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
            const bool closed =
                peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
            it = closed ? m_open.erase(it) : std::next(it);
        }
    }

    QSet<QTcpSocket *> m_open;
    int m_delayMs = 0;
    int m_accepted = 0;
    int m_requests = 0;
    int m_mostOpen = 0;
    QTcpServer m_server; // last: its sockets still report to the members above as it goes
};

// `clients` connections at once, each sending `perClient` GETs one after the other, all
// driven by this thread's event loop (so a backend living here keeps working). The statuses
// of the answers that came, in no particular order.
QList<int> loadInParallel(quint16 port, const QString &host, int clients, int perClient,
                          int timeoutMs = 30000)
{
    struct Client
    {
        QTcpSocket socket;
        QByteArray pending;
        std::optional<http::response_parser<http::string_body>> parser;
        int answered = 0;
    };
    const QByteArray request = "GET / HTTP/1.1\r\nHost: " + host.toUtf8() + "\r\n\r\n";
    QList<int> statuses;
    int finished = 0;
    QEventLoop loop;
    std::vector<std::unique_ptr<Client>> all;
    for (int i = 0; i < clients; ++i) {
        all.push_back(std::make_unique<Client>());
        Client *client = all.back().get();
        const auto send = [client, request] {
            client->parser.emplace();
            client->parser->eager(true);
            client->socket.write(request);
        };
        const auto finish = [&, client] {
            client->parser.reset();
            if (++finished == clients)
                loop.quit();
        };
        QObject::connect(&client->socket, &QTcpSocket::connected, &loop, send);
        QObject::connect(&client->socket, &QTcpSocket::disconnected, &loop, [client, finish] {
            if (client->parser)
                finish(); // closed before its answers were all in
        });
        QObject::connect(&client->socket, &QTcpSocket::readyRead, &loop,
                         [&statuses, client, send, finish, perClient] {
                             client->pending += client->socket.readAll();
                             while (client->parser && !client->pending.isEmpty()) {
                                 boost::system::error_code error;
                                 const std::size_t used = client->parser->put(
                                     boost::asio::buffer(client->pending.constData(),
                                                         std::size_t(client->pending.size())),
                                     error);
                                 client->pending.remove(0, qsizetype(used));
                                 if (error == http::error::need_more)
                                     break;
                                 if (error) {
                                     finish();
                                     break;
                                 }
                                 if (!client->parser->is_done())
                                     continue;
                                 statuses.append(int(client->parser->get().result_int()));
                                 if (++client->answered < perClient) {
                                     send();
                                 } else {
                                     finish();
                                     client->socket.disconnectFromHost();
                                 }
                             }
                         });
        client->socket.connectToHost(QHostAddress::LocalHost, port);
    }
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (finished < clients)
        loop.exec();
    return statuses;
}

// TCP connections on the loopback that involve `port`, told apart by the other end's port
// (a connection shows up once per end, and in TIME_WAIT after closing).
struct SocketCount
{
    int total = 0;       // any state but LISTEN
    int established = 0; // seen from the connecting side
};

SocketCount socketsTo(quint16 port)
{
    QSet<int> all;
    QSet<int> established;
    const auto sockets = TestSupport::tcpSockets();
    if (!sockets)
        qWarning("the kernel did not list the TCP sockets (sock_diag)");
    for (const TestSupport::TcpSocket &socket : sockets.value_or(QList<TestSupport::TcpSocket>{})) {
        if (socket.state == 10)
            continue; // LISTEN
        if (socket.remotePort == port) {
            all.insert(socket.localPort);
            if (socket.state == 1)
                established.insert(socket.localPort);
        } else if (socket.localPort == port) {
            all.insert(socket.remotePort);
        }
    }
    return SocketCount{int(all.size()), int(established.size())};
}

// Peak resident memory of this process in KiB; reset first when the kernel allows it.
qint64 residentPeakKiB()
{
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    const QRegularExpression peak(u"^VmHWM:\\s+(\\d+) kB"_s, QRegularExpression::MultilineOption);
    const auto match = peak.match(QString::fromLatin1(status.readAll()));
    return match.hasMatch() ? match.captured(1).toLongLong() : -1;
}

bool resetResidentPeak()
{
    QFile clear(u"/proc/self/clear_refs"_s);
    return clear.open(QIODevice::WriteOnly) && clear.write("5") == 1;
}

// A listening socket that never accepts, with its only queue slot taken: connects to it
// hang until they time out, like a container that froze.
class BlackHole
{
public:
    BlackHole()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        if (::bind(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
            ::listen(m_fd, 0) != 0)
            return;
        socklen_t length = sizeof address;
        ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&address), &length);
        m_port = ntohs(address.sin_port);
        m_filler.connectToHost(QHostAddress::LocalHost, m_port);
        m_filler.waitForConnected(2000);
    }
    ~BlackHole() { ::close(m_fd); }
    quint16 port() const { return m_port; }

private:
    int m_fd = -1;
    quint16 m_port = 0;
    QTcpSocket m_filler;
};

QByteArray webSocketFrame(const QByteArray &payload, quint8 opcode = 0x1)
{
    QByteArray frame;
    frame.append(char(0x80 | opcode));
    Q_ASSERT(payload.size() < 126);
    frame.append(char(0x80 | payload.size()));
    const QByteArray mask("\x12\x34\x56\x78", 4);
    frame.append(mask);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(char(payload[i] ^ mask[i % 4]));
    return frame;
}

// A backend that keeps the bytes it receives exactly as they came, to see what the router
// forwards: it answers 200 once a request's header and its body (by Content-Length or up to
// the last chunk) are in.
class RawBackend : public QObject
{
public:
    RawBackend()
    {
        m_server.listen(QHostAddress::LocalHost);
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                QObject::connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
                    const QByteArray more = socket->readAll();
                    m_received += more;
                    m_pending += more;
                    for (;;) {
                        const qsizetype end = m_pending.indexOf("\r\n\r\n");
                        if (end < 0)
                            return;
                        const QByteArray head = m_pending.left(end).toLower();
                        qsizetype total = end + 4;
                        if (head.contains("transfer-encoding: chunked")) {
                            const qsizetype last = m_pending.indexOf("\r\n0\r\n\r\n", end);
                            if (last < 0)
                                return;
                            total = last + 7;
                        } else if (const qsizetype at = head.indexOf("content-length: "); at >= 0) {
                            const QByteArray rest = head.mid(at + 16);
                            total += rest.left(rest.indexOf('\r')).toLongLong();
                        }
                        if (m_pending.size() < total)
                            return;
                        m_pending.remove(0, total);
                        socket->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                    }
                });
            }
        });
    }
    Slipway::Backend backend() const
    {
        Slipway::Backend backend;
        backend.container = u"raw-1"_s;
        backend.port = m_server.serverPort();
        return backend;
    }
    QByteArray received() const { return m_received; }

private:
    QTcpServer m_server;
    QByteArray m_received;
    QByteArray m_pending;
};
} // namespace

class TestRouter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void routesByHostNameInAnyCaseWithOrWithoutPort();
    void unknownOrMissingHostGetsNotFoundPage();
    void malformedRequestGetsBadRequest();
    void appWithoutReadyContainerGetsServiceUnavailable();
    void deployingAppGetsRetryAfter();
    void removedAppGetsNotFound();
    void roundRobinSpreadsRequestsEvenly();
    void clientConnectionIsKeptAlive();
    void http10KeepAliveRules();
    void upstreamConnectionsAreReused();
    void idleUpstreamToDepartedBackendIsClosed();
    void stalePooledConnectionIsRetriedWhenSafe();
    void brokenAnswerClosesClientConnection();
    void answerEndedByItsCloseArrivesWhole();
    void answerCutShortWithItsCloseClosesClientConnection();
    void clientThatHalfClosesAfterItsRequestIsAnsweredThenClosed();
    void upgradeAnsweredAndClosedAtOnceReachesTheClientWithTheClose();
    void slowChunkedResponseStreamsChunkByChunk();
    void largeUploadStreamsInBoundedMemory_data();
    void largeUploadStreamsInBoundedMemory();
    void earlyAnswerToUploadReachesClient_data();
    void earlyAnswerToUploadReachesClient();
    void largePostKeepsClientConnectionAlive();
    void webSocketEchoesThroughRouter();
    void forwardedHeadersAndRequestId();
    void hopByHopHeadersAreNotForwarded();
    void refusedBackendIsSkipped();
    void allBackendsRefusingGivesBadGateway();
    void unresponsiveBackendTimesOutToTheNext();
    void idleClientIsClosedButSlowAnswerIsNot();
    void switchingUnderLoadFailsNoRequest();
    void accessLogFileAndSignal();
    void listenersDestroyedWhileConnectedNeverHang();
    void tcpPortProxiesBytesBothWays();
    void childProcessesInheritNoRouterSocket();
    void stopWithOpenConnectionsIsClean();
    void connectionLimitHoldsUnderABurst();
    void requestQueuedTooLongGetsBusyPage();
    void stopWithQueuedRequestsIsCleanAndGivesPlacesBack();
    void startNamesAddressWhenPortIsTaken();
    void ambiguousFramingIsRefused_data();
    void ambiguousFramingIsRefused();
    void bodyGoesOnWithTheRoutersOwnFraming();
    void forwardedFieldsOfTrustedProxiesAreKept();
    void tricklingUploadsHoldNoContainerConnection();

private:
    QString host(const QString &app) const { return hostFor(app, m_router->port()); }
    Reply getVia(const QString &app, const QByteArray &target = "/")
    {
        HttpConnection connection;
        if (!connection.open(m_router->port()))
            return Reply{0, {}, {}, u"cannot connect"_s};
        return connection.get(target, host(app));
    }
    std::unique_ptr<Fixture> startFixture(const QString &mode, const QString &container,
                                          const QString &version)
    {
        auto fixture = std::make_unique<Fixture>(mode, container, version, m_work.path());
        if (!fixture->waitReady())
            return nullptr;
        return fixture;
    }

    QTemporaryDir m_work;
    QString m_logDirectory;
    std::unique_ptr<Router> m_router;
    std::vector<std::unique_ptr<Fixture>> m_web; // web-1 .. web-4
};

void TestRouter::initTestCase()
{
    QVERIFY(m_work.isValid());
    QVERIFY2(QFile::exists(TestSupport::dataPath(u"fixtures/behave/behave.py"_s)),
             "the behave fixture is missing");
    for (int i = 1; i <= 4; ++i) {
        auto fixture = startFixture(u"web"_s, u"web-%1"_s.arg(i), i <= 2 ? u"v1"_s : u"v2"_s);
        QVERIFY2(fixture, qPrintable(u"web-%1 did not start listening"_s.arg(i)));
        m_web.push_back(std::move(fixture));
    }
    m_logDirectory = m_work.filePath(u"access"_s);
    Router::Options options;
    options.accessLogDirectory = m_logDirectory;
    m_router = std::make_unique<Router>(options);
    const Result<void> started = m_router->start();
    QVERIFY2(started, started ? "" : qPrintable(started.error().message));
    QVERIFY(m_router->port() != 0);
}

void TestRouter::cleanupTestCase()
{
    m_router.reset();
    m_web.clear();
}

void TestRouter::routesByHostNameInAnyCaseWithOrWithoutPort()
{
    m_router->setBackends(u"shop"_s, {m_web[0]->backend()});
    m_router->setBackends(u"blog"_s, {m_web[2]->backend()});
    QCOMPARE(m_router->backends(u"shop"_s), QList<Backend>{m_web[0]->backend()});

    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    const QStringList shopHosts = {u"shop.localhost"_s, host(u"shop"_s),
                                   u"SHOP.LocalHost:%1"_s.arg(m_router->port()),
                                   u"Shop.localhost."_s};
    for (const QString &name : shopHosts) {
        const Reply reply = connection.get("/", name);
        QVERIFY2(reply.status == 200,
                 qPrintable(name + u": "_s + reply.error + QString::fromUtf8(reply.body)));
        QVERIFY2(reply.body.contains("container=web-1"), reply.body.constData());
    }
    const Reply blog = connection.get("/", u"blog.localhost:1234"_s);
    QCOMPARE(blog.status, 200);
    QVERIFY2(blog.body.contains("container=web-3"), blog.body.constData());
    QCOMPARE(blog.header("X-Container"), QByteArray("web-3"));
}

void TestRouter::unknownOrMissingHostGetsNotFoundPage()
{
    const QByteArray howTo = "http://<app>.localhost:" + QByteArray::number(m_router->port()) + "/";
    const Reply unknown = getVia(u"nosuchapp"_s);
    QCOMPARE(unknown.status, 404);
    QVERIFY2(unknown.body.contains(
                 QByteArray("nosuchapp.localhost:").append(QByteArray::number(m_router->port()))),
             unknown.body.constData());
    QVERIFY2(unknown.body.contains(howTo), unknown.body.constData());
    QVERIFY(unknown.header("Content-Type").startsWith("text/plain"));

    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    // Not a *.localhost name, and no Host at all (HTTP/1.0 allows that).
    const Reply other = connection.get("/", u"example.com"_s);
    QCOMPARE(other.status, 404);
    QVERIFY(other.body.contains("\"example.com\""));
    const Reply bare = connection.get("/", u"localhost"_s);
    QCOMPARE(bare.status, 404);
    connection.send("GET / HTTP/1.0\r\n\r\n");
    const Reply missing = connection.read();
    QCOMPARE(missing.status, 404);
    QVERIFY2(missing.body.contains("no Host header"), missing.body.constData());
    QVERIFY2(missing.body.contains(howTo), missing.body.constData());
}

void TestRouter::malformedRequestGetsBadRequest()
{
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    connection.send("THIS IS NOT HTTP\r\n\r\n");
    const Reply reply = connection.read();
    QCOMPARE(reply.status, 400);
    QVERIFY2(reply.body.startsWith("400 Bad Request: "), reply.body.constData());
    QVERIFY(connection.waitForClosed());
}

void TestRouter::appWithoutReadyContainerGetsServiceUnavailable()
{
    m_router->setBackends(u"idle"_s, {});
    const Reply reply = getVia(u"idle"_s);
    QCOMPARE(reply.status, 503);
    QVERIFY2(reply.body.contains("no container of idle is ready"), reply.body.constData());
    QVERIFY(reply.header("Retry-After").isEmpty());

    // The page reaches a client that is still sending a body nobody will read: the router
    // drains it before closing instead of resetting the connection under the answer.
    const QString body = m_work.filePath(u"two-megabytes.bin"_s);
    {
        QFile file(body);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(2 * 1024 * 1024, 'u'));
    }
    for (int i = 0; i < 3; ++i) {
        QByteArray output;
        const int exitCode = TestSupport::run(
            u"curl"_s,
            {u"-sS"_s, u"--max-time"_s, u"20"_s, u"-H"_s, u"Host: "_s + host(u"idle"_s), u"-H"_s,
             u"Expect:"_s, u"--data-binary"_s, u"@"_s + body, u"-w"_s, u"\n%{http_code}"_s,
             u"http://127.0.0.1:%1/upload"_s.arg(m_router->port())},
            {}, &output, 30000);
        QVERIFY2(exitCode == 0, output.constData());
        QVERIFY2(output.contains("no container of idle is ready"), output.constData());
        QVERIFY2(output.endsWith("\n503"), output.constData());
    }
}

void TestRouter::deployingAppGetsRetryAfter()
{
    m_router->setDeploying(u"fresh"_s, true);
    const Reply deploying = getVia(u"fresh"_s);
    QCOMPARE(deploying.status, 503);
    QVERIFY2(deploying.body.contains("deploying fresh\xE2\x80\xA6 the first release is starting"),
             deploying.body.constData());
    QCOMPARE(deploying.header("Retry-After"), QByteArray("2"));

    // The first container is ready: traffic flows, the page is gone.
    m_router->setBackends(u"fresh"_s, {m_web[1]->backend()});
    const Reply served = getVia(u"fresh"_s);
    QCOMPARE(served.status, 200);
    QVERIFY(served.body.contains("container=web-2"));
}

void TestRouter::removedAppGetsNotFound()
{
    m_router->setBackends(u"gone"_s, {m_web[0]->backend()});
    QCOMPARE(getVia(u"gone"_s).status, 200);
    m_router->removeApp(u"gone"_s);
    const Reply reply = getVia(u"gone"_s);
    QCOMPARE(reply.status, 404);
    QVERIFY(reply.body.contains("gone.localhost"));
    QVERIFY(m_router->backends(u"gone"_s).isEmpty());
}

void TestRouter::roundRobinSpreadsRequestsEvenly()
{
    m_router->setBackends(u"spread"_s,
                          {m_web[0]->backend(), m_web[1]->backend(), m_web[2]->backend()});
    QHash<QByteArray, int> counts;
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    for (int i = 0; i < 30; ++i) {
        const Reply reply = connection.get("/", host(u"spread"_s));
        QCOMPARE(reply.status, 200);
        ++counts[reply.header("X-Container")];
    }
    QCOMPARE(counts.value("web-1"), 10);
    QCOMPARE(counts.value("web-2"), 10);
    QCOMPARE(counts.value("web-3"), 10);
}

void TestRouter::clientConnectionIsKeptAlive()
{
    m_router->setBackends(u"alive"_s, {m_web[0]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    for (int i = 0; i < 25; ++i) {
        const Reply reply = connection.get("/", host(u"alive"_s));
        QCOMPARE(reply.status, 200);
        QVERIFY(reply.header("Connection") != "close");
        QVERIFY(connection.isConnected());
    }
    // Pipelined: two requests in one write, two answers in order.
    connection.send("GET /sleep?ms=50 HTTP/1.1\r\nHost: alive.localhost\r\n\r\nGET / "
                    "HTTP/1.1\r\nHost: alive.localhost\r\n\r\n");
    const Reply first = connection.read();
    const Reply second = connection.read();
    QCOMPARE(first.status, 200);
    QCOMPARE(first.body, QByteArray("slept 50\n"));
    QCOMPARE(second.status, 200);
    QVERIFY(second.body.startsWith("version="));

    // HEAD: the length of a body, but no body, and the connection stays in step (behave has
    // no HEAD route: its 404 carries a Content-Length and nothing after the header).
    const Reply head = connection.request("HEAD", "/", host(u"alive"_s));
    QCOMPARE(head.status, 404);
    QVERIFY(head.body.isEmpty());
    QVERIFY(head.header("Content-Length").toInt() > 0);
    QVERIFY(connection.get("/", host(u"alive"_s)).body.startsWith("version="));

    // "Connection: close" is honoured: answered, then closed.
    const Reply last = connection.get("/", host(u"alive"_s), {"Connection: close"});
    QCOMPARE(last.status, 200);
    QCOMPARE(last.header("Connection"), QByteArray("close"));
    QVERIFY(connection.waitForClosed());
}

void TestRouter::http10KeepAliveRules()
{
    m_router->setBackends(u"old"_s, {m_web[0]->backend()});
    {
        HttpConnection connection;
        QVERIFY(connection.open(m_router->port()));
        connection.send("GET / HTTP/1.0\r\nHost: old.localhost\r\n\r\n");
        const Reply reply = connection.read();
        QCOMPARE(reply.status, 200);
        QVERIFY(connection.waitForClosed()); // HTTP/1.0 closes unless asked otherwise
    }
    {
        HttpConnection connection;
        QVERIFY(connection.open(m_router->port()));
        for (int i = 0; i < 3; ++i) {
            connection.send(
                "GET / HTTP/1.0\r\nHost: old.localhost\r\nConnection: keep-alive\r\n\r\n");
            const Reply reply = connection.read();
            QCOMPARE(reply.status, 200);
            QCOMPARE(reply.header("Connection").toLower(), QByteArray("keep-alive"));
            QVERIFY(connection.isConnected());
        }
        // A chunked answer can't go to an HTTP/1.0 client: the body runs until close.
        connection.send("GET /chunked?chunks=3&delay_ms=0 HTTP/1.0\r\nHost: "
                        "old.localhost\r\nConnection: keep-alive\r\n\r\n");
        const Reply streamed = connection.read();
        QCOMPARE(streamed.status, 200);
        QVERIFY(streamed.header("Transfer-Encoding").isEmpty());
        QCOMPARE(streamed.body.size(), 3 * 16);
        QVERIFY(connection.waitForClosed());
    }
}

void TestRouter::upstreamConnectionsAreReused()
{
    auto backend = startFixture(u"web"_s, u"pooled-1"_s, u"v1"_s);
    QVERIFY(backend);
    m_router->setBackends(u"pooled"_s, {backend->backend()});
    const int probes = socketsTo(backend->port()).total; // the readiness checks
    {
        HttpConnection connection;
        QVERIFY(connection.open(m_router->port()));
        for (int i = 0; i < 30; ++i)
            QCOMPARE(connection.get("/", host(u"pooled"_s)).status, 200);
    }
    for (int i = 0; i < 10; ++i) {
        HttpConnection connection; // a new client connection each time, on either I/O thread
        QVERIFY(connection.open(m_router->port()));
        QCOMPARE(connection.get("/", host(u"pooled"_s)).status, 200);
    }
    // 40 requests; without reuse that would be 40 upstream connections.
    const int upstream = socketsTo(backend->port()).total - probes;
    QVERIFY2(upstream >= 1 && upstream <= 2,
             qPrintable(u"%1 upstream connections"_s.arg(upstream)));
}

void TestRouter::idleUpstreamToDepartedBackendIsClosed()
{
    auto leaving = startFixture(u"web"_s, u"leaving-1"_s, u"v1"_s);
    QVERIFY(leaving);
    m_router->setBackends(u"moving"_s, {leaving->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    QCOMPARE(connection.get("/", host(u"moving"_s)).status, 200);
    QTRY_COMPARE(socketsTo(leaving->port()).established, 1); // pooled, idle

    m_router->setBackends(u"moving"_s, {m_web[3]->backend()});
    QTRY_COMPARE_WITH_TIMEOUT(socketsTo(leaving->port()).established, 0, 10000);
    const Reply reply = connection.get("/", host(u"moving"_s));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.header("X-Container"), QByteArray("web-4"));

    // Back in the table, it gets new connections: the old pool entry was not kept.
    m_router->setBackends(u"moving"_s, {leaving->backend()});
    QCOMPARE(connection.get("/", host(u"moving"_s)).header("X-Container"), QByteArray("leaving-1"));
    QCOMPARE(socketsTo(leaving->port()).established, 1);
}

void TestRouter::stalePooledConnectionIsRetriedWhenSafe()
{
    OneShotBackend backend;
    m_router->setBackends(u"flaky"_s, {Backend{u"flaky-1"_s, u"127.0.0.1"_s, backend.port()}});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));

    Reply reply = connection.get("/", host(u"flaky"_s));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, QByteArray("connection-1"));
    // The pooled connection is dropped by the backend on reuse: a GET is sent again on a
    // fresh connection, and the client never knows.
    reply = connection.get("/", host(u"flaky"_s));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, QByteArray("connection-2"));
    QCOMPARE(backend.dropped(), 1);
    // Same for a POST whose (empty) body was never sent.
    reply = connection.request("POST", "/", host(u"flaky"_s));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, QByteArray("connection-3"));
    // A POST whose body went out may have had its effect: no second try, a 502.
    reply = connection.request("POST", "/", host(u"flaky"_s), {}, "amount=10");
    QCOMPARE(reply.status, 502);
    QCOMPARE(backend.dropped(), 3);
    QCOMPARE(backend.connections(), 3);
}

void TestRouter::brokenAnswerClosesClientConnection()
{
    TruncatingBackend backend;
    m_router->setBackends(u"broken"_s, {Backend{u"broken-1"_s, u"127.0.0.1"_s, backend.port()}});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    const Reply reply = connection.get("/", host(u"broken"_s));
    // The header had gone out; the only honest signal left is closing the connection.
    QCOMPARE(reply.status, 0);
    QVERIFY2(connection.buffered().contains("200 OK") || reply.error == u"connection closed"_s,
             qPrintable(reply.error));
    QVERIFY(connection.waitForClosed());
}

void TestRouter::answerEndedByItsCloseArrivesWhole()
{
    // No Content-Length, no chunks: the body is what comes until the close. The close comes
    // with the last bytes; the router must see it at once, not at the stream timeout.
    const QByteArray body = QByteArray("the whole body\n").repeated(20);
    AnswerThenCloseBackend backend("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                   "Connection: close\r\n\r\n" +
                                   body);
    m_router->setBackends(u"closing"_s, {Backend{u"closing-1"_s, u"127.0.0.1"_s, backend.port()}});
    for (int round = 0; round < 20; ++round) {
        HttpConnection connection;
        QVERIFY(connection.open(m_router->port()));
        const Reply reply = connection.get("/", host(u"closing"_s));
        QVERIFY2(reply.status == 200, qPrintable(u"round %1: %2"_s.arg(round).arg(reply.error)));
        QCOMPARE(reply.body, body);
    }
}

void TestRouter::answerCutShortWithItsCloseClosesClientConnection()
{
    AnswerThenCloseBackend backend("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    m_router->setBackends(u"cut"_s, {Backend{u"cut-1"_s, u"127.0.0.1"_s, backend.port()}});
    for (int round = 0; round < 10; ++round) {
        HttpConnection connection;
        QVERIFY(connection.open(m_router->port()));
        const Reply reply = connection.get("/", host(u"cut"_s));
        // The header had gone out: closing is the only signal left, and it must come now.
        QCOMPARE(reply.status, 0);
        QVERIFY2(reply.error == u"connection closed"_s,
                 qPrintable(u"round %1: %2"_s.arg(round).arg(reply.error)));
    }
}

void TestRouter::clientThatHalfClosesAfterItsRequestIsAnsweredThenClosed()
{
    m_router->setBackends(u"half"_s, {m_web[0]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    // A first request in the usual way, so that the router waits for the next one when it
    // comes with the end of the stream.
    QCOMPARE(connection.get("/", host(u"half"_s)).status, 200);
    connection.sendAndEnd("GET / HTTP/1.1\r\nHost: " + host(u"half"_s).toUtf8() + "\r\n\r\n");
    const Reply reply = connection.read();
    QCOMPARE(reply.status, 200);
    // It will send nothing more: the router lets the connection go well before its
    // 60-second idle limit.
    QVERIFY(connection.waitForClosed(5000));
}

void TestRouter::upgradeAnsweredAndClosedAtOnceReachesTheClientWithTheClose()
{
    // An app that switches protocols, says one thing and hangs up, all in one segment: the
    // tunnel passes the words and then the close on, without waiting for the stream timeout.
    AnswerThenCloseBackend backend("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\n\r\nlast words");
    m_router->setBackends(u"brief"_s, {Backend{u"brief-1"_s, u"127.0.0.1"_s, backend.port()}});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    const Reply handshake = connection.get(
        "/ws", host(u"brief"_s),
        {"Upgrade: websocket", "Connection: Upgrade",
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"});
    QCOMPARE(handshake.status, 101);
    QVERIFY(connection.waitForBytes(10, 5000));
    QCOMPARE(connection.buffered(), QByteArray("last words"));
    // The client's side stays open; the app's end of the stream must still come through.
    QElapsedTimer timer;
    timer.start();
    while (connection.isConnected() && timer.elapsed() < 5000) {
        if (connection.socket().waitForReadyRead(100))
            connection.buffered() += connection.socket().readAll();
        if (connection.socket().state() != QAbstractSocket::ConnectedState)
            break;
        char probe = 0;
        if (::recv(int(connection.socket().socketDescriptor()), &probe, 1,
                   MSG_PEEK | MSG_DONTWAIT) == 0)
            break; // the end of the stream is there
    }
    QVERIFY2(timer.elapsed() < 5000, "the app's close did not reach the client");
}

void TestRouter::slowChunkedResponseStreamsChunkByChunk()
{
    m_router->setBackends(u"stream"_s, {m_web[0]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    const Reply reply = connection.get("/chunked?chunks=5&delay_ms=300&size=16", host(u"stream"_s));
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.body, QByteArray(QByteArray(15, 'x') + '\n').repeated(5));
    QCOMPARE(reply.header("Transfer-Encoding"), QByteArray("chunked"));
    // Five chunks 300 ms apart: the first is through long before the last.
    QVERIFY2(reply.firstBodyMs >= 0 && reply.firstBodyMs < 600,
             qPrintable(QString::number(reply.firstBodyMs)));
    QVERIFY2(reply.doneMs - reply.firstBodyMs >= 900,
             qPrintable(u"first %1 ms, last %2 ms"_s.arg(reply.firstBodyMs).arg(reply.doneMs)));
    QVERIFY(connection.isConnected());
    QCOMPARE(connection.get("/", host(u"stream"_s)).status, 200); // still in step afterwards
}

void TestRouter::largeUploadStreamsInBoundedMemory_data()
{
    QTest::addColumn<bool>("chunked");
    QTest::newRow("content-length") << false;
    QTest::newRow("chunked") << true;
}

void TestRouter::largeUploadStreamsInBoundedMemory()
{
    QFETCH(bool, chunked);
    constexpr qint64 Size = 50LL * 1024 * 1024;
    const QString path = m_work.filePath(u"upload.bin"_s);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!QFile::exists(path)) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QByteArray block(1024 * 1024, Qt::Uninitialized);
        for (qint64 written = 0; written < Size; written += block.size()) {
            QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()),
                                                  block.size() / 4);
            file.write(block);
        }
    }
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(hash.addData(&file));
    }
    m_router->setBackends(u"upload"_s, {m_web[2]->backend()});

    const bool peakReset = resetResidentPeak();
    const qint64 before = residentPeakKiB();
    QStringList arguments = {u"-sS"_s,
                             u"--max-time"_s,
                             u"60"_s,
                             u"-H"_s,
                             u"Host: "_s + host(u"upload"_s),
                             u"--data-binary"_s,
                             u"@"_s + path,
                             u"-H"_s,
                             u"Content-Type: application/octet-stream"_s};
    if (chunked)
        arguments << u"-H"_s << u"Transfer-Encoding: chunked"_s;
    arguments << u"http://127.0.0.1:%1/upload"_s.arg(m_router->port());
    QByteArray output;
    QCOMPARE(TestSupport::run(u"curl"_s, arguments, {}, &output, 90000), 0);
    const QJsonObject result = QJsonDocument::fromJson(output).object();
    QCOMPARE(result.value(u"bytes"_s).toInteger(), Size);
    QCOMPARE(result.value(u"sha256"_s).toString(), QString::fromLatin1(hash.result().toHex()));

    // 50 MB went through this process; its peak memory grew by a small fraction of that.
    const qint64 after = residentPeakKiB();
    QVERIFY2(
        before > 0 && after - before < 16 * 1024,
        qPrintable(u"peak resident memory grew by %1 KiB (peak reset: %2)"_s.arg(after - before)
                       .arg(peakReset)));
}

void TestRouter::earlyAnswerToUploadReachesClient_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("closes");

    const QByteArray tooLarge = "upload limit is 1 MB\n";
    QTest::newRow("413, then closed")
        << QByteArray("HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain\r\n"
                      "Content-Length: " +
                      QByteArray::number(tooLarge.size()) + "\r\nConnection: close\r\n\r\n" +
                      tooLarge)
        << 413 << tooLarge << true;
    const QByteArray login = "log in first\n";
    QTest::newRow("401, body left unread")
        << QByteArray("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"app\"\r\n"
                      "Content-Length: " +
                      QByteArray::number(login.size()) + "\r\n\r\n" + login)
        << 401 << login << false;
}

void TestRouter::earlyAnswerToUploadReachesClient()
{
    QFETCH(QByteArray, answer);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(bool, closes);

    EarlyAnswerBackend backend(answer, closes ? EarlyAnswerBackend::Then::Close
                                              : EarlyAnswerBackend::Then::StopReading);
    m_router->setBackends(u"guarded"_s, {Backend{u"guarded-1"_s, u"127.0.0.1"_s, backend.port()}});

    // More than the socket buffers on both sides of the backend connection hold, so a
    // backend that stops reading leaves the router's writes waiting.
    const QByteArray upload(32 * 1024 * 1024, 'u');
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    QElapsedTimer timer;
    timer.start();
    const Reply reply = connection.request("POST", "/upload", host(u"guarded"_s),
                                           {"Content-Type: application/octet-stream"}, upload);
    QVERIFY2(reply.status == status,
             qPrintable(u"status %1 (%2): %3"_s.arg(reply.status)
                            .arg(reply.error, QString::fromUtf8(reply.body.left(200)))));
    QCOMPARE(reply.body, body);
    // The rest of the upload is never read: the client connection can't carry another request.
    QCOMPARE(reply.header("Connection"), QByteArray("close"));
    QVERIFY(!reply.header("X-Request-Id").isEmpty());
    QVERIFY(connection.waitForClosed(5000));
    QCOMPARE(backend.connections(), 1);
    QVERIFY2(timer.elapsed() < 10000, qPrintable(u"took %1 ms"_s.arg(timer.elapsed())));
}

void TestRouter::largePostKeepsClientConnectionAlive()
{
    m_router->setBackends(u"bigpost"_s, {m_web[2]->backend()});
    QByteArray upload(8 * 1024 * 1024, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(upload.data()),
                                          upload.size() / 4);
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    const Reply posted = connection.request("POST", "/upload", host(u"bigpost"_s),
                                            {"Content-Type: application/octet-stream"}, upload);
    QCOMPARE(posted.status, 200);
    QCOMPARE(posted.json().value(u"bytes"_s).toInteger(), upload.size());
    QCOMPARE(
        posted.json().value(u"sha256"_s).toString(),
        QString::fromLatin1(QCryptographicHash::hash(upload, QCryptographicHash::Sha256).toHex()));
    QVERIFY(posted.header("Connection") != "close");
    QVERIFY(connection.isConnected());

    const Reply next = connection.get("/", host(u"bigpost"_s));
    QCOMPARE(next.status, 200);
    QVERIFY(next.body.startsWith("version="));
    QVERIFY(connection.isConnected());
}

void TestRouter::webSocketEchoesThroughRouter()
{
    m_router->setBackends(u"chat"_s, {m_web[1]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    const Reply handshake = connection.get(
        "/ws", host(u"chat"_s),
        {"Upgrade: websocket", "Connection: Upgrade",
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"});
    QCOMPARE(handshake.status, 101);
    QCOMPARE(handshake.header("Sec-WebSocket-Accept"), QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    QCOMPARE(handshake.header("Upgrade").toLower(), QByteArray("websocket"));
    QCOMPARE(handshake.header("Connection").toLower(), QByteArray("upgrade"));
    QVERIFY(!handshake.header("X-Request-Id").isEmpty());

    for (const QByteArray &message :
         {QByteArray("hello through slipway"), QByteArray("second message")}) {
        connection.buffered().clear();
        connection.socket().write(webSocketFrame(message));
        QVERIFY(connection.waitForBytes(2 + message.size()));
        const QByteArray frame = connection.buffered();
        QCOMPARE(quint8(frame[0]), quint8(0x81));
        QCOMPARE(int(frame[1]), int(message.size()));
        QCOMPARE(frame.mid(2, message.size()), message);
    }
    connection.buffered().clear();
    connection.socket().write(webSocketFrame(QByteArray("\x03\xE8", 2), 0x8));
    QVERIFY(connection.waitForBytes(4));
    QCOMPARE(quint8(connection.buffered()[0]), quint8(0x88));
    QVERIFY(connection.waitForClosed(5000));
}

void TestRouter::forwardedHeadersAndRequestId()
{
    m_router->setBackends(u"fwd"_s, {m_web[0]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    const QString originalHost = u"Fwd.LOCALHOST:%1"_s.arg(m_router->port());

    const Reply generated = connection.get("/headers", originalHost);
    QCOMPARE(generated.status, 200);
    const QJsonObject seen = generated.json();
    QCOMPARE(seen.value(u"x-forwarded-for"_s).toString(), u"127.0.0.1"_s);
    QCOMPARE(seen.value(u"x-forwarded-proto"_s).toString(), u"http"_s);
    QCOMPARE(seen.value(u"x-forwarded-host"_s).toString(), originalHost);
    QCOMPARE(seen.value(u"host"_s).toString(), originalHost);
    const QString id = seen.value(u"x-request-id"_s).toString();
    QVERIFY2(QRegularExpression(u"^[0-9a-f]{32}$"_s).match(id).hasMatch(), qPrintable(id));
    QCOMPARE(QString::fromLatin1(generated.header("X-Request-Id")), id);
    const Reply another = connection.get("/headers", originalHost);
    QVERIFY(another.json().value(u"x-request-id"_s).toString() != id);

    // What a client says about its address is not believed: the router's own word replaces
    // it (only a trusted proxy's chain is kept, see forwardedFieldsOfTrustedProxiesAreKept).
    const Reply kept =
        connection.get("/headers", originalHost,
                       {"X-Request-Id: trace-4711-abc", "X-Forwarded-For: 203.0.113.9",
                        "X-Real-IP: 203.0.113.9", "Forwarded: for=203.0.113.9"});
    QCOMPARE(kept.json().value(u"x-request-id"_s).toString(), u"trace-4711-abc"_s);
    QCOMPARE(kept.header("X-Request-Id"), QByteArray("trace-4711-abc"));
    QCOMPARE(kept.json().value(u"x-forwarded-for"_s).toString(), u"127.0.0.1"_s);
    QVERIFY(!kept.json().contains(u"x-real-ip"_s));
    QVERIFY(!kept.json().contains(u"forwarded"_s));

    const Reply replaced =
        connection.get("/headers", originalHost, {"X-Request-Id: not valid; <script>"});
    const QString fresh = replaced.json().value(u"x-request-id"_s).toString();
    QVERIFY2(QRegularExpression(u"^[0-9a-f]{32}$"_s).match(fresh).hasMatch(), qPrintable(fresh));
    QCOMPARE(QString::fromLatin1(replaced.header("X-Request-Id")), fresh);

    // The router's own pages carry the id too.
    QCOMPARE(connection.get("/", host(u"nosuchapp"_s), {"X-Request-Id: page-id-1"})
                 .header("X-Request-Id"),
             QByteArray("page-id-1"));
}

void TestRouter::hopByHopHeadersAreNotForwarded()
{
    m_router->setBackends(u"hop"_s, {m_web[0]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    const Reply reply = connection.get(
        "/headers", host(u"hop"_s),
        {"Connection: keep-alive, X-Private-Hop", "X-Private-Hop: secret", "Keep-Alive: timeout=5",
         "Proxy-Authorization: Basic Zm9vOmJhcg==", "Proxy-Connection: keep-alive", "TE: trailers",
         "X-End-To-End: kept"});
    QCOMPARE(reply.status, 200);
    const QJsonObject seen = reply.json();
    for (const QString &name :
         {u"connection"_s, u"x-private-hop"_s, u"keep-alive"_s, u"proxy-authorization"_s,
          u"proxy-connection"_s, u"te"_s, u"upgrade"_s})
        QVERIFY2(!seen.contains(name), qPrintable(name + u" was forwarded"_s));
    QCOMPARE(seen.value(u"x-end-to-end"_s).toString(), u"kept"_s);
    QVERIFY(connection.isConnected());
}

void TestRouter::refusedBackendIsSkipped()
{
    const quint16 dead = TestSupport::freePort();
    m_router->setBackends(u"half"_s,
                          {Backend{u"web-dead"_s, u"127.0.0.1"_s, dead}, m_web[3]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    for (int i = 0; i < 20; ++i) {
        const Reply reply = connection.get("/", host(u"half"_s));
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.header("X-Container"), QByteArray("web-4"));
    }
}

void TestRouter::allBackendsRefusingGivesBadGateway()
{
    m_router->setBackends(u"down"_s,
                          {Backend{u"web-1"_s, u"127.0.0.1"_s, TestSupport::freePort()},
                           Backend{u"web-2"_s, u"127.0.0.1"_s, TestSupport::freePort()}});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    const Reply reply = connection.get("/", host(u"down"_s));
    QCOMPARE(reply.status, 502);
    QVERIFY2(reply.body.contains("no container of down answered"), reply.body.constData());
    QVERIFY2(reply.body.contains("refused"), reply.body.constData());
    QVERIFY(connection.isConnected());
    QCOMPARE(connection.get("/", host(u"down"_s)).status, 502);
}

void TestRouter::unresponsiveBackendTimesOutToTheNext()
{
    BlackHole frozen;
    QVERIFY(frozen.port() != 0);
    Router::Options options;
    options.connectTimeout = std::chrono::milliseconds(1000);
    Router router(options);
    QVERIFY(router.start());
    router.setBackends(
        u"stuck"_s, {Backend{u"web-frozen"_s, u"127.0.0.1"_s, frozen.port()}, m_web[0]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(router.port()));
    QElapsedTimer timer;
    timer.start();
    const Reply reply = connection.get("/", hostFor(u"stuck"_s, router.port()));
    const qint64 elapsed = timer.elapsed();
    QCOMPARE(reply.status, 200);
    QCOMPARE(reply.header("X-Container"), QByteArray("web-1"));
    QVERIFY2(elapsed >= 700 && elapsed < 4000, qPrintable(u"%1 ms"_s.arg(elapsed)));

    router.setBackends(u"stuck"_s, {Backend{u"web-frozen"_s, u"127.0.0.1"_s, frozen.port()}});
    const Reply failed = connection.get("/", hostFor(u"stuck"_s, router.port()));
    QCOMPARE(failed.status, 502);
    QVERIFY2(failed.body.contains("no connection within 1000 ms"), failed.body.constData());
}

void TestRouter::idleClientIsClosedButSlowAnswerIsNot()
{
    Router::Options options;
    options.clientIdleTimeout = std::chrono::milliseconds(1000);
    Router router(options);
    QVERIFY(router.start());
    router.setBackends(u"nap"_s, {m_web[0]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(router.port()));
    // Waiting for an answer is not idling.
    const Reply slow = connection.get("/sleep?ms=1800", hostFor(u"nap"_s, router.port()));
    QCOMPARE(slow.status, 200);
    QVERIFY(!connection.waitForClosed(400));
    QElapsedTimer timer;
    timer.start();
    QVERIFY(connection.waitForClosed(3000));
    QVERIFY2(timer.elapsed() < 1500, qPrintable(QString::number(timer.elapsed())));
}

void TestRouter::switchingUnderLoadFailsNoRequest()
{
    const QList<Backend> oldSet = {m_web[0]->backend(), m_web[1]->backend()};
    const QList<Backend> newSet = {m_web[2]->backend(), m_web[3]->backend()};
    m_router->setBackends(u"flip"_s, oldSet);

    // In flight on the old set across the first switch.
    HttpConnection slow;
    QVERIFY(slow.open(m_router->port()));
    slow.send("GET /sleep?ms=500 HTTP/1.1\r\nHost: flip.localhost\r\n\r\n");
    QTest::qWait(100);
    m_router->setBackends(u"flip"_s, newSet);

    bool useNew = false;
    QTimer flipper;
    flipper.setInterval(50);
    int flips = 0;
    QObject::connect(&flipper, &QTimer::timeout, &flipper, [&] {
        useNew = !useNew;
        m_router->setBackends(u"flip"_s, useNew ? newSet : oldSet);
        ++flips;
    });
    flipper.start();

    constexpr int Clients = 4;
    constexpr int PerClient = 500;
    std::vector<std::unique_ptr<QProcess>> clients;
    for (int c = 0; c < Clients; ++c) {
        QStringList arguments = {u"-s"_s, u"-H"_s, u"Host: "_s + host(u"flip"_s), u"-w"_s,
                                 u"%{http_code} %header{x-container}\\n"_s};
        if (c % 2 == 1)
            arguments << u"-H"_s << u"Connection: close"_s; // a new connection per request
        for (int i = 0; i < PerClient; ++i)
            arguments << u"http://127.0.0.1:%1/"_s.arg(m_router->port()) << u"-o"_s
                      << u"/dev/null"_s;
        auto process = std::make_unique<QProcess>();
        process->start(u"curl"_s, arguments);
        clients.push_back(std::move(process));
    }
    const auto allDone = [&] {
        for (const auto &process : clients) {
            if (process->state() != QProcess::NotRunning)
                return false;
        }
        return true;
    };
    QVERIFY(QTest::qWaitFor(allDone, 120000));
    flipper.stop();

    const Reply slowReply = slow.read();
    QCOMPARE(slowReply.status, 200);
    QCOMPARE(slowReply.body, QByteArray("slept 500\n"));
    QVERIFY2(slowReply.header("X-Container") == "web-1" ||
                 slowReply.header("X-Container") == "web-2",
             slowReply.header("X-Container").constData());

    int ok = 0;
    QHash<QByteArray, int> containers;
    QStringList failures;
    for (const auto &process : clients) {
        QCOMPARE(process->exitCode(), 0);
        const QList<QByteArray> lines = process->readAllStandardOutput().split('\n');
        for (const QByteArray &line : lines) {
            if (line.isEmpty())
                continue;
            const QList<QByteArray> parts = line.split(' ');
            if (parts.value(0) == "200") {
                ++ok;
                ++containers[parts.value(1)];
            } else {
                failures << QString::fromUtf8(line);
            }
        }
    }
    QVERIFY2(failures.isEmpty(), qPrintable(failures.mid(0, 10).join(u", "_s)));
    QCOMPARE(ok, Clients * PerClient);
    QVERIFY2(flips >= 5, qPrintable(QString::number(flips)));
    // Both sets carried traffic: the table really switched under the load.
    QVERIFY(containers.value("web-1") + containers.value("web-2") > 0);
    QVERIFY(containers.value("web-3") + containers.value("web-4") > 0);
}

void TestRouter::accessLogFileAndSignal()
{
    m_router->setBackends(u"logged"_s, {m_web[0]->backend()});
    QSignalSpy spy(m_router.get(), &Router::accessLogged);
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    for (int i = 1; i <= 3; ++i)
        QCOMPARE(connection
                     .get("/item-" + QByteArray::number(i), host(u"logged"_s),
                          {"X-Request-Id: log-" + QByteArray::number(i)})
                     .status,
                 404); // behave has no such route: its 404 is logged like any answer
    QCOMPARE(connection.get("/", host(u"logged"_s), {"X-Request-Id: log-4"}).status, 200);

    QStringList signalled;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                 for (const QList<QVariant> &arguments : std::as_const(spy)) {
                                     if (arguments.at(0).toString() == u"logged"_s)
                                         signalled << arguments.at(1).toString();
                                 }
                                 spy.clear();
                                 return signalled.size() >= 4;
                             }()),
                             5000);
    QCOMPARE(signalled.size(), 4);
    const QRegularExpression shape(
        u"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z 127\\.0\\.0\\.1 GET /item-1 404 \\d+ [\\d.]+ms web-1 log-1$"_s);
    QVERIFY2(shape.match(signalled.at(0)).hasMatch(), qPrintable(signalled.at(0)));
    QVERIFY2(signalled.at(3).contains(u" GET / 200 "_s), qPrintable(signalled.at(3)));
    QVERIFY2(signalled.at(3).endsWith(u" web-1 log-4"_s), qPrintable(signalled.at(3)));

    const QString path = m_router->accessLogPath(u"logged"_s);
    QCOMPARE(path, QDir(m_logDirectory).filePath(u"logged.log"_s));
    // The I/O threads write the file themselves, a moment later.
    const auto fileLines = [&path] {
        QFile file(path);
        return file.open(QIODevice::ReadOnly)
                   ? QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts)
                   : QStringList();
    };
    QTRY_COMPARE_WITH_TIMEOUT(fileLines(), signalled, 5000);
    // Pages of the router itself are logged for the app they concern.
    m_router->setBackends(u"logged"_s, {});
    QCOMPARE(connection.get("/x", host(u"logged"_s)).status, 503);
    QTRY_VERIFY(([&] {
        QFile again(path);
        return again.open(QIODevice::ReadOnly) && again.readAll().contains(" GET /x 503 ");
    }()));
}

void TestRouter::listenersDestroyedWhileConnectedNeverHang()
{
    // A receiver's destructor tells the router about the disconnection while holding one of
    // Qt's pooled connection locks; the router used to take such a lock again in there and
    // hung whenever both objects mapped to the same one. Many receivers make that certain.
    for (int round = 0; round < 4; ++round) {
        std::vector<std::unique_ptr<QObject>> listeners;
        for (int i = 0; i < 500; ++i) {
            listeners.push_back(std::make_unique<QObject>());
            connect(m_router.get(), &Router::accessLogged, listeners.back().get(),
                    [](const QString &, const QString &) {});
        }
        listeners.clear();
    }
    // Lines still reach whoever listens afterwards.
    m_router->setBackends(u"heard"_s, {m_web[0]->backend()});
    QSignalSpy spy(m_router.get(), &Router::accessLogged);
    QCOMPARE(getVia(u"heard"_s).status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(!spy.isEmpty(), 5000);
    QCOMPARE(spy.first().at(0).toString(), u"heard"_s);
}

void TestRouter::tcpPortProxiesBytesBothWays()
{
    auto echo = startFixture(u"tcp"_s, u"tcp-1"_s, u"v1"_s);
    QVERIFY(echo);
    QVERIFY(
        !Router(Router::Options{}).openTcpPort(u"game"_s)); // not running: an error, not a crash

    const Result<quint16> port = m_router->openTcpPort(u"game"_s);
    QVERIFY2(port, port ? "" : qPrintable(port.error().message));
    QCOMPARE(m_router->tcpPort(u"game"_s), *port);
    m_router->setTcpBackends(
        u"game"_s,
        {Backend{u"tcp-dead"_s, u"127.0.0.1"_s, TestSupport::freePort()}, echo->backend()});

    for (int round = 0; round < 3; ++round) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(socket.waitForConnected(5000));
        const QByteArray message =
            "ping " + QByteArray::number(round) + " " + QByteArray(100000, 'p');
        socket.write(message);
        QByteArray echoed;
        while (echoed.size() < message.size() && socket.waitForReadyRead(5000))
            echoed += socket.readAll();
        QCOMPARE(echoed.size(), message.size());
        QVERIFY(echoed == message);
        socket.disconnectFromHost();
        QVERIFY(socket.state() == QAbstractSocket::UnconnectedState ||
                socket.waitForDisconnected(5000));
        // The client's close is passed on, the backend closes in turn, and the router lets
        // go of both ends.
        QTRY_COMPARE(socketsTo(echo->port()).established, 0);
    }

    m_router->closeTcpPort(u"game"_s);
    QCOMPARE(m_router->tcpPort(u"game"_s), quint16(0));
    QTRY_VERIFY(([&] {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, *port);
        return !socket.waitForConnected(500);
    }()));
}

void TestRouter::childProcessesInheritNoRouterSocket()
{
    // The daemon starts containers while the router has sockets open: listening, to clients,
    // pooled to backends. None may leak into a child.
    m_router->setBackends(u"leak"_s, {m_web[0]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    QCOMPARE(connection.get("/", host(u"leak"_s)).status, 200);
    QVERIFY(socketsTo(m_web[0]->port()).established > 0);

    QByteArray listing;
    QCOMPARE(TestSupport::run(u"sh"_s, {u"-c"_s, u"ls -l /proc/$$/fd"_s}, {}, &listing), 0);
    QVERIFY2(listing.contains(" 1 -> "), listing.constData()); // the listing itself worked
    QVERIFY2(!listing.contains("socket:"), listing.constData());
}

void TestRouter::stopWithOpenConnectionsIsClean()
{
    Router router(Router::Options{});
    QVERIFY(router.start());
    router.setBackends(u"busy"_s, {m_web[0]->backend()});
    const QString busyHost = hostFor(u"busy"_s, router.port());

    HttpConnection idle;
    QVERIFY(idle.open(router.port()));
    QCOMPARE(idle.get("/", busyHost).status, 200);
    HttpConnection waiting;
    QVERIFY(waiting.open(router.port()));
    waiting.send("GET /sleep?ms=3000 HTTP/1.1\r\nHost: busy.localhost\r\n\r\n");
    HttpConnection tunnel;
    QVERIFY(tunnel.open(router.port()));
    QCOMPARE(tunnel
                 .get("/ws", busyHost,
                      {"Upgrade: websocket", "Connection: Upgrade",
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"})
                 .status,
             101);
    QTest::qWait(200); // the slow request has reached the backend

    QElapsedTimer timer;
    timer.start();
    router.stop();
    QVERIFY2(timer.elapsed() < 2500, qPrintable(u"stop took %1 ms"_s.arg(timer.elapsed())));
    QVERIFY(!router.isRunning());
    QCOMPARE(router.port(), quint16(0));
    QVERIFY(idle.waitForClosed());
    QVERIFY(waiting.waitForClosed());
    QVERIFY(tunnel.waitForClosed());
    QCOMPARE(waiting.read(false, 500).status, 0); // no made-up answer

    // It starts again, same table.
    QVERIFY(router.start());
    HttpConnection again;
    QVERIFY(again.open(router.port()));
    QCOMPARE(again.get("/", hostFor(u"busy"_s, router.port())).status, 200);
}

void TestRouter::connectionLimitHoldsUnderABurst()
{
    // Forty clients at once against a backend the router may hold four connections to: the
    // backend never sees more than four, and every request is answered all the same.
    constexpr int Limit = 4;
    constexpr int Clients = 40;
    constexpr int PerClient = 3;
    CountingBackend backend(20);
    Router::Options options;
    options.threads = 2;
    options.backendConnectionLimit = Limit;
    Router router(options);
    const Result<void> started = router.start();
    QVERIFY2(started, started ? "" : qPrintable(started.error().message));
    router.setBackends(u"narrow"_s, {backend.backend(u"narrow-1"_s)});

    QElapsedTimer clock;
    clock.start();
    const QList<int> statuses =
        loadInParallel(router.port(), hostFor(u"narrow"_s, router.port()), Clients, PerClient);
    const qint64 elapsed = clock.elapsed();
    QCOMPARE(statuses.size(), Clients * PerClient);
    QCOMPARE(statuses.count(200), Clients * PerClient);
    QCOMPARE(backend.requests(), Clients * PerClient);
    QVERIFY2(backend.mostOpen() <= Limit,
             qPrintable(u"the backend held %1 connections at once"_s.arg(backend.mostOpen())));
    QVERIFY2(backend.mostOpen() > 1, "requests never ran side by side");
    // Keep-alive still works while requests queue: a free connection is passed on to the
    // next request in line, whichever thread it waits on, rather than closed and reopened.
    QVERIFY2(
        backend.accepted() <= 2 * Limit,
        qPrintable(
            u"%1 connections for %2 requests"_s.arg(backend.accepted()).arg(Clients * PerClient)));
    qInfo("%d requests through %d connections at most %d at once, in %lld ms", Clients * PerClient,
          backend.accepted(), backend.mostOpen(), elapsed);

    // Once the burst is over, one client's requests share one pooled connection again.
    const int acceptedBefore = backend.accepted();
    HttpConnection connection;
    QVERIFY(connection.open(router.port()));
    for (int i = 0; i < 5; ++i)
        QCOMPARE(connection.get("/", hostFor(u"narrow"_s, router.port())).status, 200);
    QVERIFY2(backend.accepted() - acceptedBefore <= 1,
             qPrintable(u"%1 new connections"_s.arg(backend.accepted() - acceptedBefore)));
}

void TestRouter::requestQueuedTooLongGetsBusyPage()
{
    CountingBackend backend(1500);
    Router::Options options;
    options.backendConnectionLimit = 1;
    options.backendQueueTimeout = std::chrono::milliseconds(300);
    Router router(options);
    const Result<void> started = router.start();
    QVERIFY2(started, started ? "" : qPrintable(started.error().message));
    router.setBackends(u"slowpoke"_s, {backend.backend(u"slowpoke-1"_s)});
    const QString host = hostFor(u"slowpoke"_s, router.port());

    HttpConnection first;
    QVERIFY(first.open(router.port()));
    first.send("GET / HTTP/1.1\r\nHost: " + host.toUtf8() + "\r\n\r\n");
    QTRY_COMPARE(backend.requests(), 1); // it holds the only connection for 1.5 s

    HttpConnection second;
    QVERIFY(second.open(router.port()));
    const Reply busy = second.get("/", host);
    QCOMPARE(busy.status, 503);
    QVERIFY2(busy.doneMs >= 250 && busy.doneMs < 1400, qPrintable(QString::number(busy.doneMs)));
    QCOMPARE(busy.header("retry-after"), QByteArray("2"));
    QVERIFY2(busy.body.contains("slowpoke is too busy") && busy.body.contains("1 connection "),
             busy.body.constData());
    QVERIFY(second.isConnected()); // a plain answer: the client connection stays usable

    QCOMPARE(first.read().status, 200);
    QCOMPARE(backend.requests(), 1);
    QCOMPARE(backend.mostOpen(), 1);
    // The place is free again: the next request goes through.
    QCOMPARE(second.get("/", host).status, 200);
}

void TestRouter::stopWithQueuedRequestsIsCleanAndGivesPlacesBack()
{
    CountingBackend backend(1000);
    Router::Options options;
    options.backendConnectionLimit = 1;
    Router router(options);
    QVERIFY(router.start());
    router.setBackends(u"jammed"_s, {backend.backend(u"jammed-1"_s)});
    const QByteArray request =
        "GET / HTTP/1.1\r\nHost: " + hostFor(u"jammed"_s, router.port()).toUtf8() + "\r\n\r\n";
    std::vector<std::unique_ptr<HttpConnection>> clients;
    for (int i = 0; i < 6; ++i) {
        clients.push_back(std::make_unique<HttpConnection>());
        QVERIFY(clients.back()->open(router.port()));
        clients.back()->send(request);
    }
    QTRY_COMPARE(backend.requests(), 1); // one holds the connection, five queue
    QTest::qWait(100);

    QElapsedTimer clock;
    clock.start();
    router.stop();
    QVERIFY2(clock.elapsed() < 3000, "queued requests held the stop up");
    for (const auto &client : clients)
        QVERIFY(client->waitForClosed());

    // Started again, the backend's place is free: a request goes straight through.
    QVERIFY(router.start());
    HttpConnection again;
    QVERIFY(again.open(router.port()));
    const Reply reply = again.get("/", hostFor(u"jammed"_s, router.port()));
    QCOMPARE(reply.status, 200);
    QVERIFY2(reply.doneMs < 2500, qPrintable(QString::number(reply.doneMs)));
    QCOMPARE(backend.mostOpen(), 1);
}

void TestRouter::startNamesAddressWhenPortIsTaken()
{
    Router::Options options;
    options.port = m_router->port();
    Router second(options);
    const Result<void> started = second.start();
    QVERIFY(!started);
    QVERIFY2(started.error().message.contains(u"127.0.0.1:%1"_s.arg(m_router->port())),
             qPrintable(started.error().message));
    QVERIFY2(started.error().message.contains(u"in use"_s), qPrintable(started.error().message));

    options.address = u"not-an-address"_s;
    const Result<void> bad = Router(options).start();
    QVERIFY(!bad);
    QVERIFY(bad.error().message.contains(u"not-an-address"_s));
}

void TestRouter::ambiguousFramingIsRefused_data()
{
    QTest::addColumn<QByteArray>("request");
    const QByteArray start = "POST /smuggle HTTP/1.1\r\nHost: frame.localhost\r\n";
    const QByteArray smuggled = "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: frame.localhost\r\n\r\n";
    QTest::newRow("two transfer-encoding lines")
        << start + "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggled;
    QTest::newRow("transfer-encoding with content-length")
        << start + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + smuggled;
    QTest::newRow("unknown coding with content-length")
        << start + "Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n" + smuggled;
    QTest::newRow("chunked not last")
        << start + "Transfer-Encoding: chunked, identity\r\n\r\n" + smuggled;
    QTest::newRow("folded transfer-encoding")
        << start + "Transfer-Encoding: identity\r\n chunked\r\n\r\n" + smuggled;
    QTest::newRow("two host lines")
        << QByteArray("GET / HTTP/1.1\r\nHost: frame.localhost\r\nHost: other.localhost\r\n\r\n");
}

void TestRouter::ambiguousFramingIsRefused()
{
    QFETCH(QByteArray, request);
    RawBackend backend;
    m_router->setBackends(u"frame"_s, {backend.backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    connection.send(request);
    const Reply reply = connection.read();
    QCOMPARE(reply.status, 400);
    QVERIFY(connection.waitForClosed());
    QTest::qWait(100);
    QVERIFY2(backend.received().isEmpty(), backend.received().constData());
}

void TestRouter::bodyGoesOnWithTheRoutersOwnFraming()
{
    RawBackend backend;
    m_router->setBackends(u"reframe"_s, {backend.backend()});
    HttpConnection connection;
    QVERIFY(connection.open(m_router->port()));
    connection.send("POST /a HTTP/1.1\r\nHost: reframe.localhost\r\nTransfer-Encoding: chunked\r\n"
                    "\r\n5\r\nhello\r\n0\r\n\r\n");
    QCOMPARE(connection.read().status, 200);
    connection.send(
        "POST /b HTTP/1.1\r\nHost: reframe.localhost\r\nContent-Length: 5\r\n\r\nworld");
    QCOMPARE(connection.read().status, 200);
    const QByteArray seen = backend.received();
    const QByteArray first = seen.left(seen.indexOf("POST /b"));
    const QByteArray second = seen.mid(seen.indexOf("POST /b"));
    QCOMPARE(first.toLower().count("transfer-encoding"), 1);
    QVERIFY2(first.toLower().contains("transfer-encoding: chunked\r\n"), first.constData());
    QVERIFY2(!first.toLower().contains("content-length"), first.constData());
    QVERIFY2(first.endsWith("\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), first.constData());
    QCOMPARE(second.toLower().count("content-length"), 1);
    QVERIFY2(!second.toLower().contains("transfer-encoding"), second.constData());
    QVERIFY2(second.endsWith("\r\n\r\nworld"), second.constData());
}

void TestRouter::forwardedFieldsOfTrustedProxiesAreKept()
{
    Router::Options options;
    options.trustedProxies = {u"127.0.0.1"_s};
    Router trusting(options);
    QVERIFY(trusting.start());
    trusting.setBackends(u"fwd"_s, {m_web[0]->backend()});
    HttpConnection connection;
    QVERIFY(connection.open(trusting.port()));
    const Reply kept = connection.get("/headers", hostFor(u"fwd"_s, trusting.port()),
                                      {"X-Forwarded-For: 203.0.113.9", "X-Real-IP: 203.0.113.9"});
    QCOMPARE(kept.json().value(u"x-forwarded-for"_s).toString(), u"203.0.113.9, 127.0.0.1"_s);
    QCOMPARE(kept.json().value(u"x-real-ip"_s).toString(), u"203.0.113.9"_s);
}

void TestRouter::tricklingUploadsHoldNoContainerConnection()
{
    // Two connections allowed to the container, four uploads sending a byte now and then:
    // none of them may hold a place, and each is cut once it falls behind the minimum rate.
    Router::Options options;
    options.backendConnectionLimit = 2;
    options.backendQueueTimeout = std::chrono::seconds(2);
    options.bodyGrace = std::chrono::seconds(2);
    options.minimumBodyRate = 1000;
    Router router(options);
    QVERIFY(router.start());
    router.setBackends(u"slow"_s, {m_web[0]->backend()});
    std::vector<std::unique_ptr<QTcpSocket>> uploads;
    for (int i = 0; i < 4; ++i) {
        auto socket = std::make_unique<QTcpSocket>();
        socket->connectToHost(QHostAddress::LocalHost, router.port());
        QVERIFY(socket->waitForConnected(5000));
        socket->write("POST /echo HTTP/1.1\r\nHost: " + hostFor(u"slow"_s, router.port()).toUtf8() +
                      "\r\nContent-Length: 100000\r\n\r\nx");
        uploads.push_back(std::move(socket));
    }
    QTest::qWait(500);
    HttpConnection other;
    QVERIFY(other.open(router.port()));
    QCOMPARE(other.get("/", hostFor(u"slow"_s, router.port())).status, 200);
    QElapsedTimer clock;
    clock.start();
    const auto allClosed = [&] {
        for (const auto &socket : uploads) {
            if (socket->state() == QAbstractSocket::ConnectedState)
                return false;
        }
        return true;
    };
    while (!allClosed() && clock.elapsed() < 15000) {
        for (const auto &socket : uploads) {
            if (socket->state() == QAbstractSocket::ConnectedState)
                socket->write("x");
        }
        QTest::qWait(300);
    }
    QVERIFY(allClosed());
}

QTEST_GUILESS_MAIN(TestRouter)

#include "tst_router.moc"
