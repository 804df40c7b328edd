#pragma once

#include <QMap>
#include <QString>

#include <chrono>

namespace Slipway {

// Per-app settings of the rollout, visible and changeable: nothing hidden decides whether
// a deployment succeeds.
struct AppSettings
{
    static constexpr std::chrono::milliseconds DefaultGracePeriod{std::chrono::seconds(30)};
    static constexpr std::chrono::milliseconds DefaultBootTimeout{std::chrono::seconds(60)};
    static constexpr std::chrono::milliseconds DefaultProbeInterval{100};
    static constexpr std::chrono::milliseconds DefaultHookTimeout{std::chrono::minutes(20)};
    static constexpr std::chrono::milliseconds DefaultDrainLimit{std::chrono::seconds(30)};

    QMap<QString, int> formation; // process type → containers; web is 1 unless set
    std::chrono::milliseconds gracePeriod = DefaultGracePeriod;
    std::chrono::milliseconds bootTimeout = DefaultBootTimeout;
    std::chrono::milliseconds probeInterval = DefaultProbeInterval;
    std::chrono::milliseconds hookTimeout = DefaultHookTimeout;
    // After the switch, how long the router may wait for the requests in flight to an old
    // web container before it gets SIGTERM (0: at once).
    std::chrono::milliseconds drainLimit = DefaultDrainLimit;
    QString
        routerName; // the router serves the app on <routerName>.localhost; empty: the app's name
    // Containers reach the network outside (`network=outbound`, as on Heroku) or only their
    // own loopback (`network=none`, for an app that must not call out).
    bool outboundNetwork = true;
    // Where its containers run: local (this machine), docker (a Docker engine), swarm (a
    // Swarm cluster). Changing it is a normal rollout.
    QString runtime = QStringLiteral("local");
    // The Docker engine of the docker and swarm runtimes: unix:///var/run/docker.sock,
    // tcp://host:2376 with TLS; empty: DOCKER_HOST, else the default socket.
    QString dockerHost;
    // A container's memory limit in MiB on docker and swarm; 0: none.
    int memoryLimitMiB = 0;

    int scaleOf(const QString &type) const
    {
        return formation.value(type, type == QLatin1String("web") ? 1 : 0);
    }
};

} // namespace Slipway
