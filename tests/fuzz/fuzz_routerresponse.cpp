// Answers as apps send them back through the router (the first input byte says whether the
// request was a HEAD): parsed as the router parses them, then re-framed as the router
// forwards them, which a second parser must read back with the same framing.

#include "FuzzCheck.h"
#include "router/ProxyHeaders.h"

#include <boost/beast/http.hpp>

#include <memory_resource>
#include <sstream>
#include <stdexcept>
#include <string>

namespace http = boost::beast::http;
using Parser = http::response_parser<http::buffer_body, Slipway::FieldsAllocator>;

namespace {

int handle(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const bool head = data[0] & 1;
    const std::string_view bytes(reinterpret_cast<const char *>(data + 1), size - 1);
    std::pmr::monotonic_buffer_resource arena;
    Parser parser(std::piecewise_construct, std::make_tuple(),
                  std::make_tuple(Slipway::FieldsAllocator(&arena)));
    parser.header_limit(64 * 1024);
    parser.body_limit(1024 * 1024);
    parser.skip(head);
    char scratch[4096];
    boost::system::error_code error;
    std::size_t offset = 0;
    while (offset < bytes.size() && !parser.is_done()) {
        if (parser.is_header_done()) {
            parser.get().body().data = scratch;
            parser.get().body().size = sizeof scratch;
        }
        const std::size_t used =
            parser.put(boost::asio::buffer(bytes.data() + offset, bytes.size() - offset), error);
        if (error == http::error::need_buffer)
            error = {};
        if (error)
            break;
        offset += used;
        if (used == 0)
            break;
    }
    if (!parser.is_header_done() || (error && error != http::error::need_more))
        return 0;
    auto &response = parser.get();
    const bool chunked = parser.chunked();
    const boost::optional<std::uint64_t> parsedLength = parser.content_length();
    const std::optional<std::uint64_t> length =
        parsedLength ? std::optional<std::uint64_t>(*parsedLength) : std::nullopt;
    const unsigned status = response.result_int();
    const bool bodyless = head || status / 100 == 1 || status == 204 || status == 304;
    Slipway::ProxyHeaders::stripHopByHop(response.base(), status == 101);
    if (!bodyless)
        Slipway::ProxyHeaders::normaliseFraming(response.base(), chunked, length);
    std::ostringstream forwarded;
    forwarded << response.base();
    const std::string header = forwarded.str();

    std::pmr::monotonic_buffer_resource otherArena;
    Parser reader(std::piecewise_construct, std::make_tuple(),
                  std::make_tuple(Slipway::FieldsAllocator(&otherArena)));
    reader.header_limit(1024 * 1024);
    reader.skip(head);
    reader.put(boost::asio::buffer(header), error);
    if (error == http::error::need_buffer || error == http::error::need_more)
        error = {};
    FUZZ_CHECK(!error);
    FUZZ_CHECK(reader.is_header_done());
    FUZZ_CHECK(reader.get().result_int() == status);
    if (!bodyless) {
        FUZZ_CHECK(reader.chunked() == chunked);
        FUZZ_CHECK((reader.content_length() ? std::optional<std::uint64_t>(*reader.content_length())
                                            : std::nullopt) == length);
        FUZZ_CHECK(reader.get().count(http::field::transfer_encoding) +
                       reader.get().count(http::field::content_length) <=
                   1);
    }
    return 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    return runHttpTarget(handle, data, size);
}
