#pragma once

#include "router/IoTypes.h"

#include "router/WatchedConnection.h"

#include <memory>

namespace Slipway {

class RouterWorker;
class TcpProxy;

// One connection on an app's TCP port: connect to a tcp container (the next one if it
// refuses), then tunnel bytes until both sides are done.
class TcpSession final : public WatchedConnection
{
public:
    TcpSession(RouterWorker &worker, std::shared_ptr<TcpProxy> proxy, Io::Socket client);
    ~TcpSession() override;

    static Io::Task<void> serve(RouterWorker &worker, std::shared_ptr<TcpProxy> proxy,
                                Io::Socket client);

    void expire() override;
    void shutdown() override;

private:
    Io::Task<void> run();

    RouterWorker &m_worker;
    std::shared_ptr<TcpProxy> m_proxy;
    Io::Socket m_client;
    Io::Socket m_upstream;
    bool m_connecting = false;
    bool m_closed = false;
};

} // namespace Slipway
