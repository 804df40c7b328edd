#pragma once

#include "api/ApiClient.h"

#include <QJsonObject>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

// A slipwayd started for one test, with its own data folder and socket, used only through
// its API like any client would.
class DaemonProcess
{
public:
    explicit DaemonProcess(QString dataDirectory = {});
    ~DaemonProcess();

    bool start(const QStringList &extraArguments = {}, int timeoutMs = 30000);
    void terminate(int timeoutMs = 60000); // SIGTERM, as a user stopping it
    void killHard();                       // SIGKILL, as a crash
    qint64 pid() const { return m_process.processId(); }
    QByteArray output();

    QString socketPath() const { return m_socket; }
    QString dataDirectory() const { return m_data; }
    Slipway::ApiClient client() const { return Slipway::ApiClient::unixSocket(m_socket); }

    // A request whose JSON answer is returned; status in *status.
    QJsonObject call(const QByteArray &method, const QString &path, const QJsonObject &body = {},
                     int *status = nullptr, int timeoutMs = 60000);
    quint16 routerPort();
    // Waits for a deployment to end and returns its final status.
    QString waitDeployment(const QString &app, const QString &id, int timeoutMs = 120000);

    static QString binary();

private:
    QTemporaryDir m_temp;
    QString m_data;
    QString m_socket;
    QProcess m_process;
    QByteArray m_output;
};
