#pragma once

#include "router/IoTypes.h"

#include "util/Result.h"

#include <QString>

#include <atomic>
#include <memory>
#include <unordered_set>
#include <vector>

namespace Slipway {

class SandboxSocketSource;

class RouterWorker;
class TcpSession;

// A per-app TCP port for `tcp` process types: each connection goes, round-robin, to one of
// the app's tcp containers, and bytes flow both ways untouched. Lives on one worker.
class TcpProxy : public std::enable_shared_from_this<TcpProxy>
{
public:
    struct Target
    {
        boost::asio::ip::tcp::endpoint endpoint;
        std::shared_ptr<SandboxSocketSource> sockets; // a sandboxed container's; else null
    };
    using Endpoints = std::vector<Target>;

    static Result<std::shared_ptr<TcpProxy>> open(RouterWorker &worker, const QString &app,
                                                  const boost::asio::ip::tcp::endpoint &endpoint);

    TcpProxy(RouterWorker &worker, QString app);
    quint16 port() const { return m_port; }

    void start();
    // Thread-safe; new connections use the new list at once.
    void setBackends(Endpoints endpoints);
    // Thread-safe: stops accepting and closes the connections it carries.
    void close();

    // Worker thread only.
    std::shared_ptr<const Endpoints> backends() const
    {
        return m_backends.load(std::memory_order_acquire);
    }
    std::size_t nextBackend() { return m_next.fetch_add(1, std::memory_order_relaxed); }
    void attach(TcpSession *session) { m_sessions.insert(session); }
    void detach(TcpSession *session) { m_sessions.erase(session); }

private:
    Io::Task<void> acceptLoop();

    RouterWorker &m_worker;
    QString m_app;
    Io::Acceptor m_acceptor;
    quint16 m_port = 0;
    std::atomic<std::shared_ptr<const Endpoints>> m_backends;
    std::atomic<std::size_t> m_next{0};
    std::unordered_set<TcpSession *> m_sessions;
};

} // namespace Slipway
