#pragma once

#include "router/IoTypes.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <exception>

namespace Slipway {

// What every router acceptor (the HTTP listener, the TCP ports of `tcp` process types) does
// before accepting: open, close-on-exec, reuse the address, bind, listen with the system's
// largest backlog. Returns the first error.
boost::system::error_code listenOn(Io::Acceptor &acceptor,
                                   const boost::asio::ip::tcp::endpoint &endpoint);

// The completion handler of the router's coroutines: logs what ended one with an exception,
// `what` naming the kind of connection.
void logConnectionFailure(const char *what, std::exception_ptr failure);

} // namespace Slipway
