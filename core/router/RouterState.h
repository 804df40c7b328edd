#pragma once

#include "router/RoutingTable.h"

#include <QString>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Slipway {

struct RouterTimeouts
{
    std::chrono::milliseconds connect{5000};
    std::chrono::milliseconds clientIdle{60000};
    std::chrono::milliseconds streamIdle{600000};
    std::chrono::milliseconds backendQueue{10000}; // waiting for a connection to a busy backend
    // A request body must come at minimumBodyRate bytes a second on average once bodyGrace
    // has passed: a client sending a byte now and then holds no connection for long.
    std::chrono::milliseconds bodyGrace{30000};
    std::uint64_t minimumBodyRate = 4096;
};

struct AccessLogEntry
{
    QString app;
    QString line;
};

// What the Qt side and the I/O threads share. The routing table is published as an
// immutable snapshot behind an atomic pointer plus a generation counter, so the request
// path reads it without a lock. Access log files are written by the workers themselves;
// lines go the other way, through a small queue that wakes the Qt thread once per batch,
// only while someone listens to Router::accessLogged.
class RouterState
{
public:
    RouterState(RouterTimeouts timeouts, std::function<void()> wakeLogReader);

    const RouterTimeouts &timeouts() const { return m_timeouts; }

    void publish(std::shared_ptr<const RoutingTable> table);
    std::shared_ptr<const RoutingTable> table() const
    {
        return m_table.load(std::memory_order_acquire);
    }
    std::uint64_t generation() const { return m_generation.load(std::memory_order_acquire); }

    // Set before the workers start.
    void setTrustedProxies(std::vector<std::string> addresses)
    {
        m_trustedProxies = std::move(addresses);
    }
    bool isTrustedProxy(const std::string &address) const
    {
        return !m_trustedProxies.empty() &&
               std::find(m_trustedProxies.begin(), m_trustedProxies.end(), address) !=
                   m_trustedProxies.end();
    }

    quint16 port() const { return m_port.load(std::memory_order_relaxed); }
    void setPort(quint16 port) { m_port.store(port, std::memory_order_relaxed); }

    // Where the workers write <app>.log files; empty for none. Set before the workers start.
    void setAccessLogDirectory(std::string directory)
    {
        m_accessLogDirectory = std::move(directory);
    }
    const std::string &accessLogDirectory() const { return m_accessLogDirectory; }
    std::atomic<bool> &accessLogWarned() { return m_accessLogWarned; }

    // Whether requests make access log lines at all (for the files or for listeners), and
    // whether the lines also go to the Qt thread, for Router::accessLogged.
    bool accessLogEnabled() const { return m_accessLogEnabled.load(std::memory_order_relaxed); }
    bool accessLogSignalled() const { return m_accessLogSignalled.load(std::memory_order_relaxed); }
    void setAccessLogEnabled(bool enabled, bool signalled)
    {
        m_accessLogSignalled.store(signalled, std::memory_order_relaxed);
        m_accessLogEnabled.store(enabled, std::memory_order_relaxed);
    }
    void appendAccessLog(AccessLogEntry entry);
    std::vector<AccessLogEntry> takeAccessLog();

    // Closes the idle pooled connections to a backend slot on every worker, so that their
    // places go to requests queued for that backend. Set before the workers start and
    // cleared after they stopped; called from the workers.
    void setIdleReclaimer(std::function<void(std::uint64_t slot)> reclaim)
    {
        m_reclaimIdle = std::move(reclaim);
    }
    void reclaimIdle(std::uint64_t slot) const
    {
        if (m_reclaimIdle)
            m_reclaimIdle(slot);
    }

private:
    const RouterTimeouts m_timeouts;
    std::vector<std::string> m_trustedProxies;
    std::atomic<std::shared_ptr<const RoutingTable>> m_table;
    std::atomic<std::uint64_t> m_generation{0};
    std::atomic<quint16> m_port{0};
    std::atomic<bool> m_accessLogEnabled{false};
    std::atomic<bool> m_accessLogSignalled{false};
    std::atomic<bool> m_accessLogWarned{false};
    std::string m_accessLogDirectory;

    std::function<void()> m_wakeLogReader;
    std::function<void(std::uint64_t)> m_reclaimIdle;
    std::mutex m_logMutex;
    std::vector<AccessLogEntry> m_pendingLog;
};

} // namespace Slipway
