#pragma once

#include <QMutex>
#include <QSet>

namespace Slipway {

// Hands out free loopback ports for containers. A port handed out stays reserved until it
// is released, so two containers starting at once never get the same one.
class PortAllocator
{
public:
    quint16 allocate();
    void release(quint16 port);
    // Marks a port taken by a container that was already running (taken over).
    void reserve(quint16 port);

private:
    QMutex m_mutex;
    QSet<quint16> m_reserved;
};

} // namespace Slipway
