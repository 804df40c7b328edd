#pragma once

#include "util/Result.h"

#include <QSet>
#include <QString>

#include <atomic>

namespace Slipway {

// Operations on folder trees that never follow symbolic links: a link is copied, measured
// and removed as the link itself.
class FileTree
{
public:
    // Total size of the regular files below `directory`, skipping the relative paths in
    // `excluded`. Stops counting once `stopAbove` is passed (0: no stop).
    static qint64 size(const QString &directory, const QSet<QString> &excluded = {},
                       qint64 stopAbove = 0);

    // Copies the contents of `from` into the existing folder `to`, keeping modes and
    // links, skipping the relative paths in `excluded`.
    static Result<void> copyContents(const QString &from, const QString &to,
                                     const QSet<QString> &excluded = {},
                                     const std::atomic<bool> *cancelled = nullptr);

    // Moves every entry of `from` into `to` (same file system), then removes `from`.
    static Result<void> moveContents(const QString &from, const QString &to);

    static bool isEmpty(const QString &directory);

    // "12.4 MB", "816 KB", "12 B".
    static QString humanSize(qint64 bytes);
};

} // namespace Slipway
