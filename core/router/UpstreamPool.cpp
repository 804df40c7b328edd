#include "router/UpstreamPool.h"

#include "router/ReadyRead.h"
#include "router/RoutingTable.h"

#include <algorithm>

namespace Slipway {

namespace {

void closeQuietly(UpstreamConnection &connection)
{
    boost::system::error_code ignored;
    connection.socket.close(ignored);
}

} // namespace

UpstreamPool::UpstreamPool(std::size_t maxIdlePerBackend)
    : m_maxIdlePerBackend(maxIdlePerBackend)
{}

UpstreamPool::~UpstreamPool()
{
    closeAll();
}

std::shared_ptr<UpstreamConnection> UpstreamPool::take(std::uint64_t slot)
{
    const auto it = m_idle.find(slot);
    if (it == m_idle.end() || it->second.empty())
        return {};
    std::shared_ptr<UpstreamConnection> connection = std::move(it->second.back());
    it->second.pop_back();
    return connection;
}

void UpstreamPool::put(std::shared_ptr<UpstreamConnection> connection, const RoutingTable &current,
                       Clock::time_point now)
{
    if (m_closed || !current.hasSlot(connection->slot)) {
        closeQuietly(*connection);
        return;
    }
    std::vector<std::shared_ptr<UpstreamConnection>> &idle = m_idle[connection->slot];
    if (idle.size() >= m_maxIdlePerBackend) {
        closeQuietly(*connection);
        return;
    }
    // No read is left pending on an idle connection: with Asio that costs a system call per
    // request (an epoll re-arm or a speculative recv); dropClosedByBackends() looks instead.
    connection->idleSince = now;
    idle.push_back(std::move(connection));
}

void UpstreamPool::prune(const RoutingTable &current)
{
    for (auto it = m_idle.begin(); it != m_idle.end();) {
        if (current.hasSlot(it->first)) {
            ++it;
            continue;
        }
        for (const auto &connection : it->second)
            closeQuietly(*connection);
        it = m_idle.erase(it);
    }
}

void UpstreamPool::closeIdle(std::uint64_t slot)
{
    const auto it = m_idle.find(slot);
    if (it == m_idle.end())
        return;
    for (const auto &connection : it->second)
        closeQuietly(*connection);
    m_idle.erase(it);
}

void UpstreamPool::closeIdleSince(Clock::time_point before)
{
    for (auto &[slot, idle] : m_idle) {
        // Oldest first: put() appends and take() pops from the back.
        auto firstKept = idle.begin();
        while (firstKept != idle.end() && (*firstKept)->idleSince < before) {
            closeQuietly(**firstKept);
            ++firstKept;
        }
        idle.erase(idle.begin(), firstKept);
    }
}

void UpstreamPool::dropClosedByBackends()
{
    for (auto &[slot, idle] : m_idle) {
        std::erase_if(idle, [](const std::shared_ptr<UpstreamConnection> &connection) {
            const bool alive = Io::peek(connection->socket) == Io::Peeked::Nothing;
            if (!alive)
                closeQuietly(*connection);
            return !alive;
        });
    }
}

void UpstreamPool::closeAll()
{
    m_closed = true;
    for (auto &[slot, idle] : m_idle) {
        for (const auto &connection : idle)
            closeQuietly(*connection);
    }
    m_idle.clear();
}

std::size_t UpstreamPool::idleCount() const
{
    std::size_t count = 0;
    for (const auto &[slot, idle] : m_idle)
        count += idle.size();
    return count;
}

} // namespace Slipway
