#pragma once

#include <QString>

namespace Slipway {

// Where the console finds its daemon: a Unix socket on this machine (started on demand
// with the given data folder when nothing answers there).
struct DaemonEndpoint
{
    QString socketPath;
    QString dataDirectory; // empty: the daemon's default
    bool autostart = true; // start slipwayd when nothing answers

    QString describe() const { return socketPath; }
};

} // namespace Slipway
