#include "runtime/Sandbox.h"

#include "util/ProcessRunner.h"

#include <QDir>
#include <QFileInfo>

namespace Slipway {

bool Sandbox::isAvailable()
{
    return ProcessRunner::pidNamespacesAvailable();
}

QString Sandbox::unavailableReason()
{
    if (isAvailable())
        return {};
    return QStringLiteral("bubblewrap (bwrap) is not installed or cannot create namespaces for "
                          "this user; containers run as plain process groups without isolation");
}

QStringList Sandbox::arguments(const QString &appDirectory)
{
    QStringList arguments = {QStringLiteral("--die-with-parent"), QStringLiteral("--unshare-pid"),
                             QStringLiteral("--unshare-ipc")};
    // The host's top level, read-only, as it is: folders bound, symbolic links (the merged
    // /usr layout's /bin, /lib, ...) recreated. What a container must own is set apart.
    static const QStringList ownedByContainer = {QStringLiteral("proc"), QStringLiteral("dev"),
                                                 QStringLiteral("tmp"), QStringLiteral("app"),
                                                 QStringLiteral("lost+found")};
    const QFileInfoList entries =
        QDir(QStringLiteral("/"))
            .entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System);
    for (const QFileInfo &entry : entries) {
        if (ownedByContainer.contains(entry.fileName()))
            continue;
        const QString path = QLatin1Char('/') + entry.fileName();
        if (entry.isSymLink()) {
            arguments << QStringLiteral("--symlink") << entry.symLinkTarget() << path;
        } else if (entry.isDir()) {
            arguments << QStringLiteral("--ro-bind-try") << path << path;
        }
    }
    arguments << QStringLiteral("--proc") << QStringLiteral("/proc") << QStringLiteral("--dev")
              << QStringLiteral("/dev") << QStringLiteral("--tmpfs") << QStringLiteral("/tmp")
              << QStringLiteral("--bind") << appDirectory << QString::fromLatin1(AppMountPoint)
              << QStringLiteral("--chdir") << QString::fromLatin1(AppMountPoint);
    return arguments;
}

} // namespace Slipway
