#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>

#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>

namespace Slipway {

// Header fields of proxied messages live in a per-connection arena that is reset after each
// request, so the dozen small allocations a message's fields take cost no malloc/free.
using FieldsAllocator = std::pmr::polymorphic_allocator<char>;
using ProxyFields = boost::beast::http::basic_fields<FieldsAllocator>;

} // namespace Slipway

namespace Slipway::ProxyHeaders {

// "<app>.localhost" with an optional ":port", any case, into the lower-case app name.
// False when the host names no app (empty, another domain, an address, a bad port).
bool appFromHost(std::string_view host, std::string &app);

// An incoming X-Request-Id is kept when it looks like an id: 1 to 200 characters from
// letters, digits and -_.:+/=. Anything else is replaced, so logs never carry junk.
bool isValidRequestId(std::string_view id);

// Safe to send twice (RFC 9110 9.2.2).
bool isIdempotent(boost::beast::http::verb method);

// Removes hop-by-hop fields: Connection and the fields it names, Keep-Alive, Proxy-*, TE,
// Trailer, and Upgrade unless the connection is being upgraded. Transfer-Encoding stays:
// Beast re-frames the body by it.
void stripHopByHop(ProxyFields &fields, bool upgrading);

// True when the Connection header carries the "upgrade" token and an Upgrade field exists.
bool wantsUpgrade(const ProxyFields &fields);

// Why a request's framing or host is ambiguous (RFC 9112 6.1, 6.3), for a 400; null when it
// is sound. Refused: several Transfer-Encoding lines, Transfer-Encoding with
// Content-Length, a last coding other than "chunked", a value that is not a plain token list
// (a folded line), several Host lines.
const char *ambiguity(const ProxyFields &fields);

// Replaces the client's Transfer-Encoding and Content-Length with the router's own framing
// of the body the parser read: chunked, a length, or none at all.
void normaliseFraming(ProxyFields &fields, bool chunked, std::optional<std::uint64_t> length);

// X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and X-Request-Id set by the router.
// What the client sent in X-Forwarded-For, Forwarded and X-Real-IP is dropped, an app must
// be able to trust these, unless the client is a trusted proxy: then its X-Forwarded-For
// chain is kept, one list, with the client's address appended.
void addForwarded(ProxyFields &fields, std::string_view clientAddress,
                  std::string_view originalHost, std::string_view requestId,
                  bool clientIsTrustedProxy = false);

} // namespace Slipway::ProxyHeaders
