#pragma once

#include <QString>

#include <sys/types.h>

namespace Slipway {

// Tells the user's own processes from those inside a container or build sandbox: every
// sandbox has user and PID namespaces of its own, so a process that does not share both
// with the daemon is inside one (or somewhere else the daemon cannot vouch for).
class PeerProcess
{
public:
    // Empty when `pid` shares the daemon's user and PID namespaces; else why not, for the log.
    static QString foreignNamespace(pid_t pid);
    // The process holding the local end `peerAddress:peerPort` of a loopback TCP connection
    // to `ourPort`, from /proc/net/tcp{,6} and /proc/*/fd; 0 when not found.
    static pid_t ofLoopbackTcp(const QString &peerAddress, quint16 peerPort, quint16 ourPort);

private:
    static pid_t lookupLoopbackTcp(const QString &peerAddress, quint16 peerPort, quint16 ourPort);
};

} // namespace Slipway
