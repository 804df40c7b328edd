#pragma once

#include "util/Result.h"

#include <QString>

namespace Slipway {

// Unpacks a release's slug once into a folder that every container of that slug copies
// from. Releases sharing a slug (config changes, rollbacks) share the folder.
class ReleaseUnpacker
{
public:
    // `root` holds one folder per slug, named after the slug's SHA-256. Blocking: call it
    // off the GUI thread.
    static Result<QString> unpack(const QString &slugPath, const QByteArray &sha256,
                                  const QString &root);
};

} // namespace Slipway
