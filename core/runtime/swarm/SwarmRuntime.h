#pragma once

#include "runtime/Runtime.h"
#include "runtime/docker/DockerEndpoint.h"
#include "runtime/docker/DockerTypes.h"

#include <QElapsedTimer>
#include <QHash>
#include <QPointer>

#include <functional>
#include <memory>

namespace Slipway {

class DockerClient;
class DockerRuntime;
class SlugServer;

// runtime=swarm: each Slipway container is a Swarm service of one task, made through the
// manager at the app's `docker_host`. Swarm places the task on a node, restarts it when it
// ends by itself (Slipway counts the restarts) and moves it when its node is drained or
// lost; web and tcp containers are reached at their node's address and their PORT (tasks
// use the host network). The postdeploy hook and one-off runs are replicated jobs. A task
// fetches its release's slug from this daemon's slug server when it starts (the way a
// Heroku dyno does), so no registry is needed and any node can run any release. Every node
// needs the stack image (see packaging/stack).
class SwarmRuntime : public Runtime
{
    Q_OBJECT

public:
    // A node of the cluster as the router sees it.
    struct Node
    {
        QString id;
        QString name;    // its hostname, with its address when two share one
        QString address; // where its tasks' ports are reached
    };

    // `stateDirectory` keeps the slug server's key and port across restarts.
    SwarmRuntime(DockerEndpoint endpoint, QString owner, QString stackCacheDirectory,
                 QString stateDirectory, QObject *parent = nullptr);
    ~SwarmRuntime() override;

    QString name() const override { return QStringLiteral("swarm"); }
    // The engine and the stack image as for docker, then: the engine is a Swarm manager, and
    // the slug server listens where the nodes reach this daemon.
    void prepare(const ContainerSpec &spec, Progress progress,
                 std::function<void(Result<void>)> done) override;
    Container *create(const ContainerSpec &spec, QObject *parent) override;
    void findRunning(const QString &app, std::function<void(Result<QList<Container *>>)> done,
                     QObject *parent) override;

    DockerClient *client() const;
    QString owner() const { return m_owner; }
    bool isPrepared() const { return m_slugs != nullptr; }
    QString stackImage() const;
    // The URL a task downloads `slugPath` from; empty before prepare() succeeded.
    QString slugUrl(const QString &slugPath) const;
    // The service that runs `spec` (a job for hooks and one-offs). `slugUrl` from slugUrl().
    DockerServiceSpec serviceSpec(const ContainerSpec &spec, const QString &serviceName,
                                  const QString &slugUrl, std::chrono::milliseconds grace) const;
    // The node a task runs on (from the cluster's list, fetched again for a node not seen
    // yet). `done` on this thread.
    void node(const QString &nodeId, std::function<void(Node)> done);

    // Where a service's slug is, for the next daemon to serve it again.
    static constexpr auto SlugLabel = "slipway.slug";
    // Process types that run once to their end: a replicated job, never restarted.
    static bool runsOnce(const QString &processType);

private:
    void checkSwarm(Progress progress, std::function<void(Result<void>)> done);
    Result<void> startSlugServer(const QString &nodeAddress);
    void refreshNodes(std::function<void()> done);
    QString reachableHost() const;

    DockerEndpoint m_endpoint;
    QString m_owner;
    QString m_stateDirectory;
    DockerRuntime *m_engine; // the engine's API and the stack image, shared with docker's ways
    std::unique_ptr<SlugServer> m_slugs;
    QHash<QString, Node> m_nodes; // by id
    QElapsedTimer m_nodesFetched;
    QList<std::function<void()>> m_refreshing;
};

} // namespace Slipway
