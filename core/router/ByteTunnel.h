#pragma once

#include "router/IoTypes.h"

#include <boost/asio/buffer.hpp>

#include <chrono>
#include <cstdint>

namespace Slipway {

class RouterWorker;
class WatchedConnection;

// Copies raw bytes both ways between two sockets: upgraded HTTP connections (WebSocket)
// and the per-app TCP ports. An end-of-stream on one side is passed on as a half-close, so
// "send everything, then read the answer" clients work; an error on either side closes both.
class ByteTunnel
{
public:
    struct Totals
    {
        std::uint64_t fromFirst = 0;  // bytes that went first -> second
        std::uint64_t fromSecond = 0; // bytes that went second -> first
    };

    ByteTunnel(RouterWorker &worker, WatchedConnection &watch, std::chrono::milliseconds idleLimit);

    // `pendingFromFirst`/`pendingFromSecond`: bytes already read from that side (what
    // followed the HTTP upgrade in the parser's buffer); sent before anything else.
    Io::Task<Totals> run(Io::Socket &first, boost::asio::const_buffer pendingFromFirst,
                         Io::Socket &second, boost::asio::const_buffer pendingFromSecond);

private:
    Io::Task<std::uint64_t> pump(Io::Socket &from, Io::Socket &to,
                                 boost::asio::const_buffer pending);
    void touch();

    RouterWorker &m_worker;
    WatchedConnection &m_watch;
    std::chrono::milliseconds m_idleLimit;
};

} // namespace Slipway
