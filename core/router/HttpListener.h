#pragma once

#include "router/IoTypes.h"

#include "util/Result.h"

#include <atomic>
#include <memory>
#include <vector>

#include <sys/socket.h>

namespace Slipway {

class ConnectionAdmission;

class RouterWorker;

// The router's listening socket. It accepts on the first worker and hands each connection
// to the workers in turn, so the load is spread evenly whatever the kernel would do.
class HttpListener : public std::enable_shared_from_this<HttpListener>
{
public:
    // Binds and listens at once, so the caller learns about a taken port right away.
    static Result<std::shared_ptr<HttpListener>>
    listen(std::vector<RouterWorker *> workers, const boost::asio::ip::tcp::endpoint &endpoint);

    quint16 port() const { return m_port; }
    void start();
    // Thread-safe: stops accepting; connections already open are left alone.
    void close();

    explicit HttpListener(std::vector<RouterWorker *> workers);

private:
    Io::Task<void> acceptLoop();
    void handOver(int descriptor, const sockaddr_storage &peer, socklen_t peerLength);

    std::vector<RouterWorker *> m_workers;
    Io::Acceptor m_acceptor;
    std::shared_ptr<ConnectionAdmission> m_admission;
    std::atomic<bool> m_warnedFull{false};
    quint16 m_port = 0;
    std::size_t m_next = 0;
};

} // namespace Slipway
