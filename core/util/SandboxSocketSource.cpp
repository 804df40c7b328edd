#include "util/SandboxSocketSource.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace Slipway {

SandboxSocketSource::SandboxSocketSource(int channel)
    : m_channel(channel)
{}

SandboxSocketSource::~SandboxSocketSource()
{
    if (m_channel >= 0)
        ::close(m_channel);
}

void SandboxSocketSource::close()
{
    const std::lock_guard lock(m_mutex);
    if (m_channel >= 0)
        ::close(m_channel);
    m_channel = -1;
}

bool SandboxSocketSource::makeChannel(int ends[2])
{
    return ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) == 0;
}

int SandboxSocketSource::makeSocket(bool ipv6, int timeoutMs)
{
    const std::lock_guard lock(m_mutex);
    if (m_channel < 0 || m_unresponsive) {
        errno = EPIPE;
        return -1;
    }
    // An answer left from a call that gave up waiting is taken first; a new request goes
    // out only when none is on its way, so waiting calls never pile requests up.
    pollfd waiting{m_channel, POLLIN, 0};
    int ready = ::poll(&waiting, 1, 0);
    if (ready <= 0 && !m_requested) {
        const char request = ipv6 ? '6' : '4';
        if (::send(m_channel, &request, 1, MSG_NOSIGNAL) != 1)
            return -1;
        m_requested = true;
    }
    if (ready <= 0 && timeoutMs > 0) {
        do {
            ready = ::poll(&waiting, 1, timeoutMs);
        } while (ready < 0 && errno == EINTR);
        // A sandbox whose server went quiet (its app killed it) must not hold up the
        // router's threads at every connection: it is given up on.
        if (ready == 0)
            m_unresponsive = true;
    }
    if (ready <= 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    m_requested = false;
    char answer = 0;
    iovec part{&answer, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t received = ::recvmsg(m_channel, &message, MSG_CMSG_CLOEXEC);
    if (received <= 0) {
        if (received == 0)
            errno = EPIPE;
        return -1;
    }
    int descriptor = -1;
    for (cmsghdr *header = CMSG_FIRSTHDR(&message); header;
         header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS &&
            header->cmsg_len == CMSG_LEN(sizeof(int)))
            std::memcpy(&descriptor, CMSG_DATA(header), sizeof(int));
    }
    if (descriptor < 0) {
        errno = answer == 'e' ? EMFILE : EPROTO;
        return -1;
    }
    // The sandbox is not trusted: only a TCP socket of the family asked for is used.
    int domain = 0;
    int type = 0;
    socklen_t length = sizeof domain;
    const bool isTcp =
        ::getsockopt(descriptor, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0 &&
        domain == (ipv6 ? AF_INET6 : AF_INET) &&
        ::getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &(length = sizeof type)) == 0 &&
        type == SOCK_STREAM;
    if (!isTcp) {
        ::close(descriptor);
        errno = EPROTO;
        return -1;
    }
    return descriptor;
}

} // namespace Slipway
