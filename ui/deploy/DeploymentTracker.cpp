#include "deploy/DeploymentTracker.h"

#include "client/ByteStream.h"
#include "client/DaemonClient.h"
#include "style/StatusStyle.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Slipway {

DeploymentTracker::DeploymentTracker(DaemonClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{
    connect(client, &DaemonClient::event, this, &DeploymentTracker::onEvent);
    connect(client, &DaemonClient::resynced, this, [this] {
        // Whatever happened while the daemon was away is read again, from the start.
        if (!m_id.isEmpty() && !(m_loaded && isFinished() && m_logComplete))
            track(m_app, m_id);
    });
}

QString DeploymentTracker::status() const
{
    return m_deployment.value(QStringLiteral("status")).toString();
}

bool DeploymentTracker::isFinished() const
{
    return StatusStyle::isFinal(status());
}

QString DeploymentTracker::keyOf(const QJsonObject &event)
{
    return QString::number(event.value(QStringLiteral("offset_ms")).toDouble(), 'f', 0) +
           QLatin1Char('|') + event.value(QStringLiteral("kind")).toString() + QLatin1Char('|') +
           event.value(QStringLiteral("container")).toString() + QLatin1Char('|') +
           event.value(QStringLiteral("text")).toString();
}

void DeploymentTracker::track(const QString &app, const QString &id)
{
    ++m_generation;
    if (m_log) {
        m_log->disconnect(this);
        m_log->deleteLater(); // ends the stream
    }
    m_app = app;
    m_id = id;
    m_deployment = {};
    m_timeline.clear();
    m_seen.clear();
    m_early.clear();
    m_loaded = false;
    m_finishedSignalled = false;
    m_logBytes = 0;
    m_logComplete = false;
    Q_EMIT reset();
    if (id.isEmpty())
        return;
    // The log and the deployment are read side by side: a followed output gives the whole
    // log of a deployment that has ended too, so the stream need not wait for the status.
    streamLog();
    load();
}

void DeploymentTracker::load()
{
    const int generation = m_generation;
    m_client->get(
        QStringLiteral("/v1/apps/%1/deployments/%2").arg(m_app, m_id), this,
        [this, generation](const ApiResult &result) {
            if (generation != m_generation)
                return;
            if (!result.ok()) {
                // The stream of events keeps the view current; a later resync reads again.
                if (!m_loaded)
                    Q_EMIT logEnded(QStringLiteral("Could not read deployment %1: %2")
                                        .arg(m_id, result.message()));
                return;
            }
            const QJsonObject deployment = result.object(QStringLiteral("deployment"));
            const QString before = status();
            m_deployment = deployment;
            m_deployment.remove(QStringLiteral("timeline"));
            m_loaded = true;
            Q_EMIT deploymentChanged(m_deployment);
            for (const QJsonValue &value : deployment.value(QStringLiteral("timeline")).toArray())
                addEvent(value.toObject());
            const QList<QJsonObject> early = std::exchange(m_early, {});
            for (const QJsonObject &event : early)
                addEvent(event);
            if (before != status())
                Q_EMIT statusChanged(status(),
                                     m_deployment.value(QStringLiteral("error")).toString());
            if (isFinished() && !m_finishedSignalled) {
                m_finishedSignalled = true;
                Q_EMIT finished(status());
            }
        });
}

void DeploymentTracker::streamLog()
{
    const int generation = m_generation;
    const QString path =
        QStringLiteral("/v1/apps/%1/deployments/%2/output?follow=true").arg(m_app, m_id);
    ByteStream *stream = m_client->stream(path);
    m_log = stream;
    connect(stream, &ByteStream::received, this, [this, generation](const QByteArray &bytes) {
        if (generation != m_generation)
            return;
        m_logBytes += bytes.size();
        Q_EMIT logData(bytes);
    });
    connect(stream, &ByteStream::ended, this, [this, generation](const QString &error) {
        if (generation != m_generation)
            return;
        m_logComplete = error.isEmpty();
        Q_EMIT logEnded(error);
    });
}

void DeploymentTracker::addEvent(const QJsonObject &event)
{
    const QString key = keyOf(event);
    if (m_seen.contains(key))
        return;
    m_seen.insert(key);
    m_timeline.append(event);
    Q_EMIT timelineEvent(event);
}

void DeploymentTracker::onEvent(const QJsonObject &event)
{
    if (m_id.isEmpty() || event.value(QStringLiteral("id")).toString() != m_id)
        return;
    const QString type = event.value(QStringLiteral("type")).toString();
    if (type == QLatin1String("timeline")) {
        const QJsonObject timelineEvent = event.value(QStringLiteral("event")).toObject();
        if (!m_loaded)
            m_early.append(timelineEvent);
        else
            addEvent(timelineEvent);
    } else if (type == QLatin1String("deployment")) {
        const QString newStatus = event.value(QStringLiteral("status")).toString();
        if (!m_loaded || newStatus == status())
            return;
        m_deployment.insert(QStringLiteral("status"), newStatus);
        m_deployment.insert(QStringLiteral("error"), event.value(QStringLiteral("error")));
        Q_EMIT deploymentChanged(m_deployment);
        Q_EMIT statusChanged(newStatus, event.value(QStringLiteral("error")).toString());
        // The end (or a new stage) brings fields the event does not carry: read them.
        load();
    } else if (type == QLatin1String("progress")) {
        Q_EMIT fetchProgress(event);
    }
}

} // namespace Slipway
