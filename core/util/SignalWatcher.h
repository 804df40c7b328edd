#pragma once

#include <QObject>

class QSocketNotifier;

namespace Slipway {

// Turns SIGINT and SIGTERM into a Qt signal (self-pipe), so a build can be cancelled
// cleanly from the terminal: its process tree is stopped before slipctl exits.
class SignalWatcher : public QObject
{
    Q_OBJECT

public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void interrupted(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace Slipway
