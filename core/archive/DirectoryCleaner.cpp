#include "DirectoryCleaner.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace Slipway {

namespace {

constexpr QFile::Permissions OwnerFullAccess =
    QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;

} // namespace

Result<> DirectoryCleaner::removePath(const QString &path)
{
    const QFileInfo info(path);
    if (info.isSymLink() || !info.isDir()) {
        if (!info.exists() && !info.isSymLink())
            return {};
        QFile file(path);
        if (!file.remove())
            return failure(u"Cannot remove %1: %2"_s.arg(path, file.errorString()));
        return {};
    }

    if ((info.permissions() & OwnerFullAccess) != OwnerFullAccess)
        QFile::setPermissions(path, info.permissions() | OwnerFullAccess);
    if (auto emptied = removeContents(path); !emptied)
        return emptied;
    if (!QDir().rmdir(path))
        return failure(u"Cannot remove the folder %1."_s.arg(path));
    return {};
}

Result<> DirectoryCleaner::removeContents(const QString &directory)
{
    const QDir dir(directory);
    // System lists FIFOs, sockets and dangling symlinks, Hidden the dot files.
    const QStringList names =
        dir.entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
    for (const QString &name : names) {
        if (auto removed = removePath(dir.filePath(name)); !removed)
            return removed;
    }
    return {};
}

} // namespace Slipway
