#pragma once

#include <QByteArray>
#include <QWidget>

class QListView;
class QSplitter;

namespace Slipway {

class DeploymentListModel;
class DeploymentTracker;
class LogPane;
class RolloutPane;

// The "Deployment" tab: the app's deployments on the left; on the right, the one shown as
// the rollout picture (live, or replayed from its timeline) above its build log.
class DeploymentView : public QWidget
{
    Q_OBJECT

public:
    DeploymentView(DeploymentTracker *tracker, DeploymentListModel *deployments,
                   QWidget *parent = nullptr);
    ~DeploymentView() override;

    LogPane *logPane() const { return m_log; }
    RolloutPane *rolloutPane() const { return m_rollout; }
    QListView *history() const { return m_history; }

Q_SIGNALS:
    void deploymentPicked(const QString &id);

private:
    void onReset();
    void onDeploymentChanged();
    void onTimelineEvent(const QJsonObject &event);
    void onLogData(const QByteArray &bytes);
    void selectTracked();

    DeploymentTracker *m_tracker;
    DeploymentListModel *m_deployments;
    QListView *m_history;
    QSplitter *m_split;
    QSplitter *m_outputSplit;
    RolloutPane *m_rollout;
    LogPane *m_log;
    QByteArray m_partialLine; // the log's last line, until its newline comes
    bool m_shownDeployment = false;
};

} // namespace Slipway
