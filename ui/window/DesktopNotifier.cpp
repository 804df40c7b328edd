#include "window/DesktopNotifier.h"

#include <QApplication>
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QSystemTrayIcon>
#include <QVariantMap>
#include <QWidget>

namespace Slipway {

namespace {
const QString Service = QStringLiteral("org.freedesktop.Notifications");
const QString Path = QStringLiteral("/org/freedesktop/Notifications");
} // namespace

DesktopNotifier::DesktopNotifier(QWidget *window, QObject *parent)
    : QObject(parent)
    , m_window(window)
{}

void DesktopNotifier::notify(const QString &title, const QString &body, bool problem)
{
    m_lastTitle = title;
    m_lastBody = body;
    ++m_count;
    Q_EMIT notified(title, body);
    if (m_window && !m_window->isActiveWindow())
        QApplication::alert(m_window);

    QDBusConnection bus = QDBusConnection::sessionBus();
    if (bus.isConnected() && bus.interface() &&
        bus.interface()->isServiceRegistered(Service).value()) {
        QDBusMessage message =
            QDBusMessage::createMethodCall(Service, Path, Service, QStringLiteral("Notify"));
        QVariantMap hints;
        hints.insert(QStringLiteral("urgency"), QVariant::fromValue(uchar(problem ? 2 : 1)));
        hints.insert(QStringLiteral("desktop-entry"), QStringLiteral("slipway"));
        message << QStringLiteral("Slipway") << uint(0) << QStringLiteral("slipway") << title
                << body << QStringList() << hints << int(problem ? 0 : 8000);
        // Not waiting for the answer: the GUI thread never waits on the desktop either.
        bus.asyncCall(message);
        return;
    }
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        if (!m_tray) {
            m_tray = new QSystemTrayIcon(QApplication::windowIcon(), this);
            m_tray->show();
        }
        m_tray->showMessage(title, body,
                            problem ? QSystemTrayIcon::Warning : QSystemTrayIcon::Information);
    }
}

} // namespace Slipway
