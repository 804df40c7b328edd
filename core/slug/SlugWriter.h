#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <functional>

namespace Slipway {

struct Slug
{
    QString path;
    qint64 sizeBytes = 0;
    qint64 uncompressedBytes = 0; // the tar stream
    QByteArray sha256;            // hex
};

// Turns a built app folder into the slug a release runs: `.slugignore` applied, `.git` left
// out, everything else in a .tar.gz.
class SlugWriter
{
public:
    // Applies the app's `.slugignore` (deleting what it matches from `appDirectory`), then
    // writes the slug to `slugPath`. `log` gets Heroku-style build output lines.
    static Result<Slug> write(const QString &appDirectory, const QString &slugPath,
                              const std::function<void(const QString &)> &log = {},
                              const std::atomic<bool> *cancelled = nullptr);
};

} // namespace Slipway
