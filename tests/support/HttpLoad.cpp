#include "HttpLoad.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto RequestLimit = std::chrono::seconds(30);
constexpr qsizetype KeptProblems = 10;
constexpr auto Nothrow = asio::as_tuple(asio::use_awaitable);

} // namespace

class HttpLoad::Private
{
public:
    explicit Private(Options options)
        : options(std::move(options))
    {}

    asio::awaitable<void> client(int index);
    void count(int status, const std::string &body);
    void fail(const QString &what);

    const Options options;
    asio::io_context context;
    std::thread thread;
    std::atomic<bool> stopping{false};
    std::atomic<int> running{0};

    mutable std::mutex mutex;
    Totals totals;
};

void HttpLoad::Private::count(int status, const std::string &body)
{
    std::lock_guard lock(mutex);
    ++totals.requests;
    if (status >= 200 && status < 300) {
        ++totals.ok;
        // Which release answered: its "version=v3" word, else the first word.
        std::size_t from = body.find("version=");
        if (from == std::string::npos)
            from = 0;
        const std::size_t to = body.find_first_of(" \n", from);
        ++totals.answers[QByteArray::fromStdString(body.substr(from, to - from))];
        return;
    }
    ++totals.statuses[status];
    if (totals.problems.size() < KeptProblems)
        totals.problems.append(
            QStringLiteral("HTTP %1: %2").arg(status).arg(QString::fromStdString(body).trimmed()));
}

void HttpLoad::Private::fail(const QString &what)
{
    std::lock_guard lock(mutex);
    ++totals.requests;
    ++totals.connectionErrors;
    if (totals.problems.size() < KeptProblems)
        totals.problems.append(what);
}

asio::awaitable<void> HttpLoad::Private::client(int index)
{
    const bool fresh = options.newConnectionEvery > 0 && index % options.newConnectionEvery == 0;
    const tcp::endpoint router(asio::ip::address_v4::loopback(), options.port);
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    beast::flat_buffer buffer;
    bool connected = false;
    while (!stopping) {
        stream.expires_after(RequestLimit);
        if (!connected) {
            const auto [error] = co_await stream.async_connect(router, Nothrow);
            if (error) {
                fail(QStringLiteral("connecting: %1").arg(QString::fromStdString(error.message())));
                stream.close();
                asio::steady_timer pause(stream.get_executor(), std::chrono::milliseconds(50));
                co_await pause.async_wait(Nothrow);
                continue;
            }
            connected = true;
            buffer.clear();
        }
        http::request<http::empty_body> request{http::verb::get, options.target.toStdString(), 11};
        request.set(http::field::host, options.host.toStdString());
        request.keep_alive(!fresh);
        const auto [writeError, written] = co_await http::async_write(stream, request, Nothrow);
        http::response<http::string_body> response;
        boost::system::error_code readError;
        if (!writeError) {
            const auto [error, read] = co_await http::async_read(stream, buffer, response, Nothrow);
            readError = error;
        }
        if (writeError || readError) {
            const boost::system::error_code &error = writeError ? writeError : readError;
            fail(QStringLiteral("%1 %2: %3")
                     .arg(writeError ? QStringLiteral("sending") : QStringLiteral("reading"),
                          QString::fromUtf8(options.target),
                          QString::fromStdString(error.message())));
            stream.close();
            connected = false;
            continue;
        }
        count(int(response.result_int()), response.body());
        if (!response.keep_alive()) {
            stream.close();
            connected = false;
        }
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    --running;
}

HttpLoad::HttpLoad(Options options)
    : d(std::make_unique<Private>(std::move(options)))
{}

HttpLoad::~HttpLoad()
{
    stop();
}

void HttpLoad::start()
{
    if (d->thread.joinable())
        return;
    for (int i = 0; i < d->options.clients; ++i) {
        ++d->running;
        asio::co_spawn(d->context, d->client(i), asio::detached);
    }
    d->thread = std::thread([this] { d->context.run(); });
}

void HttpLoad::stop()
{
    if (!d->thread.joinable())
        return;
    d->stopping = true;
    // Each client ends after its current request, which has its own time limit.
    const auto deadline = std::chrono::steady_clock::now() + RequestLimit + std::chrono::seconds(5);
    while (d->running > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    d->context.stop();
    d->thread.join();
}

QString HttpLoad::Totals::report() const
{
    QStringList statusCounts;
    for (auto it = statuses.cbegin(); it != statuses.cend(); ++it)
        statusCounts.append(QStringLiteral("%1 x%2").arg(it.key()).arg(it.value()));
    return QStringLiteral("%1 connection errors and %2 non-2xx answers (%3) of %4 requests; "
                          "first problems:\n%5")
        .arg(connectionErrors)
        .arg(requests - ok - connectionErrors)
        .arg(statusCounts.join(QStringLiteral(", ")))
        .arg(requests)
        .arg(problems.join(u'\n'));
}

HttpLoad::Totals HttpLoad::totals() const
{
    std::lock_guard lock(d->mutex);
    return d->totals;
}
