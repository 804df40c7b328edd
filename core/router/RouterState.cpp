#include "router/RouterState.h"

namespace Slipway {

RouterState::RouterState(RouterTimeouts timeouts, std::function<void()> wakeLogReader)
    : m_timeouts(timeouts)
    , m_table(std::make_shared<const RoutingTable>())
    , m_wakeLogReader(std::move(wakeLogReader))
{}

void RouterState::publish(std::shared_ptr<const RoutingTable> table)
{
    // Table first, then the generation: a reader that sees the new generation is sure to
    // load this table (or a newer one).
    m_table.store(std::move(table), std::memory_order_release);
    m_generation.fetch_add(1, std::memory_order_acq_rel);
}

void RouterState::appendAccessLog(AccessLogEntry entry)
{
    bool wasEmpty = false;
    {
        std::lock_guard lock(m_logMutex);
        wasEmpty = m_pendingLog.empty();
        m_pendingLog.push_back(std::move(entry));
    }
    // One wake-up per batch: the reader takes everything queued by then.
    if (wasEmpty && m_wakeLogReader)
        m_wakeLogReader();
}

std::vector<AccessLogEntry> RouterState::takeAccessLog()
{
    std::vector<AccessLogEntry> taken;
    std::lock_guard lock(m_logMutex);
    taken.swap(m_pendingLog);
    return taken;
}

} // namespace Slipway
