#pragma once

#include <QList>

#include <sys/types.h>

namespace Slipway {

// The processes that belong to a tree started in its own session: every process of that
// session plus every descendant (by parent pid) of those, found through /proc.
class ProcessTree
{
public:
    static QList<pid_t> members(pid_t sessionLeader);

    // Stops the whole tree first so nothing can fork while it is being signalled, then
    // sends `signal` to every member and lets them run again to receive it.
    static void signalAll(pid_t sessionLeader, int signal, bool sparingLeader = false);

    static bool isAlive(pid_t pid);

    // Whether `pid` names a path under `folder` in its arguments or works in it: how a
    // process a daemon of that folder started is told from one that only got its pid
    // number again (pids come round again within minutes on a busy machine).
    static bool refersTo(pid_t pid, const QString &folder);

    // Sends SIGKILL to the sandboxes (bubblewrap processes) that are not ours and name a
    // path under `folder` in their arguments, and returns their pids: what a daemon of that
    // folder killed while starting one leaves behind. bubblewrap's inner process then waits
    // forever for its outer one, gone with the daemon before it could let it go on. Each is
    // held by a pidfd while it is looked at, so a pid reused meanwhile is never signalled.
    static QList<pid_t> endStrayBubblewrapsUnder(const QString &folder);

    // The memory the tree uses, in bytes: the proportional set size (shared pages split
    // between their users) of every member, summed; resident size where PSS is not known.
    static qint64 memoryUsage(pid_t sessionLeader);
    static qint64 memoryUsage(const QList<pid_t> &pids);

    // Orphans of a killed tree are re-parented to us rather than to init, so they stay
    // findable and reapable (prctl PR_SET_CHILD_SUBREAPER).
    static void becomeSubreaper();

    // Reaps each of `pids` that is our child as soon as it ends, however late: processes
    // just sent SIGKILL are not dead yet, and left unreaped they stay zombies for the
    // daemon's life (a sandbox's inner bubblewrap, adopted when the outer one goes first).
    // Each process is held by a pidfd, so a pid number reused meanwhile is never touched.
    // Needs the calling thread's event loop.
    static void reapWhenDone(const QList<pid_t> &pids);

    // Reaps our zombie children that lived in a PID namespace of their own: a sandbox's
    // inner bubblewrap, handed to us (as subreaper) when the outer one ended first. None of
    // them is a QProcess's child, whose own bookkeeping must not be disturbed: those always
    // run in our namespace.
    static void reapAdoptedSandboxes();
};

} // namespace Slipway
