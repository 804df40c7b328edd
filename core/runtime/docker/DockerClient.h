#pragma once

#include "runtime/docker/DockerEndpoint.h"
#include "runtime/docker/DockerLogDecoder.h"
#include "runtime/docker/DockerTypes.h"

#include "util/Result.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace Slipway {

struct DockerCallState;
class DockerClientIo;

// A call in progress, returned by every DockerClient operation; may be dropped. cancel()
// closes its connection (ending a followed stream or a wait) and guarantees that none of its
// callbacks runs afterwards.
class DockerCall
{
public:
    DockerCall() = default;
    void cancel();
    bool isValid() const { return bool(m_state); }

private:
    friend class DockerClientIo;
    friend class DockerJob;
    DockerCall(std::shared_ptr<DockerCallState> state, std::weak_ptr<DockerClientIo> io)
        : m_state(std::move(state))
        , m_io(std::move(io))
    {}
    std::shared_ptr<DockerCallState> m_state;
    std::weak_ptr<DockerClientIo> m_io;
};

// The Docker Engine API, asynchronously: every call returns at once; the I/O runs on the
// client's own thread and the callbacks run on the client's thread (the one it lives in),
// through its event loop, never inside the call. A callback is dropped when its `context`
// object is gone by then (pass the object whose members the callback uses; it must live in
// the client's thread), or when the call was cancelled.
//
// The API version is negotiated on first use (GET /version): min(engine, 1.45), refused
// below 1.41 (Docker 20.10), and every path carries it ("/v1.41/containers/json").
// Every engine error answer becomes an Error saying what was being done and what the
// engine said ("cannot start container web-1: the Docker engine answered 404: No such
// container: web-1"); an engine that does not answer says where it was looked for and how
// to choose another.
//
// Each call uses its own connection, so a followed log or a wait never holds others up.
class DockerClient : public QObject
{
    Q_OBJECT

public:
    template<typename T>
    using Callback = std::function<void(Result<T>)>;
    using LinesCallback = std::function<void(const QList<DockerLogLine> &lines)>;
    using EventCallback = std::function<void(const DockerEvent &event)>;
    using ProgressCallback = std::function<void(qint64 sent, qint64 total)>;

    static constexpr auto MinimumApiVersion = "1.41";
    static constexpr auto MaximumApiVersion = "1.45";
    // Bounds of ordinary calls (connecting included); waits and followed streams have none.
    static constexpr std::chrono::seconds CallTimeout{60};

    explicit DockerClient(DockerEndpoint endpoint, QObject *parent = nullptr);
    // Ends every call in progress (no callback runs) and stops the I/O thread.
    ~DockerClient() override;

    const DockerEndpoint &endpoint() const { return m_endpoint; }
    // The negotiated version ("1.41"), empty until a call negotiated it.
    QString apiVersion() const;

    // --- The engine
    // GET /version, negotiating (again) on the way.
    DockerCall version(QObject *context, Callback<DockerVersion> done);
    DockerCall ping(QObject *context, Callback<void> done);

    // --- Images
    // Null when the engine has no such image.
    DockerCall inspectImage(const QString &reference, QObject *context,
                            Callback<std::optional<DockerImageInfo>> done);
    // POST /images/create?fromSrc=-: a root filesystem tarball, streamed from disk, becomes
    // repository:tag. `changes` are Dockerfile instructions applied on the way ("USER slug",
    // "WORKDIR /app", "ENV PATH=..."). Gives the image's id.
    DockerCall importImage(const QString &tarball, const QString &repository, const QString &tag,
                           const QStringList &changes, QObject *context, ProgressCallback progress,
                           Callback<QString> done);
    DockerCall removeImage(const QString &reference, bool force, QObject *context,
                           Callback<void> done);

    // --- Containers
    // Gives the new container's id.
    DockerCall createContainer(const DockerContainerConfig &config, QObject *context,
                               Callback<QString> done);
    // PUT /containers/{id}/archive?path=: unpacks a tar file (streamed from disk) into the
    // container's folder `path`, which must exist.
    DockerCall putArchive(const QString &container, const QString &path, const QString &tarFile,
                          QObject *context, ProgressCallback progress, Callback<void> done);
    // Starting a running container succeeds.
    DockerCall startContainer(const QString &container, QObject *context, Callback<void> done);
    // The container's stop signal, then SIGKILL after `grace`; returns once it stopped.
    // Stopping a stopped container succeeds.
    DockerCall stopContainer(const QString &container, std::chrono::seconds grace, QObject *context,
                             Callback<void> done);
    // `signal`: "SIGKILL", "SIGTERM", "HUP"...
    DockerCall killContainer(const QString &container, const QString &signal, QObject *context,
                             Callback<void> done);
    // A long poll: answers when the container reaches the condition, with its exit status.
    DockerCall waitContainer(const QString &container, DockerWaitCondition condition,
                             QObject *context, Callback<DockerWaitResult> done);
    // Null when there is no such container.
    DockerCall inspectContainer(const QString &container, QObject *context,
                                Callback<std::optional<DockerContainerInfo>> done);
    // Every container, running or not, carrying all of `labels` ("key" or "key=value").
    DockerCall listContainers(const QStringList &labels, QObject *context,
                              Callback<QList<DockerContainerSummary>> done);
    // Removing a container that does not exist succeeds. `force` kills a running one.
    DockerCall removeContainer(const QString &container, bool force, QObject *context,
                               Callback<void> done);
    // The container's output as lines, in batches as they come, until it ends (with follow,
    // when the container stops) or the call is cancelled; then `ended`.
    DockerCall containerLogs(const QString &container, const DockerLogOptions &options,
                             QObject *context, LinesCallback lines, Callback<void> ended);
    // GET /events: live events matching the filter, one by one, until cancelled (or the
    // engine goes away: then `ended` with the error).
    DockerCall events(const DockerEventFilter &filter, QObject *context, EventCallback event,
                      Callback<void> ended);

    // --- Swarm
    DockerCall swarmInfo(QObject *context, Callback<DockerSwarmInfo> done);
    // Gives this node's id.
    DockerCall initSwarm(const DockerSwarmInit &init, QObject *context, Callback<QString> done);
    DockerCall joinSwarm(const DockerSwarmJoin &join, QObject *context, Callback<void> done);
    DockerCall leaveSwarm(bool force, QObject *context, Callback<void> done);
    DockerCall swarmJoinTokens(QObject *context, Callback<DockerSwarmTokens> done);
    DockerCall listNodes(QObject *context, Callback<QList<DockerNode>> done);
    // "active", "pause" or "drain"; reads the node's spec and version first.
    DockerCall setNodeAvailability(const QString &node, const QString &availability,
                                   QObject *context, Callback<void> done);
    // Gives the service's id.
    DockerCall createService(const DockerServiceSpec &spec, QObject *context,
                             Callback<QString> done);
    // Null when there is no such service.
    DockerCall inspectService(const QString &service, QObject *context,
                              Callback<std::optional<DockerService>> done);
    // `version` is the service's as last inspected: the update is refused if it changed.
    DockerCall updateService(const QString &service, quint64 version, const DockerServiceSpec &spec,
                             QObject *context, Callback<void> done);
    // Every service carrying all of `labels` ("key" or "key=value").
    DockerCall listServices(const QStringList &labels, QObject *context,
                            Callback<QList<DockerService>> done);
    // Removing a service that does not exist succeeds.
    DockerCall removeService(const QString &service, QObject *context, Callback<void> done);
    // The service's tasks, past and present, newest first.
    DockerCall listTasks(const QString &service, QObject *context,
                         Callback<QList<DockerTask>> done);
    DockerCall serviceLogs(const QString &service, const DockerLogOptions &options,
                           QObject *context, LinesCallback lines, Callback<void> ended);

private:
    const DockerEndpoint m_endpoint;
    std::shared_ptr<DockerClientIo> m_io;
};

} // namespace Slipway
