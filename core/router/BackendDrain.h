#pragma once

#include <QObject>

#include <cstddef>
#include <memory>

namespace Slipway {

class BackendTraffic;

// The router letting go of one container before it is stopped (see Router::drain): no new
// request goes to it, and `drained` comes once none is in flight any more and every I/O
// thread has closed its idle connections to it. Lives on the router's thread; deleting it
// before `drained` simply stops listening (the container takes no new request either way).
class BackendDrain : public QObject
{
    Q_OBJECT

public:
    ~BackendDrain() override;

    std::size_t inFlightAtStart() const { return m_inFlightAtStart; }
    std::size_t inFlight() const; // now
    bool isDrained() const { return m_drained; }

Q_SIGNALS:
    void drained();

private:
    friend class Router;
    BackendDrain(std::shared_ptr<BackendTraffic> traffic, int steps, QObject *parent);
    // One of the things waited for is done (the last request left, a thread closed its
    // idle connections); `drained` after the last.
    void stepDone();

    std::shared_ptr<BackendTraffic> m_traffic; // null: the router never had traffic for it
    std::size_t m_inFlightAtStart = 0;
    int m_steps = 0;
    bool m_drained = false;
};

} // namespace Slipway
