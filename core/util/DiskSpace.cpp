#include "util/DiskSpace.h"

#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QStorageInfo>

namespace Slipway {

namespace {

// The nearest existing folder: the failed write may have been the one to create `path`.
QString existingFolder(QString path)
{
    while (!path.isEmpty() && !QFileInfo(path).isDir()) {
        const QString parent = QFileInfo(path).path();
        if (parent == path)
            break;
        path = parent;
    }
    return path;
}

QString size(qint64 bytes)
{
    return QLocale::c().formattedDataSize(qMax<qint64>(bytes, 0), 1,
                                          QLocale::DataSizeTraditionalFormat);
}

// "the disk holding '/data' is full (0 B free of 12 MB)" when `always` or the file system
// holding `path` has less than NearlyFullBytes left; empty otherwise.
QString describe(const QString &path, bool always)
{
    if (path.isEmpty())
        return {};
    const QString folder = existingFolder(QDir::cleanPath(path));
    QStorageInfo storage(folder);
    if (folder.isEmpty() || !storage.isValid() || !storage.isReady())
        return always ? QStringLiteral("the disk holding '%1' is full").arg(path) : QString();
    storage.refresh();
    if (!always && storage.bytesAvailable() >= DiskSpace::NearlyFullBytes)
        return {};
    return QStringLiteral("the disk holding '%1' is full (%2 free of %3)")
        .arg(path, size(storage.bytesAvailable()), size(storage.bytesTotal()));
}

QString withAdvice(const QString &full, const QString &message)
{
    return QStringLiteral("%1: %2. Free some space on it (or give it more), then try again")
        .arg(full, message);
}

} // namespace

QString DiskSpace::fullDisk(const QStringList &paths)
{
    for (const QString &path : paths) {
        if (const QString full = describe(path, false); !full.isEmpty())
            return full;
    }
    return {};
}

QString DiskSpace::explain(const QString &message, const QStringList &paths)
{
    // Explained once, where the write failed, is enough.
    if (message.contains(QLatin1String("the disk holding ")))
        return message;
    const QString full = fullDisk(paths);
    return full.isEmpty() ? message : withAdvice(full, message);
}

QString DiskSpace::explainFull(const QString &message, const QString &path)
{
    return withAdvice(describe(path, true), message);
}

} // namespace Slipway
