#pragma once

#include "router/IoTypes.h"

#include <chrono>
#include <cstdint>

namespace Slipway {

// One keep-alive connection from the router to a backend.
struct UpstreamConnection
{
    UpstreamConnection(const Io::Executor &executor, std::uint64_t slot)
        : socket(executor)
        , slot(slot)
    {}

    Io::Socket socket;
    std::uint64_t slot = 0;
    std::chrono::steady_clock::time_point idleSince;
};

} // namespace Slipway
