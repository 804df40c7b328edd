#include "window/DeploymentView.h"

#include "deploy/DeploymentListModel.h"
#include "deploy/DeploymentTracker.h"
#include "log/LogPane.h"
#include "log/LogView.h"
#include "rollout/RolloutPane.h"
#include "style/StatusStyle.h"

#include <QDateTime>
#include <QJsonArray>
#include <QLabel>
#include <QListView>
#include <QSettings>
#include <QSplitter>
#include <QVBoxLayout>

namespace Slipway {

DeploymentView::DeploymentView(DeploymentTracker *tracker, DeploymentListModel *deployments,
                               QWidget *parent)
    : QWidget(parent)
    , m_tracker(tracker)
    , m_deployments(deployments)
{
    setObjectName(QStringLiteral("deploymentView"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 6, 0, 0);
    m_split = new QSplitter(Qt::Horizontal, this);
    m_split->setObjectName(QStringLiteral("deploymentSplitter"));
    m_split->setChildrenCollapsible(false);

    auto *side = new QWidget(m_split);
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    auto *label = new QLabel(QStringLiteral("&History"), side);
    QFont bold = label->font();
    bold.setBold(true);
    label->setFont(bold);
    m_history = new QListView(side);
    m_history->setObjectName(QStringLiteral("deploymentHistory"));
    m_history->setAccessibleName(QStringLiteral("The app's deployments, newest first"));
    m_history->setModel(deployments);
    m_history->setWordWrap(true);
    m_history->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_history->setSpacing(2);
    label->setBuddy(m_history);
    sideLayout->addWidget(label);
    sideLayout->addWidget(m_history, 1);
    side->setMinimumWidth(180);

    m_outputSplit = new QSplitter(Qt::Vertical, m_split);
    m_outputSplit->setObjectName(QStringLiteral("outputSplitter"));
    m_outputSplit->setChildrenCollapsible(false);
    m_rollout = new RolloutPane(m_outputSplit);
    m_log = new LogPane(m_outputSplit);
    m_outputSplit->addWidget(m_rollout);
    m_outputSplit->addWidget(m_log);
    m_outputSplit->setStretchFactor(0, 3);
    m_outputSplit->setStretchFactor(1, 2);
    m_outputSplit->setSizes({440, 300});
    m_split->addWidget(side);
    m_split->addWidget(m_outputSplit);
    m_split->setStretchFactor(0, 0);
    m_split->setStretchFactor(1, 1);
    m_split->setSizes({240, 900});
    layout->addWidget(m_split, 1);

    const QSettings settings;
    m_split->restoreState(settings.value(QStringLiteral("deploymentView/split")).toByteArray());
    m_outputSplit->restoreState(
        settings.value(QStringLiteral("deploymentView/outputSplit")).toByteArray());

    connect(m_history, &QListView::activated, this, [this](const QModelIndex &index) {
        Q_EMIT deploymentPicked(index.data(DeploymentListModel::IdRole).toString());
    });
    connect(m_history->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid() && m_history->hasFocus())
                    Q_EMIT deploymentPicked(current.data(DeploymentListModel::IdRole).toString());
            });
    connect(m_history, &QListView::clicked, this, [this](const QModelIndex &index) {
        Q_EMIT deploymentPicked(index.data(DeploymentListModel::IdRole).toString());
    });
    connect(deployments, &DeploymentListModel::refreshed, this, &DeploymentView::selectTracked);
    connect(tracker, &DeploymentTracker::reset, this, &DeploymentView::onReset);
    connect(tracker, &DeploymentTracker::deploymentChanged, this,
            &DeploymentView::onDeploymentChanged);
    connect(tracker, &DeploymentTracker::timelineEvent, this, &DeploymentView::onTimelineEvent);
    connect(tracker, &DeploymentTracker::logData, this, &DeploymentView::onLogData);
    connect(tracker, &DeploymentTracker::logEnded, this, [this](const QString &error) {
        if (!m_partialLine.isEmpty())
            m_rollout->appendLogLine(QString::fromUtf8(std::exchange(m_partialLine, {})));
        if (!error.isEmpty())
            m_log->appendData(QStringLiteral("\n-----> The log stopped: %1\n").arg(error).toUtf8());
        m_log->finish();
    });
}

DeploymentView::~DeploymentView()
{
    QSettings settings;
    settings.setValue(QStringLiteral("deploymentView/split"), m_split->saveState());
    settings.setValue(QStringLiteral("deploymentView/outputSplit"), m_outputSplit->saveState());
}

void DeploymentView::onReset()
{
    m_partialLine.clear();
    m_shownDeployment = false;
    m_log->clear();
    m_rollout->clear();
    m_log->view()->setSuggestedFileName(
        QStringLiteral("%1-%2.log").arg(m_tracker->app(), m_tracker->id()));
    selectTracked();
}

void DeploymentView::onDeploymentChanged()
{
    // The rollout view takes the deployment with what is known of its timeline so far.
    QJsonObject deployment = m_tracker->deployment();
    QJsonArray events;
    for (const QJsonObject &event : m_tracker->timeline())
        events.append(event);
    deployment.insert(QStringLiteral("timeline"), events);
    if (!m_shownDeployment) {
        m_shownDeployment = true;
        m_rollout->setDeployment(deployment);
    } else {
        m_rollout->updateDeployment(deployment);
    }
    const bool finished = m_tracker->isFinished();
    m_log->view()->setLive(!finished);
    if (finished) {
        const QDateTime created = QDateTime::fromString(
            deployment.value(QStringLiteral("created_at")).toString(), Qt::ISODateWithMs);
        const QDateTime ended = QDateTime::fromString(
            deployment.value(QStringLiteral("finished_at")).toString(), Qt::ISODateWithMs);
        if (created.isValid() && ended.isValid())
            m_log->view()->setLogEnd(created.msecsTo(ended));
    }
    selectTracked();
}

void DeploymentView::onTimelineEvent(const QJsonObject &event)
{
    m_rollout->appendEvent(event);
    if (event.value(QStringLiteral("kind")).toString() == QLatin1String("log-section")) {
        const QJsonObject data = event.value(QStringLiteral("data")).toObject();
        m_log->view()->setSectionStart(qsizetype(data.value(QStringLiteral("line")).toDouble()),
                                       qint64(event.value(QStringLiteral("offset_ms")).toDouble()));
    }
}

void DeploymentView::onLogData(const QByteArray &bytes)
{
    m_log->appendData(bytes);
    // The rollout picture needs only the containers' own lines ("       web-1: …") and the
    // step headers; everything else is left to the log view.
    qsizetype start = 0;
    for (qsizetype end = bytes.indexOf('\n'); end >= 0; end = bytes.indexOf('\n', start)) {
        QByteArray line = bytes.mid(start, end - start);
        start = end + 1;
        if (!m_partialLine.isEmpty())
            line.prepend(std::exchange(m_partialLine, {}));
        if (line.startsWith("       ") || line.startsWith("-----> "))
            m_rollout->appendLogLine(QString::fromUtf8(line));
    }
    m_partialLine += bytes.mid(start);
}

void DeploymentView::selectTracked()
{
    const int row = m_deployments->rowOf(m_tracker->id());
    if (row < 0)
        return;
    const QModelIndex index = m_deployments->index(row);
    if (m_history->currentIndex() != index) {
        const QSignalBlocker blocker(m_history->selectionModel());
        m_history->setCurrentIndex(index);
        m_history->viewport()->update();
    }
}

} // namespace Slipway
