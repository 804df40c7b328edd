// The slug server Swarm tasks fetch their slug from, as a hostile client would use it: only a
// published path answers, with the file; anything else gets nothing useful, and a client that
// never finishes its request is cut off.

#include "runtime/swarm/SlugServer.h"

#include <QFile>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

using namespace Slipway;
using namespace Qt::StringLiterals;

class TestSlugServer : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<SlugServer> m_server;
    QString m_slug;
    QByteArray m_content;

    // Sends `request` and reads until the server closes (or 15 s pass).
    QByteArray exchange(const QByteArray &request)
    {
        QTcpSocket socket;
        socket.connectToHost(u"127.0.0.1"_s, m_server->port());
        if (!socket.waitForConnected(5000))
            return "not connected";
        socket.write(request);
        QByteArray answer;
        QElapsedTimer clock;
        clock.start();
        while (socket.state() == QAbstractSocket::ConnectedState && clock.elapsed() < 15000) {
            socket.waitForReadyRead(200);
            answer += socket.readAll();
        }
        return answer + socket.readAll();
    }

    QByteArray pathOf(const QString &url) { return QUrl(url).path().toLatin1(); }

private Q_SLOTS:
    void initTestCase()
    {
        m_slug = m_dir.filePath(u"v1.tgz"_s);
        QFile file(m_slug);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (int i = 0; i < 50000; ++i)
            m_content += QByteArray::number(i) + ' ';
        file.write(m_content);
        file.close();
        auto started = SlugServer::start(u"127.0.0.1"_s, 0, m_dir.path());
        QVERIFY2(started, started ? "" : qPrintable(started.error().message));
        m_server = std::move(*started);
        QVERIFY(m_server->port() != 0);
    }

    void servesAPublishedSlug()
    {
        const QString url = m_server->publish(m_slug);
        QVERIFY(url.startsWith(u"http://127.0.0.1:%1/slugs/"_s.arg(m_server->port())));
        // The same file, the same URL; the path is 64 hex digits, nothing of the file's name.
        QCOMPARE(m_server->publish(m_slug), url);
        QVERIFY(!url.contains(u"v1"_s));
        const QByteArray answer = exchange("GET " + pathOf(url) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY2(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer.left(200).constData());
        const qsizetype body = answer.indexOf("\r\n\r\n") + 4;
        QCOMPARE(answer.mid(body), m_content);
        const QByteArray head = exchange("HEAD " + pathOf(url) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(
            head.contains(QByteArray("Content-Length: " + QByteArray::number(m_content.size()))));
        QVERIFY(head.endsWith("\r\n\r\n"));
    }

    void theKeyKeepsURLsAcrossRestarts()
    {
        const QString url = m_server->publish(m_slug);
        auto again = SlugServer::start(u"127.0.0.1"_s, 0, m_dir.path());
        QVERIFY(again);
        QCOMPARE(pathOf((*again)->publish(m_slug)), pathOf(url));
        QTemporaryDir other;
        auto elsewhere = SlugServer::start(u"127.0.0.1"_s, 0, other.path());
        QVERIFY(elsewhere);
        QVERIFY(pathOf((*elsewhere)->publish(m_slug)) != pathOf(url));
        QCOMPARE(QFile(m_dir.filePath(QLatin1String(SlugServer::KeyFile))).permissions() &
                     (QFile::ReadGroup | QFile::ReadOther),
                 QFile::Permissions());
    }

    void refusesWhatItDoesNotServe_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<QByteArray>("status");
        QTest::newRow("unknown slug")
            << QByteArray("GET /slugs/" + QByteArray(64, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n")
            << QByteArray("404");
        QTest::newRow("the key file")
            << QByteArray("GET /swarm-slug-key HTTP/1.1\r\n\r\n") << QByteArray("404");
        QTest::newRow("a path out")
            << QByteArray("GET /slugs/../../etc/passwd HTTP/1.1\r\n\r\n") << QByteArray("404");
        QTest::newRow("a POST") << QByteArray("POST /slugs/x HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
                                << QByteArray("405");
        QTest::newRow("a body") << QByteArray(
                                       "GET /slugs/x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
                                << QByteArray();
        QTest::newRow("huge header")
            << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(100000, 'x') + "\r\n\r\n")
            << QByteArray();
        QTest::newRow("not HTTP") << QByteArray("\x16\x03\x01\x02\x00garbage\r\n\r\n")
                                  << QByteArray();
    }

    void refusesWhatItDoesNotServe()
    {
        QFETCH(QByteArray, request);
        QFETCH(QByteArray, status);
        const QByteArray answer = exchange(request);
        if (status.isEmpty())
            QVERIFY2(!answer.contains(" 200 "), answer.left(200).constData());
        else
            QVERIFY2(answer.startsWith(QByteArray("HTTP/1.1 " + status)),
                     answer.left(200).constData());
    }

    void slowClientIsCutOff()
    {
        QTcpSocket socket;
        socket.connectToHost(u"127.0.0.1"_s, m_server->port());
        QVERIFY(socket.waitForConnected(5000));
        socket.write("GET /slugs/");
        QSignalSpy closed(&socket, &QTcpSocket::disconnected);
        // Its 10 s to send a whole request; generous bounds for a loaded machine.
        QVERIFY(closed.wait(30000));
    }

    void aFileRemovedIsNotFound()
    {
        const QString gone = m_dir.filePath(u"v2.tgz"_s);
        QFile file(gone);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("x");
        file.close();
        const QString url = m_server->publish(gone);
        QVERIFY(QFile::remove(gone));
        QVERIFY(exchange("GET " + pathOf(url) + " HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 404"));
    }
};

QTEST_GUILESS_MAIN(TestSlugServer)
#include "tst_slugserver.moc"
