// Requests as clients send them to the router: the header is parsed as the router parses it,
// ambiguous framing is refused, and what the router would forward must frame the body one
// way only, which a second parser must read back the same (no request smuggling).

#include "FuzzCheck.h"
#include "router/ProxyHeaders.h"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>

#include <memory_resource>
#include <sstream>
#include <stdexcept>
#include <string>

namespace http = boost::beast::http;
using Parser = http::request_parser<http::buffer_body, Slipway::FieldsAllocator>;

namespace {

// Feeds `bytes` to `parser` until its header is complete; the body is read into a scratch
// buffer and dropped. False on a parse error.
bool parseAll(Parser &parser, std::string_view bytes, bool &headerDone)
{
    char scratch[4096];
    boost::system::error_code error;
    std::size_t offset = 0;
    while (offset < bytes.size()) {
        if (parser.is_header_done()) {
            parser.get().body().data = scratch;
            parser.get().body().size = sizeof scratch;
        }
        const std::size_t used =
            parser.put(boost::asio::buffer(bytes.data() + offset, bytes.size() - offset), error);
        if (error == http::error::need_buffer)
            error = {};
        if (error == http::error::need_more)
            break;
        if (error)
            return false;
        offset += used;
        if (parser.is_done())
            break;
        if (used == 0 && !parser.is_header_done())
            break;
    }
    headerDone = parser.is_header_done();
    return true;
}

} // namespace

namespace {

int handle(const std::uint8_t *data, std::size_t size)
{
    const std::string_view bytes(reinterpret_cast<const char *>(data), size);
    std::pmr::monotonic_buffer_resource arena;
    Parser parser(std::piecewise_construct, std::make_tuple(),
                  std::make_tuple(Slipway::FieldsAllocator(&arena)));
    parser.header_limit(64 * 1024);
    parser.body_limit(1024 * 1024);
    bool headerDone = false;
    if (!parseAll(parser, bytes, headerDone) || !headerDone)
        return 0;
    auto &request = parser.get();
    std::string app;
    (void)Slipway::ProxyHeaders::appFromHost(request[http::field::host], app);
    (void)Slipway::ProxyHeaders::isValidRequestId(request["X-Request-Id"]);
    if (Slipway::ProxyHeaders::ambiguity(request.base()))
        return 0; // the router answers 400

    // What the router forwards.
    const bool upgrading = Slipway::ProxyHeaders::wantsUpgrade(request.base());
    const bool chunked = parser.chunked();
    const boost::optional<std::uint64_t> parsedLength = parser.content_length();
    const std::optional<std::uint64_t> length =
        parsedLength ? std::optional<std::uint64_t>(*parsedLength) : std::nullopt;
    Slipway::ProxyHeaders::stripHopByHop(request.base(), upgrading);
    Slipway::ProxyHeaders::normaliseFraming(request.base(), chunked, length);
    Slipway::ProxyHeaders::addForwarded(request.base(), "127.0.0.1", request[http::field::host],
                                        "fuzz-request-id");
    std::ostringstream forwarded;
    forwarded << request.base();
    const std::string header = forwarded.str();

    // Read back by a second, independent parser, it frames the body the same way.
    std::pmr::monotonic_buffer_resource otherArena;
    Parser reader(std::piecewise_construct, std::make_tuple(),
                  std::make_tuple(Slipway::FieldsAllocator(&otherArena)));
    reader.header_limit(1024 * 1024);
    boost::system::error_code error;
    reader.put(boost::asio::buffer(header), error);
    if (error == http::error::need_buffer)
        error = {};
    FUZZ_CHECK(!error || error == http::error::need_more ? reader.is_header_done() : false);
    FUZZ_CHECK(Slipway::ProxyHeaders::ambiguity(reader.get().base()) == nullptr);
    FUZZ_CHECK(reader.chunked() == chunked);
    FUZZ_CHECK((reader.content_length() ? std::optional<std::uint64_t>(*reader.content_length())
                                        : std::nullopt) == length);
    FUZZ_CHECK(reader.get().count(http::field::transfer_encoding) +
                   reader.get().count(http::field::content_length) <=
               1);
    return 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    return runHttpTarget(handle, data, size);
}
