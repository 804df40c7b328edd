#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include <chrono>
#include <optional>

namespace Slipway {

// Passes progress reports of long transfers on at most once per interval: the first one at
// once, then the latest one when the interval is over, so a listener sees steady updates
// without a flood (a download reports every few kilobytes). finish() drops what is pending:
// a report arriving after the transfer ended would only confuse.
class ProgressThrottle : public QObject
{
    Q_OBJECT

public:
    static constexpr std::chrono::milliseconds DefaultInterval{250};

    explicit ProgressThrottle(std::chrono::milliseconds interval = DefaultInterval,
                              QObject *parent = nullptr);

    // `total` < 0: not known.
    void report(const QString &phase, const QString &what, qint64 bytes, qint64 total);
    void finish();

Q_SIGNALS:
    void progress(const QString &phase, const QString &what, qint64 bytes, qint64 total);

private:
    struct Report
    {
        QString phase;
        QString what;
        qint64 bytes = 0;
        qint64 total = -1;
    };

    void deliver(const Report &report);
    void deliverPending();

    std::chrono::milliseconds m_interval;
    QElapsedTimer m_sinceLast; // invalid until the first delivery
    QTimer m_timer;
    std::optional<Report> m_pending;
};

} // namespace Slipway
