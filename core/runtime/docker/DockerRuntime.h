#pragma once

#include "runtime/Runtime.h"
#include "runtime/docker/DockerClient.h"
#include "runtime/docker/DockerEndpoint.h"

#include <QHash>
#include <QPointer>

#include <functional>
#include <memory>

namespace Slipway {

// runtime=docker: one Docker container per Slipway container, on the engine at the app's
// `docker_host`. Containers run the stack image (built and imported on first use), the
// release's slug unpacked at /app, as the stack's unprivileged user `slug`, on the engine
// host's network with their PORT. They carry labels (app, release, process type, index,
// port, and which slipwayd made them), so that a restarted slipwayd takes them over instead
// of starting them again: apps keep serving across a restart or an upgrade of the daemon.
class DockerRuntime : public Runtime
{
    Q_OBJECT

public:
    // `owner` tells this slipwayd's containers from those of another on the same engine
    // (another user's, a test's): only its own are taken over or removed.
    DockerRuntime(DockerEndpoint endpoint, QString owner, QString stackCacheDirectory,
                  QObject *parent = nullptr);
    ~DockerRuntime() override;

    QString name() const override { return QStringLiteral("docker"); }
    void prepare(const ContainerSpec &spec, Progress progress,
                 std::function<void(Result<void>)> done) override;
    Container *create(const ContainerSpec &spec, QObject *parent) override;
    void findRunning(const QString &app, std::function<void(Result<QList<Container *>>)> done,
                     QObject *parent) override;

    DockerClient *client() const { return m_client; }
    const DockerEndpoint &endpoint() const { return m_endpoint; }
    QString owner() const { return m_owner; }
    // The stack image's tag once prepare() found or made it; empty before.
    QString stackImage() const { return m_stackImage; }
    // The release's slug with its files given to the stack's user (uid 10000), made once
    // per release next to the slug: the engine unpacks it into /app. `done` on this thread.
    void slugForEngine(const QString &slugPath, std::function<void(Result<QString>)> done);

    // Where the router reaches a container's PORT: the engine's host (containers share its
    // network), the loopback for an engine on this machine.
    QString containerHost() const;

    // The engine's name for a container of `spec`: slipway-<owner>-<app>-v<N>-web-1-<random>.
    static QString engineName(const ContainerSpec &spec, const QString &owner);
    // The labels it carries, from which specFromLabels() gives the spec back.
    static DockerLabels labelsFor(const ContainerSpec &spec, const QString &owner);

    // Labels every container carries.
    static constexpr auto OwnerLabel = "slipway.owner";
    static constexpr auto AppLabel = "slipway.app";
    static constexpr auto ReleaseLabel = "slipway.release";
    static constexpr auto ProcessLabel = "slipway.process";
    static constexpr auto IndexLabel = "slipway.index";
    static constexpr auto PortLabel = "slipway.port";
    static constexpr auto CommandLabel = "slipway.command";
    // The stack's user, as in packaging/stack: what the slug runs as.
    static constexpr auto SlugUser = "slug";
    static constexpr int SlugUid = 10000;

private:
    DockerEndpoint m_endpoint;
    QString m_owner;
    QString m_stackCacheDirectory;
    QPointer<DockerClient> m_client;
    QString m_stackImage;
    // prepare() calls waiting while the stack image is being made: one build at a time.
    QList<std::pair<Progress, std::function<void(Result<void>)>>> m_waiting;
    bool m_preparing = false;
    QHash<QString, QList<std::function<void(Result<QString>)>>> m_rewriting; // by slug
};

} // namespace Slipway
