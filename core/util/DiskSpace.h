#pragma once

#include <QString>
#include <QStringList>

namespace Slipway {

// Says when a failure came from a full disk, and where. Writes that fail for lack of space
// surface in many shapes ("Cannot write the archive", "cannot copy 'x'", a compiler's own
// error); the free space left where the work was written tells them apart.
class DiskSpace
{
public:
    // Below this, a file system counts as full: a build or a log write needs more.
    static constexpr qint64 NearlyFullBytes = 4 * 1024 * 1024;

    // "the disk holding '/data/work' is full (0 B free of 12 MB)" for the first of `paths`
    // whose file system is full; empty when none is.
    static QString fullDisk(const QStringList &paths);

    // `message`, led by what fullDisk() says and followed by what to do when one of `paths`
    // is on a full disk; `message` unchanged otherwise.
    static QString explain(const QString &message, const QStringList &paths);
    // The same for a write the system refused for lack of space (ENOSPC, EDQUOT): said
    // whatever the space left now, which the failed write may already have given back.
    static QString explainFull(const QString &message, const QString &path);
};

} // namespace Slipway
