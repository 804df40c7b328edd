#include "DaemonProcess.h"

#include "TestSupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <csignal>

DaemonProcess::DaemonProcess(QString dataDirectory)
    : m_data(dataDirectory.isEmpty() ? m_temp.filePath(QStringLiteral("data"))
                                     : std::move(dataDirectory))
    , m_socket(m_temp.filePath(QStringLiteral("run/slipwayd.sock")))
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
}

DaemonProcess::~DaemonProcess()
{
    if (m_process.state() != QProcess::NotRunning)
        terminate();
}

QString DaemonProcess::binary()
{
    return TestSupport::slipwaydBinary();
}

bool DaemonProcess::start(const QStringList &extraArguments, int timeoutMs)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("XDG_DATA_HOME"),
                       m_temp.filePath(QStringLiteral("xdg-data")));
    environment.insert(QStringLiteral("XDG_CACHE_HOME"),
                       m_temp.filePath(QStringLiteral("xdg-cache")));
    m_process.setProcessEnvironment(environment);
    if (!QFileInfo(binary()).isExecutable()) {
        m_output = "no slipwayd to start at \"" + QFile::encodeName(binary()) +
                   "\": build it, or name one with SLIPWAYD=\n";
        return false;
    }
    m_process.start(binary(), QStringList{QStringLiteral("--data-dir"), m_data,
                                          QStringLiteral("--socket"), m_socket} +
                                  extraArguments);
    if (!m_process.waitForStarted(10000))
        return false;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        m_output += m_process.readAll();
        if (m_output.contains("ready: API on"))
            return true;
        if (m_process.state() == QProcess::NotRunning)
            return false;
        QTest::qWait(50);
    }
    return false;
}

QByteArray DaemonProcess::output()
{
    m_output += m_process.readAll();
    return m_output;
}

void DaemonProcess::terminate(int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    ::kill(pid_t(m_process.processId()), SIGTERM);
    if (!m_process.waitForFinished(timeoutMs)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    m_output += m_process.readAll();
}

void DaemonProcess::killHard()
{
    ::kill(pid_t(m_process.processId()), SIGKILL);
    m_process.waitForFinished(10000);
}

QJsonObject DaemonProcess::call(const QByteArray &method, const QString &path,
                                const QJsonObject &body, int *status, int timeoutMs)
{
    Slipway::ApiClient api = client();
    const QByteArray payload =
        body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact);
    const Slipway::Result<Slipway::ApiReply> reply =
        api.request(method, path, payload, "application/json", timeoutMs);
    if (!reply) {
        if (status)
            *status = 0;
        return {{QStringLiteral("transport_error"), reply.error().message}};
    }
    if (status)
        *status = reply->status;
    return reply->json().object();
}

quint16 DaemonProcess::routerPort()
{
    return quint16(call("GET", QStringLiteral("/v1/status"))
                       .value(QStringLiteral("router"))
                       .toObject()
                       .value(QStringLiteral("port"))
                       .toInt());
}

QString DaemonProcess::waitDeployment(const QString &app, const QString &id, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    QString status;
    while (timer.elapsed() < timeoutMs) {
        status = call("GET", QStringLiteral("/v1/apps/%1/deployments/%2").arg(app, id))
                     .value(QStringLiteral("deployment"))
                     .toObject()
                     .value(QStringLiteral("status"))
                     .toString();
        if (status != QLatin1String("queued") && status != QLatin1String("building") &&
            status != QLatin1String("pushing") && status != QLatin1String("starting") &&
            !status.isEmpty())
            return status;
        QTest::qWait(100);
    }
    return status;
}
