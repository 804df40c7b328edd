#pragma once

#include "router/IoTypes.h"

#include <memory>

namespace Slipway {

class SandboxSocketSource;

// Opens the socket the router connects to a backend with: a plain one for a backend on the
// host, one made inside the container's network namespace for a sandboxed container (its
// port is on its own loopback, out of reach of anything else). Close-on-exec either way.
boost::system::error_code openUpstreamSocket(Io::Socket &socket,
                                             const boost::asio::ip::tcp::endpoint &endpoint,
                                             const std::shared_ptr<SandboxSocketSource> &sockets);

} // namespace Slipway
