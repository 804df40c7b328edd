#pragma once

#include "client/ApiResult.h"
#include "client/DaemonEndpoint.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QObject>
#include <QPointer>
#include <QThreadPool>
#include <QTimer>

#include <functional>

namespace Slipway {

class ByteStream;
class EventStream;
class UploadJob;

// The console's connection to one slipwayd. Every call runs on a worker thread and its
// answer comes back on the GUI thread, so a slow or dead daemon never freezes the window.
// It follows the daemon's event stream and says when the daemon is lost and found again;
// after each reconnection `resynced()` tells views to read their state afresh, since events
// may have been missed meanwhile.
class DaemonClient : public QObject
{
    Q_OBJECT

public:
    enum class State {
        Connecting, // starting or reaching the daemon for the first time
        Online,     // the event stream is open
        Offline,    // lost (or never reached): retrying by itself
    };
    Q_ENUM(State)

    using Callback = std::function<void(const ApiResult &)>;

    explicit DaemonClient(DaemonEndpoint endpoint, QObject *parent = nullptr);
    ~DaemonClient() override;

    const DaemonEndpoint &endpoint() const { return m_endpoint; }
    State state() const { return m_state; }
    QString stateReason() const { return m_stateReason; }
    // The last answer of GET /v1/status (router port, isolation, secrets backend...).
    const QJsonObject &daemonStatus() const { return m_daemonStatus; }
    quint16 routerPort() const;

    // Reaches the daemon; when nothing answers on a local socket, starts slipwayd first
    // (unless the endpoint says not to). Then follows the event stream, for good.
    void open();
    // Starts slipwayd now (the "Start slipwayd" action of a lost connection).
    void startDaemon();
    bool isStartingDaemon() const { return m_startingDaemon; }

    // `done` runs on the GUI thread, unless `receiver` is gone by then.
    void get(const QString &path, QObject *receiver, Callback done, int timeoutMs = 30000);
    void send(const QByteArray &method, const QString &path, const QJsonValue &body,
              QObject *receiver, Callback done, int timeoutMs = 30000);
    // A file sent as the body (an archive to deploy), with progress; the job owns itself
    // and is deleted after `finished`.
    UploadJob *upload(const QString &path, const QString &file);
    // A streamed text answer (a deployment's output, followed or not); deleted after
    // `finished`, or with deleteLater() to stop it.
    ByteStream *stream(const QString &path);

Q_SIGNALS:
    void stateChanged(Slipway::DaemonClient::State state, const QString &reason);
    void event(const QJsonObject &event);
    void resynced();
    void daemonStatusChanged();

private:
    friend class UploadJob;
    void setState(State state, const QString &reason);
    void deliver(QPointer<QObject> receiver, const Callback &done, const ApiResult &result);
    void onStreamConnected();
    void onStreamLost(const QString &reason);
    void startEvents();
    void refreshStatus();

    DaemonEndpoint m_endpoint;
    State m_state = State::Connecting;
    QString m_stateReason;
    QJsonObject m_daemonStatus;
    QThreadPool m_pool;
    EventStream *m_events = nullptr;
    bool m_startingDaemon = false;
    QString m_startProblem; // why the last start of slipwayd failed, until it answers
    bool m_opened = false;
};

} // namespace Slipway
