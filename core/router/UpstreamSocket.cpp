#include "router/UpstreamSocket.h"

#include "router/CloseOnExec.h"
#include "util/SandboxSocketSource.h"

#include <cerrno>
#include <unistd.h>

namespace Slipway {

boost::system::error_code openUpstreamSocket(Io::Socket &socket,
                                             const boost::asio::ip::tcp::endpoint &endpoint,
                                             const std::shared_ptr<SandboxSocketSource> &sockets)
{
    boost::system::error_code error;
    if (!sockets) {
        socket.open(endpoint.protocol(), error);
        if (!error)
            setCloseOnExec(socket.native_handle());
        return error;
    }
    const int descriptor = sockets->makeSocket(endpoint.address().is_v6());
    if (descriptor < 0)
        return boost::system::error_code(errno, boost::system::system_category());
    socket.assign(endpoint.protocol(), descriptor, error);
    if (error)
        ::close(descriptor);
    return error;
}

} // namespace Slipway
