#pragma once

#include <QList>

#include <optional>

namespace TestSupport {

// One TCP socket of this network namespace, as the kernel reports it.
struct TcpSocket
{
    quint16 localPort = 0;
    quint16 remotePort = 0;
    int state = 0; // TCP_ESTABLISHED (1), TCP_TIME_WAIT (6), TCP_LISTEN (10)...
};

// Every IPv4 and IPv6 TCP socket of this network namespace, asked of the kernel in one
// sock_diag dump per family. Reading /proc/net/tcp instead misses lines whenever other
// connections come and go during the read, which on a busy machine is always. Empty when
// the kernel refuses the question (no sock_diag).
std::optional<QList<TcpSocket>> tcpSockets();

} // namespace TestSupport
