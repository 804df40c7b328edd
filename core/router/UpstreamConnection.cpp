#include "router/UpstreamConnection.h"

#include "router/UpstreamGate.h"

#include <unistd.h>

namespace Slipway {

UpstreamConnection::UpstreamConnection(const Io::Executor &executor, std::uint64_t slot,
                                       std::shared_ptr<UpstreamGate> gate)
    : socket(executor)
    , slot(slot)
    , gate(std::move(gate))
{}

UpstreamConnection::~UpstreamConnection()
{
    // Closed before its place is given back: the backend must never see one connection
    // more than the limit, not even for a moment.
    boost::system::error_code ignored;
    socket.close(ignored);
    leaveGate();
}

std::shared_ptr<UpstreamConnection> UpstreamConnection::moveTo(const Io::Executor &executor)
{
    // Asio does the same when it accepts a connection for another io_context: the
    // descriptor leaves this one's reactor and is registered with the other's.
    boost::system::error_code error;
    const boost::asio::ip::tcp protocol = socket.local_endpoint(error).protocol();
    if (error)
        return nullptr;
    auto moved = std::make_shared<UpstreamConnection>(executor, slot, nullptr);
    const Io::Socket::native_handle_type descriptor = socket.release(error);
    if (error)
        return nullptr;
    moved->socket.assign(protocol, descriptor, error);
    if (error) {
        ::close(descriptor);
        return nullptr;
    }
    // Asio keeps "non-blocking" per socket object; the request path writes synchronously.
    moved->socket.non_blocking(true, error);
    moved->gate = std::move(gate); // the place goes along
    moved->opening = opening;
    moved->openedAt = openedAt;
    moved->idleSince = idleSince;
    return moved;
}

void UpstreamConnection::leaveGate()
{
    if (const std::shared_ptr<UpstreamGate> held = std::move(gate))
        held->release(opening);
    opening = false;
}

void UpstreamConnection::settle()
{
    if (!opening)
        return;
    opening = false;
    if (gate)
        gate->settled();
}

} // namespace Slipway
