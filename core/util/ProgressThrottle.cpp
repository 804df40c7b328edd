#include "util/ProgressThrottle.h"

namespace Slipway {

ProgressThrottle::ProgressThrottle(std::chrono::milliseconds interval, QObject *parent)
    : QObject(parent)
    , m_interval(interval)
{
    m_timer.setSingleShot(true);
    // A coarse timer may fire a little early, which would break the promised spacing.
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &ProgressThrottle::deliverPending);
}

void ProgressThrottle::report(const QString &phase, const QString &what, qint64 bytes, qint64 total)
{
    const Report next{phase, what, bytes, total < 0 ? -1 : total};
    if (!m_sinceLast.isValid() || m_sinceLast.elapsed() >= m_interval.count()) {
        m_timer.stop();
        m_pending.reset();
        deliver(next);
        return;
    }
    m_pending = next;
    if (!m_timer.isActive())
        m_timer.start(int(qMax<qint64>(1, m_interval.count() - m_sinceLast.elapsed())));
}

void ProgressThrottle::finish()
{
    m_timer.stop();
    m_pending.reset();
}

void ProgressThrottle::deliver(const Report &report)
{
    m_sinceLast.start();
    Q_EMIT progress(report.phase, report.what, report.bytes, report.total);
}

void ProgressThrottle::deliverPending()
{
    if (!m_pending)
        return;
    const Report report = *m_pending;
    m_pending.reset();
    deliver(report);
}

} // namespace Slipway
