#include "TestSupport.h"

#include "TestConfig.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTcpServer>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <csignal>
#include <sys/types.h>
#include <unistd.h>

namespace TestSupport {

QString dataPath(const QString &relative)
{
    return QStringLiteral(SLIPWAY_TEST_DATA_DIR "/") + relative;
}

QString resourcesPath(const QString &relative)
{
    return QStringLiteral(SLIPWAY_RESOURCES_DIR "/") + relative;
}

QString slipwaydBinary()
{
    const QString named = qEnvironmentVariable("SLIPWAYD");
    return named.isEmpty() ? QStringLiteral(SLIPWAY_BUILT_SLIPWAYD) : named;
}

QString slipctlBinary()
{
    const QString named = qEnvironmentVariable("SLIPCTL");
    return named.isEmpty() ? QStringLiteral(SLIPWAY_BUILT_SLIPCTL) : named;
}

quint16 freePort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();
}

namespace {

HttpResponse fetch(QNetworkRequest request, int timeoutMs)
{
    QNetworkAccessManager manager;
    request.setTransferTimeout(timeoutMs);
    QNetworkReply *reply = manager.get(request);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs + 1000, &loop, &QEventLoop::quit);
    loop.exec();
    HttpResponse response;
    if (!reply->isFinished()) {
        reply->abort();
        response.error = QStringLiteral("timed out");
    } else {
        response.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        response.body = reply->readAll();
        if (reply->error() != QNetworkReply::NoError)
            response.error = reply->errorString();
    }
    reply->deleteLater();
    return response;
}

} // namespace

HttpResponse httpGet(const QString &url, int timeoutMs)
{
    return fetch(QNetworkRequest(QUrl(url)), timeoutMs);
}

HttpResponse routedGet(quint16 routerPort, const QString &app, const QString &path, int timeoutMs)
{
    QNetworkRequest request(
        QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(routerPort).arg(path)));
    request.setRawHeader("Host", app.toUtf8() + ".localhost:" + QByteArray::number(routerPort));
    return fetch(request, timeoutMs);
}

int run(const QString &program, const QStringList &arguments, const QString &workingDirectory,
        QByteArray *output, int timeoutMs, const QProcessEnvironment &environment)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.setProcessChannelMode(QProcess::MergedChannels);
    if (!workingDirectory.isEmpty())
        process.setWorkingDirectory(workingDirectory);
    process.start(program, arguments);
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        if (output)
            *output = process.readAll() + "\n[timed out]";
        return -1;
    }
    if (output)
        *output = process.readAll();
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

bool copyTree(const QString &from, const QString &to)
{
    QDir().mkpath(to);
    return run(QStringLiteral("cp"), {QStringLiteral("-a"), from + QStringLiteral("/."), to}) == 0;
}

bool gitInitCommit(const QString &directory, const QString &message)
{
    const QStringList identity = {
        QStringLiteral("-c"), QStringLiteral("user.name=Slipway Tests"),
        QStringLiteral("-c"), QStringLiteral("user.email=tests@slipway.invalid"),
        QStringLiteral("-c"), QStringLiteral("commit.gpgsign=false")};
    if (run(QStringLiteral("git"), {QStringLiteral("init"), QStringLiteral("-q"),
                                    QStringLiteral("-b"), QStringLiteral("main"), directory}) != 0)
        return false;
    if (run(QStringLiteral("git"),
            {QStringLiteral("-C"), directory, QStringLiteral("add"), QStringLiteral("-A")}) != 0)
        return false;
    return run(QStringLiteral("git"),
               identity + QStringList{QStringLiteral("-C"), directory, QStringLiteral("commit"),
                                      QStringLiteral("-q"), QStringLiteral("-m"), message}) == 0;
}

QString gitHead(const QString &directory)
{
    QByteArray output;
    run(QStringLiteral("git"),
        {QStringLiteral("-C"), directory, QStringLiteral("rev-parse"), QStringLiteral("HEAD")}, {},
        &output);
    return QString::fromUtf8(output).trimmed();
}

StaticHttpServer::StaticHttpServer(const QString &directory, int bytesPerSecond)
{
    m_port = freePort();
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    if (bytesPerSecond > 0)
        m_process.start(QStringLiteral("python3"),
                        {dataPath(QStringLiteral("fixtures/slow_http_server.py")),
                         QString::number(m_port), directory, QString::number(bytesPerSecond)});
    else
        m_process.start(QStringLiteral("python3"),
                        {QStringLiteral("-m"), QStringLiteral("http.server"),
                         QString::number(m_port), QStringLiteral("--bind"),
                         QStringLiteral("127.0.0.1"), QStringLiteral("--directory"), directory});
    m_process.waitForStarted(10000);
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 15000 && m_process.state() == QProcess::Running) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_port);
        if (socket.waitForConnected(200)) {
            m_ready = true;
            return;
        }
        QThread::msleep(50);
    }
}

StaticHttpServer::~StaticHttpServer()
{
    m_process.kill();
    m_process.waitForFinished();
}

QString StaticHttpServer::url(const QString &path) const
{
    return QStringLiteral("http://127.0.0.1:%1/%2").arg(m_port).arg(path);
}

SlugProcess::SlugProcess(const QString &slugPath, const QString &unpackInto, const QString &command)
    : m_directory(unpackInto)
{
    QDir().mkpath(unpackInto);
    // The system tar, not ours: the slug must be a standard archive.
    m_unpacked = run(QStringLiteral("tar"),
                     {QStringLiteral("-xzf"), slugPath, QStringLiteral("-C"), unpackInto}) == 0;
    if (!m_unpacked)
        return;
    m_port = freePort();
    QProcessEnvironment environment;
    environment.insert(
        QStringLiteral("PATH"),
        QStringLiteral("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    environment.insert(QStringLiteral("HOME"), unpackInto);
    environment.insert(QStringLiteral("PORT"), QString::number(m_port));
    environment.insert(QStringLiteral("TMPDIR"), QDir::tempPath());
    environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    m_process.setProcessEnvironment(environment);
    m_process.setWorkingDirectory(unpackInto);
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.setChildProcessModifier([] { ::setsid(); });
    m_process.start(QStringLiteral("bash"),
                    {QStringLiteral("-c"),
                     QStringLiteral("for f in .profile.d/*.sh; do [ -r \"$f\" ] && . \"$f\"; done; "
                                    "[ -r .profile ] && . ./.profile; exec bash -c \"$0\""),
                     command});
}

SlugProcess::~SlugProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        ::kill(-pid_t(m_process.processId()), SIGKILL);
        m_process.waitForFinished(5000);
    }
}

HttpResponse SlugProcess::waitForHttp(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    HttpResponse last;
    while (timer.elapsed() < timeoutMs) {
        if (m_process.state() == QProcess::NotRunning) {
            last.error = QStringLiteral("the web process exited: ") + QString::fromUtf8(output());
            return last;
        }
        last = httpGet(QStringLiteral("http://127.0.0.1:%1/").arg(m_port), 3000);
        if (last.status == 200)
            return last;
        QTest::qWait(100);
    }
    last.error += QStringLiteral(" (no 200 in time) ") + QString::fromUtf8(output());
    return last;
}

QByteArray SlugProcess::output()
{
    return m_process.readAll();
}

QList<qint64> processesWithMarker(const QByteArray &marker)
{
    QList<qint64> found;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool ok = false;
        const qint64 pid = entry.toLongLong(&ok);
        if (!ok)
            continue;
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (!cmdline.open(QIODevice::ReadOnly))
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        stat.open(QIODevice::ReadOnly);
        const QByteArray statLine = stat.readAll();
        const qsizetype close = statLine.lastIndexOf(')');
        if (close > 0 && statLine.size() > close + 2 && statLine.at(close + 2) == 'Z')
            continue;
        if (cmdline.readAll().contains(marker))
            found.append(pid);
    }
    return found;
}

} // namespace TestSupport

namespace TestSupport {

bool runningAsRerun()
{
    return qEnvironmentVariableIsSet("SLIPWAY_TEST_ORDINARY_USER");
}

int rerunAsOrdinaryUser(const QStringList &testFunctions, QByteArray *output)
{
    const QString home = QDir::tempPath() + QStringLiteral("/slipway-ordinary-") +
                         QString::number(QCoreApplication::applicationPid());
    QDir(home).removeRecursively();
    if (!QDir().mkpath(home) ||
        ::chown(QFile::encodeName(home).constData(), OrdinaryUid, OrdinaryUid) != 0)
        return -1;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("HOME"), home);
    environment.insert(QStringLiteral("SLIPWAY_TEST_ORDINARY_USER"), QStringLiteral("1"));
    environment.remove(QStringLiteral("XDG_RUNTIME_DIR"));
    environment.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    const QStringList becomeUser = {QStringLiteral("--reuid=%1").arg(OrdinaryUid),
                                    QStringLiteral("--regid=%1").arg(OrdinaryUid),
                                    QStringLiteral("--clear-groups")};
    // A build folder under a private home cannot be reached by that user at all.
    if (run(QStringLiteral("setpriv"),
            becomeUser + QStringList{QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                                     QStringLiteral("test -x \"$0\" && test -r \"$1\""),
                                     QCoreApplication::applicationFilePath(),
                                     dataPath(QStringLiteral("fixtures"))},
            home, nullptr, 30000, environment) != 0) {
        QDir(home).removeRecursively();
        return Unreachable;
    }
    const QStringList arguments =
        becomeUser + QStringList{QCoreApplication::applicationFilePath()} + testFunctions;
    const int code = run(QStringLiteral("setpriv"), arguments, home, output, 600000, environment);
    QDir(home).removeRecursively();
    return code;
}

} // namespace TestSupport
