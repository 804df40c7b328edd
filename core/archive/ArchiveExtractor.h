#pragma once

#include "util/Result.h"

#include <QString>

#include <atomic>

namespace Slipway {

struct ExtractedArchive
{
    qint64 totalBytes = 0;
    int entryCount = 0;
    // The destination, or its single top-level folder when the archive holds only that
    // (GitHub tarballs, "zip this folder" archives).
    QString sourceRoot;
};

// Unpacks source archives, buildpack tarballs and slugs. Most come from outside, so every
// entry is checked before it is written and a refused archive leaves nothing behind.
class ArchiveExtractor
{
public:
    static constexpr qint64 DefaultSizeLimit = 300LL * 1024 * 1024;
    // An app's source, even with its dependencies, stays well under these; a tree of
    // empty files or folders nested thousands deep is an attack on the disk or the stack.
    static constexpr int DefaultEntryLimit = 100000;
    static constexpr int DefaultDepthLimit = 100;

    struct Options
    {
        qint64 sizeLimit = DefaultSizeLimit;
        int entryLimit = DefaultEntryLimit;
        int depthLimit = DefaultDepthLimit; // folders an entry's path may go down
        // For archives Slipway wrote itself (slugs): symlinks may point anywhere, since a
        // virtualenv links to the stack's python by design. Writing through a symlink,
        // absolute and ".." paths, outside hard links and devices stay refused.
        bool allowLinksOutside = false;
        // Whether sourceRoot may be the archive's single top-level folder.
        bool unwrapSingleFolder = true;
        const std::atomic<bool> *cancelled = nullptr;
    };

    // .tar .tar.gz .tgz .tar.bz2 .tbz2 .tar.xz .txz .zip, any case.
    static bool isArchiveName(const QString &fileName);

    // Extracts into `destination`, an existing empty folder. Refuses, naming the entry:
    // absolute paths, ".." components, entries under a symlink, symlinks resolving outside
    // the destination, hard links to anything but a file extracted before them, devices,
    // FIFOs and sockets; damaged archives; more than `sizeLimit` bytes uncompressed, more
    // than `entryLimit` entries, paths deeper than `depthLimit` folders. On any
    // failure the destination is emptied again. Keeps modes and mtimes, never owners.
    static Result<ExtractedArchive> extract(const QString &archivePath, const QString &destination,
                                            qint64 sizeLimit = DefaultSizeLimit,
                                            const std::atomic<bool> *cancelled = nullptr);
    static Result<ExtractedArchive> extract(const QString &archivePath, const QString &destination,
                                            const Options &options);
};

} // namespace Slipway
