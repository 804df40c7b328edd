#pragma once

#include "router/IoTypes.h"

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace Slipway::Io {

// The API speaks on a Unix socket and, for remote consoles, on TLS over TCP; both on the
// io_context's own executor type, as the router does.
using LocalSocket = boost::asio::basic_stream_socket<boost::asio::local::stream_protocol, Executor>;
using LocalAcceptor =
    boost::asio::basic_socket_acceptor<boost::asio::local::stream_protocol, Executor>;
using TlsStream = boost::asio::ssl::stream<Socket>;

} // namespace Slipway::Io
