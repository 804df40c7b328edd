#pragma once

#include "source/SourceSelection.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QWidget>

class QLabel;
class QTabWidget;

namespace Slipway {

class BuildpacksPanel;
class DaemonClient;
class DeployBar;
class DeploymentListModel;
class DeploymentStarter;
class DeploymentTracker;
class DeploymentView;
class SourceChooser;

// One app: its name, URL and state on top, the deploy bar, then two tabs — "Source &
// buildpacks" (what to deploy and how it builds) and "Deployment" (the rollout picture and
// the build log of the deployment shown, with the app's history beside them).
class AppPage : public QWidget
{
    Q_OBJECT

public:
    enum Tab { SourceTab, DeploymentTab };

    explicit AppPage(DaemonClient *client, QWidget *parent = nullptr);

    void setApp(const QString &app);
    const QString &app() const { return m_app; }
    void setAppInfo(const QJsonObject &app);
    void chooseSource(const SourceSelection &source);
    void chooseSourceText(const QString &text);
    void showTab(Tab tab);

    // The actions (buttons, menus and shortcuts lead here).
    void deploy();
    void cancel();
    void openInBrowser();

    SourceChooser *sourceChooser() const { return m_source; }
    BuildpacksPanel *buildpacksPanel() const { return m_buildpacks; }
    DeployBar *deployBar() const { return m_bar; }
    DeploymentTracker *tracker() const { return m_tracker; }
    DeploymentListModel *deployments() const { return m_deployments; }
    DeploymentView *deploymentView() const { return m_view; }
    QTabWidget *tabs() const { return m_tabs; }

Q_SIGNALS:
    // The user started a deployment (for the desktop notification when it ends).
    void deploymentStarted(const QString &app, const QString &id);

private:
    void startDeployment(bool queue);
    void onStarted(const QString &app, const QJsonObject &deployment);
    void requestCancel(const QString &app, const QString &id);
    void followLatest();
    void updateHeader();
    void updateCanDeploy();

    DaemonClient *m_client;
    QString m_app;
    QJsonObject m_appInfo;
    QLabel *m_title;
    QLabel *m_url;
    QLabel *m_summary;
    DeployBar *m_bar;
    QTabWidget *m_tabs;
    SourceChooser *m_source;
    BuildpacksPanel *m_buildpacks;
    DeploymentView *m_view;
    DeploymentStarter *m_starter;
    DeploymentTracker *m_tracker;
    DeploymentListModel *m_deployments;
    bool m_followLatest = true;
    // Cancel was asked for while the daemon was making the deployment of this app: it is
    // cancelled as soon as its id comes back.
    QString m_cancelOnStart;
    // Fetch progress: the last report, to tell a rate.
    qint64 m_lastFetchBytes = 0;
    QElapsedTimer m_fetchClock;
};

} // namespace Slipway
