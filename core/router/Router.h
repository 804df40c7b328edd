#pragma once

#include "router/Backend.h"
#include "util/Result.h"

#include <QHash>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace Slipway {

class BackendDrain;
class BackendTraffic;
class HttpListener;
class RouterState;
class RouterWorker;
class TcpProxy;
struct RouteBackend;
class UpstreamGate;

// The HTTP/1.1 reverse proxy in front of the apps: routes by host name (<app>.localhost),
// balances round-robin over the app's ready web containers, keeps connections alive on both
// sides, streams bodies both ways, passes upgrades (WebSocket) through, and writes an access
// log per app. Also carries the per-app TCP ports of `tcp` process types.
//
// The I/O runs on its own threads (Boost.Asio, one io_context per thread); every public
// method here is thread-safe, and routing changes apply at once to new requests while
// requests in flight finish where they started.
class Router : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QString address = QStringLiteral("127.0.0.1");
        quint16 port = 0; // 0: any free port
        int threads = 2;
        QString accessLogDirectory;                         // one <app>.log per app when set
        std::chrono::milliseconds connectTimeout{5000};     // to a backend, then the next one
        std::chrono::milliseconds clientIdleTimeout{60000}; // keep-alive between requests
        // Without a byte either way for this long, a body, a slow answer or a tunnel is cut.
        std::chrono::milliseconds streamIdleTimeout{600000};
        // At most this many connections to one container at a time, across all threads and
        // counting idle pooled ones (0: no limit, and no opening limit either), and at most
        // backendOpeningLimit of them being opened: a connection counts as opening until the
        // app first answers on it (or for a quarter of a second). An app with a listen
        // backlog of 5 drops the connections opened all at once beyond it, as to a container
        // that just took over under load. Requests beyond the limits queue, first come first
        // served, for the first connection that comes back free or the first place, and get
        // a 503 after backendQueueTimeout. Upgraded connections (WebSocket) stop counting once
        // switched: they last as long as their conversation.
        std::size_t backendConnectionLimit = 128;
        std::size_t backendOpeningLimit = 4;
        std::chrono::milliseconds backendQueueTimeout{10000};
        // The slowest a request body may come, on average, once bodyGrace is over. Its
        // first 64 KB are read before a backend connection is taken, so slow uploads hold
        // no place of a container meanwhile.
        std::chrono::milliseconds bodyGrace{30000};
        std::uint64_t minimumBodyRate = 4096; // bytes per second
        // Addresses of proxies in front of the router whose X-Forwarded-For, Forwarded and
        // X-Real-IP are passed on (the client's address appended); from anyone else these
        // fields are replaced, since an app must be able to trust them.
        QStringList trustedProxies;
    };

    explicit Router(Options options, QObject *parent = nullptr);
    ~Router() override; // stops and joins the threads

    // Binds and starts serving; the error names the address and why.
    Result<void> start();
    // Closes the listening socket and every open connection, then joins the threads.
    void stop();
    bool isRunning() const;
    quint16 port() const;

    // An app known to the router. An empty list answers 503 ("no container ready"); a
    // non-empty list also ends the "deploying" state.
    void setBackends(const QString &app, const QList<Backend> &web);
    // While an app has no backends yet: 503 "deploying" with Retry-After instead.
    void setDeploying(const QString &app, bool deploying);
    // Forgets the app (its host answers 404) and closes its TCP port.
    void removeApp(const QString &app);
    QList<Backend> backends(const QString &app) const;
    QStringList apps() const;

    // Connection draining, before a container that left `app`'s backends (setBackends) is
    // stopped: the router sends it nothing new (a request that picked it from a routing
    // table read just before the switch picks again from the current one) and the drain
    // reports `drained` once no request to it is in flight and every I/O thread has closed
    // its idle connections to it. Upgraded connections (WebSocket) are not waited for. A
    // backend the router does not know (never routed, or long gone) is drained at once.
    // The caller owns the drain; `drained` comes on this object's thread.
    BackendDrain *drain(const QString &app, const Backend &backend, QObject *parent = nullptr);

    // `tcp` process types: a per-app port whose connections go round-robin to the app's tcp
    // containers, bytes passed through untouched. Needs a running router.
    Result<quint16> openTcpPort(const QString &app, quint16 port = 0);
    void setTcpBackends(const QString &app, const QList<Backend> &tcp);
    void closeTcpPort(const QString &app);
    quint16 tcpPort(const QString &app) const;

    QString accessLogPath(const QString &app) const;

Q_SIGNALS:
    // One per request, on the router's thread, while something listens. The files in
    // accessLogDirectory are written by the I/O threads themselves, a quarter of a second
    // after the request at the latest.
    void accessLogged(const QString &app, const QString &line);

protected:
    void connectNotify(const QMetaMethod &signal) override;
    void disconnectNotify(const QMetaMethod &signal) override;

private:
    struct AppEntry
    {
        QList<Backend> web;
        std::vector<std::uint64_t> slots;                 // parallel to `web`
        std::vector<std::shared_ptr<UpstreamGate>> gates; // parallel to `web`, kept with the slot
        std::vector<std::shared_ptr<BackendTraffic>> traffic; // parallel to `web`, the same
        // `web` resolved once, when set, so publishing a table never waits on a resolver.
        std::shared_ptr<const std::vector<RouteBackend>> routes;
        bool deploying = false;
        std::shared_ptr<std::atomic<std::uint64_t>> nextBackend =
            std::make_shared<std::atomic<std::uint64_t>>(0);
    };

    // A backend that left its app's routes, until it is drained or nothing refers to it.
    struct Departed
    {
        QString app;
        Backend backend;
        std::weak_ptr<BackendTraffic> traffic;
    };

    void publishLocked();
    void drainStep(quint64 id);
    void drainAccessLog();
    void updateAccessLogEnabled();

    const Options m_options;
    std::unique_ptr<RouterState> m_state;
    std::atomic<bool> m_signalListened{false};
    std::atomic<bool> m_recheckListeners{false}; // a listener went: is there still one?

    mutable QMutex m_mutex;
    QHash<QString, AppEntry> m_apps;
    QHash<QString, QList<Backend>> m_tcpBackends;
    QHash<QString, std::shared_ptr<TcpProxy>> m_tcpProxies;
    std::uint64_t m_nextSlot = 1;
    QList<Departed> m_departed;
    QHash<quint64, BackendDrain *> m_drains; // by id, until drained or deleted; this thread only
    quint64 m_nextDrain = 1;
    // What the I/O threads reach this object through; cleared first thing in the destructor.
    std::shared_ptr<std::atomic<Router *>> m_self = std::make_shared<std::atomic<Router *>>(this);
    std::vector<std::unique_ptr<RouterWorker>> m_workers;
    std::shared_ptr<HttpListener> m_listener;
    quint16 m_port = 0;
};

} // namespace Slipway
