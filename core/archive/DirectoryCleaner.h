#pragma once

#include "util/Result.h"

#include <QString>

namespace Slipway {

// Removes files and folders without ever following a symlink: a link is removed, never
// what it points to. Read-only folders (Go's module cache, some archives) are made
// writable first, since their entries cannot be deleted otherwise.
class DirectoryCleaner
{
public:
    // Removes `path` whatever it is: file, symlink (dangling or not) or whole folder.
    // A path that does not exist is not an error.
    static Result<> removePath(const QString &path);
    // Empties `directory` and keeps the folder itself.
    static Result<> removeContents(const QString &directory);
};

} // namespace Slipway
