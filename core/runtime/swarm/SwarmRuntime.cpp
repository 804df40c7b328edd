#include "runtime/swarm/SwarmRuntime.h"

#include "release/ProcessTypes.h"
#include "runtime/docker/DockerClient.h"
#include "runtime/docker/DockerContainer.h"
#include "runtime/docker/DockerRuntime.h"
#include "runtime/swarm/SlugServer.h"
#include "runtime/swarm/SwarmContainer.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QSet>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace Slipway {

namespace {

using namespace std::chrono_literals;

constexpr auto PortFile = "swarm-slug-port";

// What a task runs before the process: its slug, fetched from the daemon and unpacked into
// /app; then the same start as on every runtime ($0 the start script, $1 the command).
constexpr auto FetchAndStart = R"(set -e
if ! curl --fail --silent --show-error --retry 5 --retry-connrefused --retry-delay 1 \
     --connect-timeout 10 --max-time 900 --output /tmp/.slug.tgz "$SLIPWAY_SLUG_URL"; then
  echo "cannot fetch the release's slug from slipwayd at ${SLIPWAY_SLUG_URL%%/slugs/*}: is it running, and reachable from this node?" >&2
  exit 1
fi
tar --no-same-owner -xzpf /tmp/.slug.tgz -C /app
rm -f /tmp/.slug.tgz
unset SLIPWAY_SLUG_URL
set +e
exec /bin/bash -c "$0" "$1")";

// The address of this machine that packets to `host` leave from: where a remote cluster's
// nodes reach it.
QString localAddressTowards(const QString &host)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo *found = nullptr;
    if (::getaddrinfo(host.toUtf8().constData(), "9", &hints, &found) != 0 || !found)
        return {};
    QString address;
    const int fd = ::socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
        sockaddr_storage local{};
        socklen_t size = sizeof local;
        if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &size) == 0)
            address = QHostAddress(reinterpret_cast<sockaddr *>(&local)).toString();
    }
    if (fd >= 0)
        ::close(fd);
    ::freeaddrinfo(found);
    return address;
}

} // namespace

SwarmRuntime::SwarmRuntime(DockerEndpoint endpoint, QString owner, QString stackCacheDirectory,
                           QString stateDirectory, QObject *parent)
    : Runtime(parent)
    , m_endpoint(endpoint)
    , m_owner(owner)
    , m_stateDirectory(std::move(stateDirectory))
    , m_engine(new DockerRuntime(std::move(endpoint), std::move(owner),
                                 std::move(stackCacheDirectory), this))
{}

SwarmRuntime::~SwarmRuntime() = default;

DockerClient *SwarmRuntime::client() const
{
    return m_engine->client();
}

QString SwarmRuntime::stackImage() const
{
    return m_engine->stackImage();
}

bool SwarmRuntime::runsOnce(const QString &processType)
{
    return isHookType(processType) || processType == QLatin1String("run");
}

void SwarmRuntime::prepare(const ContainerSpec &spec, Progress progress,
                           std::function<void(Result<void>)> done)
{
    const QPointer<SwarmRuntime> guard = this;
    m_engine->prepare(spec, progress, [guard, progress, done](const Result<void> &prepared) {
        if (!guard)
            return;
        if (!prepared) {
            done(prepared);
            return;
        }
        guard->checkSwarm(progress, done);
    });
}

void SwarmRuntime::checkSwarm(Progress progress, std::function<void(Result<void>)> done)
{
    client()->swarmInfo(this, [this, progress, done](const Result<DockerSwarmInfo> &info) {
        if (!info) {
            done(std::unexpected(info.error()));
            return;
        }
        if (!info->isActive()) {
            done(failure(QStringLiteral("the Docker engine at %1 is not part of a Swarm (its "
                                        "state: %2): run `docker swarm init` on it, or choose "
                                        "runtime=docker for a single engine")
                             .arg(m_endpoint.address(), info->localNodeState)));
            return;
        }
        if (!info->controlAvailable) {
            done(failure(QStringLiteral("the Docker engine at %1 is a Swarm worker: set "
                                        "docker_host to a manager of the cluster (`docker node "
                                        "ls` on a manager lists them)")
                             .arg(m_endpoint.address())));
            return;
        }
        if (!m_slugs) {
            if (Result<void> started = startSlugServer(info->nodeAddress); !started) {
                done(started);
                return;
            }
            progress(QStringLiteral("Swarm cluster %1: %2 node(s), %3 manager(s); tasks fetch "
                                    "their slug from %4:%5")
                         .arg(info->clusterId.left(12))
                         .arg(info->nodes)
                         .arg(info->managers)
                         .arg(m_slugs->address())
                         .arg(m_slugs->port()));
        }
        refreshNodes([done] { done({}); });
    });
}

Result<void> SwarmRuntime::startSlugServer(const QString &nodeAddress)
{
    // Where the nodes reach this daemon: said by SLIPWAY_SWARM_SLUG_ADDRESS, or the address
    // that leads to a remote manager, or this machine's own node address when the manager
    // is here.
    QString address = qEnvironmentVariable("SLIPWAY_SWARM_SLUG_ADDRESS");
    if (address.isEmpty() && m_endpoint.kind() == DockerEndpoint::Kind::Tls)
        address = localAddressTowards(m_endpoint.host());
    if (address.isEmpty() && !QHostAddress(nodeAddress).isNull() &&
        QHostAddress(nodeAddress) != QHostAddress::AnyIPv4)
        address = nodeAddress;
    if (address.isEmpty())
        address = QStringLiteral("127.0.0.1");
    // The same port as last time when it is free: tasks Swarm restarts while the daemon is
    // restarted find their slug at the same URL.
    QFile portFile(QDir(m_stateDirectory).filePath(QLatin1String(PortFile)));
    quint16 port = 0;
    if (!m_stateDirectory.isEmpty() && portFile.open(QIODevice::ReadOnly))
        port = quint16(portFile.readAll().trimmed().toUInt());
    portFile.close();
    Result<std::unique_ptr<SlugServer>> server = SlugServer::start(address, port, m_stateDirectory);
    if (!server && port != 0)
        server = SlugServer::start(address, 0, m_stateDirectory);
    if (!server)
        return std::unexpected(server.error());
    m_slugs = std::move(*server);
    if (!m_stateDirectory.isEmpty() && m_slugs->port() != port &&
        portFile.open(QIODevice::WriteOnly | QIODevice::Truncate))
        portFile.write(QByteArray::number(m_slugs->port()) + '\n');
    return {};
}

QString SwarmRuntime::slugUrl(const QString &slugPath) const
{
    return m_slugs ? m_slugs->publish(slugPath) : QString();
}

DockerServiceSpec SwarmRuntime::serviceSpec(const ContainerSpec &spec, const QString &serviceName,
                                            const QString &slugUrl,
                                            std::chrono::milliseconds grace) const
{
    DockerServiceSpec service;
    service.name = serviceName;
    service.labels = DockerRuntime::labelsFor(spec, m_owner);
    service.labels.insert(QLatin1String(SlugLabel), spec.slugPath);
    service.containerLabels = service.labels;
    service.image = stackImage();
    service.command = {QStringLiteral("/bin/bash"), QStringLiteral("-c"),
                       QLatin1String(FetchAndStart)};
    service.args = {Container::startScript(), spec.command};
    service.environment =
        Container::environmentFor(spec, QStringLiteral("/app"), QStringLiteral("/tmp"));
    service.environment.insert(QStringLiteral("SLIPWAY_SLUG_URL"), slugUrl);
    service.user = QLatin1String(DockerRuntime::SlugUser);
    service.workingDir = QStringLiteral("/app");
    service.stopGracePeriod = grace;
    service.memoryLimitBytes = qint64(spec.memoryLimitMiB) * 1024 * 1024;
    if (runsOnce(spec.processType)) {
        service.mode = DockerServiceSpec::Mode::ReplicatedJob;
        service.restart = DockerServiceSpec::Restart::None;
    } else {
        // Whatever ended it, it comes back, as a local container does after a crash.
        service.restart = DockerServiceSpec::Restart::Any;
        service.restartDelay = 1s;
        service.replicas = 1;
    }
    return service;
}

QString SwarmRuntime::reachableHost() const
{
    if (m_endpoint.kind() == DockerEndpoint::Kind::Tls)
        return m_endpoint.host();
    return QStringLiteral("127.0.0.1");
}

void SwarmRuntime::node(const QString &nodeId, std::function<void(Node)> done)
{
    auto answer = [this, nodeId, done] {
        Node found = m_nodes.value(nodeId);
        if (found.address.isEmpty())
            found.address = reachableHost();
        found.id = nodeId;
        done(found);
    };
    // Nodes join, leave and change: the list is fetched again when it is a few seconds old.
    if (m_nodes.contains(nodeId) && m_nodesFetched.isValid() && !m_nodesFetched.hasExpired(10000)) {
        answer();
        return;
    }
    refreshNodes(answer);
}

void SwarmRuntime::refreshNodes(std::function<void()> done)
{
    m_refreshing.append(std::move(done));
    if (m_refreshing.size() > 1)
        return;
    client()->listNodes(this, [this](const Result<QList<DockerNode>> &nodes) {
        if (nodes) {
            m_nodesFetched.start();
            m_nodes.clear();
            QHash<QString, int> hostnames;
            for (const DockerNode &node : *nodes)
                ++hostnames[node.hostname];
            for (const DockerNode &node : *nodes) {
                const QHostAddress address(node.address);
                Node entry;
                entry.id = node.id;
                entry.address =
                    address.isNull() || address == QHostAddress::AnyIPv4 ? QString() : node.address;
                entry.name = hostnames.value(node.hostname) > 1
                                 ? QStringLiteral("%1 (%2)").arg(node.hostname, node.address)
                                 : node.hostname;
                m_nodes.insert(node.id, entry);
            }
        }
        const auto waiting = std::exchange(m_refreshing, {});
        for (const auto &callback : waiting)
            callback();
    });
}

Container *SwarmRuntime::create(const ContainerSpec &spec, QObject *parent)
{
    return new SwarmContainer(spec, this, parent);
}

void SwarmRuntime::findRunning(const QString &app,
                               std::function<void(Result<QList<Container *>>)> done,
                               QObject *parent)
{
    const QStringList labels = {
        QStringLiteral("%1=%2").arg(QLatin1String(DockerRuntime::OwnerLabel), m_owner),
        QStringLiteral("%1=%2").arg(QLatin1String(DockerRuntime::AppLabel), app)};
    const QPointer<QObject> owner = parent;
    // The slug server and the node list first: a task Swarm restarts must find its slug.
    ContainerSpec probe;
    probe.app = app;
    prepare(
        probe, [](const QString &) {},
        [this, labels, owner, done](const Result<void> &prepared) {
            if (!prepared) {
                done(std::unexpected(prepared.error()));
                return;
            }
            client()->listServices(
                labels, this, [this, owner, done](const Result<QList<DockerService>> &listed) {
                    if (!listed) {
                        done(std::unexpected(listed.error()));
                        return;
                    }
                    struct Gathering
                    {
                        int pending = 1;
                        QList<Container *> found;
                    };
                    auto gathering = std::make_shared<Gathering>();
                    auto settle = [gathering, done] {
                        if (--gathering->pending == 0)
                            done(gathering->found);
                    };
                    for (const DockerService &service : *listed) {
                        std::optional<ContainerSpec> spec =
                            DockerContainer::specFromLabels(service.labels);
                        if (!spec || runsOnce(spec->processType)) {
                            // A hook or a one-off no daemon watches any more: removed.
                            client()->removeService(service.id, this, [](const Result<void> &) {});
                            continue;
                        }
                        spec->slugPath = service.labels.value(QLatin1String(SlugLabel));
                        slugUrl(spec->slugPath);
                        ++gathering->pending;
                        client()->listTasks(
                            service.id, this,
                            [this, owner, spec, service, gathering,
                             settle](const Result<QList<DockerTask>> &tasks) {
                                std::optional<DockerTask> running;
                                for (const DockerTask &task : tasks.value_or(QList<DockerTask>{})) {
                                    if (task.state == QLatin1String("running") &&
                                        task.desiredState == QLatin1String("running")) {
                                        running = task;
                                        break;
                                    }
                                }
                                if (!running || !owner) {
                                    client()->removeService(service.id, this,
                                                            [](const Result<void> &) {});
                                    settle();
                                    return;
                                }
                                node(running->nodeId, [this, owner, spec, service, running,
                                                       gathering, settle](const Node &where) {
                                    if (owner)
                                        gathering->found.append(new SwarmContainer(
                                            *spec, this, service, *running, where, owner));
                                    settle();
                                });
                            });
                    }
                    settle();
                });
        });
}

} // namespace Slipway
