#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace Slipway::ErrorPages {

// The router's own answers, plain text so they read the same in a browser and in curl.

// No app for this host (or no usable Host header at all when `host` is empty).
std::string notFound(std::string_view host, unsigned routerPort);
// The app exists but none of its containers is ready.
std::string noContainerReady(std::string_view app);
// The app's first release is still starting.
std::string deploying(std::string_view app);
// No container of the app could be reached; `reason` says how the last attempt failed.
std::string badGateway(std::string_view app, std::string_view reason);
std::string gatewayTimeout(std::string_view app);
// Every connection the router may hold to the app's container stayed busy for `waitedMs`.
std::string backendBusy(std::string_view app, std::size_t limit, long long waitedMs);
std::string badRequest(std::string_view reason);

} // namespace Slipway::ErrorPages
