#pragma once

#include <QString>
#include <QStringList>

namespace Slipway {

// How containers are isolated on this machine: with bubblewrap, each gets its own PID, IPC
// and mount namespaces, the host system read-only, a private /tmp and its app at /app;
// without it, a plain process group in the app folder.
class Sandbox
{
public:
    static bool isAvailable();
    // Why isolation is off, for the console and the deployment log; empty when it is on.
    static QString unavailableReason();

    // bubblewrap options (before `--`) for a container whose writable app folder is
    // `appDirectory` on the host.
    static QStringList arguments(const QString &appDirectory);

    static constexpr const char *AppMountPoint = "/app";
};

} // namespace Slipway
