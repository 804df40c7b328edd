#pragma once

#include <QObject>
#include <QString>

class QSystemTrayIcon;
class QWidget;

namespace Slipway {

// Tells the desktop that something the user started has ended, the way desktop programs do:
// a notification through the freedesktop notification service when there is one, a tray
// message otherwise, and the window's taskbar entry asks for attention either way.
class DesktopNotifier : public QObject
{
    Q_OBJECT

public:
    explicit DesktopNotifier(QWidget *window, QObject *parent = nullptr);

    void notify(const QString &title, const QString &body, bool problem);
    // The last notification sent, for tests and the status bar.
    QString lastTitle() const { return m_lastTitle; }
    QString lastBody() const { return m_lastBody; }
    int count() const { return m_count; }

Q_SIGNALS:
    void notified(const QString &title, const QString &body);

private:
    QWidget *m_window;
    QSystemTrayIcon *m_tray = nullptr;
    QString m_lastTitle;
    QString m_lastBody;
    int m_count = 0;
};

} // namespace Slipway
