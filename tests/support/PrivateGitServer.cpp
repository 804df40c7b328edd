#include "PrivateGitServer.h"

#include "TestSupport.h"

#include <QElapsedTimer>
#include <QProcessEnvironment>

PrivateGitServer::PrivateGitServer(const QString &directory, const QByteArray &credential,
                                   int delayMs)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("SLIPWAY_TEST_DELAY_MS"), QString::number(delayMs));
    m_process.setProcessEnvironment(environment);
    m_process.start(
        QStringLiteral("python3"),
        {TestSupport::dataPath(QStringLiteral("fixtures/private_git_server.py")), directory});
    if (!m_process.waitForStarted(10000))
        return;
    // On stdin, so the expected password never shows in a process listing.
    m_process.write(credential + '\n');
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 15000 && !m_process.canReadLine() &&
           m_process.state() == QProcess::Running)
        m_process.waitForReadyRead(200);
    const QByteArray line = m_process.readLine().trimmed();
    if (line.startsWith("port "))
        m_port = line.mid(5).toUShort();
}

PrivateGitServer::~PrivateGitServer()
{
    m_process.kill();
    m_process.waitForFinished(5000);
}

QString PrivateGitServer::url(const QString &path) const
{
    return QStringLiteral("http://127.0.0.1:%1/%2").arg(m_port).arg(path);
}

QByteArray PrivateGitServer::log()
{
    m_process.waitForReadyRead(50);
    return m_process.readAllStandardError();
}

bool PrivateGitServer::publish(const QString &work, const QString &servedDirectory,
                               const QString &name)
{
    const QString bare = servedDirectory + u'/' + name + QStringLiteral(".git");
    return TestSupport::run(QStringLiteral("git"), {QStringLiteral("clone"), QStringLiteral("-q"),
                                                    QStringLiteral("--bare"), work, bare}) == 0;
}
