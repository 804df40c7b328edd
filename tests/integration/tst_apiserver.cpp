// The API transport against real clients: ApiClient, curl (run as a process), and raw bytes
// through QLocalSocket/QTcpSocket where a test needs a request no well-behaved client sends.
// The server's handler runs on the test's main thread, so every blocking client call runs on
// a thread of its own while the main thread's event loop turns (runAside()).

#include "api/ApiClient.h"
#include "api/ApiServer.h"

#include "TestSupport.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QMutex>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Slipway;
using namespace Qt::StringLiterals;
namespace http = boost::beast::http;

namespace {

constexpr int ClientTimeoutMs = 15000;

// Runs a blocking call on a thread of its own while this thread's event loop turns, so the
// server's handler (on this thread) can answer it.
template<typename Function>
std::invoke_result_t<Function> runAside(Function function)
{
    std::optional<std::invoke_result_t<Function>> result;
    QEventLoop loop;
    std::thread worker([&] {
        result.emplace(function());
        QMetaObject::invokeMethod(&loop, &QEventLoop::quit, Qt::QueuedConnection);
    });
    loop.exec();
    worker.join();
    return std::move(*result);
}

struct RawResponse
{
    int status = 0;
    QByteArray body;
    QMap<QByteArray, QByteArray> headers; // lower-case names
};

// Every complete response in `data`, in order (interim 1xx answers included), parsed with Beast.
QList<RawResponse> parseResponses(const QByteArray &data)
{
    QList<RawResponse> responses;
    qsizetype offset = 0;
    while (offset < data.size()) {
        http::response_parser<http::string_body> parser;
        parser.eager(true);
        boost::system::error_code error;
        const std::size_t used = parser.put(
            boost::asio::buffer(data.constData() + offset, std::size_t(data.size() - offset)),
            error);
        if (error || !parser.is_done())
            break;
        offset += qsizetype(used);
        RawResponse response;
        response.status = int(parser.get().result_int());
        response.body = QByteArray::fromStdString(parser.get().body());
        for (const auto &field : parser.get()) {
            const std::string_view name = field.name_string();
            const std::string_view value = field.value();
            response.headers.insert(QByteArray(name.data(), qsizetype(name.size())).toLower(),
                                    QByteArray(value.data(), qsizetype(value.size())));
        }
        responses.append(response);
    }
    return responses;
}

// A connection that sends exactly the bytes a test gives it. Blocking: used on a side thread.
template<class Socket>
class RawConnection
{
public:
    explicit RawConnection(const QString &socketPath) requires std::is_same_v<Socket, QLocalSocket>
    {
        m_socket.connectToServer(socketPath);
        m_connected = m_socket.waitForConnected(5000);
    }
    explicit RawConnection(quint16 port) requires std::is_same_v<Socket, QTcpSocket>
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        m_connected = m_socket.waitForConnected(5000);
    }

    bool isConnected() const { return m_connected; }
    void send(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        while (m_socket.bytesToWrite() > 0 && m_socket.waitForBytesWritten(5000)) {
        }
    }
    // Reads until `count` complete responses are in, the connection closes, or time is up.
    QList<RawResponse> read(int count, int timeoutMs = 5000)
    {
        QElapsedTimer clock;
        clock.start();
        QList<RawResponse> responses = parseResponses(m_received);
        while (responses.size() < count && clock.elapsed() < timeoutMs) {
            if (m_socket.bytesAvailable() == 0 &&
                !m_socket.waitForReadyRead(int(timeoutMs - clock.elapsed())))
                break;
            m_received += m_socket.readAll();
            responses = parseResponses(m_received);
        }
        return responses;
    }
    // True when the server closes the connection within the time.
    bool closedByServer(int timeoutMs = 5000)
    {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < timeoutMs) {
            if (m_socket.state() != connectedState())
                return true;
            if (m_socket.waitForReadyRead(100))
                m_received += m_socket.readAll();
        }
        return m_socket.state() != connectedState();
    }
    bool stillOpen() { return m_socket.state() == connectedState(); }
    const QByteArray &received() const { return m_received; }
    void close() { m_socket.abort(); }

private:
    static auto connectedState()
    {
        if constexpr (std::is_same_v<Socket, QLocalSocket>)
            return QLocalSocket::ConnectedState;
        else
            return QAbstractSocket::ConnectedState;
    }

    Socket m_socket;
    QByteArray m_received;
    bool m_connected = false;
};

using LocalConnection = RawConnection<QLocalSocket>;
using TcpConnection = RawConnection<QTcpSocket>;

QByteArray get(const QByteArray &path)
{
    return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

QJsonObject errorOf(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).object().value("error"_L1).toObject();
}

int modeOf(const QString &path)
{
    struct stat status
    {
    };
    if (::lstat(QFile::encodeName(path).constData(), &status) != 0)
        return -1;
    return int(status.st_mode & 07777);
}

bool isSocket(const QString &path)
{
    struct stat status
    {
    };
    return ::lstat(QFile::encodeName(path).constData(), &status) == 0 && S_ISSOCK(status.st_mode);
}

// "VmRSS"/"VmHWM" of this process in KiB.
qint64 memoryKb(const char *field)
{
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray prefix = QByteArray(field) + ':';
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith(prefix))
            return line.mid(prefix.size()).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

bool resetPeakMemory()
{
    QFile clearRefs(u"/proc/self/clear_refs"_s);
    return clearRefs.open(QIODevice::WriteOnly) && clearRefs.write("5") == 1;
}

struct CurlResult
{
    int exitCode = -1;
    QByteArray output;
    QByteArray errors;
};

} // namespace

class TestApiServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();

    void socketIsPrivateAndRemovedOnStop();
    void jsonRoundTrip();
    void curlOverTheUnixSocket();
    void keepAliveAndPipelining();
    void expectContinue();
    void streamingArrivesAsWritten();
    void clientLeavingFiresOnClosed();
    void bodyOverLimitIsRefusedUnread();
    void trickleBodyIsCutOff();
    void malformedRequestsGet400();
    void largeUploadIsSpooledAndDeleted();
    void staleSocketIsReplaced();
    void liveSocketIsRefused();
    void handlerFailuresAnswer500();
    void unreachableServerIsNamed();
    void clientReconnectsAfterRestart();
    void clientTimesOut();
    void stopClosesOpenStreams();
    void severalThreadsServeConcurrentClients();

    void tlsWithValidToken();
    void tlsWithoutTokenIs401();
    void tlsRevokedTokenIs401();
    void plainHttpOnTlsPortFails();
    void untrustedCertificateIsRejected();
    void curlOverTls();
    void tcpWithoutCertificateIsRefused();

private:
    QString newSocketPath();
    std::unique_ptr<ApiServer> startServer(ApiServer::Options options);
    std::unique_ptr<ApiServer> startTlsServer();
    void handle(const ApiRequest &request, const std::shared_ptr<ApiResponder> &responder);
    CurlResult runCurl(const QStringList &arguments);

    QTemporaryDir m_directory;
    QString m_certificate;
    QString m_privateKey;
    QString m_otherCertificate;
    QString m_tlsSocketPath;
    int m_sockets = 0;

    // What the handler saw; all touched on the main thread only.
    int m_handled = 0;
    QString m_uploadFile;
    qint64 m_uploadSize = -1;
    bool m_uploadInMemory = true;
    bool m_uploadFileExisted = false;
    QByteArray m_uploadDigest;
    std::shared_ptr<ApiResponder> m_kept;
    bool m_keptClosed = false;
    std::atomic<bool> m_streamEnded{false};

    QMutex m_tokensMutex;
    QSet<QByteArray> m_tokens;
};

void TestApiServer::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_directory.isValid());
    QVERIFY2(!QStandardPaths::findExecutable(u"curl"_s).isEmpty(), "curl is needed");
    QVERIFY2(!QStandardPaths::findExecutable(u"openssl"_s).isEmpty(), "openssl is needed");
    // A self-signed certificate made for this run, and another one the client must not trust.
    const auto makeCertificate = [this](const QString &name) {
        const QString certificate = m_directory.filePath(name + u"-cert.pem"_s);
        const QString key = m_directory.filePath(name + u"-key.pem"_s);
        QByteArray output;
        const int exitCode = TestSupport::run(
            u"openssl"_s,
            {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-subj"_s,
             u"/CN=localhost"_s, u"-days"_s, u"1"_s, u"-keyout"_s, key, u"-out"_s, certificate},
            m_directory.path(), &output, 60000);
        return exitCode == 0 ? std::make_pair(certificate, key)
                             : std::make_pair(QString(), QString());
    };
    std::tie(m_certificate, m_privateKey) = makeCertificate(u"server"_s);
    QVERIFY(QFile::exists(m_certificate));
    QVERIFY(QFile::exists(m_privateKey));
    m_otherCertificate = makeCertificate(u"other"_s).first;
    QVERIFY(QFile::exists(m_otherCertificate));
}

void TestApiServer::cleanup()
{
    m_kept.reset();
    m_keptClosed = false;
    m_streamEnded = false;
}

QString TestApiServer::newSocketPath()
{
    // A folder that does not exist yet: the server makes it.
    return m_directory.filePath(u"run-%1/api.sock"_s.arg(++m_sockets));
}

std::unique_ptr<ApiServer> TestApiServer::startServer(ApiServer::Options options)
{
    if (options.spoolDirectory.isEmpty())
        options.spoolDirectory = m_directory.filePath(u"spool"_s);
    auto server = std::make_unique<ApiServer>(std::move(options));
    server->setHandler([this](const ApiRequest &request, std::shared_ptr<ApiResponder> responder) {
        handle(request, responder);
    });
    const Result<void> started = server->start();
    if (!started) {
        qWarning("the API server did not start: %s", qUtf8Printable(started.error().message));
        return nullptr;
    }
    return server;
}

std::unique_ptr<ApiServer> TestApiServer::startTlsServer()
{
    {
        QMutexLocker lock(&m_tokensMutex);
        m_tokens = {QByteArrayLiteral("good-token"), QByteArrayLiteral("revocable-token")};
    }
    ApiServer::Options options;
    options.socketPath = m_tlsSocketPath = newSocketPath();
    options.tcpAddress = u"127.0.0.1"_s;
    options.certificateFile = m_certificate;
    options.privateKeyFile = m_privateKey;
    options.validateToken = [this](const QByteArray &token) {
        QMutexLocker lock(&m_tokensMutex);
        return m_tokens.contains(token);
    };
    return startServer(std::move(options));
}

void TestApiServer::handle(const ApiRequest &request,
                           const std::shared_ptr<ApiResponder> &responder)
{
    ++m_handled;
    const QString &path = request.path;
    if (path == "/v1/status"_L1 || path.startsWith("/v1/apps/"_L1)) {
        QJsonObject query;
        for (const auto &[key, value] : request.query.queryItems(QUrl::FullyDecoded))
            query.insert(key, value);
        responder->send(200,
                        QJsonObject{{u"status"_s, u"ok"_s},
                                    {u"method"_s, request.method},
                                    {u"path"_s, path},
                                    {u"query"_s, query},
                                    {u"peer"_s, request.peer},
                                    {u"viaTcp"_s, request.viaTcp},
                                    {u"agent"_s, QString::fromUtf8(request.header("user-agent"))}});
    } else if (path == "/v1/echo"_L1) {
        responder->send(
            200, QJsonObject{{u"received"_s, request.json().object()},
                             {u"contentType"_s, QString::fromUtf8(request.header("content-type"))},
                             {u"size"_s, qint64(request.body.size())}});
    } else if (path == "/v1/stream"_L1) {
        // Lines written apart in time, as a build log is.
        const int count = request.query.queryItemValue(u"count"_s).toInt();
        const int interval = request.query.queryItemValue(u"interval"_s).toInt();
        responder->beginStream(200, "text/plain; charset=utf-8");
        auto *timer = new QTimer(this);
        auto written = std::make_shared<int>(0);
        connect(timer, &QTimer::timeout, this, [this, timer, responder, written, count] {
            responder->write("line " + QByteArray::number(*written) + '\n');
            if (++*written == count) {
                m_streamEnded = true;
                responder->end();
                timer->deleteLater();
                timer->stop();
            }
        });
        timer->start(interval);
    } else if (path == "/v1/follow"_L1) {
        responder->beginStream(200, "text/plain");
        responder->write("following\n");
        responder->onClosed([this] { m_keptClosed = true; });
        m_kept = responder;
    } else if (path == "/v1/hang"_L1) {
        responder->onClosed([this] { m_keptClosed = true; });
        m_kept = responder;
    } else if (path == "/v1/upload"_L1) {
        m_uploadFile = request.bodyFile;
        m_uploadInMemory = !request.body.isEmpty();
        m_uploadFileExisted = QFile::exists(request.bodyFile);
        QFile file(request.bodyFile);
        m_uploadSize = file.size();
        QCryptographicHash digest(QCryptographicHash::Md5);
        if (file.open(QIODevice::ReadOnly))
            digest.addData(&file);
        m_uploadDigest = digest.result().toHex();
        responder->send(200, QJsonObject{{u"size"_s, m_uploadSize}});
    } else if (path == "/v1/throw"_L1) {
        throw std::runtime_error("boom");
    } else if (path == "/v1/drop"_L1) {
        // Nothing kept, nothing answered.
    } else {
        responder->sendError(404, u"no route for %1"_s.arg(path));
    }
}

CurlResult TestApiServer::runCurl(const QStringList &arguments)
{
    // Asynchronous, so the handler on this thread can answer while curl waits.
    QProcess curl;
    curl.start(u"curl"_s, arguments);
    QSignalSpy finished(&curl, &QProcess::finished);
    CurlResult result;
    if (!curl.waitForStarted(5000) || !finished.wait(ClientTimeoutMs)) {
        curl.kill();
        curl.waitForFinished(2000);
        return result;
    }
    result.exitCode = curl.exitStatus() == QProcess::NormalExit ? curl.exitCode() : -1;
    result.output = curl.readAllStandardOutput();
    result.errors = curl.readAllStandardError();
    return result;
}

void TestApiServer::socketIsPrivateAndRemovedOnStop()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);
    QVERIFY(isSocket(options.socketPath));
    QCOMPARE(modeOf(options.socketPath), 0600);
    QCOMPARE(modeOf(QFileInfo(options.socketPath).absolutePath()), 0700);
    server->stop();
    QVERIFY(!QFile::exists(options.socketPath));
}

void TestApiServer::jsonRoundTrip()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);
    ApiClient client = ApiClient::unixSocket(options.socketPath);

    const Result<ApiReply> status = runAside([&] {
        return client.request("GET", u"/v1/apps/my%20app?verbose=yes&name=a%26b"_s, {},
                              "application/json", ClientTimeoutMs);
    });
    QVERIFY2(status, qPrintable(status ? QString() : status.error().message));
    QCOMPARE(status->status, 200);
    QCOMPARE(status->headers.value("content-type"), QByteArray("application/json"));
    const QJsonObject statusJson = status->json().object();
    QCOMPARE(statusJson.value("status"_L1).toString(), u"ok"_s);
    QCOMPARE(statusJson.value("method"_L1).toString(), u"GET"_s);
    QCOMPARE(statusJson.value("path"_L1).toString(), u"/v1/apps/my app"_s);
    QCOMPARE(statusJson.value("query"_L1).toObject().value("verbose"_L1).toString(), u"yes"_s);
    QCOMPARE(statusJson.value("query"_L1).toObject().value("name"_L1).toString(), u"a&b"_s);
    QCOMPARE(statusJson.value("peer"_L1).toString(), u"unix"_s);
    QCOMPARE(statusJson.value("viaTcp"_L1).toBool(), false);

    const QByteArray document = R"({"name":"web","replicas":[1,2,3]})";
    const Result<ApiReply> echoed = runAside([&] {
        return client.request("POST", u"/v1/echo"_s, document, "application/json", ClientTimeoutMs);
    });
    QVERIFY2(echoed, qPrintable(echoed ? QString() : echoed.error().message));
    QCOMPARE(echoed->status, 200);
    QCOMPARE(echoed->json().object().value("received"_L1).toObject(),
             QJsonDocument::fromJson(document).object());
    QCOMPARE(echoed->json().object().value("contentType"_L1).toString(), u"application/json"_s);

    const Result<ApiReply> missing = runAside([&] {
        return client.request("GET", u"/v1/nothing-here"_s, {}, "application/json",
                              ClientTimeoutMs);
    });
    QVERIFY(missing);
    QCOMPARE(missing->status, 404);
    QCOMPARE(errorOf(missing->body).value("status"_L1).toInt(), 404);
    QCOMPARE(missing->errorMessage(), u"no route for /v1/nothing-here"_s);
}

void TestApiServer::curlOverTheUnixSocket()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);

    const CurlResult status = runCurl({u"-sS"_s, u"--unix-socket"_s, options.socketPath,
                                       u"http://localhost/v1/status?from=curl"_s});
    QCOMPARE(status.exitCode, 0);
    const QJsonObject json = QJsonDocument::fromJson(status.output).object();
    QCOMPARE(json.value("status"_L1).toString(), u"ok"_s);
    QCOMPARE(json.value("query"_L1).toObject().value("from"_L1).toString(), u"curl"_s);
    QVERIFY(json.value("agent"_L1).toString().startsWith("curl/"_L1));

    const CurlResult posted = runCurl({u"-sS"_s, u"--unix-socket"_s, options.socketPath, u"-H"_s,
                                       u"Content-Type: application/json"_s, u"-d"_s,
                                       uR"({"app":"blog"})"_s, u"http://localhost/v1/echo"_s});
    QCOMPARE(posted.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(posted.output)
                 .object()
                 .value("received"_L1)
                 .toObject()
                 .value("app"_L1)
                 .toString(),
             u"blog"_s);

    // A streamed answer reaches curl whole (chunked encoding decoded by curl).
    const CurlResult streamed = runCurl({u"-sS"_s, u"--unix-socket"_s, options.socketPath,
                                         u"http://localhost/v1/stream?count=3&interval=20"_s});
    QCOMPARE(streamed.exitCode, 0);
    QCOMPARE(streamed.output, QByteArray("line 0\nline 1\nline 2\n"));

    // HEAD: the head of the answer, its length, no body.
    const CurlResult head = runCurl({u"-sS"_s, u"-I"_s, u"--unix-socket"_s, options.socketPath,
                                     u"http://localhost/v1/status"_s});
    QCOMPARE(head.exitCode, 0);
    QVERIFY2(head.output.startsWith("HTTP/1.1 200"), head.output.constData());
    QVERIFY(head.output.toLower().contains("content-length: "));
    QVERIFY(!head.output.contains("\"status\""));
}

void TestApiServer::keepAliveAndPipelining()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);

    struct Seen
    {
        bool connected = false;
        QList<RawResponse> responses;
        bool openAfter = false;
    };
    const Seen seen = runAside([&] {
        Seen result;
        LocalConnection connection(options.socketPath);
        result.connected = connection.isConnected();
        connection.send(get("/v1/status?n=1"));
        connection.read(1);
        connection.send(get("/v1/status?n=2"));
        connection.read(2);
        // Two requests in one write: both answered, in order.
        connection.send(get("/v1/status?n=3") + get("/v1/status?n=4"));
        result.responses = connection.read(4);
        result.openAfter = connection.stillOpen();
        return result;
    });
    QVERIFY(seen.connected);
    QCOMPARE(seen.responses.size(), 4);
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(seen.responses[i].status, 200);
        const QJsonObject query =
            QJsonDocument::fromJson(seen.responses[i].body).object().value("query"_L1).toObject();
        QCOMPARE(query.value("n"_L1).toString(), QString::number(i + 1));
        QVERIFY(seen.responses[i].headers.value("connection") != "close");
    }
    QVERIFY(seen.openAfter);

    // The client keeps its connection too, and sees a server that closed it as a reason to
    // reconnect, not as an error.
    ApiClient client = ApiClient::unixSocket(options.socketPath);
    for (int i = 0; i < 3; ++i) {
        const Result<ApiReply> reply = runAside([&] {
            return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
        });
        QVERIFY2(reply, qPrintable(reply ? QString() : reply.error().message));
        QCOMPARE(reply->status, 200);
    }
}

void TestApiServer::expectContinue()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);

    const QByteArray body = R"({"step":"continued"})";
    struct Seen
    {
        QList<RawResponse> beforeBody;
        QList<RawResponse> all;
    };
    const Seen seen = runAside([&] {
        Seen result;
        LocalConnection connection(options.socketPath);
        connection.send(
            "POST /v1/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            "Expect: 100-continue\r\nContent-Length: " +
            QByteArray::number(body.size()) + "\r\n\r\n");
        result.beforeBody = connection.read(1);
        connection.send(body);
        result.all = connection.read(2);
        return result;
    });
    QCOMPARE(seen.beforeBody.size(), 1);
    QCOMPARE(seen.beforeBody[0].status, 100);
    QCOMPARE(seen.all.size(), 2);
    QCOMPARE(seen.all[1].status, 200);
    QCOMPARE(QJsonDocument::fromJson(seen.all[1].body)
                 .object()
                 .value("received"_L1)
                 .toObject()
                 .value("step"_L1)
                 .toString(),
             u"continued"_s);
}

void TestApiServer::streamingArrivesAsWritten()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);
    ApiClient client = ApiClient::unixSocket(options.socketPath);

    struct Arrival
    {
        qint64 at;
        QByteArray chunk;
        bool endedYet;
    };
    QList<Arrival> arrivals; // written by the client thread, read after it is joined
    QElapsedTimer clock;
    clock.start();
    const Result<int> status = runAside([&] {
        return client.stream("GET", u"/v1/stream?count=5&interval=150"_s, {},
                             [&](const QByteArray &chunk) {
                                 arrivals.append({clock.elapsed(), chunk, m_streamEnded.load()});
                                 return true;
                             });
    });
    QVERIFY2(status, qPrintable(status ? QString() : status.error().message));
    QCOMPARE(*status, 200);
    QByteArray whole;
    for (const Arrival &arrival : std::as_const(arrivals))
        whole += arrival.chunk;
    QCOMPARE(whole, QByteArray("line 0\nline 1\nline 2\nline 3\nline 4\n"));
    // Pieces written 150 ms apart arrive apart, the first long before the stream ends.
    QVERIFY2(arrivals.size() >= 4, qPrintable(u"%1 pieces"_s.arg(arrivals.size())));
    QVERIFY(!arrivals.first().endedYet);
    QVERIFY2(
        arrivals.last().at - arrivals.first().at >= 400,
        qPrintable(
            u"first at %1 ms, last at %2 ms"_s.arg(arrivals.first().at).arg(arrivals.last().at)));

    // The connection stays usable after a stream.
    const Result<ApiReply> after = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(after);
    QCOMPARE(after->status, 200);
}

void TestApiServer::clientLeavingFiresOnClosed()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);
    ApiClient client = ApiClient::unixSocket(options.socketPath);

    // A follower that stops reading after the first piece.
    QByteArray first;
    const Result<int> status = runAside([&] {
        return client.stream("GET", u"/v1/follow"_s, {}, [&](const QByteArray &chunk) {
            first = chunk;
            return false;
        });
    });
    QVERIFY(status);
    QCOMPARE(*status, 200);
    QCOMPARE(first, QByteArray("following\n"));
    QTRY_VERIFY(m_keptClosed);
    QVERIFY(m_kept);
    QVERIFY(!m_kept->isOpen());
    m_kept->write("nobody reads this\n"); // ignored, not a crash
    m_kept->end();

    // The same for a request still waiting for its answer.
    m_kept.reset();
    m_keptClosed = false;
    const bool sent = runAside([&] {
        LocalConnection connection(options.socketPath);
        connection.send(get("/v1/hang"));
        QThread::msleep(200);
        connection.close();
        return connection.isConnected();
    });
    QVERIFY(sent);
    QTRY_VERIFY(m_keptClosed);
    QVERIFY(m_kept && !m_kept->isOpen());
    m_kept->send(200, QJsonObject{{u"late"_s, true}}); // ignored
    // A callback added after the client left runs at once.
    bool lateCallback = false;
    m_kept->onClosed([&] { lateCallback = true; });
    QVERIFY(lateCallback);

    const Result<ApiReply> after = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(after);
    QCOMPARE(after->status, 200);
}

void TestApiServer::trickleBodyIsCutOff()
{
    // A byte every 200 ms never lets a read idle out, but falls behind the minimum rate.
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    options.bodyGrace = std::chrono::seconds(1);
    options.minimumBodyRate = 1000;
    auto server = startServer(options);
    QVERIFY(server);
    const int handledBefore = m_handled;
    const bool cut = runAside([&] {
        LocalConnection connection(options.socketPath);
        connection.send(
            "POST /v1/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n");
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 20000) {
            connection.send("x");
            if (connection.closedByServer(200))
                return true;
        }
        return false;
    });
    QVERIFY(cut);
    QCOMPARE(m_handled, handledBefore);
}

void TestApiServer::bodyOverLimitIsRefusedUnread()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    options.maxBodyBytes = 1024;
    auto server = startServer(options);
    QVERIFY(server);
    const int handledBefore = m_handled;

    // 100 MB announced, 1000 bytes sent: the answer comes without the rest.
    const QList<RawResponse> announced = runAside([&] {
        LocalConnection connection(options.socketPath);
        connection.send(
            "POST /v1/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 104857600\r\n\r\n" +
            QByteArray(1000, 'x'));
        return connection.read(1);
    });
    QCOMPARE(announced.size(), 1);
    QCOMPARE(announced[0].status, 413);
    QCOMPARE(errorOf(announced[0].body).value("status"_L1).toInt(), 413);
    QVERIFY(errorOf(announced[0].body).value("message"_L1).toString().contains("limit"_L1));
    QCOMPARE(announced[0].headers.value("connection"), QByteArray("close"));

    // Announced with Expect: the refusal replaces "100 Continue".
    const QList<RawResponse> expected = runAside([&] {
        LocalConnection connection(options.socketPath);
        connection.send("PUT /v1/echo HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                        "Content-Length: 5000\r\n\r\n");
        return connection.read(1);
    });
    QCOMPARE(expected.size(), 1);
    QCOMPARE(expected[0].status, 413);

    // Chunked, so no length up front: refused once the limit is passed.
    const QList<RawResponse> chunked = runAside([&] {
        LocalConnection connection(options.socketPath);
        connection.send(
            "POST /v1/echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
            "7d0\r\n" +
            QByteArray(2000, 'y') + "\r\n");
        return connection.read(1);
    });
    QCOMPARE(chunked.size(), 1);
    QCOMPARE(chunked[0].status, 413);

    // Within the limit it goes through.
    ApiClient client = ApiClient::unixSocket(options.socketPath);
    const Result<ApiReply> small = runAside([&] {
        return client.request("POST", u"/v1/echo"_s, R"({"small":true})", "application/json",
                              ClientTimeoutMs);
    });
    QVERIFY(small);
    QCOMPARE(small->status, 200);
    QCOMPARE(m_handled, handledBefore + 1);

    // The client's upload gets the refusal before sending the file.
    const QString file = m_directory.filePath(u"over-limit.bin"_s);
    {
        QFile out(file);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QByteArray(64 * 1024, 'z'));
    }
    const Result<ApiReply> uploaded = runAside([&] {
        return client.upload("POST", u"/v1/upload"_s, file, "application/octet-stream",
                             ClientTimeoutMs);
    });
    QVERIFY2(uploaded, qPrintable(uploaded ? QString() : uploaded.error().message));
    QCOMPARE(uploaded->status, 413);
    QVERIFY(uploaded->errorMessage().contains("limit"_L1));
    QCOMPARE(m_handled, handledBefore + 1);
}

void TestApiServer::malformedRequestsGet400()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);
    const int handledBefore = m_handled;

    const QList<QByteArray> malformed = {
        "THIS IS NOT HTTP\r\n\r\n",
        "GET /v1/status HTTP/1.1\r\nHost: localhost\r\nNo colon in this line\r\n\r\n",
        "GET relative/path HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "POST /v1/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: twelve\r\n\r\n",
    };
    for (const QByteArray &request : malformed) {
        struct Seen
        {
            QList<RawResponse> responses;
            bool closed = false;
        };
        const Seen seen = runAside([&] {
            Seen result;
            LocalConnection connection(options.socketPath);
            connection.send(request);
            result.responses = connection.read(1);
            result.closed = connection.closedByServer();
            return result;
        });
        QVERIFY2(seen.responses.size() == 1, request.constData());
        QCOMPARE(seen.responses[0].status, 400);
        QCOMPARE(seen.responses[0].headers.value("content-type"), QByteArray("application/json"));
        QCOMPARE(errorOf(seen.responses[0].body).value("status"_L1).toInt(), 400);
        QVERIFY(!errorOf(seen.responses[0].body).value("message"_L1).toString().isEmpty());
        if (!request.startsWith("GET relative")) // that one has no body: the connection may stay
            QVERIFY2(seen.closed, request.constData());
    }
    QCOMPARE(m_handled, handledBefore);

    // The server is still there.
    ApiClient client = ApiClient::unixSocket(options.socketPath);
    const Result<ApiReply> after = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(after);
    QCOMPARE(after->status, 200);
}

void TestApiServer::largeUploadIsSpooledAndDeleted()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    options.spoolDirectory = m_directory.filePath(u"spool-large"_s);
    auto server = startServer(options);
    QVERIFY(server);

    // 100 MB of numbered random blocks, so a piece out of place changes the digest.
    constexpr qint64 Megabyte = 1024 * 1024;
    constexpr int Blocks = 100;
    const QString file = m_directory.filePath(u"upload.bin"_s);
    QCryptographicHash digest(QCryptographicHash::Md5);
    {
        QFile out(file);
        QVERIFY(out.open(QIODevice::WriteOnly));
        QByteArray block(Megabyte, Qt::Uninitialized);
        QRandomGenerator random(42);
        random.fillRange(reinterpret_cast<quint32 *>(block.data()), block.size() / 4);
        for (int i = 0; i < Blocks; ++i) {
            std::memcpy(block.data(), &i, sizeof i);
            QCOMPARE(out.write(block), block.size());
            digest.addData(block);
        }
    }
    const QByteArray expectedDigest = digest.result().toHex();

    ApiClient client = ApiClient::unixSocket(options.socketPath);
    const qint64 residentBefore = memoryKb("VmRSS");
    QVERIFY(resetPeakMemory());
    const Result<ApiReply> reply = runAside([&] {
        return client.upload("POST", u"/v1/upload"_s, file, "application/octet-stream",
                             ClientTimeoutMs);
    });
    const qint64 peakDuring = memoryKb("VmHWM");
    QVERIFY2(reply, qPrintable(reply ? QString() : reply.error().message));
    QCOMPARE(reply->status, 200);
    QCOMPARE(reply->json().object().value("size"_L1).toInteger(), qint64(Blocks) * Megabyte);

    QVERIFY(!m_uploadInMemory);
    QVERIFY(m_uploadFileExisted);
    QVERIFY(m_uploadFile.startsWith(options.spoolDirectory));
    QCOMPARE(m_uploadSize, qint64(Blocks) * Megabyte);
    QCOMPARE(m_uploadDigest, expectedDigest);
    // Client and server in this one process moved 100 MB with far less memory than that.
    const qint64 grownMb = (peakDuring - residentBefore) / 1024;
    QVERIFY2(grownMb < 40, qPrintable(u"resident memory grew by %1 MB"_s.arg(grownMb)));
    // Gone once the response ended.
    QTRY_VERIFY(!QFile::exists(m_uploadFile));
    QTRY_VERIFY(QDir(options.spoolDirectory).isEmpty());
    QFile::remove(file);
}

void TestApiServer::staleSocketIsReplaced()
{
    const QString path = newSocketPath();
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    // What a crashed daemon leaves: the socket file, nobody listening.
    {
        const int descriptor = ::socket(AF_UNIX, SOCK_STREAM, 0);
        QVERIFY(descriptor >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const QByteArray encoded = QFile::encodeName(path);
        std::memcpy(address.sun_path, encoded.constData(), std::size_t(encoded.size()));
        QCOMPARE(::bind(descriptor, reinterpret_cast<const sockaddr *>(&address), sizeof address),
                 0);
        ::close(descriptor);
    }
    QVERIFY(isSocket(path));

    ApiServer::Options options;
    options.socketPath = path;
    auto server = startServer(options);
    QVERIFY(server);
    QCOMPARE(modeOf(path), 0600);
    ApiClient client = ApiClient::unixSocket(path);
    const Result<ApiReply> reply = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(reply);
    QCOMPARE(reply->status, 200);

    // A file that is not a socket is not the server's to remove.
    const QString notASocket = m_directory.filePath(u"not-a-socket"_s);
    {
        QFile out(notASocket);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("precious");
    }
    ApiServer refused(ApiServer::Options{.socketPath = notASocket});
    const Result<void> started = refused.start();
    QVERIFY(!started);
    QVERIFY2(started.error().message.contains("not a socket"_L1),
             qPrintable(started.error().message));
    QVERIFY(QFile::exists(notASocket));
}

void TestApiServer::liveSocketIsRefused()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto first = startServer(options);
    QVERIFY(first);

    ApiServer second(options);
    const Result<void> started = second.start();
    QVERIFY(!started);
    QVERIFY2(started.error().message.contains("already listening"_L1),
             qPrintable(started.error().message));
    QVERIFY(started.error().message.contains(options.socketPath));

    // The first one is untouched: its socket is still there and answers.
    QVERIFY(isSocket(options.socketPath));
    ApiClient client = ApiClient::unixSocket(options.socketPath);
    const Result<ApiReply> reply = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(reply);
    QCOMPARE(reply->status, 200);
}

void TestApiServer::handlerFailuresAnswer500()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);
    ApiClient client = ApiClient::unixSocket(options.socketPath);

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"threw: boom"_s));
    const Result<ApiReply> thrown = runAside([&] {
        return client.request("GET", u"/v1/throw"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(thrown);
    QCOMPARE(thrown->status, 500);
    QVERIFY2(thrown->errorMessage().contains("boom"_L1), qPrintable(thrown->errorMessage()));

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"dropped without an answer"_s));
    const Result<ApiReply> dropped = runAside([&] {
        return client.request("GET", u"/v1/drop"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(dropped);
    QCOMPARE(dropped->status, 500);
    QCOMPARE(errorOf(dropped->body).value("status"_L1).toInt(), 500);

    const Result<ApiReply> after = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(after);
    QCOMPARE(after->status, 200);
}

void TestApiServer::unreachableServerIsNamed()
{
    const QString path = m_directory.filePath(u"nobody-here.sock"_s);
    ApiClient client = ApiClient::unixSocket(path);
    const Result<ApiReply> reply =
        client.request("GET", u"/v1/status"_s, {}, "application/json", 2000);
    QVERIFY(!reply);
    QVERIFY2(reply.error().message.startsWith(u"cannot reach slipwayd at %1: "_s.arg(path)),
             qPrintable(reply.error().message));
    QVERIFY(reply.error().message.contains("does not exist"_L1));
}

void TestApiServer::clientReconnectsAfterRestart()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);
    ApiClient client = ApiClient::unixSocket(options.socketPath);
    const auto status = [&] {
        return runAside([&] {
            return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
        });
    };
    const Result<ApiReply> first = status();
    QVERIFY(first);
    QCOMPARE(first->status, 200);

    // The kept connection dies with the server; the next call finds the new one.
    server.reset();
    const Result<ApiReply> whileDown = status();
    QVERIFY(!whileDown);
    QVERIFY2(whileDown.error().message.startsWith("cannot reach slipwayd at "_L1),
             qPrintable(whileDown.error().message));
    server = startServer(options);
    QVERIFY(server);
    const Result<ApiReply> again = status();
    QVERIFY2(again, qPrintable(again ? QString() : again.error().message));
    QCOMPARE(again->status, 200);

    // Restarted while the client holds a live connection: the stale one is replaced silently.
    server.reset();
    server = startServer(options);
    QVERIFY(server);
    const Result<ApiReply> afterRestart = status();
    QVERIFY2(afterRestart, qPrintable(afterRestart ? QString() : afterRestart.error().message));
    QCOMPARE(afterRestart->status, 200);
}

void TestApiServer::clientTimesOut()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);
    ApiClient client = ApiClient::unixSocket(options.socketPath);

    QElapsedTimer clock;
    clock.start();
    const Result<ApiReply> reply =
        runAside([&] { return client.request("GET", u"/v1/hang"_s, {}, "application/json", 500); });
    QVERIFY(!reply);
    QVERIFY2(reply.error().message.contains("no answer within 0.5 s"_L1),
             qPrintable(reply.error().message));
    QVERIFY(clock.elapsed() >= 450);
    QVERIFY(clock.elapsed() < 5000);
    // The server sees the client give up.
    QTRY_VERIFY(m_keptClosed);

    const Result<ApiReply> after = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(after);
    QCOMPARE(after->status, 200);
}

void TestApiServer::stopClosesOpenStreams()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    auto server = startServer(options);
    QVERIFY(server);
    ApiClient client = ApiClient::unixSocket(options.socketPath);

    QTimer::singleShot(500, this, [&] { server->stop(); });
    QByteArray received;
    QElapsedTimer clock;
    clock.start();
    const Result<int> status = runAside([&] {
        return client.stream("GET", u"/v1/follow"_s, {}, [&](const QByteArray &chunk) {
            received += chunk;
            return true;
        });
    });
    // The stream broke off (no last chunk): the client says so rather than hanging.
    QVERIFY(!status);
    QVERIFY2(status.error().message.contains("closed before the answer was complete"_L1),
             qPrintable(status.error().message));
    QCOMPARE(received, QByteArray("following\n"));
    QVERIFY(clock.elapsed() < 5000);
    QTRY_VERIFY(m_keptClosed);
    QVERIFY(!server->isRunning());
    QVERIFY(!QFile::exists(options.socketPath));
}

void TestApiServer::severalThreadsServeConcurrentClients()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    options.threads = 3;
    auto server = startServer(options);
    QVERIFY(server);

    constexpr int Clients = 6;
    constexpr int Requests = 25;
    const int answered = runAside([&] {
        std::atomic<int> ok{0};
        std::vector<std::thread> clients;
        for (int c = 0; c < Clients; ++c) {
            clients.emplace_back([&, c] {
                ApiClient client = ApiClient::unixSocket(options.socketPath);
                for (int i = 0; i < Requests; ++i) {
                    const QByteArray body =
                        QJsonDocument(QJsonObject{{u"client"_s, c}, {u"i"_s, i}}).toJson();
                    const Result<ApiReply> reply = client.request(
                        "POST", u"/v1/echo"_s, body, "application/json", ClientTimeoutMs);
                    const QJsonObject echoed =
                        reply ? reply->json().object().value("received"_L1).toObject()
                              : QJsonObject();
                    if (reply && reply->status == 200 && echoed.value("client"_L1).toInt() == c &&
                        echoed.value("i"_L1).toInt() == i)
                        ++ok;
                }
            });
        }
        for (std::thread &client : clients)
            client.join();
        return ok.load();
    });
    QCOMPARE(answered, Clients * Requests);
}

void TestApiServer::tlsWithValidToken()
{
    auto server = startTlsServer();
    QVERIFY(server);
    QVERIFY(server->tcpPort() != 0);
    ApiClient client =
        ApiClient::tls(u"localhost"_s, server->tcpPort(), "good-token", m_certificate);
    const Result<ApiReply> reply = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY2(reply, qPrintable(reply ? QString() : reply.error().message));
    QCOMPARE(reply->status, 200);
    const QJsonObject json = reply->json().object();
    QCOMPARE(json.value("viaTcp"_L1).toBool(), true);
    QVERIFY2(json.value("peer"_L1).toString().startsWith("127.0.0.1:"_L1),
             qPrintable(json.value("peer"_L1).toString()));

    // Bodies and streams go over TLS as well, on the kept connection.
    const Result<ApiReply> echoed = runAside([&] {
        return client.request("POST", u"/v1/echo"_s, R"({"over":"tls"})", "application/json",
                              ClientTimeoutMs);
    });
    QVERIFY(echoed);
    QCOMPARE(echoed->json().object().value("received"_L1).toObject().value("over"_L1).toString(),
             u"tls"_s);
    QByteArray streamed;
    const Result<int> status = runAside([&] {
        return client.stream("GET", u"/v1/stream?count=3&interval=20"_s, {},
                             [&](const QByteArray &chunk) {
                                 streamed += chunk;
                                 return true;
                             });
    });
    QVERIFY(status);
    QCOMPARE(*status, 200);
    QCOMPARE(streamed, QByteArray("line 0\nline 1\nline 2\n"));
}

void TestApiServer::tlsWithoutTokenIs401()
{
    auto server = startTlsServer();
    QVERIFY(server);
    const int handledBefore = m_handled;
    ApiClient client =
        ApiClient::tls(u"localhost"_s, server->tcpPort(), QByteArray(), m_certificate);
    const Result<ApiReply> reply = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY2(reply, qPrintable(reply ? QString() : reply.error().message));
    QCOMPARE(reply->status, 401);
    QVERIFY(reply->headers.value("www-authenticate").startsWith("Bearer"));
    QCOMPARE(errorOf(reply->body).value("status"_L1).toInt(), 401);
    QVERIFY(reply->errorMessage().contains("token"_L1));
    QCOMPARE(m_handled, handledBefore);

    // The same server's Unix socket needs no token.
    ApiClient local = ApiClient::unixSocket(m_tlsSocketPath);
    const Result<ApiReply> localReply = runAside([&] {
        return local.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(localReply);
    QCOMPARE(localReply->status, 200);
    QCOMPARE(localReply->json().object().value("viaTcp"_L1).toBool(), false);
}

void TestApiServer::tlsRevokedTokenIs401()
{
    auto server = startTlsServer();
    QVERIFY(server);
    ApiClient client =
        ApiClient::tls(u"localhost"_s, server->tcpPort(), "revocable-token", m_certificate);
    const Result<ApiReply> before = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(before);
    QCOMPARE(before->status, 200);

    {
        QMutexLocker lock(&m_tokensMutex);
        m_tokens.remove("revocable-token");
    }
    const int handledBefore = m_handled;
    const Result<ApiReply> after = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(after);
    QCOMPARE(after->status, 401);
    QVERIFY(after->headers.value("www-authenticate").startsWith("Bearer"));
    QVERIFY(after->headers.value("www-authenticate").contains("invalid_token"));
    QCOMPARE(m_handled, handledBefore);

    // An unknown token fares the same.
    ApiClient stranger =
        ApiClient::tls(u"localhost"_s, server->tcpPort(), "made-up", m_certificate);
    const Result<ApiReply> strangerReply = runAside([&] {
        return stranger.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(strangerReply);
    QCOMPARE(strangerReply->status, 401);
}

void TestApiServer::plainHttpOnTlsPortFails()
{
    auto server = startTlsServer();
    QVERIFY(server);
    const int handledBefore = m_handled;
    const QByteArray received = runAside([&] {
        TcpConnection connection(server->tcpPort());
        connection.send("GET /v1/status HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                        "good-token\r\n\r\n");
        connection.closedByServer();
        return connection.received();
    });
    QVERIFY2(!received.startsWith("HTTP/1.1 200"), received.constData());
    QVERIFY2(received.startsWith("HTTP/1.1 400"), received.constData());
    QVERIFY(received.contains("HTTPS"));
    QCOMPARE(m_handled, handledBefore);

    // curl with http:// fails as well.
    const CurlResult curl =
        runCurl({u"-sS"_s, u"-f"_s, u"http://127.0.0.1:%1/v1/status"_s.arg(server->tcpPort())});
    QVERIFY(curl.exitCode != 0);
    QCOMPARE(m_handled, handledBefore);
}

void TestApiServer::untrustedCertificateIsRejected()
{
    auto server = startTlsServer();
    QVERIFY(server);
    const int handledBefore = m_handled;
    ApiClient client =
        ApiClient::tls(u"localhost"_s, server->tcpPort(), "good-token", m_otherCertificate);
    const Result<ApiReply> reply = runAside([&] {
        return client.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY(!reply);
    QVERIFY2(reply.error().message.startsWith(
                 u"cannot reach slipwayd at localhost:%1: "_s.arg(server->tcpPort())),
             qPrintable(reply.error().message));
    QVERIFY2(reply.error().message.contains("certificate"_L1), qPrintable(reply.error().message));
    QCOMPARE(m_handled, handledBefore);

    // The right certificate, pinned, also works by address, whatever name it carries.
    ApiClient pinned =
        ApiClient::tls(u"127.0.0.1"_s, server->tcpPort(), "good-token", m_certificate);
    const Result<ApiReply> pinnedReply = runAside([&] {
        return pinned.request("GET", u"/v1/status"_s, {}, "application/json", ClientTimeoutMs);
    });
    QVERIFY2(pinnedReply, qPrintable(pinnedReply ? QString() : pinnedReply.error().message));
    QCOMPARE(pinnedReply->status, 200);
}

void TestApiServer::curlOverTls()
{
    auto server = startTlsServer();
    QVERIFY(server);
    const QString url = u"https://localhost:%1/v1/status"_s.arg(server->tcpPort());
    const CurlResult accepted = runCurl({u"-sS"_s, u"--cacert"_s, m_certificate, u"-H"_s,
                                         u"Authorization: Bearer good-token"_s, url});
    QVERIFY2(accepted.exitCode == 0, accepted.errors.constData());
    QCOMPARE(QJsonDocument::fromJson(accepted.output).object().value("viaTcp"_L1).toBool(), true);

    const CurlResult refused = runCurl({u"-sS"_s, u"--cacert"_s, m_certificate, u"-w"_s,
                                        u"%{http_code}"_s, u"-o"_s, u"/dev/null"_s, url});
    QCOMPARE(refused.exitCode, 0);
    QCOMPARE(refused.output, QByteArray("401"));
}

void TestApiServer::tcpWithoutCertificateIsRefused()
{
    ApiServer::Options options;
    options.socketPath = newSocketPath();
    options.tcpAddress = u"127.0.0.1"_s;
    options.validateToken = [](const QByteArray &) { return true; };
    ApiServer server(options);
    const Result<void> started = server.start();
    QVERIFY(!started);
    QVERIFY2(started.error().message.contains("plain TCP is refused"_L1),
             qPrintable(started.error().message));
    QVERIFY(!server.isRunning());
    QVERIFY(!QFile::exists(options.socketPath));

    // A certificate without its key is just as refused.
    options.certificateFile = m_certificate;
    ApiServer halfway(options);
    const Result<void> halfStarted = halfway.start();
    QVERIFY(!halfStarted);
    QVERIFY(halfStarted.error().message.contains("plain TCP is refused"_L1));
}

QTEST_GUILESS_MAIN(TestApiServer)
#include "tst_apiserver.moc"
