#include "router/Router.h"

#include "router/BackendDrain.h"
#include "router/BackendTraffic.h"
#include "router/HttpListener.h"
#include "router/RouterLogging.h"
#include "router/RouterState.h"
#include "router/RouterWorker.h"
#include "router/RoutingTable.h"
#include "router/TcpProxy.h"
#include "router/UpstreamGate.h"
#include "router/UpstreamPool.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include <QDir>
#include <QMetaMethod>

#include <algorithm>
#include <optional>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace Slipway {

namespace {

// Backends are normally addresses; a name ("localhost") is resolved once, here, so the
// request path never waits on a resolver.
std::optional<tcp::endpoint> resolve(const Backend &backend)
{
    boost::system::error_code error;
    const std::string host = backend.host.toStdString();
    const asio::ip::address address = asio::ip::make_address(host, error);
    if (!error)
        return tcp::endpoint(address, backend.port);
    asio::io_context context;
    tcp::resolver resolver(context);
    const auto results = resolver.resolve(host, std::to_string(backend.port), error);
    if (error || results.empty()) {
        qCWarning(lcRouter, "backend %s: cannot resolve %s: %s", qUtf8Printable(backend.container),
                  host.c_str(), error ? error.message().c_str() : "no address");
        return std::nullopt;
    }
    return results.begin()->endpoint();
}

TcpProxy::Endpoints resolveAll(const QList<Backend> &backends)
{
    TcpProxy::Endpoints endpoints;
    endpoints.reserve(std::size_t(backends.size()));
    for (const Backend &backend : backends) {
        if (const auto endpoint = resolve(backend))
            endpoints.push_back({*endpoint, backend.sockets});
    }
    return endpoints;
}

} // namespace

Router::Router(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    // Runs on I/O threads, once per batch of log lines; the batch is handled on ours.
    const RouterTimeouts timeouts{
        m_options.connectTimeout,    m_options.clientIdleTimeout,
        m_options.streamIdleTimeout, m_options.backendQueueTimeout,
        m_options.bodyGrace,         std::max<std::uint64_t>(1, m_options.minimumBodyRate)};
    m_state = std::make_unique<RouterState>(timeouts, [this] {
        QMetaObject::invokeMethod(this, &Router::drainAccessLog, Qt::QueuedConnection);
    });
    std::vector<std::string> trusted;
    for (const QString &proxy : std::as_const(m_options.trustedProxies)) {
        boost::system::error_code error;
        const asio::ip::address address = asio::ip::make_address(proxy.toStdString(), error);
        if (error)
            qCWarning(lcRouter, "trusted proxy %s is not an IP address; ignored",
                      qUtf8Printable(proxy));
        else
            trusted.push_back(address.to_string()); // the form the request path compares
    }
    m_state->setTrustedProxies(std::move(trusted));
    if (!m_options.accessLogDirectory.isEmpty()) {
        QDir().mkpath(m_options.accessLogDirectory);
        m_state->setAccessLogDirectory(QDir(m_options.accessLogDirectory).path().toStdString());
    }
    updateAccessLogEnabled();
}

Router::~Router()
{
    m_self->store(nullptr);
    stop();
}

Result<void> Router::start()
{
    QMutexLocker lock(&m_mutex);
    if (!m_workers.empty())
        return {};
    boost::system::error_code error;
    const asio::ip::address address =
        asio::ip::make_address(m_options.address.toStdString(), error);
    if (error)
        return failure(
            QStringLiteral("The router cannot listen on %1:%2: \"%1\" is not an IP address.")
                .arg(m_options.address)
                .arg(m_options.port));

    std::vector<std::unique_ptr<RouterWorker>> workers;
    std::vector<RouterWorker *> handles;
    const int threads = std::max(1, m_options.threads);
    for (int i = 0; i < threads; ++i) {
        workers.push_back(std::make_unique<RouterWorker>(*m_state, i));
        handles.push_back(workers.back().get());
    }
    Result<std::shared_ptr<HttpListener>> listener =
        HttpListener::listen(handles, tcp::endpoint(address, m_options.port));
    if (!listener)
        return std::unexpected(listener.error());

    // A request queued for a busy backend frees the places idle connections hold elsewhere.
    m_state->setIdleReclaimer([handles](std::uint64_t slot) {
        for (RouterWorker *worker : handles)
            asio::post(worker->context(), [worker, slot] { worker->pool().closeIdle(slot); });
    });
    m_workers = std::move(workers);
    m_listener = std::move(*listener);
    m_port = m_listener->port();
    m_state->setPort(m_port);
    for (const auto &worker : m_workers)
        worker->start();
    m_listener->start();
    return {};
}

void Router::stop()
{
    QMutexLocker lock(&m_mutex);
    if (m_workers.empty())
        return;
    m_listener->close();
    for (const std::shared_ptr<TcpProxy> &proxy : std::as_const(m_tcpProxies))
        proxy->close();
    for (const auto &worker : m_workers)
        worker->stop();
    m_state->setIdleReclaimer({});
    // Everything bound to a worker's io_context goes before the workers themselves.
    m_listener.reset();
    m_tcpProxies.clear();
    m_workers.clear();
    m_port = 0;
    m_state->setPort(0);
    lock.unlock();
    drainAccessLog(); // what the last requests logged
}

bool Router::isRunning() const
{
    QMutexLocker lock(&m_mutex);
    return !m_workers.empty();
}

quint16 Router::port() const
{
    QMutexLocker lock(&m_mutex);
    return m_port;
}

void Router::setBackends(const QString &app, const QList<Backend> &web)
{
    QMutexLocker lock(&m_mutex);
    AppEntry &entry = m_apps[app];
    // A backend that stays keeps its slot (and its pooled connections); a new one, or one
    // that comes back after leaving, gets a fresh slot.
    // Its connection limit and its traffic stay with the slot too.
    std::vector<std::uint64_t> slots;
    std::vector<std::shared_ptr<UpstreamGate>> gates;
    std::vector<std::shared_ptr<BackendTraffic>> traffic;
    slots.reserve(std::size_t(web.size()));
    gates.reserve(std::size_t(web.size()));
    traffic.reserve(std::size_t(web.size()));
    std::vector<bool> taken(std::size_t(entry.web.size()), false);
    for (const Backend &backend : web) {
        std::uint64_t slot = 0;
        std::shared_ptr<UpstreamGate> gate;
        std::shared_ptr<BackendTraffic> requests;
        for (qsizetype i = 0; i < entry.web.size(); ++i) {
            if (!taken[std::size_t(i)] && entry.web[i] == backend) {
                taken[std::size_t(i)] = true;
                slot = entry.slots[std::size_t(i)];
                gate = entry.gates[std::size_t(i)];
                requests = entry.traffic[std::size_t(i)];
                break;
            }
        }
        if (!slot) {
            slot = m_nextSlot++;
            if (m_options.backendConnectionLimit > 0)
                gate = std::make_shared<UpstreamGate>(m_options.backendConnectionLimit,
                                                      m_options.backendOpeningLimit);
            requests = std::make_shared<BackendTraffic>();
        }
        slots.push_back(slot);
        gates.push_back(std::move(gate));
        traffic.push_back(std::move(requests));
    }
    // The ones that left stay known until they are drained (or nothing refers to them).
    m_departed.removeIf([](const Departed &departed) { return departed.traffic.expired(); });
    for (qsizetype i = 0; i < entry.web.size(); ++i) {
        if (!taken[std::size_t(i)])
            m_departed.append({app, entry.web[i], entry.traffic[std::size_t(i)]});
    }
    auto routes = std::make_shared<std::vector<RouteBackend>>();
    for (qsizetype i = 0; i < web.size(); ++i) {
        if (const std::optional<tcp::endpoint> endpoint = resolve(web[i]))
            routes->push_back(RouteBackend{*endpoint, web[i].sockets,
                                           web[i].container.toStdString(), slots[std::size_t(i)],
                                           gates[std::size_t(i)], traffic[std::size_t(i)]});
    }
    entry.web = web;
    entry.slots = std::move(slots);
    entry.gates = std::move(gates);
    entry.traffic = std::move(traffic);
    entry.routes = std::move(routes);
    if (!web.isEmpty())
        entry.deploying = false;
    publishLocked();
}

BackendDrain *Router::drain(const QString &app, const Backend &backend, QObject *parent)
{
    QMutexLocker lock(&m_mutex);
    std::shared_ptr<BackendTraffic> traffic;
    for (qsizetype i = 0; i < m_departed.size(); ++i) {
        if (m_departed.at(i).app == app && m_departed.at(i).backend == backend) {
            traffic = m_departed.at(i).traffic.lock();
            m_departed.removeAt(i);
            break;
        }
    }
    // Waited for: the last request to leave, and each worker closing its idle connections
    // (refreshTable() prunes the pool; it runs after the table change already posted).
    const int steps = 1 + int(m_workers.size());
    auto *drain = new BackendDrain(traffic, steps, parent);
    const quint64 id = m_nextDrain++;
    m_drains.insert(id, drain);
    connect(drain, &QObject::destroyed, this, [this, id] { m_drains.remove(id); });
    const std::shared_ptr<std::atomic<Router *>> self = m_self;
    auto report = [self, id] {
        if (Router *router = self->load())
            QMetaObject::invokeMethod(
                router, [router, id] { router->drainStep(id); }, Qt::QueuedConnection);
    };
    drain->m_inFlightAtStart = traffic ? traffic->retire(report) : 0;
    if (!traffic)
        report();
    for (const auto &worker : m_workers) {
        RouterWorker *handle = worker.get();
        asio::post(handle->context(), [handle, report] {
            handle->refreshTable();
            report();
        });
    }
    return drain;
}

void Router::drainStep(quint64 id)
{
    if (BackendDrain *drain = m_drains.value(id))
        drain->stepDone();
}

void Router::setDeploying(const QString &app, bool deploying)
{
    QMutexLocker lock(&m_mutex);
    m_apps[app].deploying = deploying;
    publishLocked();
}

void Router::removeApp(const QString &app)
{
    QMutexLocker lock(&m_mutex);
    m_apps.remove(app);
    m_tcpBackends.remove(app);
    if (const std::shared_ptr<TcpProxy> proxy = m_tcpProxies.take(app))
        proxy->close();
    publishLocked();
}

QList<Backend> Router::backends(const QString &app) const
{
    QMutexLocker lock(&m_mutex);
    return m_apps.value(app).web;
}

QStringList Router::apps() const
{
    QMutexLocker lock(&m_mutex);
    QStringList names = m_apps.keys();
    names.sort();
    return names;
}

void Router::publishLocked()
{
    auto table = std::make_shared<RoutingTable>();
    for (auto it = m_apps.cbegin(); it != m_apps.cend(); ++it) {
        const AppEntry &entry = it.value();
        AppRoute route;
        route.name = it.key().toStdString();
        route.deploying = entry.deploying;
        route.nextBackend = entry.nextBackend;
        if (entry.routes)
            route.backends = *entry.routes;
        table->insert(it.key().toLower().toStdString(), std::move(route));
    }
    m_state->publish(std::move(table));
    // Workers drop idle connections to backends that left, even if no request comes.
    for (const auto &worker : m_workers) {
        RouterWorker *handle = worker.get();
        asio::post(handle->context(), [handle] { handle->refreshTable(); });
    }
}

Result<quint16> Router::openTcpPort(const QString &app, quint16 port)
{
    QMutexLocker lock(&m_mutex);
    if (m_workers.empty())
        return failure(
            QStringLiteral("The router is not running, so %1 cannot get a TCP port.").arg(app));
    if (const std::shared_ptr<TcpProxy> existing = m_tcpProxies.value(app)) {
        if (port == 0 || port == existing->port())
            return existing->port();
        return failure(
            QStringLiteral("%1 already has TCP port %2; close it before opening port %3.")
                .arg(app)
                .arg(existing->port())
                .arg(port));
    }
    boost::system::error_code error;
    const asio::ip::address address =
        asio::ip::make_address(m_options.address.toStdString(), error);
    RouterWorker &worker = *m_workers[std::size_t(m_tcpProxies.size()) % m_workers.size()];
    Result<std::shared_ptr<TcpProxy>> proxy =
        TcpProxy::open(worker, app, tcp::endpoint(address, port));
    if (!proxy)
        return std::unexpected(proxy.error());
    (*proxy)->setBackends(resolveAll(m_tcpBackends.value(app)));
    (*proxy)->start();
    m_tcpProxies.insert(app, *proxy);
    return (*proxy)->port();
}

void Router::setTcpBackends(const QString &app, const QList<Backend> &tcp)
{
    QMutexLocker lock(&m_mutex);
    m_tcpBackends.insert(app, tcp);
    if (const std::shared_ptr<TcpProxy> proxy = m_tcpProxies.value(app))
        proxy->setBackends(resolveAll(tcp));
}

void Router::closeTcpPort(const QString &app)
{
    QMutexLocker lock(&m_mutex);
    if (const std::shared_ptr<TcpProxy> proxy = m_tcpProxies.take(app))
        proxy->close();
}

quint16 Router::tcpPort(const QString &app) const
{
    QMutexLocker lock(&m_mutex);
    const std::shared_ptr<TcpProxy> proxy = m_tcpProxies.value(app);
    return proxy ? proxy->port() : 0;
}

QString Router::accessLogPath(const QString &app) const
{
    if (m_options.accessLogDirectory.isEmpty())
        return {};
    return QDir(m_options.accessLogDirectory).filePath(app + QStringLiteral(".log"));
}

void Router::connectNotify(const QMetaMethod &signal)
{
    if (signal == QMetaMethod::fromSignal(&Router::accessLogged)) {
        m_signalListened = true;
        updateAccessLogEnabled();
    }
}

void Router::disconnectNotify(const QMetaMethod &signal)
{
    // Qt may call this with one of its connection locks held (a receiver being destroyed
    // does), so asking isSignalConnected() here can deadlock on that lock. Whether anyone
    // still listens is looked up later, on the router's thread, when the next lines come in.
    // An invalid method means "everything was disconnected".
    if (!signal.isValid() || signal == QMetaMethod::fromSignal(&Router::accessLogged))
        m_recheckListeners = true;
}

void Router::updateAccessLogEnabled()
{
    m_state->setAccessLogEnabled(!m_options.accessLogDirectory.isEmpty() || m_signalListened,
                                 m_signalListened);
}

void Router::drainAccessLog()
{
    if (m_recheckListeners.exchange(false)) {
        m_signalListened = isSignalConnected(QMetaMethod::fromSignal(&Router::accessLogged));
        updateAccessLogEnabled();
    }
    const std::vector<AccessLogEntry> entries = m_state->takeAccessLog();
    for (const AccessLogEntry &entry : entries)
        Q_EMIT accessLogged(entry.app, entry.line);
}

} // namespace Slipway
