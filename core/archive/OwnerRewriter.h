#pragma once

#include "util/Result.h"

#include <QString>

namespace Slipway {

// Copies a (compressed) tar archive to a gzip-compressed one whose every entry belongs to
// `uid`:`gid`, names left out: what a container engine unpacks then belongs to the user the
// app runs as, whatever user made the archive. Entries, contents, modes, times and links are
// kept as they are. The output appears atomically; on failure nothing is left at
// `outputPath`.
class OwnerRewriter
{
public:
    static Result<void> rewrite(const QString &inputPath, const QString &outputPath, qint64 uid,
                                qint64 gid);
};

} // namespace Slipway
