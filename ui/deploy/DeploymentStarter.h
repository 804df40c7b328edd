#pragma once

#include "client/ApiResult.h"
#include "source/SourceSelection.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>

namespace Slipway {

class DaemonClient;
class UploadJob;

// Starts a deployment of a source: a folder, a git URL or a remote archive is named to the
// daemon, which fetches it; an archive or .jar/.war on this machine is uploaded, with
// progress. One start at a time.
class DeploymentStarter : public QObject
{
    Q_OBJECT

public:
    explicit DeploymentStarter(DaemonClient *client, QObject *parent = nullptr);

    bool isBusy() const { return m_busy; }
    // `queue`: false asks the daemon to refuse (409) when the app is busy.
    void start(const QString &app, const SourceSelection &source, bool queue = true);
    // Stops an upload still on its way. False when there is nothing it can stop: no start,
    // or a request the daemon already has (it answers with the deployment it made).
    bool cancel();

Q_SIGNALS:
    void uploadProgress(qint64 sent, qint64 total, double bytesPerSecond);
    void started(const QString &app, const QJsonObject &deployment);
    void failed(const QString &app, const QString &message);

private:
    void done(const QString &app, const ApiResult &result);

    DaemonClient *m_client;
    QPointer<UploadJob> m_upload;
    bool m_busy = false;
};

} // namespace Slipway
