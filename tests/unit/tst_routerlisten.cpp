// The router's listening socket, in a binary where other code uses Asio's synchronous calls
// on the same socket types (as the API does). Both must be built with one Asio
// configuration: with two, the binary held two incompatible copies of calls such as
// basic_socket_acceptor::set_option(), and unoptimised builds failed at router start with
// "Bad file descriptor".

#include "router/IoTypes.h"
#include "router/Router.h"

#include <QTcpSocket>
#include <QTest>

#include <type_traits>

using namespace Slipway;
using namespace Qt::StringLiterals;
using tcp = boost::asio::ip::tcp;

// This file sees Asio as the router was built: synchronous calls report errors through the
// error_code argument only.
static_assert(
    std::is_void_v<decltype(std::declval<Io::Acceptor &>().set_option(
        tcp::acceptor::reuse_address(true), std::declval<boost::system::error_code &>()))>,
    "Asio must be configured here as it is for the router (see CommonConfig.cmake)");

namespace {

// Holds a loopback port with the same acceptor type and calls the router uses, so both
// sets of calls end up in this binary.
class PortHolder
{
public:
    PortHolder()
        : m_acceptor(m_context.get_executor())
    {
        const tcp::endpoint endpoint(boost::asio::ip::address_v4::loopback(), 0);
        m_acceptor.open(endpoint.protocol(), m_error);
        if (!m_error)
            m_acceptor.set_option(tcp::acceptor::reuse_address(true), m_error);
        if (!m_error)
            m_acceptor.bind(endpoint, m_error);
        if (!m_error)
            m_acceptor.listen(8, m_error);
        if (!m_error)
            m_port = m_acceptor.local_endpoint(m_error).port();
    }

    ~PortHolder()
    {
        boost::system::error_code ignored;
        m_acceptor.close(ignored);
    }

    quint16 port() const { return m_port; }
    QString error() const { return QString::fromStdString(m_error.message()); }

private:
    boost::asio::io_context m_context;
    Io::Acceptor m_acceptor;
    boost::system::error_code m_error;
    quint16 m_port = 0;
};

// The first line of the router's answer to a request for a host it does not know.
QByteArray statusLine(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(u"127.0.0.1"_s, port);
    if (!socket.waitForConnected(5000))
        return {};
    socket.write("GET / HTTP/1.1\r\nHost: nobody.localhost\r\nConnection: close\r\n\r\n");
    QByteArray answer;
    while (!answer.contains("\r\n") && socket.waitForReadyRead(5000))
        answer += socket.readAll();
    return answer.left(answer.indexOf("\r\n"));
}

} // namespace

class TestRouterListen : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startsAndAnswersAfterEveryRestart();
    void takenPortIsNamedWithTheRealReason();
    void ownAcceptorWorksBesideTheRouter();
};

void TestRouterListen::startsAndAnswersAfterEveryRestart()
{
    for (int round = 0; round < 10; ++round) {
        Router router(Router::Options{});
        const Result<void> started = router.start();
        QVERIFY2(started, started ? "" : qPrintable(started.error().message));
        QVERIFY(router.port() != 0);
        QCOMPARE(statusLine(router.port()), QByteArray("HTTP/1.1 404 Not Found"));
        router.stop();
        QVERIFY(!router.isRunning());
    }
}

void TestRouterListen::takenPortIsNamedWithTheRealReason()
{
    const PortHolder holder;
    QVERIFY2(holder.port() != 0, qPrintable(holder.error()));
    Router::Options options;
    options.port = holder.port();
    Router router(options);
    const Result<void> started = router.start();
    QVERIFY(!started);
    const QString message = started.error().message;
    QVERIFY2(message.contains(u"127.0.0.1:%1"_s.arg(holder.port())), qPrintable(message));
    QVERIFY2(message.contains(u"in use"_s), qPrintable(message));
}

void TestRouterListen::ownAcceptorWorksBesideTheRouter()
{
    Router router(Router::Options{});
    const Result<void> started = router.start();
    QVERIFY2(started, started ? "" : qPrintable(started.error().message));
    const PortHolder holder;
    QVERIFY2(holder.port() != 0, qPrintable(holder.error()));
    QVERIFY(holder.port() != router.port());
    QCOMPARE(statusLine(router.port()), QByteArray("HTTP/1.1 404 Not Found"));
}

QTEST_GUILESS_MAIN(TestRouterListen)
#include "tst_routerlisten.moc"
