#include "api/UnixSocketFile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace Slipway {

namespace {

QString systemError(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// Whether a server answers on the socket file: connecting tells a live one from the file a
// crashed one left behind (nobody listens: ECONNREFUSED).
enum class Liveness { Live, Stale, Unknown };

Liveness probe(const QByteArray &path, int *error)
{
    const int descriptor = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (descriptor < 0) {
        *error = errno;
        return Liveness::Unknown;
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.constData(), std::size_t(path.size()));
    const int result =
        ::connect(descriptor, reinterpret_cast<const sockaddr *>(&address), sizeof address);
    const int connectError = errno;
    ::close(descriptor);
    if (result == 0 || connectError == EAGAIN || connectError == EINPROGRESS)
        return Liveness::Live; // EAGAIN: alive but its backlog is full
    if (connectError == ECONNREFUSED || connectError == ENOENT)
        return Liveness::Stale;
    *error = connectError;
    return Liveness::Unknown;
}

} // namespace

UnixSocketFile::UnixSocketFile(QString path)
    : m_path(std::move(path))
{}

Result<void> UnixSocketFile::prepare()
{
    const QByteArray encoded = QFile::encodeName(m_path);
    if (encoded.isEmpty())
        return failure(QStringLiteral("no socket path was given for the API"));
    if (std::size_t(encoded.size()) >= sizeof(sockaddr_un::sun_path))
        return failure(
            QStringLiteral(
                "the socket path %1 is too long (at most %2 bytes); choose a shorter --socket")
                .arg(m_path)
                .arg(sizeof(sockaddr_un::sun_path) - 1));

    const QString folder = QFileInfo(m_path).absolutePath();
    if (!QFileInfo::exists(folder)) {
        // Every missing level is made private: the socket's folder is the user's alone.
        QStringList missing;
        for (QString level = folder; !QFileInfo::exists(level);
             level = QFileInfo(level).absolutePath())
            missing.prepend(level);
        for (const QString &level : std::as_const(missing)) {
            if (::mkdir(QFile::encodeName(level).constData(), 0700) != 0 && errno != EEXIST)
                return failure(QStringLiteral("cannot create the socket folder %1: %2")
                                   .arg(level, systemError(errno)));
        }
    }

    // On a shared machine another user could have made the folder first (/tmp/slipway-UID
    // is a predictable name) and wait there with a server of their own.
    struct stat folderStatus
    {
    };
    if (::lstat(QFile::encodeName(folder).constData(), &folderStatus) != 0)
        return failure(
            QStringLiteral("cannot use the socket folder %1: %2").arg(folder, systemError(errno)));
    if (!S_ISDIR(folderStatus.st_mode))
        return failure(QStringLiteral("the socket folder %1 is not a folder; remove it or choose "
                                      "another --socket")
                           .arg(folder));
    if (folderStatus.st_uid != ::geteuid())
        return failure(QStringLiteral("the socket folder %1 belongs to user %2, not to you; "
                                      "remove it or choose another --socket")
                           .arg(folder)
                           .arg(folderStatus.st_uid));
    if ((folderStatus.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return failure(QStringLiteral("others can write to the socket folder %1; run "
                                      "`chmod go-w %1` or choose another --socket")
                           .arg(folder));

    struct stat status
    {
    };
    if (::lstat(encoded.constData(), &status) != 0) {
        if (errno == ENOENT)
            return {};
        return failure(
            QStringLiteral("cannot use the socket path %1: %2").arg(m_path, systemError(errno)));
    }
    if (!S_ISSOCK(status.st_mode))
        return failure(
            QStringLiteral("%1 exists and is not a socket; remove it or choose another --socket")
                .arg(m_path));
    int error = 0;
    switch (probe(encoded, &error)) {
    case Liveness::Live:
        return failure(
            QStringLiteral(
                "another slipwayd is already listening on %1; stop it or choose another --socket")
                .arg(m_path));
    case Liveness::Unknown:
        return failure(QStringLiteral("cannot tell whether a slipwayd listens on %1: %2")
                           .arg(m_path, systemError(error)));
    case Liveness::Stale:
        break;
    }
    if (::unlink(encoded.constData()) != 0 && errno != ENOENT)
        return failure(QStringLiteral("cannot replace the stale socket %1: %2")
                           .arg(m_path, systemError(errno)));
    return {};
}

Result<void> UnixSocketFile::claim()
{
    const QByteArray encoded = QFile::encodeName(m_path);
    if (::chmod(encoded.constData(), 0600) != 0)
        return failure(QStringLiteral("cannot restrict the socket %1 to its owner: %2")
                           .arg(m_path, systemError(errno)));
    struct stat status
    {
    };
    if (::lstat(encoded.constData(), &status) != 0)
        return failure(
            QStringLiteral("the socket %1 vanished: %2").arg(m_path, systemError(errno)));
    m_device = status.st_dev;
    m_inode = status.st_ino;
    m_claimed = true;
    return {};
}

void UnixSocketFile::release()
{
    if (!m_claimed)
        return;
    m_claimed = false;
    const QByteArray encoded = QFile::encodeName(m_path);
    struct stat status
    {
    };
    // Another server may have replaced a socket it took for stale; its file stays.
    if (::lstat(encoded.constData(), &status) == 0 && status.st_dev == m_device &&
        status.st_ino == m_inode)
        ::unlink(encoded.constData());
}

} // namespace Slipway
