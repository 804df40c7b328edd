#pragma once

#include "util/Result.h"

#include <QString>

namespace Slipway {

// Finds the daemon's socket and, when nothing answers there, starts `slipwayd` on it, so a
// first `slipctl create` or a first start of the console just works. SLIPWAY_NO_AUTOSTART=1
// turns the start off (scripts and tests that must never leave a daemon behind). Blocking:
// the console calls it off its GUI thread.
class DaemonLauncher
{
public:
    // $SLIPWAY_SOCKET, else $XDG_RUNTIME_DIR/slipway/slipwayd.sock, else
    // /tmp/slipway-<uid>/slipwayd.sock.
    static QString defaultSocketPath();

    // True when something accepts connections on the socket.
    static bool isListening(const QString &socketPath);

    // slipwayd next to this binary, then in the build tree's layout (app/<program>/ beside
    // app/slipwayd/), then on PATH; empty
    // when there is none.
    static QString daemonProgram();

    DaemonLauncher(const QString &socketPath, const QString &dataDirectory);

    // Says why no daemon can be started, or nothing when daemonProgram() found one.
    Result<void> checkProgram() const;
    // Starts slipwayd detached (own session, output to slipwayd.log in the data folder)
    // and waits up to 10 s for it to accept connections on the socket.
    Result<void> start();

    QString logFile() const { return m_logFile; }

private:
    QString m_socketPath;
    QString m_dataDirectory; // as given with --data-dir; empty: the daemon's default
    QString m_logFile;
};

} // namespace Slipway
