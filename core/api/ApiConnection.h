#pragma once

namespace Slipway {

// A connection as its I/O thread knows it: enough to close it when the server stops.
class ApiConnection
{
public:
    virtual ~ApiConnection() = default;
    // I/O thread only: closes the socket; the connection winds down by itself.
    virtual void shutdown() = 0;
};

} // namespace Slipway
