#include "runtime/ReleaseUnpacker.h"

#include "archive/ArchiveExtractor.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QUuid>

namespace Slipway {

namespace {

// Slugs are ours and may be larger than sources (dependencies installed).
constexpr qint64 SlugSizeLimit = 4LL * 1024 * 1024 * 1024;

QByteArray fileSha256(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return hash.result().toHex();
}

} // namespace

Result<QString> ReleaseUnpacker::unpack(const QString &slugPath, const QByteArray &sha256,
                                        const QString &root)
{
    const QByteArray digest = sha256.isEmpty() ? fileSha256(slugPath) : sha256;
    if (digest.isEmpty())
        return failure(QStringLiteral("cannot read the slug '%1'").arg(slugPath));
    const QString target = root + QLatin1Char('/') + QString::fromLatin1(digest.left(24));
    // Unpacked beside it, then renamed: a folder that exists is always complete.
    if (QFileInfo::exists(target))
        return target;
    const QString staging =
        target + QStringLiteral(".partial-") + QUuid::createUuid().toString(QUuid::Id128).left(8);
    QDir().mkpath(staging);
    ArchiveExtractor::Options options;
    options.sizeLimit = SlugSizeLimit;
    options.allowLinksOutside = true;   // a virtualenv links to the stack's python, by design
    options.unwrapSingleFolder = false; // a slug is the app itself, whatever its shape
    Result<ExtractedArchive> extracted = ArchiveExtractor::extract(slugPath, staging, options);
    if (!extracted) {
        QDir(staging).removeRecursively();
        return failure(QStringLiteral("cannot unpack the slug: %1").arg(extracted.error().message));
    }
    if (!QDir().rename(staging, target)) {
        QDir(staging).removeRecursively();
        if (QFileInfo::exists(target))
            return target; // unpacked meanwhile by another deployment
        return failure(QStringLiteral("cannot move the unpacked slug into '%1'").arg(target));
    }
    return target;
}

} // namespace Slipway
