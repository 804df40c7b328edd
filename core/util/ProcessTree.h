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

    // The memory the tree uses, in bytes: the proportional set size (shared pages split
    // between their users) of every member, summed; resident size where PSS is not known.
    static qint64 memoryUsage(pid_t sessionLeader);
    static qint64 memoryUsage(const QList<pid_t> &pids);

    // Orphans of a killed tree are re-parented to us rather than to init, so they stay
    // findable and reapable (prctl PR_SET_CHILD_SUBREAPER).
    static void becomeSubreaper();

    // Reaps zombies among `pids` that are our own children (orphans handed to us as
    // subreaper). Never touches a pid that is not in the list.
    static void reap(const QList<pid_t> &pids);
};

} // namespace Slipway
