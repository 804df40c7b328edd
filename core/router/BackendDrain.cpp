#include "router/BackendDrain.h"

#include "router/BackendTraffic.h"

namespace Slipway {

BackendDrain::BackendDrain(std::shared_ptr<BackendTraffic> traffic, int steps, QObject *parent)
    : QObject(parent)
    , m_traffic(std::move(traffic))
    , m_steps(steps)
{}

BackendDrain::~BackendDrain() = default;

std::size_t BackendDrain::inFlight() const
{
    return m_traffic ? m_traffic->inFlight() : 0;
}

void BackendDrain::stepDone()
{
    if (m_drained || --m_steps > 0)
        return;
    m_drained = true;
    Q_EMIT drained();
}

} // namespace Slipway
