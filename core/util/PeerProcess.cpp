#include "util/PeerProcess.h"

#include <QDir>
#include <QFile>

#include <arpa/inet.h>
#include <cstring>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
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

// The inode of the socket whose local end is `local` and remote end `remote` (network
// byte order inside), asked of the kernel by its exact address (sock_diag): unlike reading
// /proc/net/tcp, which skips lines while thousands of connections come and go, the lookup
// cannot miss an established connection. 0 when the kernel does not know it.
QByteArray inodeFromSockDiag(const QString &localAddress, quint16 localPort,
                             const QString &remoteAddress, quint16 remotePort)
{
    inet_diag_req_v2 request{};
    const QByteArray localText = localAddress.toLatin1();
    const QByteArray remoteText = remoteAddress.toLatin1();
    if (::inet_pton(AF_INET, localText.constData(), request.id.idiag_src) == 1 &&
        ::inet_pton(AF_INET, remoteText.constData(), request.id.idiag_dst) == 1) {
        request.sdiag_family = AF_INET;
    } else if (::inet_pton(AF_INET6, localText.constData(), request.id.idiag_src) == 1 &&
               ::inet_pton(AF_INET6, remoteText.constData(), request.id.idiag_dst) == 1) {
        request.sdiag_family = AF_INET6;
    } else {
        return {};
    }
    request.sdiag_protocol = IPPROTO_TCP;
    request.idiag_states = ~0u;
    request.id.idiag_sport = htons(localPort);
    request.id.idiag_dport = htons(remotePort);
    request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

    const int channel = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (channel < 0)
        return {};
    struct
    {
        nlmsghdr header;
        inet_diag_req_v2 body;
    } message{};
    message.header.nlmsg_len = sizeof message;
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST;
    message.body = request;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    QByteArray inode;
    if (::sendto(channel, &message, sizeof message, 0, reinterpret_cast<sockaddr *>(&kernel),
                 sizeof kernel) == ssize_t(sizeof message)) {
        alignas(nlmsghdr) char answer[8192];
        const ssize_t length = ::recv(channel, answer, sizeof answer, 0);
        const auto *header = reinterpret_cast<const nlmsghdr *>(answer);
        if (length > 0 && NLMSG_OK(header, quint32(length)) &&
            header->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
            const auto *found = static_cast<const inet_diag_msg *>(NLMSG_DATA(header));
            if (found->idiag_inode != 0)
                inode = QByteArray::number(found->idiag_inode);
        }
    }
    ::close(channel);
    return inode;
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
    QByteArray inode = inodeFromSockDiag(peerAddress, peerPort, peerAddress, ourPort);
    for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        if (!inode.isEmpty())
            break;
        QFile file(QString::fromLatin1(table));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        // Read whole: /proc files report a size of 0, and a QFile read line by line stops
        // at its first buffer's end, missing every connection past the first hundred or so.
        const QList<QByteArray> lines = file.readAll().split('\n');
        for (qsizetype i = 1; i < lines.size() && inode.isEmpty(); ++i) {
            const QList<QByteArray> fields = lines.at(i).simplified().split(' ');
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
