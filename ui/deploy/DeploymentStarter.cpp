#include "deploy/DeploymentStarter.h"

#include "client/DaemonClient.h"
#include "client/UploadJob.h"

#include <QFileInfo>
#include <QUrl>

namespace Slipway {

DeploymentStarter::DeploymentStarter(DaemonClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{}

void DeploymentStarter::start(const QString &app, const SourceSelection &source, bool queue)
{
    if (m_busy)
        return;
    if (!source.isValid()) {
        Q_EMIT failed(app, QStringLiteral("Choose a source first: a folder, a git URL, an "
                                          "archive or a .jar/.war."));
        return;
    }
    m_busy = true;
    const QString queueParameter = queue ? QString() : QStringLiteral("queue=false");
    if (source.isUpload()) {
        const QFileInfo file(source.location);
        if (!file.isFile() || !file.isReadable()) {
            m_busy = false;
            Q_EMIT failed(app, QStringLiteral("Cannot read %1: check that the file exists and "
                                              "that you may read it.")
                                   .arg(source.location));
            return;
        }
        QString path = QStringLiteral("/v1/apps/%1/deployments?filename=%2")
                           .arg(app, QString::fromLatin1(QUrl::toPercentEncoding(file.fileName())));
        if (!queueParameter.isEmpty())
            path += QLatin1Char('&') + queueParameter;
        UploadJob *job = m_client->upload(path, source.location);
        m_upload = job;
        connect(job, &UploadJob::progress, this, &DeploymentStarter::uploadProgress);
        connect(job, &UploadJob::finished, this,
                [this, app](const ApiResult &result) { done(app, result); });
        return;
    }
    QJsonObject deployment{{QStringLiteral("source_url"), source.location}};
    if (!source.ref.isEmpty())
        deployment.insert(QStringLiteral("git_ref"), source.ref);
    QString path = QStringLiteral("/v1/apps/%1/deployments").arg(app);
    if (!queueParameter.isEmpty())
        path += QLatin1Char('?') + queueParameter;
    m_client->send("POST", path, QJsonObject{{QStringLiteral("deployment"), deployment}}, this,
                   [this, app](const ApiResult &result) { done(app, result); });
}

bool DeploymentStarter::cancel()
{
    return m_busy && m_upload && m_upload->cancel();
}

void DeploymentStarter::done(const QString &app, const ApiResult &result)
{
    m_busy = false;
    if (!result.ok()) {
        Q_EMIT failed(app, result.message());
        return;
    }
    Q_EMIT started(app, result.object(QStringLiteral("deployment")));
}

} // namespace Slipway
