#include "runtime/docker/DockerJson.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Slipway::DockerJson {

namespace {

QJsonArray stringArray(const QStringList &list)
{
    return QJsonArray::fromStringList(list);
}

QStringList strings(const QJsonValue &value)
{
    QStringList list;
    for (const QJsonValue &item : value.toArray())
        list.append(item.toString());
    return list;
}

QJsonObject labelObject(const DockerLabels &labels)
{
    QJsonObject object;
    for (auto it = labels.begin(); it != labels.end(); ++it)
        object.insert(it.key(), it.value());
    return object;
}

QJsonArray environment(const QMap<QString, QString> &variables)
{
    QJsonArray list;
    for (auto it = variables.begin(); it != variables.end(); ++it)
        list.append(QString(it.key() + u'=' + it.value()));
    return list;
}

qint64 nanoseconds(std::chrono::milliseconds duration)
{
    return qint64(duration.count()) * 1000000;
}

} // namespace

QDateTime time(const QJsonValue &value)
{
    const QString text = value.toString();
    if (text.isEmpty() || text.startsWith(QStringLiteral("0001-01-01")))
        return {};
    QDateTime parsed = QDateTime::fromString(text, Qt::ISODateWithMs);
    return parsed.isValid() ? parsed.toUTC() : QDateTime();
}

DockerLabels labels(const QJsonValue &value)
{
    DockerLabels result;
    const QJsonObject object = value.toObject();
    for (auto it = object.begin(); it != object.end(); ++it)
        result.insert(it.key(), it.value().toString());
    return result;
}

QByteArray filters(const QMap<QString, QStringList> &filters)
{
    QJsonObject object;
    for (auto it = filters.begin(); it != filters.end(); ++it) {
        if (!it.value().isEmpty())
            object.insert(it.key(), stringArray(it.value()));
    }
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

DockerVersion version(const QJsonObject &object)
{
    DockerVersion version;
    version.engineVersion = object.value(QStringLiteral("Version")).toString();
    version.apiVersion = object.value(QStringLiteral("ApiVersion")).toString();
    version.minApiVersion = object.value(QStringLiteral("MinAPIVersion")).toString();
    version.operatingSystem = object.value(QStringLiteral("Os")).toString();
    version.architecture = object.value(QStringLiteral("Arch")).toString();
    version.kernelVersion = object.value(QStringLiteral("KernelVersion")).toString();
    return version;
}

DockerImageInfo image(const QJsonObject &object)
{
    DockerImageInfo image;
    image.id = object.value(QStringLiteral("Id")).toString();
    image.tags = strings(object.value(QStringLiteral("RepoTags")));
    image.size = qint64(object.value(QStringLiteral("Size")).toDouble());
    image.created = time(object.value(QStringLiteral("Created")));
    image.labels =
        labels(object.value(QStringLiteral("Config")).toObject().value(QStringLiteral("Labels")));
    return image;
}

DockerContainerInfo container(const QJsonObject &object)
{
    DockerContainerInfo info;
    info.raw = object;
    info.id = object.value(QStringLiteral("Id")).toString();
    info.name = object.value(QStringLiteral("Name")).toString();
    if (info.name.startsWith(u'/'))
        info.name.remove(0, 1);
    const QJsonObject config = object.value(QStringLiteral("Config")).toObject();
    info.image = config.value(QStringLiteral("Image")).toString();
    info.labels = labels(config.value(QStringLiteral("Labels")));
    info.restartCount = object.value(QStringLiteral("RestartCount")).toInt();
    info.created = time(object.value(QStringLiteral("Created")));
    const QJsonObject state = object.value(QStringLiteral("State")).toObject();
    info.state.status = state.value(QStringLiteral("Status")).toString();
    info.state.running = state.value(QStringLiteral("Running")).toBool();
    info.state.oomKilled = state.value(QStringLiteral("OOMKilled")).toBool();
    info.state.pid = qint64(state.value(QStringLiteral("Pid")).toDouble());
    info.state.exitCode = state.value(QStringLiteral("ExitCode")).toInt();
    info.state.error = state.value(QStringLiteral("Error")).toString();
    info.state.startedAt = time(state.value(QStringLiteral("StartedAt")));
    info.state.finishedAt = time(state.value(QStringLiteral("FinishedAt")));
    return info;
}

DockerContainerSummary containerSummary(const QJsonObject &object)
{
    DockerContainerSummary summary;
    summary.id = object.value(QStringLiteral("Id")).toString();
    summary.name = strings(object.value(QStringLiteral("Names"))).value(0);
    if (summary.name.startsWith(u'/'))
        summary.name.remove(0, 1);
    summary.image = object.value(QStringLiteral("Image")).toString();
    summary.state = object.value(QStringLiteral("State")).toString();
    summary.status = object.value(QStringLiteral("Status")).toString();
    summary.labels = labels(object.value(QStringLiteral("Labels")));
    summary.created = QDateTime::fromSecsSinceEpoch(
        qint64(object.value(QStringLiteral("Created")).toDouble()), Qt::UTC);
    return summary;
}

DockerEvent event(const QJsonObject &object)
{
    DockerEvent event;
    event.type = object.value(QStringLiteral("Type")).toString();
    event.action = object.value(QStringLiteral("Action")).toString();
    const QJsonObject actor = object.value(QStringLiteral("Actor")).toObject();
    event.actorId = actor.value(QStringLiteral("ID")).toString();
    event.attributes = labels(actor.value(QStringLiteral("Attributes")));
    const qint64 nanos = qint64(object.value(QStringLiteral("timeNano")).toDouble());
    event.time = nanos > 0 ? QDateTime::fromMSecsSinceEpoch(nanos / 1000000, Qt::UTC)
                           : QDateTime::fromSecsSinceEpoch(
                                 qint64(object.value(QStringLiteral("time")).toDouble()), Qt::UTC);
    return event;
}

DockerSwarmInfo swarmInfo(const QJsonObject &info)
{
    DockerSwarmInfo swarm;
    const QJsonObject object = info.value(QStringLiteral("Swarm")).toObject();
    swarm.localNodeState = object.value(QStringLiteral("LocalNodeState")).toString();
    swarm.nodeId = object.value(QStringLiteral("NodeID")).toString();
    swarm.nodeAddress = object.value(QStringLiteral("NodeAddr")).toString();
    swarm.controlAvailable = object.value(QStringLiteral("ControlAvailable")).toBool();
    swarm.error = object.value(QStringLiteral("Error")).toString();
    swarm.nodes = object.value(QStringLiteral("Nodes")).toInt();
    swarm.managers = object.value(QStringLiteral("Managers")).toInt();
    swarm.clusterId =
        object.value(QStringLiteral("Cluster")).toObject().value(QStringLiteral("ID")).toString();
    return swarm;
}

DockerNode node(const QJsonObject &object)
{
    DockerNode node;
    node.id = object.value(QStringLiteral("ID")).toString();
    node.version = quint64(object.value(QStringLiteral("Version"))
                               .toObject()
                               .value(QStringLiteral("Index"))
                               .toDouble());
    node.spec = object.value(QStringLiteral("Spec")).toObject();
    node.role = node.spec.value(QStringLiteral("Role")).toString();
    node.availability = node.spec.value(QStringLiteral("Availability")).toString();
    node.labels = labels(node.spec.value(QStringLiteral("Labels")));
    node.hostname = object.value(QStringLiteral("Description"))
                        .toObject()
                        .value(QStringLiteral("Hostname"))
                        .toString();
    const QJsonObject status = object.value(QStringLiteral("Status")).toObject();
    node.state = status.value(QStringLiteral("State")).toString();
    node.address = status.value(QStringLiteral("Addr")).toString();
    const QJsonObject manager = object.value(QStringLiteral("ManagerStatus")).toObject();
    node.leader = manager.value(QStringLiteral("Leader")).toBool();
    node.managerAddress = manager.value(QStringLiteral("Addr")).toString();
    return node;
}

DockerService service(const QJsonObject &object)
{
    DockerService service;
    service.id = object.value(QStringLiteral("ID")).toString();
    service.version = quint64(object.value(QStringLiteral("Version"))
                                  .toObject()
                                  .value(QStringLiteral("Index"))
                                  .toDouble());
    service.spec = object.value(QStringLiteral("Spec")).toObject();
    service.name = service.spec.value(QStringLiteral("Name")).toString();
    service.labels = labels(service.spec.value(QStringLiteral("Labels")));
    service.created = time(object.value(QStringLiteral("CreatedAt")));
    service.updated = time(object.value(QStringLiteral("UpdatedAt")));
    return service;
}

DockerTask task(const QJsonObject &object)
{
    DockerTask task;
    task.id = object.value(QStringLiteral("ID")).toString();
    task.serviceId = object.value(QStringLiteral("ServiceID")).toString();
    task.nodeId = object.value(QStringLiteral("NodeID")).toString();
    task.slot = object.value(QStringLiteral("Slot")).toInt();
    task.desiredState = object.value(QStringLiteral("DesiredState")).toString();
    task.labels = labels(object.value(QStringLiteral("Labels")));
    task.created = time(object.value(QStringLiteral("CreatedAt")));
    task.updated = time(object.value(QStringLiteral("UpdatedAt")));
    const QJsonObject status = object.value(QStringLiteral("Status")).toObject();
    task.state = status.value(QStringLiteral("State")).toString();
    task.message = status.value(QStringLiteral("Message")).toString();
    task.error = status.value(QStringLiteral("Err")).toString();
    task.statusTime = time(status.value(QStringLiteral("Timestamp")));
    const QJsonObject container = status.value(QStringLiteral("ContainerStatus")).toObject();
    task.containerId = container.value(QStringLiteral("ContainerID")).toString();
    task.pid = qint64(container.value(QStringLiteral("PID")).toDouble());
    // The exit code means something only once the task's container ended.
    static const QStringList ended = {QStringLiteral("complete"), QStringLiteral("failed"),
                                      QStringLiteral("shutdown"), QStringLiteral("rejected"),
                                      QStringLiteral("orphaned"), QStringLiteral("remove")};
    if (container.contains(QStringLiteral("ExitCode")) && ended.contains(task.state))
        task.exitCode = container.value(QStringLiteral("ExitCode")).toInt();
    return task;
}

QJsonObject containerCreate(const DockerContainerConfig &config)
{
    QJsonObject body;
    body.insert(QStringLiteral("Image"), config.image);
    if (!config.command.isEmpty())
        body.insert(QStringLiteral("Cmd"), stringArray(config.command));
    if (config.entrypoint)
        body.insert(QStringLiteral("Entrypoint"), stringArray(*config.entrypoint));
    if (!config.environment.isEmpty())
        body.insert(QStringLiteral("Env"), environment(config.environment));
    body.insert(QStringLiteral("Labels"), labelObject(config.labels));
    if (!config.user.isEmpty())
        body.insert(QStringLiteral("User"), config.user);
    if (!config.workingDir.isEmpty())
        body.insert(QStringLiteral("WorkingDir"), config.workingDir);
    if (!config.stopSignal.isEmpty())
        body.insert(QStringLiteral("StopSignal"), config.stopSignal);
    if (config.stopTimeout)
        body.insert(QStringLiteral("StopTimeout"), qint64(config.stopTimeout->count()));
    body.insert(QStringLiteral("Tty"), config.tty);
    body.insert(QStringLiteral("AttachStdout"), false);
    body.insert(QStringLiteral("AttachStderr"), false);
    QJsonObject host;
    if (config.hostNetwork)
        host.insert(QStringLiteral("NetworkMode"), QStringLiteral("host"));
    if (config.memoryLimitBytes > 0) {
        host.insert(QStringLiteral("Memory"), config.memoryLimitBytes);
        // The same bound with swap counted: no swapping past the limit.
        host.insert(QStringLiteral("MemorySwap"), config.memoryLimitBytes);
    }
    host.insert(QStringLiteral("Init"), config.init);
    body.insert(QStringLiteral("HostConfig"), host);
    return body;
}

QJsonObject serviceSpec(const DockerServiceSpec &spec)
{
    QJsonObject container;
    container.insert(QStringLiteral("Image"), spec.image);
    if (!spec.command.isEmpty())
        container.insert(QStringLiteral("Command"), stringArray(spec.command));
    if (!spec.args.isEmpty())
        container.insert(QStringLiteral("Args"), stringArray(spec.args));
    if (!spec.environment.isEmpty())
        container.insert(QStringLiteral("Env"), environment(spec.environment));
    container.insert(QStringLiteral("Labels"), labelObject(spec.containerLabels));
    if (!spec.user.isEmpty())
        container.insert(QStringLiteral("User"), spec.user);
    if (!spec.workingDir.isEmpty())
        container.insert(QStringLiteral("Dir"), spec.workingDir);
    container.insert(QStringLiteral("Init"), spec.init);
    if (!spec.stopSignal.isEmpty())
        container.insert(QStringLiteral("StopSignal"), spec.stopSignal);
    container.insert(QStringLiteral("StopGracePeriod"), nanoseconds(spec.stopGracePeriod));

    QJsonObject task;
    task.insert(QStringLiteral("ContainerSpec"), container);
    if (spec.hostNetwork)
        task.insert(QStringLiteral("Networks"),
                    QJsonArray{QJsonObject{{QStringLiteral("Target"), QStringLiteral("host")}}});
    QJsonObject restart;
    restart.insert(QStringLiteral("Condition"),
                   spec.restart == DockerServiceSpec::Restart::None ? QStringLiteral("none")
                   : spec.restart == DockerServiceSpec::Restart::OnFailure
                       ? QStringLiteral("on-failure")
                       : QStringLiteral("any"));
    restart.insert(QStringLiteral("Delay"), nanoseconds(spec.restartDelay));
    restart.insert(QStringLiteral("MaxAttempts"), spec.restartMaxAttempts);
    task.insert(QStringLiteral("RestartPolicy"), restart);
    QJsonObject limits;
    if (spec.memoryLimitBytes > 0)
        limits.insert(QStringLiteral("MemoryBytes"), spec.memoryLimitBytes);
    if (spec.nanoCpus > 0)
        limits.insert(QStringLiteral("NanoCPUs"), spec.nanoCpus);
    task.insert(QStringLiteral("Resources"), QJsonObject{{QStringLiteral("Limits"), limits}});
    if (!spec.placementConstraints.isEmpty())
        task.insert(
            QStringLiteral("Placement"),
            QJsonObject{{QStringLiteral("Constraints"), stringArray(spec.placementConstraints)}});

    QJsonObject body;
    body.insert(QStringLiteral("Name"), spec.name);
    body.insert(QStringLiteral("Labels"), labelObject(spec.labels));
    body.insert(QStringLiteral("TaskTemplate"), task);
    if (spec.mode == DockerServiceSpec::Mode::ReplicatedJob) {
        body.insert(QStringLiteral("Mode"),
                    QJsonObject{{QStringLiteral("ReplicatedJob"),
                                 QJsonObject{{QStringLiteral("MaxConcurrent"), 1},
                                             {QStringLiteral("TotalCompletions"), 1}}}});
    } else {
        body.insert(QStringLiteral("Mode"),
                    QJsonObject{{QStringLiteral("Replicated"),
                                 QJsonObject{{QStringLiteral("Replicas"), spec.replicas}}}});
    }
    return body;
}

QJsonObject swarmInit(const DockerSwarmInit &init)
{
    QJsonObject body;
    body.insert(QStringLiteral("ListenAddr"), init.listenAddress);
    body.insert(QStringLiteral("AdvertiseAddr"), init.advertiseAddress);
    if (!init.dataPathAddress.isEmpty())
        body.insert(QStringLiteral("DataPathAddr"), init.dataPathAddress);
    if (init.dataPathPort != 0)
        body.insert(QStringLiteral("DataPathPort"), qint64(init.dataPathPort));
    return body;
}

QJsonObject swarmJoin(const DockerSwarmJoin &join)
{
    QJsonObject body;
    body.insert(QStringLiteral("ListenAddr"), join.listenAddress);
    body.insert(QStringLiteral("AdvertiseAddr"), join.advertiseAddress);
    body.insert(QStringLiteral("RemoteAddrs"), stringArray(join.remoteAddresses));
    body.insert(QStringLiteral("JoinToken"), join.joinToken);
    return body;
}

} // namespace Slipway::DockerJson

namespace Slipway {

std::optional<int> DockerEvent::exitCode() const
{
    bool ok = false;
    const int code = attributes.value(QStringLiteral("exitCode")).toInt(&ok);
    return ok ? std::optional<int>(code) : std::nullopt;
}

} // namespace Slipway
