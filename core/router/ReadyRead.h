#pragma once

#include "router/IoTypes.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_cont_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/version.hpp>

#include <cerrno>
#include <cstddef>
#include <memory>
#include <utility>

#include <sys/socket.h>

// Reads on the request path with one system call each where Asio spends two.
//
// Asio's async_read_some first tries a receive and, when nothing is there, waits for the
// reactor; the router reads where nothing can be there yet (the answer to a request it just
// wrote, the next request of a keep-alive client it just answered), so that first try fails
// every time: about two system calls per request out of six, and a system call costs about
// a microsecond on a virtual machine. Asio's reactor already skips the first try after a read
// it was told emptied the socket (it is told so only at the end of a stream); this read
// tells it so whenever it got fewer bytes than it asked for. With the reactor's
// edge-triggered registration any byte arriving after the read raises a new edge, and the
// reactor then tries again at once (nginx relies on the same thing).
//
// One thing raises no edge of its own: an end of stream that came together with the last
// bytes. After such a read, a read that waits first would wait for nothing. So only the
// first read of a message waits first (asyncReadSome); a read that continues one (the rest
// of a header, a body, a close-delimited answer), and a tunnel's first read, try at once
// (readSomeNow) and wait only when nothing was there. A client that half-closes right after
// its request is the one left: the router looks at connections idle between requests once
// (ProxySession::tick).
//
// Built on Asio's reactor interface; only for the epoll reactor of the Boost series the
// router is built with. Anywhere else, and for sockets not in non-blocking mode, it is
// Asio's own read.

#if defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) &&               \
    BOOST_VERSION >= 108100 && BOOST_VERSION < 109000
#define SLIPWAY_READY_READ 1
#endif

namespace Slipway::Io {

#if defined(SLIPWAY_READY_READ)
namespace ReadyReadDetail {

namespace detail = boost::asio::detail;

template<typename Handler>
class Operation : public detail::reactor_op
{
public:
    BOOST_ASIO_DEFINE_HANDLER_PTR(Operation);

    Operation(detail::socket_type socket, boost::asio::mutable_buffer buffer, Handler &handler,
              const Executor &executor)
        : reactor_op(boost::system::error_code(), &Operation::perform, &Operation::complete)
        , m_socket(socket)
        , m_buffer(buffer)
        , m_handler(std::move(handler))
        , m_work(m_handler, executor)
    {}

private:
    static status perform(reactor_op *base)
    {
        auto *self = static_cast<Operation *>(base);
        if (!detail::socket_ops::non_blocking_recv1(self->m_socket, self->m_buffer.data(),
                                                    self->m_buffer.size(), 0, true, self->ec_,
                                                    self->bytes_transferred_))
            return not_done; // nothing yet: the reactor waits for the socket
        // Fewer bytes than there was room for: the socket is empty now (or at its end).
        if (self->ec_ == boost::asio::error::eof ||
            (!self->ec_ && self->bytes_transferred_ < self->m_buffer.size()))
            return done_and_exhausted;
        return done;
    }

    static void complete(void *owner, detail::operation *base, const boost::system::error_code &,
                         std::size_t)
    {
        auto *self = static_cast<Operation *>(base);
        ptr owned = {std::addressof(self->m_handler), self, self};
        detail::handler_work<Handler, Executor> work(std::move(self->m_work));
        // The handler is moved out before the operation's memory is recycled: the handler
        // may own what that memory came from.
        detail::binder2<Handler, boost::system::error_code, std::size_t> bound(
            self->m_handler, self->ec_, self->bytes_transferred_);
        owned.h = std::addressof(bound.handler_);
        owned.reset();
        if (owner) { // else the io_context is being destroyed: nothing is called
            detail::fenced_block fence(detail::fenced_block::half);
            work.complete(bound, bound.handler_);
        }
    }

    detail::socket_type m_socket;
    boost::asio::mutable_buffer m_buffer;
    Handler m_handler;
    detail::handler_work<Handler, Executor> m_work;
};

// The socket's implementation is a protected member of Asio's socket; a pointer to it taken
// through a derived class reaches it on any socket.
struct SocketAccess : Socket
{
    static auto &implementation(Socket &socket)
    {
        return (socket.*(&SocketAccess::impl_)).get_implementation();
    }
};

// The reactor of the calling thread's io_context. Looking it up takes the context's service
// registry lock, so each thread keeps the last one it used (a router thread runs one).
inline detail::reactor &reactorOf(boost::asio::io_context &context)
{
    thread_local boost::asio::io_context *cachedContext = nullptr;
    thread_local detail::reactor *cachedReactor = nullptr;
    if (cachedContext != &context) {
        cachedReactor = &boost::asio::use_service<detail::reactor>(context);
        cachedContext = &context;
    }
    return *cachedReactor;
}

struct Initiation
{
    template<typename Handler>
    void operator()(Handler &&handler, Socket *socket, boost::asio::mutable_buffer buffer) const
    {
        using HandlerType = std::decay_t<Handler>;
        auto &implementation = SocketAccess::implementation(*socket);
        const bool usable = buffer.size() > 0 && implementation.socket_ != detail::invalid_socket &&
                            (implementation.state_ & detail::socket_ops::non_blocking) != 0 &&
                            !boost::asio::get_associated_cancellation_slot(handler).is_connected();
        if (!usable) {
            socket->async_read_some(buffer, std::forward<Handler>(handler));
            return;
        }
        HandlerType owned(std::forward<Handler>(handler));
        const bool continuation = boost_asio_handler_cont_helpers::is_continuation(owned);
        using Op = Operation<HandlerType>;
        typename Op::ptr storage = {std::addressof(owned), Op::ptr::allocate(owned), nullptr};
        storage.p =
            new (storage.v) Op(implementation.socket_, buffer, owned, socket->get_executor());
        reactorOf(socket->get_executor().context())
            .start_op(detail::reactor::read_op, implementation.socket_,
                      implementation.reactor_data_, storage.p, continuation, true);
        storage.v = storage.p = nullptr;
    }
};

} // namespace ReadyReadDetail

// As socket.async_read_some(buffer, token), with the difference above: for the first read
// of a message.
template<typename Token>
auto asyncReadSome(Socket &socket, boost::asio::mutable_buffer buffer, Token &&token)
{
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        ReadyReadDetail::Initiation{}, token, &socket, buffer);
}
#else
template<typename Token>
auto asyncReadSome(Socket &socket, boost::asio::mutable_buffer buffer, Token &&token)
{
    return socket.async_read_some(buffer, std::forward<Token>(token));
}
#endif

// For a read that continues a message: one receive, now, whatever the socket's mode.
// False when nothing was there (then wait with asyncReadSome); true when that settled it:
// bytes in `read`, or the end of the stream or another error in `error`.
inline bool readSomeNow(Socket &socket, boost::asio::mutable_buffer buffer,
                        boost::system::error_code &error, std::size_t &read)
{
    error = {};
    read = 0;
    if (buffer.size() == 0)
        return true;
    const ssize_t received =
        ::recv(socket.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (received > 0) {
        read = std::size_t(received);
        return true;
    }
    if (received == 0) {
        error = boost::asio::error::eof;
        return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return false;
    error = boost::system::error_code(errno, boost::system::system_category());
    return true;
}

// What a socket nobody is reading holds, looked at without taking anything: used by the
// sweeps, for a client that half-closed while waiting and for a pooled upstream its backend
// closed or wrote to out of turn.
enum class Peeked { Nothing, Bytes, Gone };

inline Peeked peek(Socket &socket)
{
    char byte = 0;
    const ssize_t peeked = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (peeked > 0)
        return Peeked::Bytes;
    if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return Peeked::Nothing;
    return Peeked::Gone;
}

} // namespace Slipway::Io
