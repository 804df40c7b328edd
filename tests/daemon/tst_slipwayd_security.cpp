// slipwayd as a black box against what an attacker tries: a process inside a sandbox
// reaching the API (by the socket or the TLS port), a fake server at the socket path, a
// socket folder of someone else, oversized or slow bodies, odd scale amounts, control
// characters in a description, weak TLS suites.

#include "DaemonProcess.h"
#include "TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QScopeGuard>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>
#include <QtTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace TestSupport;

class TestSlipwaydSecurity : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_temp;

    // `curl` run as a process in user and PID namespaces of its own (as in a container or
    // a build), sharing the file system and the network; its exit code.
    static int curlFromASandbox(const QStringList &arguments, QByteArray *output)
    {
        const QStringList sandbox = {QStringLiteral("--unshare-user"),
                                     QStringLiteral("--unshare-pid"),
                                     QStringLiteral("--dev-bind"),
                                     QStringLiteral("/"),
                                     QStringLiteral("/"),
                                     QStringLiteral("--proc"),
                                     QStringLiteral("/proc"),
                                     QStringLiteral("--"),
                                     QStringLiteral("curl")};
        return run(QStringLiteral("bwrap"), sandbox + arguments, {}, output, 30000);
    }

    bool makeCertificate(QString *cert, QString *key)
    {
        *cert = m_temp.filePath(QStringLiteral("cert.pem"));
        *key = m_temp.filePath(QStringLiteral("key.pem"));
        if (QFile::exists(*cert))
            return true;
        return run(QStringLiteral("openssl"),
                   {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                    QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-subj"),
                    QStringLiteral("/CN=localhost"), QStringLiteral("-days"), QStringLiteral("1"),
                    QStringLiteral("-keyout"), *key, QStringLiteral("-out"), *cert}) == 0;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_temp.isValid()); }

    void apiRefusesProcessesInsideSandboxes()
    {
        if (run(QStringLiteral("bwrap"),
                {QStringLiteral("--unshare-user"), QStringLiteral("--dev-bind"),
                 QStringLiteral("/"), QStringLiteral("/"), QStringLiteral("true")}) != 0)
            QSKIP("bubblewrap cannot make a user namespace on this machine");
        QString cert;
        QString key;
        QVERIFY(makeCertificate(&cert, &key));
        const quint16 port = freePort();
        DaemonProcess daemon;
        QVERIFY2(
            daemon.start({QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                          QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"), key}),
            daemon.output().constData());

        // The user's own process is served...
        QByteArray output;
        const QStringList status = {QStringLiteral("-s"), QStringLiteral("--unix-socket"),
                                    daemon.socketPath(),
                                    QStringLiteral("http://slipway/v1/status")};
        QCOMPARE(run(QStringLiteral("curl"), status, {}, &output), 0);
        QVERIFY2(output.contains("\"router\""), output.constData());
        // ...one inside a sandbox is not, even with the socket in reach.
        output.clear();
        curlFromASandbox(status, &output);
        QVERIFY2(!output.contains("\"router\""), output.constData());

        // The TLS port: from the host a tokenless call gets its 401; from a sandbox sharing
        // the host's network (as a build does) the connection is closed first.
        const QStringList tls = {QStringLiteral("-sk"),
                                 QStringLiteral("-o"),
                                 QStringLiteral("/dev/null"),
                                 QStringLiteral("-w"),
                                 QStringLiteral("%{http_code}"),
                                 QStringLiteral("https://127.0.0.1:%1/v1/apps").arg(port)};
        output.clear();
        run(QStringLiteral("curl"), tls, {}, &output);
        QCOMPARE(output, QByteArray("401"));
        output.clear();
        curlFromASandbox(tls, &output);
        QVERIFY2(output != "401", QByteArray(output + "\n" + daemon.output()).constData());
        QTRY_VERIFY2_WITH_TIMEOUT(daemon.output().contains("inside a container or build"),
                                  daemon.output().constData(), 5000);
        daemon.terminate();
    }

    void rootIsToldItIsNotNeeded()
    {
        if (::geteuid() != 0)
            QSKIP("not running as root");
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        QVERIFY2(daemon.output().contains("running as root is not needed"),
                 daemon.output().constData());
        daemon.terminate();
    }

    void socketFolderMustBeTheUsersAlone()
    {
        // Writable by others: anyone could replace the socket.
        const QString open = m_temp.filePath(QStringLiteral("open-folder"));
        QVERIFY(QDir().mkpath(open));
        QVERIFY(::chmod(QFile::encodeName(open).constData(), 0777) == 0);
        QProcess daemon;
        daemon.setProcessChannelMode(QProcess::MergedChannels);
        daemon.start(DaemonProcess::binary(),
                     {QStringLiteral("--data-dir"), m_temp.filePath(QStringLiteral("data-open")),
                      QStringLiteral("--socket"), open + QStringLiteral("/slipwayd.sock")});
        QVERIFY(daemon.waitForFinished(30000));
        QVERIFY(daemon.exitCode() != 0);
        const QByteArray said = daemon.readAll();
        QVERIFY2(said.contains("others can write to the socket folder"), said.constData());

        if (::geteuid() != 0)
            return; // only root can give a folder to someone else
        const QString foreign = m_temp.filePath(QStringLiteral("foreign-folder"));
        QVERIFY(QDir().mkpath(foreign));
        QVERIFY(::chown(QFile::encodeName(foreign).constData(), OrdinaryUid, OrdinaryUid) == 0);
        daemon.start(DaemonProcess::binary(),
                     {QStringLiteral("--data-dir"), m_temp.filePath(QStringLiteral("data-foreign")),
                      QStringLiteral("--socket"), foreign + QStringLiteral("/slipwayd.sock")});
        QVERIFY(daemon.waitForFinished(30000));
        QVERIFY(daemon.exitCode() != 0);
        const QByteArray refused = daemon.readAll();
        QVERIFY2(refused.contains("belongs to user"), refused.constData());
    }

    void clientsSendNothingToAnotherUsersServer()
    {
        if (::geteuid() != 0)
            QSKIP("needs root to run a server as another user");
        // Another user's server at the socket path, writing down whatever it receives.
        // Where that user can reach it (the test's own folder is private to root).
        const QString folder = QDir::tempPath() + QStringLiteral("/slipway-fake-") +
                               QString::number(QCoreApplication::applicationPid());
        QDir(folder).removeRecursively();
        QVERIFY(QDir().mkpath(folder));
        const auto removeFolder = qScopeGuard([folder] { QDir(folder).removeRecursively(); });
        QVERIFY(::chown(QFile::encodeName(folder).constData(), OrdinaryUid, OrdinaryUid) == 0);
        const QString socket = folder + QStringLiteral("/slipwayd.sock");
        const QString received = folder + QStringLiteral("/received");
        QProcess server;
        server.start(QStringLiteral("setpriv"),
                     {QStringLiteral("--reuid=%1").arg(OrdinaryUid),
                      QStringLiteral("--regid=%1").arg(OrdinaryUid),
                      QStringLiteral("--clear-groups"), QStringLiteral("/usr/bin/python3"),
                      QStringLiteral("-c"),
                      QStringLiteral("import socket, sys\n"
                                     "s = socket.socket(socket.AF_UNIX)\n"
                                     "s.bind(sys.argv[1]); s.listen(5); s.settimeout(20)\n"
                                     "print('listening', flush=True)\n"
                                     "out = open(sys.argv[2], 'wb')\n"
                                     "while True:\n"
                                     "    c, _ = s.accept(); c.settimeout(2)\n"
                                     "    try:\n"
                                     "        while True:\n"
                                     "            d = c.recv(65536)\n"
                                     "            if not d: break\n"
                                     "            out.write(d); out.flush()\n"
                                     "    except Exception: pass\n"),
                      socket, received});
        // The socket file appears at bind(), before listen(): wait for the server's word.
        QVERIFY(server.waitForReadyRead(10000));
        QProcess slipctl;
        slipctl.setProcessChannelMode(QProcess::MergedChannels);
        slipctl.start(TestSupport::slipctlBinary(),
                      {QStringLiteral("--socket"), socket, QStringLiteral("git-credentials-set"),
                       QStringLiteral("git.example.com"), QStringLiteral("deploy")});
        slipctl.write("the-password\n");
        slipctl.closeWriteChannel();
        QVERIFY(slipctl.waitForFinished(30000));
        const QByteArray said = slipctl.readAll();
        QVERIFY2(slipctl.exitCode() != 0, said.constData());
        QVERIFY2(said.contains("not your slipwayd"), said.constData());
        QTest::qWait(500);
        QFile file(received);
        const QByteArray got = file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
        QVERIFY2(got.isEmpty(), got.constData());
        server.kill();
        server.waitForFinished(5000);
    }

    void bodiesAreBoundedAndNeverEchoed()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        // A JSON body of 8 MB: refused by size, not parsed, and not repeated in the answer.
        QLocalSocket socket;
        socket.connectToServer(daemon.socketPath());
        QVERIFY(socket.waitForConnected(5000));
        const QByteArray name = QByteArray(8 * 1024 * 1024, 'x');
        const QByteArray body = "{\"app\": {\"name\": \"" + name + "\"}}";
        socket.write("POST /v1/apps HTTP/1.1\r\nHost: slipway\r\nContent-Type: application/json\r\n"
                     "Content-Length: " +
                     QByteArray::number(body.size()) + "\r\n\r\n");
        socket.write(body);
        QByteArray answer;
        QElapsedTimer clock;
        clock.start();
        while (!answer.contains("\r\n\r\n{") && clock.elapsed() < 20000 &&
               socket.state() == QLocalSocket::ConnectedState) {
            socket.waitForReadyRead(200);
            answer += socket.readAll();
        }
        QVERIFY2(answer.startsWith("HTTP/1.1 413"), answer.left(300).constData());
        QVERIFY2(answer.contains("for JSON"), answer.left(300).constData());
        QVERIFY(!answer.contains("xxxxxxxxxx"));
        // Within the limit, a wrong value is named, but never repeated whole.
        int status = 0;
        const QJsonObject refused =
            daemon.call("POST", QStringLiteral("/v1/apps"),
                        QJsonObject{{QStringLiteral("app"),
                                     QJsonObject{{QStringLiteral("name"), QString(100000, u'y')}}}},
                        &status);
        QCOMPARE(status, 422);
        const QString message = refused.value(QStringLiteral("error"))
                                    .toObject()
                                    .value(QStringLiteral("message"))
                                    .toString();
        QVERIFY2(message.size() <= 300, qPrintable(message.left(400)));
        daemon.terminate();
    }

    void floodOfIdleConnectionsLeavesTheSocketAnswering()
    {
        QString cert;
        QString key;
        QVERIFY(makeCertificate(&cert, &key));
        // This test holds many connections itself.
        rlimit own{};
        QVERIFY(::getrlimit(RLIMIT_NOFILE, &own) == 0);
        if (own.rlim_max != RLIM_INFINITY && own.rlim_max < 4096)
            QSKIP("the open-file limit of this machine is too low for this test");
        own.rlim_cur = own.rlim_max;
        QVERIFY(::setrlimit(RLIMIT_NOFILE, &own) == 0);
        // The daemon starts with the usual soft limit of 1024.
        const quint16 port = freePort();
        const QString socket = m_temp.filePath(QStringLiteral("flood/slipwayd.sock"));
        QProcess daemon;
        daemon.setProcessChannelMode(QProcess::MergedChannels);
        daemon.setChildProcessModifier([] {
            rlimit usual{};
            ::getrlimit(RLIMIT_NOFILE, &usual);
            usual.rlim_cur = 1024;
            ::setrlimit(RLIMIT_NOFILE, &usual);
        });
        daemon.start(DaemonProcess::binary(),
                     {QStringLiteral("--data-dir"), m_temp.filePath(QStringLiteral("flood-data")),
                      QStringLiteral("--socket"), socket, QStringLiteral("--listen"),
                      QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("--tls-cert"), cert,
                      QStringLiteral("--tls-key"), key});
        QByteArray said;
        QTRY_VERIFY_WITH_TIMEOUT((said += daemon.readAll()).contains("ready"), 30000);
        std::vector<int> idle;
        const auto closeAll = qScopeGuard([&idle] {
            for (const int fd : idle)
                ::close(fd);
        });
        for (int i = 0; i < 1100; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            QVERIFY(fd >= 0);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_port = htons(port);
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address);
            idle.push_back(fd);
        }
        QTest::qWait(1000);
        QByteArray output;
        const int code = run(QStringLiteral("curl"),
                             {QStringLiteral("-s"), QStringLiteral("-m"), QStringLiteral("10"),
                              QStringLiteral("--unix-socket"), socket,
                              QStringLiteral("http://slipway/v1/status")},
                             {}, &output, 20000);
        QVERIFY2(code == 0 && output.contains("\"router\""), output.constData());
        daemon.terminate();
        daemon.waitForFinished(60000);
    }

    void scaleTakesWholeNumbersOnly()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        int status = 0;
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    QJsonObject{{QStringLiteral("app"),
                                 QJsonObject{{QStringLiteral("name"), QStringLiteral("scaler")}}}},
                    &status);
        QCOMPARE(status, 201);
        for (const double amount : {1.5, 1e308, -1.0}) {
            const QJsonObject body{
                {QStringLiteral("containers"),
                 QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("web")},
                                        {QStringLiteral("amount"), amount}}}}};
            const QJsonObject answer =
                daemon.call("POST", QStringLiteral("/v1/apps/scaler/scale"), body, &status);
            QVERIFY2(status == 422,
                     qPrintable(QStringLiteral("%1 gave %2: %3")
                                    .arg(amount)
                                    .arg(status)
                                    .arg(QString::fromUtf8(QJsonDocument(answer).toJson()))));
        }
        daemon.terminate();
    }

    void descriptionLosesControlCharacters()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        int status = 0;
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    QJsonObject{{QStringLiteral("app"),
                                 QJsonObject{{QStringLiteral("name"), QStringLiteral("painter")}}}},
                    &status);
        QCOMPARE(status, 201);
        const QJsonObject body{{QStringLiteral("deployment"),
                                QJsonObject{{QStringLiteral("source_url"),
                                             dataPath(QStringLiteral("fixtures/behave"))}}}};
        const QJsonObject answer = daemon.call(
            "POST",
            QStringLiteral(
                "/v1/apps/painter/deployments?description=%1B%5B31mred%07%1B%5D0%3Btitle"),
            body, &status);
        QCOMPARE(status, 201);
        // The description is what listings show as the deployment's source.
        const QString description = answer.value(QStringLiteral("deployment"))
                                        .toObject()
                                        .value(QStringLiteral("source"))
                                        .toString();
        QVERIFY2(!description.isEmpty(),
                 qPrintable(QString::fromUtf8(QJsonDocument(answer).toJson())));
        for (const QChar c : description)
            QVERIFY2(c.category() != QChar::Other_Control, qPrintable(description));
        QVERIFY2(description.contains(QStringLiteral("red")), qPrintable(description));
        daemon.waitDeployment(QStringLiteral("painter"), answer.value(QStringLiteral("deployment"))
                                                             .toObject()
                                                             .value(QStringLiteral("id"))
                                                             .toString());
        daemon.terminate();
    }

    void tlsOffersOnlyForwardSecretAeadSuites()
    {
        if (!QSslSocket::supportsSsl())
            QSKIP("Qt has no TLS backend here");
        QString cert;
        QString key;
        QVERIFY(makeCertificate(&cert, &key));
        const quint16 port = freePort();
        DaemonProcess daemon;
        QVERIFY2(
            daemon.start({QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                          QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"), key}),
            daemon.output().constData());
        const auto handshake = [port](const QString &cipher) {
            QSslSocket socket;
            QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
            configuration.setProtocol(QSsl::TlsV1_2);
            configuration.setCiphers(cipher);
            configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
            socket.setSslConfiguration(configuration);
            socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
            return socket.waitForEncrypted(5000);
        };
        QVERIFY(handshake(QStringLiteral("ECDHE-RSA-AES128-GCM-SHA256")));
        for (const char *weak : {"AES128-SHA256", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA",
                                 "ECDHE-RSA-AES256-SHA384"})
            QVERIFY2(!handshake(QLatin1String(weak)), weak);
        daemon.terminate();
    }

    void holdsForAnOrdinaryUserToo()
    {
        if (::geteuid() != 0 || runningAsRerun())
            QSKIP("already running as an ordinary user");
        QByteArray output;
        const int code = rerunAsOrdinaryUser({QStringLiteral("apiRefusesProcessesInsideSandboxes"),
                                              QStringLiteral("socketFolderMustBeTheUsersAlone")},
                                             &output);
        if (code == Unreachable)
            QSKIP("an ordinary user cannot reach this build or source folder (a parent folder "
                  "is private); build under a folder others may enter to run this part");
        QVERIFY2(code == 0, output.constData());
    }
};

QTEST_GUILESS_MAIN(TestSlipwaydSecurity)
#include "tst_slipwayd_security.moc"
