#pragma once

#include "util/Result.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <sys/types.h>

namespace Slipway {

// How containers and builds are isolated on this machine. With bubblewrap, each runs with
// its own PID, IPC, UTS and network namespaces, sees only the stack (/usr, /etc and the
// links to them), a private /tmp and the folders it is given; never the user's home,
// /run/user, the daemon's data, its socket or another app. slipway-sandbox-init then drops
// every capability, sets no_new_privs and loads the system call filter; a daemon running
// as root has its sandboxes run as `nobody` in a user namespace of their own. Without
// bubblewrap: a plain process group, and the console says isolation is off.
class Sandbox
{
public:
    struct Mount
    {
        QString source;
        QString target;
        bool writable = false;
    };

    struct Setup
    {
        QList<Mount> mounts;
        QString workingDirectory;
        // Builds fetch their dependencies through the host's network; containers have a
        // network namespace of their own, reached through `socketChannel`.
        bool hostNetwork = false;
        // The sandbox's end of a SandboxSocketSource channel, inherited by the sandbox.
        int socketChannel = -1;
        // bubblewrap writes the pid of the sandbox's first process to `infoDescriptor`;
        // slipway-sandbox-init, once bubblewrap is done, says so on `holdDescriptor` and
        // waits there for a go before it runs the command: the time to connect the sandbox's
        // network namespace to the outside (OutboundNetwork). Both inherited.
        int infoDescriptor = -1;
        int holdDescriptor = -1;
        // A file the sandbox reads as its /etc/resolv.conf; empty: the host's.
        QString resolverFile;
    };

    static bool isAvailable();
    // Why isolation is off, for the console and the deployment log; empty when it is on.
    static QString unavailableReason();

    // Everything before the command: bubblewrap's options, then slipway-sandbox-init and
    // its own, each list closed by `--`.
    static QStringList arguments(const Setup &setup);
    // bubblewrap's options that show the stack (/usr, /etc, the /lib and /bin links)
    // read-only and nothing else. Binding all of "/" instead would also copy every mount
    // below it, which fails at random on a host where other software (Docker) mounts and
    // unmounts while bubblewrap sets up.
    static QStringList stackArguments();
    // Whether an absolute path lies in what stackArguments() shows.
    static bool isInStack(const QString &path);

    // slipway-sandbox-init: SLIPWAY_SANDBOX_INIT, next to the executable, in
    // ../libexec/slipway, or where the build tree made it. Empty when not found.
    static QString initProgram();

    // A daemon running as root never runs an app or a buildpack as root.
    static bool dropsRoot();
    // Where the resolver configuration is read inside a sandbox: /etc/resolv.conf, or the
    // file it links to (systemd-resolved keeps it under /run).
    static QString resolverPath();
    static uid_t userId();
    static gid_t groupId();
    // Gives `paths` (recursively, links themselves) to the sandbox's user when the daemon
    // runs as root, so an app or a build can write there; nothing to do otherwise.
    static Result<void> handOver(const QStringList &paths);

    static constexpr const char *AppMountPoint = "/app";
    static constexpr const char *InitMountPoint = "/run/slipway/sandbox-init";
};

} // namespace Slipway
