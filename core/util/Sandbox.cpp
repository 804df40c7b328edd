#include "util/Sandbox.h"

#include "util/ProcessRunner.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

#include <pwd.h>
#include <unistd.h>

namespace Slipway {

namespace {

// The stack: what programs of the Debian system need to run. Everything else of the host
// (/home, /root, /run, /var, /srv, /mnt, /media, /opt, /sys...) stays out.
const QStringList StackFolders = {QStringLiteral("usr"),   QStringLiteral("etc"),
                                  QStringLiteral("bin"),   QStringLiteral("sbin"),
                                  QStringLiteral("lib"),   QStringLiteral("lib32"),
                                  QStringLiteral("lib64"), QStringLiteral("libx32")};

struct SandboxUser
{
    uid_t uid = 65534;
    gid_t gid = 65534;
};

SandboxUser sandboxUser()
{
    static const SandboxUser user = [] {
        SandboxUser found;
        if (const passwd *entry = ::getpwnam("nobody")) {
            found.uid = entry->pw_uid;
            found.gid = entry->pw_gid;
        }
        return found;
    }();
    return user;
}

} // namespace

bool Sandbox::isAvailable()
{
    return ProcessRunner::pidNamespacesAvailable() && !initProgram().isEmpty();
}

QString Sandbox::unavailableReason()
{
    if (!ProcessRunner::pidNamespacesAvailable())
        return QStringLiteral("bubblewrap (bwrap) is not installed or cannot create namespaces "
                              "for this user; containers and builds run as plain process groups "
                              "without isolation");
    if (initProgram().isEmpty())
        return QStringLiteral("slipway-sandbox-init was not found next to slipwayd or in "
                              "libexec/slipway; reinstall Slipway. Containers and builds run "
                              "without isolation");
    return {};
}

QString Sandbox::initProgram()
{
    static const QString path = [] {
        QStringList candidates;
        const QString fromEnvironment = qEnvironmentVariable("SLIPWAY_SANDBOX_INIT");
        if (!fromEnvironment.isEmpty())
            candidates << fromEnvironment;
        if (QCoreApplication::instance()) {
            const QString here = QCoreApplication::applicationDirPath();
            candidates << here + QStringLiteral("/slipway-sandbox-init")
                       << here + QStringLiteral("/../libexec/slipway/slipway-sandbox-init");
        }
        candidates << QStringLiteral(SLIPWAY_INSTALL_LIBEXECDIR "/slipway/slipway-sandbox-init")
                   << QStringLiteral(SLIPWAY_BUILD_SANDBOX_INIT);
        for (const QString &candidate : std::as_const(candidates)) {
            const QFileInfo info(candidate);
            if (info.isFile() && info.isExecutable())
                return info.canonicalFilePath();
        }
        return QString();
    }();
    return path;
}

bool Sandbox::dropsRoot()
{
    return ::geteuid() == 0;
}

QString Sandbox::resolverPath()
{
    const QFileInfo resolver(QStringLiteral("/etc/resolv.conf"));
    if (!resolver.isSymLink())
        return resolver.filePath();
    // bubblewrap makes the folders of a link's target that the sandbox lacks (/run is not
    // there), so the link the stack holds leads to the file bound there.
    const QString target = resolver.canonicalFilePath();
    return target.isEmpty() ? resolver.symLinkTarget() : target;
}

uid_t Sandbox::userId()
{
    return sandboxUser().uid;
}

gid_t Sandbox::groupId()
{
    return sandboxUser().gid;
}

Result<void> Sandbox::handOver(const QStringList &paths)
{
    if (!dropsRoot())
        return {};
    const SandboxUser user = sandboxUser();
    for (const QString &path : paths) {
        const auto give = [&](const QString &file) -> Result<void> {
            if (::lchown(QFile::encodeName(file).constData(), user.uid, user.gid) != 0)
                return failure(QStringLiteral("cannot give '%1' to the sandbox's user: %2")
                                   .arg(file, QString::fromLocal8Bit(::strerror(errno))));
            return {};
        };
        if (Result<void> given = give(path); !given)
            return given;
        // The iterator walks without recursion and never follows links.
        QDirIterator it(path, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                        QDirIterator::Subdirectories);
        while (it.hasNext()) {
            if (Result<void> given = give(it.next()); !given)
                return given;
        }
    }
    return {};
}

QStringList Sandbox::stackArguments()
{
    // The merged /usr layout's links (/bin -> usr/bin...) are made again, not bound.
    QStringList arguments;
    const QFileInfoList entries =
        QDir(QStringLiteral("/"))
            .entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System);
    for (const QFileInfo &entry : entries) {
        if (!StackFolders.contains(entry.fileName()))
            continue;
        const QString path = QLatin1Char('/') + entry.fileName();
        if (entry.isSymLink())
            arguments << QStringLiteral("--symlink") << entry.symLinkTarget() << path;
        else if (entry.isDir())
            arguments << QStringLiteral("--ro-bind") << path << path;
    }
    return arguments;
}

bool Sandbox::isInStack(const QString &path)
{
    return path.startsWith(QLatin1Char('/')) &&
           StackFolders.contains(path.section(QLatin1Char('/'), 1, 1));
}

QStringList Sandbox::arguments(const Setup &setup)
{
    QStringList arguments = {QStringLiteral("--die-with-parent"), QStringLiteral("--unshare-pid"),
                             QStringLiteral("--unshare-ipc"), QStringLiteral("--unshare-uts"),
                             QStringLiteral("--unshare-cgroup-try")};
    if (!setup.hostNetwork)
        arguments << QStringLiteral("--unshare-net");
    if (setup.infoDescriptor >= 0)
        arguments << QStringLiteral("--info-fd") << QString::number(setup.infoDescriptor);
    if (dropsRoot()) {
        // bubblewrap sets up as root; slipway-sandbox-init then leaves root for good and
        // needs only these three to do so.
        arguments << QStringLiteral("--cap-drop") << QStringLiteral("ALL")
                  << QStringLiteral("--cap-add") << QStringLiteral("CAP_SETUID")
                  << QStringLiteral("--cap-add") << QStringLiteral("CAP_SETGID")
                  << QStringLiteral("--cap-add") << QStringLiteral("CAP_SETPCAP");
    } else {
        arguments << QStringLiteral("--unshare-user") << QStringLiteral("--cap-drop")
                  << QStringLiteral("ALL");
    }
    arguments << stackArguments();
    // A resolver configuration kept elsewhere (systemd-resolved's, under /run): the folders
    // bubblewrap makes on the way would be closed to the sandbox's user.
    const QString resolverTarget = resolverPath();
    const bool resolverOutsideStack = !isInStack(resolverTarget);
    const auto openWayToResolver = [&] {
        const QStringList parts = resolverTarget.split(QLatin1Char('/'), Qt::SkipEmptyParts);
        QString path;
        for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
            path += QLatin1Char('/') + parts.at(i);
            arguments << QStringLiteral("--perms") << QStringLiteral("0755")
                      << QStringLiteral("--dir") << path;
        }
    };
    const QFileInfo resolver(QStringLiteral("/etc/resolv.conf"));
    if (setup.hostNetwork && resolver.isSymLink() && resolverOutsideStack &&
        QFileInfo::exists(resolverTarget)) {
        openWayToResolver();
        arguments << QStringLiteral("--ro-bind") << resolverTarget << resolverTarget;
    }
    if (!setup.resolverFile.isEmpty()) {
        if (resolverOutsideStack)
            openWayToResolver();
        arguments << QStringLiteral("--ro-bind") << setup.resolverFile << resolverTarget;
    }
    arguments << QStringLiteral("--proc") << QStringLiteral("/proc") << QStringLiteral("--dev")
              << QStringLiteral("/dev") << QStringLiteral("--perms") << QStringLiteral("01777")
              << QStringLiteral("--tmpfs") << QStringLiteral("/tmp");
    // The folders leading to a mount are made open to the sandbox's user: bubblewrap would
    // copy the host's modes, and a private temporary folder above a build's work folder
    // would then bar the way to it. They hold nothing but the way down.
    QStringList made;
    for (const Mount &mount : setup.mounts) {
        const QStringList parts = mount.target.split(QLatin1Char('/'), Qt::SkipEmptyParts);
        QString path;
        for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
            path += QLatin1Char('/') + parts.at(i);
            if (path == QLatin1String("/tmp") || made.contains(path))
                continue; // /tmp is the sandbox's own, open to all
            made << path;
            arguments << QStringLiteral("--perms") << QStringLiteral("0755")
                      << QStringLiteral("--dir") << path;
        }
        arguments << (mount.writable ? QStringLiteral("--bind") : QStringLiteral("--ro-bind"))
                  << mount.source << mount.target;
    }
    arguments << QStringLiteral("--ro-bind") << initProgram()
              << QString::fromLatin1(InitMountPoint);
    arguments << QStringLiteral("--") << QString::fromLatin1(InitMountPoint);
    // Entered by the init once it is the sandbox's user: under a root daemon, bubblewrap
    // itself keeps no right to enter a folder given to that user.
    if (!setup.workingDirectory.isEmpty())
        arguments << QStringLiteral("--chdir") << setup.workingDirectory;
    if (setup.socketChannel >= 0)
        arguments << QStringLiteral("--socket-factory") << QString::number(setup.socketChannel);
    if (setup.holdDescriptor >= 0)
        arguments << QStringLiteral("--hold") << QString::number(setup.holdDescriptor);
    if (dropsRoot())
        arguments << QStringLiteral("--user")
                  << QStringLiteral("%1:%2").arg(userId()).arg(groupId());
    arguments << QStringLiteral("--");
    return arguments;
}

} // namespace Slipway
