#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QSet>
#include <QString>

#include <atomic>

namespace Slipway {

struct WrittenArchive
{
    qint64 compressedBytes = 0;
    qint64 uncompressedBytes = 0; // the tar stream
    int entryCount = 0;
    QByteArray sha256; // hex, of the output file
};

// Writes slugs and other archives Slipway produces.
class ArchiveWriter
{
public:
    // A gzip-compressed pax tar of the contents of `directory`, named like
    // `tar -C directory -czf outputPath .` names them ("./", "./bin/", "./bin/web"). Keeps
    // modes, mtimes (whole seconds) and symlinks as symlinks; owners are uid/gid 0 without
    // names. Sockets, FIFOs and devices are left out. Entries are sorted, so the same tree
    // gives the same bytes. `excluded` holds relative paths (files or whole folders) to skip.
    // The output appears atomically: on failure or cancel nothing is left at `outputPath`.
    static Result<WrittenArchive> writeTarGz(const QString &directory, const QString &outputPath,
                                             const QSet<QString> &excluded = {},
                                             const std::atomic<bool> *cancelled = nullptr);
};

} // namespace Slipway
