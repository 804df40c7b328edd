#pragma once

#include "rollout/RolloutState.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Slipway {

// A deployment as the console knows it: the API's deployment JSON, its timeline events
// (all at once from GET /v1/apps/{app}/deployments/{id}, or one by one from /v1/events) and
// its log (/output). snapshotAt() turns them into the RolloutState at any offset, so a live
// view and a replay of a finished deployment are computed the same way.
//
// Events recorded before the timeline carried `data` (`data: {}`) still give a picture:
// the kind, container, offset and text are enough to infer the steps and the containers.
class RolloutTimeline
{
public:
    // Starts over with `deployment` (id, status, error, release_version, previous_release,
    // waiting_for, created_at, finished_at and, when present, `timeline`). Returns false
    // with `error` set when it is not a deployment object.
    bool setDeployment(const QJsonObject &deployment, QString *error = nullptr);
    // The same deployment read again (its status, error, release or end changed): the
    // events and log lines known so far stay.
    void updateDeployment(const QJsonObject &deployment);
    // A `{"type": "deployment"}` event of /v1/events.
    void setStatus(const QString &status, const QString &error = {});
    // One timeline event; an event already known (same offset, kind, container and text) is
    // ignored, so a live stream and a fetched timeline may overlap. Returns false with
    // `error` set, and keeps nothing, when the event lacks its kind or offset.
    bool appendEvent(const QJsonObject &event, QString *error = nullptr);
    // Appends each; returns how many were rejected, with the first reason in `error`.
    int appendEvents(const QJsonArray &events, QString *error = nullptr);
    void setLog(const QStringList &lines);
    void appendLogLine(const QString &line);
    void clear();

    const QString &id() const { return m_id; }
    const QString &status() const { return m_status; }
    const QString &error() const { return m_error; }
    bool isFinished() const;
    QDateTime createdAt() const { return m_createdAt; }
    QDateTime finishedAt() const { return m_finishedAt; }
    int eventCount() const { return int(m_events.size()); }
    qint64 lastEventOffset() const;
    // Where a replay ends: the last event or the end of the deployment, whichever is later
    // (old containers may still be draining after the status became `success`).
    qint64 endOffset() const;
    // The deployment's own duration: finished_at - created_at, or -1 while it runs.
    qint64 durationMs() const;
    // A container's own output lines from the deployment log, oldest first.
    QStringList outputOf(const QString &container) const;

    RolloutState snapshotAt(qint64 offsetMs) const;

    // One timeline event as received; `data` is {} for deployments recorded before it.
    struct Event
    {
        qint64 offset = 0;
        QDateTime time;
        QString kind;
        QString container;
        QString text;
        QJsonObject data;
    };
    // By offset, in arrival order for equal offsets.
    const QList<Event> &events() const { return m_events; }
    int release() const { return m_release; }
    std::optional<int> previousRelease() const { return m_previousRelease; }
    const QString &waitingFor() const { return m_waitingFor; }
    // The boot timeout the log announced ("… (boot timeout 60 s)"), or -1.
    qint64 bootTimeoutFromLog() const { return m_logBootTimeoutMs; }

private:
    void readLogLine(const QString &line);

    QString m_id;
    QString m_status = QStringLiteral("queued");
    QString m_error;
    QString m_waitingFor;
    int m_release = 0;
    std::optional<int> m_previousRelease;
    QDateTime m_createdAt;
    QDateTime m_finishedAt;
    QList<Event> m_events;

    // From the deployment log.
    QHash<QString, QStringList> m_output;
    bool m_inRollout = false;
    qint64 m_logBootTimeoutMs = -1;
};

} // namespace Slipway
