#pragma once

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <memory>

// Helpers shared by the tests: real processes and loopback sockets, never mocks of the
// engine's own parts.
namespace TestSupport {

QString dataPath(const QString &relative); // tests/data/<relative>
QString resourcesPath(const QString &relative);

quint16 freePort();

// The programs under test: $SLIPWAYD / $SLIPCTL when set, else the ones built with the tests.
QString slipwaydBinary();
QString slipctlBinary();

struct HttpResponse
{
    int status = 0; // 0: no answer
    QByteArray body;
    QString error;
};
// GET on loopback with a bounded wait.
HttpResponse httpGet(const QString &url, int timeoutMs = 5000);
// GET http://127.0.0.1:<routerPort><path> with "Host: <app>.localhost", as a browser
// reaching http://<app>.localhost:<routerPort>/ sends it.
HttpResponse routedGet(quint16 routerPort, const QString &app,
                       const QString &path = QStringLiteral("/"), int timeoutMs = 5000);

// Runs a command to completion (bounded) and returns its exit code; output into `output`.
int run(const QString &program, const QStringList &arguments, const QString &workingDirectory = {},
        QByteArray *output = nullptr, int timeoutMs = 120000,
        const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());

// Copies a folder tree (cp -a).
bool copyTree(const QString &from, const QString &to);

// Makes a git repository of `directory` with one commit (test identity, no global config).
bool gitInitCommit(const QString &directory, const QString &message = QStringLiteral("initial"));
QString gitHead(const QString &directory);

// Serves a folder over HTTP on loopback (python3 -m http.server) until destroyed. With
// `bytesPerSecond`, every body goes out that slowly, in pieces
// (tests/data/fixtures/slow_http_server.py), for tests that watch a long download.
class StaticHttpServer
{
public:
    explicit StaticHttpServer(const QString &directory, int bytesPerSecond = 0);
    ~StaticHttpServer();
    bool isReady() const { return m_ready; }
    QString url(const QString &path) const;

private:
    QProcess m_process;
    quint16 m_port = 0;
    bool m_ready = false;
};

// A web process started from an unpacked slug the way the runtime starts containers:
// HOME=app folder, bash sources .profile.d/*.sh then .profile, then runs the command.
class SlugProcess
{
public:
    SlugProcess(const QString &slugPath, const QString &unpackInto, const QString &command);
    ~SlugProcess();
    bool unpacked() const { return m_unpacked; }
    // Waits until GET / answers 200 (or the process dies, or the time is up).
    HttpResponse waitForHttp(int timeoutMs = 60000);
    QByteArray output();
    quint16 port() const { return m_port; }

private:
    QProcess m_process;
    QString m_directory;
    quint16 m_port = 0;
    bool m_unpacked = false;
};

// Pids of live processes whose command line contains `marker` (a token a test puts on
// the processes it starts so it can check none is left).
QList<qint64> processesWithMarker(const QByteArray &marker);

} // namespace TestSupport

namespace TestSupport {

// Isolation must hold for a daemon run by root and by an ordinary user alike. A test run as
// root calls this to run the given test functions of its own executable again as a
// throwaway ordinary user (setpriv to uid OrdinaryUid, a fresh HOME), and gets its exit
// code (-1 when it could not start, Unreachable when that user cannot reach the build or
// source folder, so the test can only be skipped) and output.
constexpr uint OrdinaryUid = 64123;
constexpr int Unreachable = -2;
bool runningAsRerun();
int rerunAsOrdinaryUser(const QStringList &testFunctions, QByteArray *output);

} // namespace TestSupport
