#pragma once

#include <QString>

#include <optional>

namespace Slipway {

// What git's progress meter (`git clone --progress`, on stderr) says of a transfer:
//   "Receiving objects:  45% (450/1000), 1.20 MiB | 300.00 KiB/s"
// Only the receiving of objects counts bytes; git never knows their total in advance, only
// the number of objects.
struct GitProgress
{
    qint64 bytes = 0;
    int objects = 0;
    int totalObjects = 0;

    // The bytes received so far, when the line is a "Receiving objects" update that
    // carries them.
    static std::optional<GitProgress> parse(const QString &line);
    // Any line of git's progress meters ("remote: Counting objects: 40% (4/10)",
    // "Resolving deltas: 100% (3/3), done."): not something that went wrong.
    static bool isProgressLine(const QString &line);
};

} // namespace Slipway
