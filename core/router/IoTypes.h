#pragma once

// Every file using these types must see Asio configured as the router and the API were
// built (see CommonConfig.cmake): otherwise the binary holds two incompatible copies of
// Asio's synchronous calls and whichever the linker keeps is called wrongly by the others.
#if !defined(BOOST_ASIO_NO_DEPRECATED)
#error "Build with Slipway::Common (BOOST_ASIO_NO_DEPRECATED), as the router and the API are."
#endif

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace Slipway::Io {

// Everything the router does runs on an io_context's own executor type rather than Asio's
// type-erased any_io_executor: copying and dispatching through the erased type showed up in
// profiles of the request path.
using Executor = boost::asio::io_context::executor_type;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;
using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, Executor>;
using Timer = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, Executor>;

template<typename T>
using Task = boost::asio::awaitable<T, Executor>;

// Completion token for co_await: errors come back as values (a tuple), never as exceptions.
// Deferred rather than use_awaitable: an awaitable co_awaits a deferred operation directly,
// while use_awaitable wraps each operation in a coroutine frame of its own (a malloc per
// read or write).
inline constexpr auto Nothrow = boost::asio::as_tuple(boost::asio::deferred);

} // namespace Slipway::Io
