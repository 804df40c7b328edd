#include "router/ErrorPages.h"

namespace Slipway::ErrorPages {

namespace {

std::string joined(std::initializer_list<std::string_view> parts)
{
    std::string text;
    std::size_t size = 0;
    for (std::string_view part : parts)
        size += part.size();
    text.reserve(size);
    for (std::string_view part : parts)
        text.append(part);
    return text;
}

} // namespace

std::string notFound(std::string_view host, unsigned routerPort)
{
    const std::string port = std::to_string(routerPort);
    const std::string first =
        host.empty()
            ? std::string("404 Not Found: the request has no Host header, so it names no app.\n")
            : joined({"404 Not Found: no app is served at \"", host, "\".\n"});
    return joined({first, "\n",
                   "Slipway routes requests by host name: the app named <app> is reached at\n"
                   "  http://<app>.localhost:",
                   port, "/\n"});
}

std::string noContainerReady(std::string_view app)
{
    return joined({"503 Service Unavailable: no container of ", app, " is ready.\n\n",
                   "The app has no running web container right now. Deploy a release or scale "
                   "its web process up, then retry.\n"});
}

std::string deploying(std::string_view app)
{
    return joined({"503 Service Unavailable: deploying ", app,
                   "\xE2\x80\xA6 the first release is starting.\n\n",
                   "This page reloads by itself; the app answers here as soon as its first "
                   "container is ready.\n"});
}

std::string badGateway(std::string_view app, std::string_view reason)
{
    return joined({"502 Bad Gateway: no container of ", app, " answered (", reason, ").\n"});
}

std::string gatewayTimeout(std::string_view app)
{
    return joined({"504 Gateway Timeout: the container of ", app,
                   " accepted the request but did not answer in time.\n"});
}

std::string backendBusy(std::string_view app, std::size_t limit, long long waitedMs)
{
    const std::string count = std::to_string(limit);
    const std::string waited = std::to_string(waitedMs);
    return joined(
        {"503 Service Unavailable: ", app, " is too busy to take this request.\n\n",
         "The router holds at most ", count, limit == 1 ? " connection" : " connections",
         " to each container of ", app, ", and all of them stayed in use for ", waited,
         " ms while this request waited. Retry shortly; if this page comes often, the app "
         "answers too slowly for its traffic: scale its web process up.\n"});
}

std::string badRequest(std::string_view reason)
{
    return joined({"400 Bad Request: ", reason, ".\n"});
}

} // namespace Slipway::ErrorPages
