#pragma once

#include "client/DaemonClient.h"

#include <QHash>
#include <QMainWindow>

class QLabel;
class QListView;
class QPushButton;
class QSplitter;
class QStackedWidget;

namespace Slipway {

class AppListModel;
class AppPage;
class ConnectionBanner;
class DesktopNotifier;
class WelcomePage;

// The console's window: the apps on the left, the selected app's page on the right (or the
// welcome page of a first start), the connection banner on top while the daemon is away.
// Sources dropped anywhere on the window are chosen for the selected app. The title names
// the app and Slipway; size, splitters and the last app are remembered.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    struct Options
    {
        QString app;        // open on this app
        QString source;     // with this source chosen
        QString samplePath; // the bundled sample app, offered on a first start
    };

    MainWindow(DaemonClient *client, Options options, QWidget *parent = nullptr);
    ~MainWindow() override;

    void selectApp(const QString &app);
    QString currentApp() const;
    AppPage *appPage() const { return m_page; }
    AppListModel *apps() const { return m_apps; }
    QListView *appList() const { return m_list; }
    WelcomePage *welcomePage() const { return m_welcome; }
    ConnectionBanner *banner() const { return m_banner; }
    DesktopNotifier *notifier() const { return m_notifier; }

    void createApp();
    void createSampleApp();

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void buildMenus();
    void onAppsLoaded();
    void onEvent(const QJsonObject &event);
    void updateTitle();
    void updateStatusBar();
    void showPage();
    void restoreState();

    DaemonClient *m_client;
    Options m_options;
    AppListModel *m_apps;
    ConnectionBanner *m_banner;
    QSplitter *m_splitter;
    QListView *m_list;
    QPushButton *m_newApp;
    QStackedWidget *m_stack;
    WelcomePage *m_welcome;
    AppPage *m_page;
    QLabel *m_connection;
    QLabel *m_isolation;
    DesktopNotifier *m_notifier;
    QHash<QString, QString> m_started; // deployment id → app, started from this window
    bool m_firstLoad = true;
};

} // namespace Slipway
