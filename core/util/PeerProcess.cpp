#include "util/PeerProcess.h"

#include <QDir>
#include <QFile>

#include <arpa/inet.h>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace Slipway {

namespace {

// The namespace's identity: the inode /proc/PID/ns/KIND points to (0 when unreadable).
ino_t namespaceOf(const QByteArray &process, const char *kind)
{
    struct stat info
    {
    };
    const QByteArray path = "/proc/" + process + "/ns/" + kind;
    if (::stat(path.constData(), &info) != 0)
        return 0;
    return info.st_ino;
}

// The hex form /proc/net/tcp uses for an address (in network order, as 32-bit words).
QByteArray procAddress(const QString &address)
{
    QByteArray text;
    const QByteArray ascii = address.toLatin1();
    in6_addr v6{};
    in_addr v4{};
    if (::inet_pton(AF_INET, ascii.constData(), &v4) == 1)
        return QByteArray::number(v4.s_addr, 16).rightJustified(8, '0').toUpper();
    if (::inet_pton(AF_INET6, ascii.constData(), &v6) == 1) {
        for (int word = 0; word < 4; ++word) {
            quint32 value = 0;
            std::memcpy(&value, v6.s6_addr + word * 4, 4);
            text += QByteArray::number(value, 16).rightJustified(8, '0').toUpper();
        }
    }
    return text;
}

} // namespace

QString PeerProcess::foreignNamespace(pid_t pid)
{
    if (pid <= 0)
        return QStringLiteral("its process is not visible from here");
    const QByteArray process = QByteArray::number(pid);
    for (const char *kind : {"user", "pid"}) {
        const ino_t theirs = namespaceOf(process, kind);
        if (theirs == 0 || theirs != namespaceOf("self", kind))
            return QStringLiteral("process %1 is in another %2 namespace")
                .arg(pid)
                .arg(QLatin1String(kind));
    }
    return {};
}

pid_t PeerProcess::ofLoopbackTcp(const QString &peerAddress, quint16 peerPort, quint16 ourPort)
{
    // /proc/net/tcp is read in pieces while connections come and go, and a busy machine can
    // make a read skip the very line sought: an established connection is looked for again
    // before it counts as nobody's.
    for (int attempt = 0; attempt < 4; ++attempt) {
        if (const pid_t pid = lookupLoopbackTcp(peerAddress, peerPort, ourPort))
            return pid;
        ::usleep(2000 * (attempt + 1));
    }
    return 0;
}

pid_t PeerProcess::lookupLoopbackTcp(const QString &peerAddress, quint16 peerPort, quint16 ourPort)
{
    const QByteArray address = procAddress(peerAddress);
    if (address.isEmpty())
        return 0;
    const QByteArray local =
        address + ':' + QByteArray::number(peerPort, 16).rightJustified(4, '0').toUpper();
    const QByteArray remotePort =
        ':' + QByteArray::number(ourPort, 16).rightJustified(4, '0').toUpper();
    QByteArray inode;
    for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        QFile file(QString::fromLatin1(table));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        file.readLine(); // the header
        while (!file.atEnd() && inode.isEmpty()) {
            const QList<QByteArray> fields = file.readLine().simplified().split(' ');
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            if (fields.size() > 9 && fields.at(1) == local && fields.at(2).endsWith(remotePort))
                inode = fields.at(9);
        }
    }
    if (inode.isEmpty() || inode == "0")
        return 0;
    const QByteArray target = "socket:[" + inode + ']';
    const QStringList processes = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &process : processes) {
        bool isNumber = false;
        const pid_t pid = pid_t(process.toInt(&isNumber));
        if (!isNumber)
            continue;
        const QString fds = QStringLiteral("/proc/") + process + QStringLiteral("/fd");
        const QStringList entries = QDir(fds).entryList(QDir::Files | QDir::System);
        for (const QString &entry : entries) {
            char link[64] = {};
            const QByteArray path = QFile::encodeName(fds + QLatin1Char('/') + entry);
            const ssize_t length = ::readlink(path.constData(), link, sizeof link - 1);
            if (length > 0 && QByteArray(link, length) == target)
                return pid;
        }
    }
    return 0;
}

} // namespace Slipway
