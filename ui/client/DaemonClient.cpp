#include "client/DaemonClient.h"

#include "client/ApiTransport.h"
#include "client/ByteStream.h"
#include "client/EventStream.h"
#include "client/UploadJob.h"

#include "api/DaemonLauncher.h"

#include <QJsonDocument>

namespace Slipway {

DaemonClient::DaemonClient(DaemonEndpoint endpoint, QObject *parent)
    : QObject(parent)
    , m_endpoint(std::move(endpoint))
{
    // Calls are short; a few threads keep one slow call (a detection fetching a git
    // repository) from holding up the others.
    m_pool.setMaxThreadCount(4);
    m_pool.setExpiryTimeout(30000);
}

DaemonClient::~DaemonClient()
{
    if (m_events)
        m_events->stop();
    for (UploadJob *job : findChildren<UploadJob *>(Qt::FindDirectChildrenOnly))
        job->cancel();
    // Every task posts its answer to this object: they must all be done before it goes.
    m_pool.waitForDone();
}

quint16 DaemonClient::routerPort() const
{
    return quint16(m_daemonStatus.value(QStringLiteral("router"))
                       .toObject()
                       .value(QStringLiteral("port"))
                       .toInt());
}

void DaemonClient::setState(State state, const QString &reason)
{
    if (state == m_state && reason == m_stateReason)
        return;
    m_state = state;
    m_stateReason = reason;
    Q_EMIT stateChanged(state, reason);
}

void DaemonClient::open()
{
    if (m_opened)
        return;
    m_opened = true;
    if (m_endpoint.autostart && !DaemonLauncher::isListening(m_endpoint.socketPath)) {
        startDaemon();
        return;
    }
    startEvents();
}

void DaemonClient::startDaemon()
{
    if (m_startingDaemon)
        return;
    m_startingDaemon = true;
    setState(m_state == State::Online ? State::Online : State::Connecting,
             QStringLiteral("starting slipwayd on %1…").arg(m_endpoint.socketPath));
    const DaemonEndpoint endpoint = m_endpoint;
    m_pool.start([this, endpoint] {
        QString problem;
        if (!DaemonLauncher::isListening(endpoint.socketPath)) {
            DaemonLauncher launcher(endpoint.socketPath, endpoint.dataDirectory);
            const Result<void> started = launcher.start();
            if (!started)
                problem = started.error().message;
        }
        QMetaObject::invokeMethod(
            this,
            [this, problem] {
                m_startingDaemon = false;
                m_startProblem = problem;
                if (!problem.isEmpty())
                    setState(State::Offline, problem);
                startEvents();
            },
            Qt::QueuedConnection);
    });
}

void DaemonClient::startEvents()
{
    if (m_events) {
        m_events->retryNow();
        return;
    }
    m_events = new EventStream(m_endpoint, this);
    connect(m_events, &EventStream::connected, this, &DaemonClient::onStreamConnected);
    connect(m_events, &EventStream::lost, this, &DaemonClient::onStreamLost);
    connect(m_events, &EventStream::events, this, [this](const QList<QJsonObject> &events) {
        for (const QJsonObject &object : events)
            Q_EMIT event(object);
    });
    m_events->start();
}

void DaemonClient::onStreamConnected()
{
    m_startProblem.clear();
    setState(State::Online, QString());
    refreshStatus();
    Q_EMIT resynced();
}

void DaemonClient::onStreamLost(const QString &reason)
{
    // While slipwayd is being started, "not there" is expected: keep saying why we wait.
    if (m_startingDaemon)
        return;
    // "It could not be started, because…" says more than "the socket does not exist".
    setState(State::Offline, m_startProblem.isEmpty() ? reason : m_startProblem);
}

void DaemonClient::refreshStatus()
{
    get(QStringLiteral("/v1/status"), this, [this](const ApiResult &result) {
        if (!result.ok())
            return;
        m_daemonStatus = result.json;
        Q_EMIT daemonStatusChanged();
    });
}

void DaemonClient::deliver(QPointer<QObject> receiver, const Callback &done,
                           const ApiResult &result)
{
    // A call that could not reach the daemon says more than a quiet event stream: the
    // stream notices too, but only when it next reads.
    if (ApiTransport::isUnreachable(result) && m_state == State::Online && m_events)
        m_events->retryNow();
    if (receiver && done)
        done(result);
}

void DaemonClient::get(const QString &path, QObject *receiver, Callback done, int timeoutMs)
{
    send("GET", path, QJsonValue(), receiver, std::move(done), timeoutMs);
}

void DaemonClient::send(const QByteArray &method, const QString &path, const QJsonValue &body,
                        QObject *receiver, Callback done, int timeoutMs)
{
    QByteArray payload;
    if (body.isObject())
        payload = QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
    else if (body.isArray())
        payload = QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact);
    const QPointer<QObject> guard = receiver;
    const DaemonEndpoint endpoint = m_endpoint;
    m_pool.start([this, endpoint, method, path, payload, timeoutMs, guard, done = std::move(done)] {
        ApiClient client = ApiTransport::clientFor(endpoint);
        const ApiResult result = ApiTransport::resultFrom(
            client.request(method, path, payload, "application/json", timeoutMs));
        QMetaObject::invokeMethod(
            this, [this, guard, done, result] { deliver(guard, done, result); },
            Qt::QueuedConnection);
    });
}

UploadJob *DaemonClient::upload(const QString &path, const QString &file)
{
    auto *job = new UploadJob(m_endpoint, path, file, this);
    job->start(&m_pool);
    return job;
}

ByteStream *DaemonClient::stream(const QString &path)
{
    auto *stream = new ByteStream(m_endpoint, path, this);
    connect(stream, &ByteStream::ended, stream, &QObject::deleteLater);
    stream->start();
    return stream;
}

} // namespace Slipway
