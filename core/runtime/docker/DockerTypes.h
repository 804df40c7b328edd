#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <chrono>
#include <optional>

// What DockerClient sends to and reads from the Docker Engine API, as plain values. Only the
// fields Slipway uses; the full answer stays in `raw` where a caller may need more.
namespace Slipway {

using DockerLabels = QMap<QString, QString>;

// GET /version
struct DockerVersion
{
    QString engineVersion;   // "20.10.24+dfsg1"
    QString apiVersion;      // the engine's newest, "1.41"
    QString minApiVersion;   // the engine's oldest, "1.12"
    QString usedApiVersion;  // what this client speaks with it: min(engine, 1.45)
    QString operatingSystem; // "linux"
    QString architecture;
    QString kernelVersion;
};

// GET /images/{name}/json
struct DockerImageInfo
{
    QString id; // "sha256:..."
    QStringList tags;
    qint64 size = 0;
    QDateTime created;
    DockerLabels labels;
};

// POST /containers/create. Every container Slipway creates runs on the host's network (its
// PORT reachable on the host as for the local runtime) with an init process (tini) as PID 1
// so signals reach the app and zombies are reaped.
struct DockerContainerConfig
{
    QString name;
    QString image;
    QStringList command;                   // Cmd; empty: the image's
    std::optional<QStringList> entrypoint; // Entrypoint; an empty list clears the image's
    QMap<QString, QString> environment;
    DockerLabels labels;
    QString user;       // "10000:10000", "slug"; empty: the image's
    QString workingDir; // empty: the image's
    bool hostNetwork = true;
    qint64 memoryLimitBytes = 0; // 0: none
    bool init = true;
    QString stopSignal = QStringLiteral("SIGTERM");
    std::optional<std::chrono::seconds> stopTimeout; // the engine's grace when told to stop
    bool tty = false; // off: stdout and stderr stay apart in the logs
};

// State in GET /containers/{id}/json
struct DockerContainerState
{
    QString status; // created, running, paused, restarting, removing, exited, dead
    bool running = false;
    bool oomKilled = false;
    qint64 pid = 0; // on the engine's host; 0 when not running
    int exitCode = 0;
    QString error;
    QDateTime startedAt;  // null when never started
    QDateTime finishedAt; // null when never finished
};

struct DockerContainerInfo
{
    QString id;
    QString name; // without the leading "/"
    QString image;
    DockerLabels labels;
    DockerContainerState state;
    int restartCount = 0;
    QDateTime created;
    QJsonObject raw;
};

// One entry of GET /containers/json
struct DockerContainerSummary
{
    QString id;
    QString name; // the first name, without the leading "/"
    QString image;
    QString state;  // "running", "exited"...
    QString status; // "Up 2 minutes", "Exited (0) 3 seconds ago"
    DockerLabels labels;
    QDateTime created;
};

// POST /containers/{id}/wait
enum class DockerWaitCondition { NotRunning, NextExit, Removed };
struct DockerWaitResult
{
    int statusCode = 0;
    QString error; // the engine could not tell (rare)
};

// GET /containers/{id}/logs, GET /services/{id}/logs
struct DockerLogOptions
{
    bool follow = true;
    bool standardOutput = true;
    bool standardError = true;
    bool timestamps = true;
    QDateTime since;  // null: from the start
    int tail = -1;    // the last N lines only; -1: all
    bool tty = false; // the container has a TTY: the output is not multiplexed
};

// GET /events
struct DockerEventFilter
{
    QStringList types;   // "container", "service", "node"...
    QStringList actions; // "start", "die", "stop", "kill"...
    QStringList labels;  // "key" or "key=value"
    QStringList containers;
    QDateTime since; // events from then on, then live ones; null: live ones only
};

struct DockerEvent
{
    QString type;   // "container"
    QString action; // "die"
    QString actorId;
    QMap<QString, QString> attributes; // labels, "name", "image", "exitCode" (die)...
    QDateTime time;
    std::optional<int> exitCode() const;
};

// GET /info, the Swarm part
struct DockerSwarmInfo
{
    QString localNodeState; // "inactive", "pending", "active", "error", "locked"
    QString nodeId;
    QString nodeAddress;
    bool controlAvailable = false; // this engine is a manager
    QString clusterId;
    QString error;
    int nodes = 0;
    int managers = 0;
    bool isActive() const { return localNodeState == u"active"; }
};

// POST /swarm/init
struct DockerSwarmInit
{
    QString listenAddress;    // "127.0.0.2:2377"
    QString advertiseAddress; // "127.0.0.2"
    QString dataPathAddress;  // empty: the advertise address
    quint32 dataPathPort = 0; // VXLAN's UDP port; 0: the engine's (4789)
};

// POST /swarm/join
struct DockerSwarmJoin
{
    QString listenAddress;
    QString advertiseAddress;
    QStringList remoteAddresses; // managers, "127.0.0.2:2377"
    QString joinToken;
};

struct DockerSwarmTokens
{
    QString worker;
    QString manager;
};

// GET /nodes
struct DockerNode
{
    QString id;
    quint64 version = 0;
    QString hostname;
    QString role;         // "manager", "worker"
    QString availability; // "active", "pause", "drain"
    QString state;        // "ready", "down", "unknown", "disconnected"
    QString address;      // the address the managers see it at
    bool leader = false;
    QString managerAddress; // "127.0.0.2:2377" for a manager
    DockerLabels labels;
    QJsonObject spec; // sent back whole on update
};

// POST /services/create, /services/{id}/update. One task (or one job run) of a container:
// Slipway places one process instance per service.
struct DockerServiceSpec
{
    enum class Mode { Replicated, ReplicatedJob };
    enum class Restart { None, OnFailure, Any };

    QString name;
    DockerLabels labels; // on the service
    QString image;
    QStringList command; // ContainerSpec.Command (replaces the image's entrypoint)
    QStringList args;    // ContainerSpec.Args
    QMap<QString, QString> environment;
    DockerLabels containerLabels; // on each task's container
    QString user;
    QString workingDir;
    bool init = true;
    QString stopSignal = QStringLiteral("SIGTERM");
    std::chrono::milliseconds stopGracePeriod{std::chrono::seconds(30)};
    bool hostNetwork = true;
    Restart restart = Restart::Any;
    std::chrono::milliseconds restartDelay{std::chrono::seconds(1)};
    int restartMaxAttempts = 0; // 0: no bound
    qint64 memoryLimitBytes = 0;
    qint64 nanoCpus = 0;
    QStringList placementConstraints; // "node.hostname==a"
    Mode mode = Mode::Replicated;
    int replicas = 1; // Replicated; a ReplicatedJob runs once to completion
};

struct DockerService
{
    QString id;
    quint64 version = 0;
    QString name;
    DockerLabels labels;
    QDateTime created;
    QDateTime updated;
    QJsonObject spec;
};

// GET /tasks
struct DockerTask
{
    QString id;
    QString serviceId;
    QString nodeId;
    int slot = 0;
    QString state;        // "new" ... "running", "complete", "failed", "shutdown", "rejected"
    QString desiredState; // "running", "shutdown", "complete"
    QString message;
    QString error;
    QString containerId;
    qint64 pid = 0;
    std::optional<int> exitCode; // once the container ended
    QDateTime created;
    QDateTime updated;
    QDateTime statusTime;
    DockerLabels labels;
};

} // namespace Slipway
