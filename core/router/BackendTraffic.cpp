#include "router/BackendTraffic.h"

namespace Slipway {

bool BackendTraffic::enter()
{
    m_inFlight.fetch_add(1);
    if (!m_retired.load())
        return true;
    leave(); // too late for this one: it picks again
    return false;
}

void BackendTraffic::leave()
{
    if (m_inFlight.fetch_sub(1) == 1 && m_retired.load())
        notifyIdle();
}

std::size_t BackendTraffic::inFlight() const
{
    const std::ptrdiff_t count = m_inFlight.load();
    return count > 0 ? std::size_t(count) : 0;
}

std::size_t BackendTraffic::retire(std::function<void()> idle)
{
    {
        std::lock_guard lock(m_mutex);
        m_idle = std::move(idle);
    }
    m_retired.store(true);
    const std::size_t count = inFlight();
    if (count == 0)
        notifyIdle();
    return count;
}

void BackendTraffic::notifyIdle()
{
    // Both the last request leaving and retire() itself may get here: the first one calls.
    std::function<void()> idle;
    {
        std::lock_guard lock(m_mutex);
        idle = std::move(m_idle);
        m_idle = nullptr;
    }
    if (idle)
        idle();
}

} // namespace Slipway
