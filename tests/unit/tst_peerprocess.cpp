// PeerProcess: who holds the other end of a loopback TCP connection, found even while
// thousands of other connections come and go (the TLS API port relies on it to turn away
// processes inside sandboxes).

#include "util/PeerProcess.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using Slipway::PeerProcess;

class TestPeerProcess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void findsItsOwnEndAmidChurn()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(client.waitForConnected(5000));
        QVERIFY(server.waitForNewConnection(5000));
        std::unique_ptr<QTcpSocket> accepted(server.nextPendingConnection());

        // Other connections, many of them, and more opened and closed all along, to a
        // listener of their own whose connections a thread takes and drops at once.
        const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof address;
        QVERIFY(::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
        QVERIFY(::listen(listener, 1024) == 0);
        QVERIFY(::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &size) == 0);
        std::atomic<bool> churning{true};
        std::thread taker([&] {
            while (churning) {
                const int fd = ::accept(listener, nullptr, nullptr);
                if (fd >= 0)
                    ::close(fd);
            }
        });
        const auto connectOnce = [&address]() {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0) {
                ::close(fd);
                return -1;
            }
            return fd;
        };
        std::vector<int> held;
        for (int i = 0; i < 600; ++i) {
            if (const int fd = connectOnce(); fd >= 0)
                held.push_back(fd);
        }
        std::thread churn([&] {
            while (churning) {
                if (const int fd = connectOnce(); fd >= 0)
                    ::close(fd);
            }
        });
        int found = 0;
        for (int i = 0; i < 50; ++i) {
            if (PeerProcess::ofLoopbackTcp(QStringLiteral("127.0.0.1"), client.localPort(),
                                           server.serverPort()) == ::getpid())
                ++found;
        }
        churning = false;
        churn.join();
        ::shutdown(listener, SHUT_RDWR); // wakes the taker
        if (const int fd = connectOnce(); fd >= 0)
            ::close(fd);
        taker.join();
        ::close(listener);
        for (int fd : held)
            ::close(fd);
        QCOMPARE(found, 50);
        // Nobody holds a port nothing is connected from.
        QCOMPARE(PeerProcess::ofLoopbackTcp(QStringLiteral("127.0.0.1"), 1, server.serverPort()),
                 pid_t(0));
    }
};

QTEST_GUILESS_MAIN(TestPeerProcess)
#include "tst_peerprocess.moc"
