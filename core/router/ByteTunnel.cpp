#include "router/ByteTunnel.h"

#include "router/ReadyRead.h"
#include "router/RouterWorker.h"
#include "router/WatchedConnection.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>

#include <memory>
#include <utility>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace Slipway {

namespace {

constexpr std::size_t PumpBufferSize = 32 * 1024;

void closeBoth(Io::Socket &a, Io::Socket &b)
{
    boost::system::error_code ignored;
    a.close(ignored);
    b.close(ignored);
}

} // namespace

ByteTunnel::ByteTunnel(RouterWorker &worker, WatchedConnection &watch,
                       std::chrono::milliseconds idleLimit)
    : m_worker(worker)
    , m_watch(watch)
    , m_idleLimit(idleLimit)
{}

void ByteTunnel::touch()
{
    m_watch.setDeadline(m_worker.now() + m_idleLimit);
}

Io::Task<ByteTunnel::Totals> ByteTunnel::run(Io::Socket &first, asio::const_buffer pendingFromFirst,
                                             Io::Socket &second,
                                             asio::const_buffer pendingFromSecond)
{
    using namespace asio::experimental::awaitable_operators;
    touch();
    const auto [there, back] =
        co_await (pump(first, second, pendingFromFirst) && pump(second, first, pendingFromSecond));
    closeBoth(first, second);
    co_return Totals{there, back};
}

Io::Task<std::uint64_t> ByteTunnel::pump(Io::Socket &from, Io::Socket &to,
                                         asio::const_buffer pending)
{
    std::uint64_t total = 0;
    if (pending.size() > 0) {
        const auto [error, written] = co_await asio::async_write(to, pending, Io::Nothrow);
        if (error) {
            closeBoth(from, to);
            co_return total;
        }
        total += written;
    }
    const std::unique_ptr<char[]> buffer(new char[PumpBufferSize]);
    const asio::mutable_buffer space(buffer.get(), PumpBufferSize);
    // The first read tries at once: the request path's reads may have told the reactor the
    // socket was empty when the end of the stream came with the upgrade (see ReadyRead.h).
    bool first = true;
    for (;;) {
        boost::system::error_code readError;
        std::size_t read = 0;
        if (!std::exchange(first, false) || !Io::readSomeNow(from, space, readError, read)) {
            const auto [waitError, waited] = co_await from.async_read_some(space, Io::Nothrow);
            readError = waitError;
            read = waited;
        }
        if (read > 0) {
            touch();
            const auto [writeError, written] =
                co_await asio::async_write(to, asio::buffer(buffer.get(), read), Io::Nothrow);
            if (writeError) {
                closeBoth(from, to);
                co_return total;
            }
            total += written;
        }
        if (readError == asio::error::eof) {
            // The other side may still have things to say: pass the close on half-way.
            boost::system::error_code ignored;
            to.shutdown(Io::Socket::shutdown_send, ignored);
            co_return total;
        }
        if (readError) {
            closeBoth(from, to);
            co_return total;
        }
    }
}

} // namespace Slipway
