#include "util/FileTree.h"

#include "util/DiskSpace.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace Slipway {

namespace {

constexpr QDir::Filters everything =
    QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System;

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// Both walks keep the folders still to visit in a list, never on the call stack: a tree
// may come from an archive of anyone's making, thousands of levels deep.
qint64 sizeBelow(const QString &root, const QSet<QString> &excluded, qint64 stopAbove)
{
    qint64 total = 0;
    QStringList pending = {QString()};
    while (!pending.isEmpty()) {
        const QString relative = pending.takeLast();
        const QDir dir(relative.isEmpty() ? root : root + QLatin1Char('/') + relative);
        const QFileInfoList entries = dir.entryInfoList(everything);
        for (const QFileInfo &entry : entries) {
            const QString path = relative.isEmpty()
                                     ? entry.fileName()
                                     : relative + QLatin1Char('/') + entry.fileName();
            if (excluded.contains(path) || entry.isSymLink())
                continue;
            if (entry.isDir())
                pending.append(path);
            else
                total += entry.size();
            if (stopAbove > 0 && total > stopAbove)
                return total;
        }
    }
    return total;
}

Result<void> copyEntries(const QString &from, const QString &to, const QSet<QString> &excluded,
                         const std::atomic<bool> *cancelled)
{
    QStringList pending = {QString()};
    while (!pending.isEmpty()) {
        const QString relative = pending.takeLast();
        const QString sourceDir = relative.isEmpty() ? from : from + QLatin1Char('/') + relative;
        const QString targetDir = relative.isEmpty() ? to : to + QLatin1Char('/') + relative;
        const QFileInfoList entries = QDir(sourceDir).entryInfoList(everything);
        for (const QFileInfo &entry : entries) {
            if (cancelled && cancelled->load())
                return failure(QStringLiteral("cancelled"));
            const QString path = relative.isEmpty()
                                     ? entry.fileName()
                                     : relative + QLatin1Char('/') + entry.fileName();
            if (excluded.contains(path))
                continue;
            const QString target = targetDir + QLatin1Char('/') + entry.fileName();
            const QByteArray sourceBytes = QFile::encodeName(entry.filePath());
            const QByteArray targetBytes = QFile::encodeName(target);
            struct stat info
            {
            };
            if (::lstat(sourceBytes.constData(), &info) != 0)
                return failure(QStringLiteral("cannot read '%1': %2").arg(path, errnoText()));
            if (S_ISLNK(info.st_mode)) {
                QByteArray buffer(4096, Qt::Uninitialized);
                const ssize_t length =
                    ::readlink(sourceBytes.constData(), buffer.data(), buffer.size() - 1);
                if (length < 0)
                    return failure(
                        QStringLiteral("cannot read link '%1': %2").arg(path, errnoText()));
                buffer.truncate(length);
                if (::symlink(buffer.constData(), targetBytes.constData()) != 0)
                    return failure(
                        QStringLiteral("cannot create link '%1': %2").arg(path, errnoText()));
            } else if (S_ISDIR(info.st_mode)) {
                if (::mkdir(targetBytes.constData(), (info.st_mode & 07777) | S_IRWXU) != 0)
                    return failure(
                        QStringLiteral("cannot create folder '%1': %2").arg(path, errnoText()));
                pending.append(path);
            } else if (S_ISREG(info.st_mode)) {
                std::error_code error;
                std::filesystem::copy_file(sourceBytes.constData(), targetBytes.constData(),
                                           std::filesystem::copy_options::none, error);
                if (error) {
                    const QString message = QStringLiteral("cannot copy '%1': %2")
                                                .arg(path, QString::fromLocal8Bit(error.message()));
                    // Said before the partial copy goes and gives its space back.
                    const bool noSpace =
                        error == std::errc::no_space_on_device || error.value() == EDQUOT;
                    const QString explained = noSpace ? DiskSpace::explainFull(message, targetDir)
                                                      : DiskSpace::explain(message, {targetDir});
                    ::unlink(targetBytes.constData());
                    return failure(explained);
                }
                ::chmod(targetBytes.constData(), info.st_mode & 07777);
            }
            // Sockets, FIFOs and devices have no place in an app's source: skipped.
        }
    }
    return {};
}

} // namespace

qint64 FileTree::size(const QString &directory, const QSet<QString> &excluded, qint64 stopAbove)
{
    return sizeBelow(directory, excluded, stopAbove);
}

Result<void> FileTree::copyContents(const QString &from, const QString &to,
                                    const QSet<QString> &excluded,
                                    const std::atomic<bool> *cancelled)
{
    if (!QFileInfo(from).isDir())
        return failure(QStringLiteral("'%1' is not a folder").arg(from));
    if (!QDir().mkpath(to))
        return failure(QStringLiteral("cannot create '%1'").arg(to));
    return copyEntries(from, to, excluded, cancelled);
}

Result<void> FileTree::moveContents(const QString &from, const QString &to)
{
    if (!QDir().mkpath(to))
        return failure(QStringLiteral("cannot create '%1'").arg(to));
    const QStringList names = QDir(from).entryList(everything);
    for (const QString &name : names) {
        const QByteArray source = QFile::encodeName(from + QLatin1Char('/') + name);
        const QByteArray target = QFile::encodeName(to + QLatin1Char('/') + name);
        if (::rename(source.constData(), target.constData()) != 0)
            return failure(QStringLiteral("cannot move '%1': %2").arg(name, errnoText()));
    }
    QDir().rmdir(from);
    return {};
}

bool FileTree::isEmpty(const QString &directory)
{
    return QDir(directory).entryList(everything).isEmpty();
}

QString FileTree::humanSize(qint64 bytes)
{
    if (bytes >= 1024 * 1024)
        return QStringLiteral("%1 MB").arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1);
    if (bytes >= 1024)
        return QStringLiteral("%1 KB").arg(bytes / 1024);
    return QStringLiteral("%1 B").arg(bytes);
}

} // namespace Slipway
