#include "runtime/PortAllocator.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace Slipway {

namespace {

// Asks the kernel for an ephemeral port that nothing listens on right now.
quint16 kernelFreePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    quint16 port = 0;
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

} // namespace

quint16 PortAllocator::allocate()
{
    QMutexLocker locker(&m_mutex);
    for (int attempt = 0; attempt < 100; ++attempt) {
        const quint16 port = kernelFreePort();
        if (port != 0 && !m_reserved.contains(port)) {
            m_reserved.insert(port);
            return port;
        }
    }
    return 0;
}

void PortAllocator::release(quint16 port)
{
    QMutexLocker locker(&m_mutex);
    m_reserved.remove(port);
}

void PortAllocator::reserve(quint16 port)
{
    QMutexLocker locker(&m_mutex);
    m_reserved.insert(port);
}

} // namespace Slipway
