#pragma once

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>

namespace Slipway {

class ByteStream;
class DaemonClient;

// Follows one deployment for the views: its JSON (status, error, release), its timeline as
// events arrive, and its log (streamed while it runs, read whole when it has ended). After
// the daemon was lost and found again it reads everything afresh and says so with
// `reset()`, so views start over rather than show a log with a hole in it.
class DeploymentTracker : public QObject
{
    Q_OBJECT

public:
    explicit DeploymentTracker(DaemonClient *client, QObject *parent = nullptr);

    // Starts following `id` of `app` (an empty id stops following).
    void track(const QString &app, const QString &id);
    const QString &app() const { return m_app; }
    const QString &id() const { return m_id; }
    const QJsonObject &deployment() const { return m_deployment; }
    const QList<QJsonObject> &timeline() const { return m_timeline; }
    QString status() const;
    bool isFinished() const;
    bool isLoaded() const { return m_loaded; }
    // Bytes of log received so far (the whole log once `logEnded()` came).
    qint64 logBytes() const { return m_logBytes; }
    bool isLogComplete() const { return m_logComplete; }

Q_SIGNALS:
    // A different deployment (or the same one, read afresh): views clear themselves.
    void reset();
    // The deployment's JSON changed (status, error, release, finished_at...).
    void deploymentChanged(const QJsonObject &deployment);
    void statusChanged(const QString &status, const QString &error);
    void timelineEvent(const QJsonObject &event);
    void logData(const QByteArray &bytes);
    void logEnded(const QString &error);
    // {"phase", "what", "bytes", "total"} while a source or buildpack downloads.
    void fetchProgress(const QJsonObject &progress);
    void finished(const QString &status);

private:
    void load();
    void onEvent(const QJsonObject &event);
    void addEvent(const QJsonObject &event);
    void streamLog();
    static QString keyOf(const QJsonObject &event);

    DaemonClient *m_client;
    QString m_app;
    QString m_id;
    int m_generation = 0;
    QJsonObject m_deployment;
    QList<QJsonObject> m_timeline;
    QSet<QString> m_seen;
    QList<QJsonObject> m_early; // events that came before the first read
    bool m_loaded = false;
    bool m_finishedSignalled = false;
    QPointer<ByteStream> m_log;
    qint64 m_logBytes = 0;
    bool m_logComplete = false;
};

} // namespace Slipway
