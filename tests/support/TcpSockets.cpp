#include "TcpSockets.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace TestSupport {

namespace {

// One family's dump; false when the kernel did not answer it whole.
bool dumpFamily(int family, QList<TcpSocket> &sockets)
{
    const int channel = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (channel < 0)
        return false;
    struct
    {
        nlmsghdr header;
        inet_diag_req_v2 body;
    } request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.body.sdiag_family = quint8(family);
    request.body.sdiag_protocol = IPPROTO_TCP;
    request.body.idiag_states = ~0u;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(channel, &request, sizeof request, 0, reinterpret_cast<sockaddr *>(&kernel),
                 sizeof kernel) != ssize_t(sizeof request)) {
        ::close(channel);
        return false;
    }
    bool whole = false;
    bool interrupted = false;
    bool done = false;
    alignas(nlmsghdr) char buffer[32768];
    while (!done) {
        const ssize_t length = ::recv(channel, buffer, sizeof buffer, 0);
        if (length < 0 && errno == EINTR)
            continue;
        if (length <= 0)
            break;
        auto remaining = quint32(length);
        for (auto *header = reinterpret_cast<nlmsghdr *>(buffer); NLMSG_OK(header, remaining);
             header = NLMSG_NEXT(header, remaining)) {
            // A dump the kernel saw interrupted by changes is asked again by the caller.
            interrupted = interrupted || (header->nlmsg_flags & NLM_F_DUMP_INTR) != 0;
            if (header->nlmsg_type == NLMSG_DONE) {
                whole = !interrupted;
                done = true;
                break;
            }
            if (header->nlmsg_type == NLMSG_ERROR) {
                done = true;
                break;
            }
            const auto *socket = static_cast<const inet_diag_msg *>(NLMSG_DATA(header));
            sockets.append(TcpSocket{ntohs(socket->id.idiag_sport), ntohs(socket->id.idiag_dport),
                                     int(socket->idiag_state)});
        }
    }
    ::close(channel);
    return whole;
}

} // namespace

std::optional<QList<TcpSocket>> tcpSockets()
{
    for (int attempt = 0; attempt < 5; ++attempt) {
        QList<TcpSocket> sockets;
        if (dumpFamily(AF_INET, sockets) && dumpFamily(AF_INET6, sockets))
            return sockets;
    }
    return std::nullopt;
}

} // namespace TestSupport
