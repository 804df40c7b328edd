#pragma once

#include "rollout/DeploymentStatus.h"
#include "rollout/TimelineEvent.h"
#include "util/ProgressThrottle.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include <optional>

namespace Slipway {

// One deployment of an app, as the console, the CLI and the log follow it: its status, the
// timed timeline of what happened and its full log. Owned by the engine.
class Deployment : public QObject
{
    Q_OBJECT

public:
    enum class Trigger { Source, Release, Rollback, ConfigChange, Restart, Boot };

    // `source` says what is deployed, for people: "https://…/shop.git#v2", "upload
    // shop.tar.gz", "v3" for a rollback; empty when the trigger says it all.
    Deployment(QString id, QString app, Trigger trigger, QString source = {},
               QObject *parent = nullptr);

    const QString &id() const { return m_id; }
    const QString &app() const { return m_app; }
    Trigger trigger() const { return m_trigger; }
    const QString &source() const { return m_source; }
    static QString triggerName(Trigger trigger);
    DeploymentStatus status() const { return m_status; }
    QString statusName() const { return deploymentStatusName(m_status); }
    bool isFinished() const { return isFinal(m_status); }
    const QString &error() const { return m_error; }
    const QList<TimelineEvent> &timeline() const { return m_timeline; }
    const QStringList &log() const { return m_log; }
    int releaseVersion() const { return m_releaseVersion; }
    QDateTime createdAt() const { return m_createdAt; }
    QDateTime finishedAt() const { return m_finishedAt; }
    qint64 elapsedMilliseconds() const;
    // While queued: the id of the deployment just ahead of it in its app's queue (the
    // running one for the first in line); empty otherwise.
    const QString &waitingFor() const { return m_waitingFor; }
    // The release that served the app when this deployment started to run; none on a first
    // deploy and while it is queued.
    std::optional<int> previousRelease() const { return m_previousRelease; }
    // Where it is: before the rollout's first step "build" for a deployment of a source and
    // "start" for the others, then the step last started ("start", "wait-ready",
    // "postdeploy", "route", "stop-old").
    const QString &step() const { return m_step; }

    // Asks whoever runs the deployment to stop it; it ends as `aborted`.
    void cancel();
    bool isCancelRequested() const { return m_cancelRequested; }

    // For the engine.
    void setStatus(DeploymentStatus status, const QString &error = {});
    void setReleaseVersion(int version) { m_releaseVersion = version; }
    void setWaitingFor(const QString &id) { m_waitingFor = id; }
    void setPreviousRelease(std::optional<int> version) { m_previousRelease = version; }
    void addEvent(TimelineEvent::Kind kind, const QString &text, const QString &container = {},
                  const QJsonObject &data = {});
    // One or more lines (split at '\n'); each "-----> " line also makes a `log-section`
    // event with its index in the log.
    void appendLog(const QString &lines);
    // Bytes of a long fetch ("fetch-source", "fetch-buildpack"); passed on as progress() at
    // most every 250 ms. endProgress() drops a report still waiting for its turn.
    void reportProgress(const QString &phase, const QString &what, qint64 bytes, qint64 total);
    void endProgress();

Q_SIGNALS:
    void statusChanged(Slipway::DeploymentStatus status);
    void eventAdded(const Slipway::TimelineEvent &event);
    void logAppended(const QString &line);
    void progress(const QString &phase, const QString &what, qint64 bytes, qint64 total);
    void finished(Slipway::DeploymentStatus status);
    void cancelRequested();

private:
    QString m_id;
    QString m_app;
    Trigger m_trigger;
    QString m_source;
    DeploymentStatus m_status = DeploymentStatus::Queued;
    QString m_error;
    QList<TimelineEvent> m_timeline;
    QStringList m_log;
    int m_releaseVersion = 0;
    QDateTime m_createdAt;
    QDateTime m_finishedAt;
    QElapsedTimer m_clock;
    bool m_cancelRequested = false;
    QString m_waitingFor;
    std::optional<int> m_previousRelease;
    QString m_step;
    ProgressThrottle m_progress;
};

} // namespace Slipway
