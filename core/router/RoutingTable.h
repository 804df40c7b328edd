#pragma once

#include "router/Backend.h"

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace Slipway {

class BackendTraffic;
class UpstreamGate;

// A backend as the I/O threads see it: resolved once, its container name ready for the
// access log, and a slot number that changes whenever the backend leaves the table. Idle
// upstream connections are pooled per slot, so a container that left is never reused even
// when a new one comes back on the same port. Tables hold no Qt types: the I/O threads never
// touch the reference counts of strings the Qt side shares.
struct RouteBackend
{
    boost::asio::ip::tcp::endpoint endpoint;
    std::shared_ptr<SandboxSocketSource> sockets; // see Backend::sockets
    std::string container;
    std::uint64_t slot = 0;
    std::shared_ptr<UpstreamGate> gate; // its connection limit, shared by all threads; null: none
    std::shared_ptr<BackendTraffic> traffic; // its requests in flight, shared by all threads
};

struct AppRoute
{
    std::string name; // as its access log file and error pages say it
    std::vector<RouteBackend> backends;
    bool deploying = false;
    // Shared by every table the app appears in, so round-robin carries on across switches.
    std::shared_ptr<std::atomic<std::uint64_t>> nextBackend;
};

// An immutable snapshot of where each app's traffic goes. The router publishes a new one on
// every change; requests read whichever snapshot was current when they arrived.
class RoutingTable
{
public:
    void insert(std::string app, AppRoute route);

    // `app` is the lower-case name taken from the Host header.
    const AppRoute *find(std::string_view app) const;
    bool hasSlot(std::uint64_t slot) const { return m_slots.contains(slot); }
    bool hasLogName(std::string_view name) const { return m_logNames.contains(name); }

private:
    struct Hash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view key) const noexcept
        {
            return std::hash<std::string_view>{}(key);
        }
    };

    std::unordered_map<std::string, AppRoute, Hash, std::equal_to<>> m_apps;
    std::unordered_set<std::uint64_t> m_slots;
    std::unordered_set<std::string, Hash, std::equal_to<>> m_logNames;
};

} // namespace Slipway
