#include "router/UpstreamConnection.h"

#include "router/UpstreamGate.h"

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

void UpstreamConnection::leaveGate()
{
    if (const std::shared_ptr<UpstreamGate> held = std::move(gate))
        held->release();
}

} // namespace Slipway
