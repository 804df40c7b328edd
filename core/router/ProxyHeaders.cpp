#include "router/ProxyHeaders.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <vector>

namespace http = boost::beast::http;

namespace Slipway::ProxyHeaders {

namespace {

constexpr std::string_view LocalhostSuffix = ".localhost";

char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
}

bool isAppCharacter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

bool startsWithProxy(std::string_view name)
{
    return name.size() > 6 && boost::beast::iequals(name.substr(0, 6), std::string_view("proxy-"));
}

} // namespace

bool appFromHost(std::string_view host, std::string &app)
{
    app.clear();
    // The port, if any, follows the last colon; "app.localhost" has no other colon.
    if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
        const std::string_view port = host.substr(colon + 1);
        if (port.size() > 5)
            return false;
        for (char c : port) {
            if (c < '0' || c > '9')
                return false;
        }
        host = host.substr(0, colon);
    }
    // A fully qualified "app.localhost." is the same name.
    if (!host.empty() && host.back() == '.')
        host.remove_suffix(1);
    if (host.size() <= LocalhostSuffix.size())
        return false;
    const std::string_view suffix = host.substr(host.size() - LocalhostSuffix.size());
    if (!boost::beast::iequals(suffix, LocalhostSuffix))
        return false;
    const std::string_view name = host.substr(0, host.size() - LocalhostSuffix.size());
    app.resize(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = lower(name[i]);
        if (!isAppCharacter(c)) {
            app.clear();
            return false;
        }
        app[i] = c;
    }
    return true;
}

bool isValidRequestId(std::string_view id)
{
    if (id.empty() || id.size() > 200)
        return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':' ||
                        c == '+' || c == '/' || c == '=';
        if (!ok)
            return false;
    }
    return true;
}

bool isIdempotent(http::verb method)
{
    switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_:
        return true;
    default:
        return false;
    }
}

bool wantsUpgrade(const ProxyFields &fields)
{
    if (fields.find(http::field::upgrade) == fields.end())
        return false;
    for (auto range = fields.equal_range(http::field::connection); range.first != range.second;
         ++range.first) {
        for (std::string_view token : http::token_list(range.first->value())) {
            if (boost::beast::iequals(token, std::string_view("upgrade")))
                return true;
        }
    }
    return false;
}

void stripHopByHop(ProxyFields &fields, bool upgrading)
{
    // Fields named by Connection ("Connection: close, X-Foo") are for this hop only. Few
    // messages name any besides the standard tokens, so the list is rarely allocated.
    std::vector<std::string> listed;
    for (auto range = fields.equal_range(http::field::connection); range.first != range.second;
         ++range.first) {
        for (std::string_view token : http::token_list(range.first->value())) {
            if (boost::beast::iequals(token, std::string_view("close")) ||
                boost::beast::iequals(token, std::string_view("keep-alive")) ||
                boost::beast::iequals(token, std::string_view("upgrade"))
                // never let Connection remove the framing of the message itself
                || boost::beast::iequals(token, std::string_view("transfer-encoding")) ||
                boost::beast::iequals(token, std::string_view("content-length")))
                continue;
            listed.emplace_back(token);
        }
    }
    for (const std::string &name : listed)
        fields.erase(name);

    for (auto it = fields.begin(); it != fields.end();) {
        bool hopByHop = false;
        switch (it->name()) {
        case http::field::connection:
        case http::field::keep_alive:
        case http::field::te:
        case http::field::trailer:
        case http::field::proxy_authenticate:
        case http::field::proxy_authentication_info:
        case http::field::proxy_authorization:
        case http::field::proxy_connection:
        case http::field::proxy_features:
        case http::field::proxy_instruction:
            hopByHop = true;
            break;
        case http::field::upgrade:
            hopByHop = !upgrading;
            break;
        case http::field::unknown:
            hopByHop = startsWithProxy(it->name_string());
            break;
        default:
            break;
        }
        it = hopByHop ? fields.erase(it) : std::next(it);
    }
}

const char *ambiguity(const ProxyFields &fields)
{
    const auto transfer = fields.equal_range(http::field::transfer_encoding);
    if (transfer.first != transfer.second) {
        if (std::next(transfer.first) != transfer.second)
            return "several Transfer-Encoding lines";
        if (fields.find(http::field::content_length) != fields.end())
            return "both Transfer-Encoding and Content-Length";
        const std::string_view value = transfer.first->value();
        // A folded or otherwise odd value: only tokens, commas and single spaces.
        for (const char c : value) {
            if (c == '\t' || c == '\r' || c == '\n')
                return "a folded Transfer-Encoding line";
        }
        std::string_view last;
        for (std::string_view token : http::token_list(value))
            last = token;
        if (!boost::beast::iequals(last, std::string_view("chunked")))
            return "a Transfer-Encoding whose last coding is not chunked";
    }
    const auto host = fields.equal_range(http::field::host);
    if (host.first != host.second && std::next(host.first) != host.second)
        return "several Host lines";
    return nullptr;
}

void normaliseFraming(ProxyFields &fields, bool chunked, std::optional<std::uint64_t> length)
{
    fields.erase(http::field::transfer_encoding);
    fields.erase(http::field::content_length);
    if (chunked)
        fields.set(http::field::transfer_encoding, std::string_view("chunked"));
    else if (length)
        fields.set(http::field::content_length, std::to_string(*length));
}

void addForwarded(ProxyFields &fields, std::string_view clientAddress,
                  std::string_view originalHost, std::string_view requestId,
                  bool clientIsTrustedProxy)
{
    static constexpr std::string_view ForwardedFor = "X-Forwarded-For";
    const auto range = fields.equal_range(ForwardedFor);
    if (!clientIsTrustedProxy || range.first == range.second) {
        fields.erase("Forwarded");
        fields.erase("X-Real-IP");
        fields.set(ForwardedFor, clientAddress);
    } else {
        // The proxies' addresses stay in order, one list even if they came as several lines.
        std::string chain;
        for (auto it = range.first; it != range.second; ++it) {
            if (!chain.empty())
                chain += ", ";
            chain += it->value();
        }
        chain += ", ";
        chain += clientAddress;
        fields.set(ForwardedFor, chain);
    }
    fields.set("X-Forwarded-Proto", std::string_view("http"));
    fields.set("X-Forwarded-Host", originalHost);
    fields.set("X-Request-Id", requestId);
}

} // namespace Slipway::ProxyHeaders
