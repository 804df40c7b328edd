#include "window/AppPage.h"

#include "apps/AppListModel.h"
#include "buildpacks/BuildpacksPanel.h"
#include "client/DaemonClient.h"
#include "deploy/DeployBar.h"
#include "deploy/DeploymentListModel.h"
#include "deploy/DeploymentStarter.h"
#include "deploy/DeploymentTracker.h"
#include "source/RecentSources.h"
#include "source/SourceChooser.h"
#include "style/StatusStyle.h"
#include "window/DeploymentView.h"

#include <QDesktopServices>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QTabWidget>
#include <QUrl>
#include <QVBoxLayout>

#include <utility>

namespace Slipway {

AppPage::AppPage(DaemonClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_starter(new DeploymentStarter(client, this))
    , m_tracker(new DeploymentTracker(client, this))
    , m_deployments(new DeploymentListModel(client, this))
{
    setObjectName(QStringLiteral("appPage"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 10, 12, 8);

    // Header: the app, where it answers, and what serves.
    auto *header = new QHBoxLayout;
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("appTitle"));
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.5);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_url = new QLabel(this);
    m_url->setObjectName(QStringLiteral("appUrl"));
    m_url->setAccessibleName(QStringLiteral("App URL"));
    m_url->setTextFormat(Qt::RichText);
    m_url->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_url->setOpenExternalLinks(true);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("appSummary"));
    m_summary->setAccessibleName(QStringLiteral("App state"));
    header->addWidget(m_title);
    header->addSpacing(12);
    header->addWidget(m_url);
    header->addStretch();
    header->addWidget(m_summary);
    layout->addLayout(header);

    m_bar = new DeployBar(this);
    layout->addWidget(m_bar);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("appTabs"));
    m_tabs->setDocumentMode(true);

    // Tab 1: what to deploy and which buildpacks build it.
    auto *sourceTab = new QWidget(m_tabs);
    auto *sourceLayout = new QVBoxLayout(sourceTab);
    sourceLayout->setContentsMargins(0, 8, 0, 0);
    m_source = new SourceChooser(sourceTab);
    sourceLayout->addWidget(m_source);
    auto *line = new QFrame(sourceTab);
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);
    sourceLayout->addWidget(line);
    m_buildpacks = new BuildpacksPanel(client, sourceTab);
    sourceLayout->addWidget(m_buildpacks, 1);
    m_tabs->addTab(sourceTab, QStringLiteral("&1  Source && buildpacks"));

    // Tab 2: the deployment shown, as a picture and as a log.
    m_view = new DeploymentView(m_tracker, m_deployments, m_tabs);
    m_tabs->addTab(m_view, QStringLiteral("&2  Deployment"));
    layout->addWidget(m_tabs, 1);

    connect(m_bar, &DeployBar::deployRequested, this, &AppPage::deploy);
    connect(m_bar, &DeployBar::cancelRequested, this, &AppPage::cancel);
    connect(m_source, &SourceChooser::selectionChanged, this,
            [this](const SourceSelection &source) {
                m_buildpacks->setSource(source);
                updateCanDeploy();
            });
    connect(m_starter, &DeploymentStarter::uploadProgress, this,
            [this](qint64 sent, qint64 total, double rate) {
                m_bar->showTransfer(
                    QStringLiteral("Uploading %1").arg(m_source->selection().describe()), sent,
                    total, rate);
            });
    connect(m_starter, &DeploymentStarter::started, this, &AppPage::onStarted);
    connect(m_starter, &DeploymentStarter::failed, this,
            [this](const QString &app, const QString &message) {
                m_cancelOnStart.clear();
                m_bar->setStarting(false);
                m_bar->hideTransfer();
                if (app == m_app)
                    m_bar->setMessage(
                        QStringLiteral("The deployment did not start: %1").arg(message), true);
            });
    connect(m_tracker, &DeploymentTracker::reset, this, [this] {
        m_bar->setDeployment({});
        m_lastFetchBytes = 0;
    });
    connect(m_tracker, &DeploymentTracker::deploymentChanged, m_bar, &DeployBar::setDeployment);
    connect(
        m_tracker, &DeploymentTracker::fetchProgress, this, [this](const QJsonObject &progress) {
            const qint64 bytes = qint64(progress.value(QStringLiteral("bytes")).toDouble());
            const qint64 total = qint64(progress.value(QStringLiteral("total")).toDouble());
            double rate = 0;
            if (m_fetchClock.isValid() && bytes > m_lastFetchBytes && m_fetchClock.elapsed() > 0)
                rate = double(bytes - m_lastFetchBytes) * 1000.0 / double(m_fetchClock.elapsed());
            m_fetchClock.restart();
            m_lastFetchBytes = bytes;
            const QString phase = progress.value(QStringLiteral("phase")).toString();
            const QString what = progress.value(QStringLiteral("what")).toString();
            m_bar->showTransfer(phase == QLatin1String("fetch-buildpack")
                                    ? QStringLiteral("Fetching buildpack %1").arg(what)
                                    : QStringLiteral("Fetching %1").arg(what),
                                bytes, total, rate);
        });
    connect(m_tracker, &DeploymentTracker::statusChanged, this, [this](const QString &status) {
        // The build has its source by the time it compiles: the fetch is over.
        if (status != QLatin1String("queued") && status != QLatin1String("building"))
            m_bar->hideTransfer();
        updateCanDeploy();
    });
    connect(m_deployments, &DeploymentListModel::refreshed, this, &AppPage::followLatest);
    connect(m_view, &DeploymentView::deploymentPicked, this, [this](const QString &id) {
        // Picking an older deployment stops following new ones until the newest is picked.
        m_followLatest = m_deployments->rowOf(id) == 0;
        if (id != m_tracker->id())
            m_tracker->track(m_app, id);
    });
    updateHeader();
    updateCanDeploy();
}

void AppPage::setApp(const QString &app)
{
    if (app == m_app)
        return;
    m_app = app;
    m_appInfo = {};
    m_followLatest = true;
    m_source->setApp(app);
    m_buildpacks->setApp(app);
    m_deployments->setApp(app);
    m_tracker->track(app, QString());
    m_bar->setMessage({});
    m_bar->hideTransfer();
    // The source last used for this app comes back.
    const QList<SourceSelection> recent = RecentSources::forApp(app);
    if (!recent.isEmpty())
        m_source->setSelection(recent.first());
    else
        m_source->setText(QString());
    updateHeader();
    updateCanDeploy();
}

void AppPage::setAppInfo(const QJsonObject &app)
{
    m_appInfo = app;
    updateHeader();
    updateCanDeploy();
}

void AppPage::chooseSource(const SourceSelection &source)
{
    m_source->setSelection(source);
    showTab(SourceTab);
}

void AppPage::chooseSourceText(const QString &text)
{
    m_source->setText(text);
    showTab(SourceTab);
}

void AppPage::showTab(Tab tab)
{
    m_tabs->setCurrentIndex(tab == SourceTab ? 0 : 1);
}

void AppPage::updateHeader()
{
    m_title->setText(m_app);
    const QString url = m_appInfo.value(QStringLiteral("url")).toString();
    m_url->setText(url.isEmpty()
                       ? QString()
                       : QStringLiteral("<a href=\"%1\">%1</a>").arg(url.toHtmlEscaped()));
    m_url->setToolTip(QStringLiteral("Open the app in the browser"));
    m_summary->setText(m_appInfo.isEmpty()
                           ? QString()
                           : AppListModel::summary(m_appInfo, QDateTime::currentDateTimeUtc()));
    m_summary->setAccessibleDescription(m_summary->text());
}

void AppPage::updateCanDeploy()
{
    const SourceSelection source = m_source->selection();
    if (m_app.isEmpty())
        m_bar->setCanDeploy(false, QStringLiteral("Choose or create an app first"));
    else if (!source.isValid())
        m_bar->setCanDeploy(false, QStringLiteral("Choose a source to deploy first"));
    else
        m_bar->setCanDeploy(true);
}

void AppPage::deploy()
{
    if (m_app.isEmpty())
        return;
    if (!m_source->selection().isValid()) {
        showTab(SourceTab);
        m_bar->setMessage(QStringLiteral("Choose a source to deploy first: a folder, a git URL, "
                                         "an archive or a .jar/.war."),
                          true);
        m_source->setFocus();
        return;
    }
    if (m_starter->isBusy())
        return;
    // A deployment running already: the new one would wait; ask first. The deployment shown
    // is the freshest word on itself (the list and the app's state follow a moment later).
    QJsonObject running;
    if (m_tracker->isLoaded() && !m_tracker->isFinished())
        running = m_tracker->deployment();
    if (running.isEmpty()) {
        running = m_deployments->running();
        if (running.value(QStringLiteral("id")).toString() == m_tracker->id())
            running = {};
    }
    if (!running.isEmpty()) {
        auto *box = new QMessageBox(
            QMessageBox::Question, QStringLiteral("Queue this deployment? — Slipway"),
            QStringLiteral("A deployment of %1 is running (%2). Queue this one? It starts when "
                           "the running one ends.")
                .arg(m_app, running.value(QStringLiteral("status")).toString()),
            QMessageBox::NoButton, this);
        box->setObjectName(QStringLiteral("queueQuestion"));
        QPushButton *queue = box->addButton(QStringLiteral("&Queue it"), QMessageBox::AcceptRole);
        queue->setObjectName(QStringLiteral("queueButton"));
        box->addButton(QMessageBox::Cancel);
        box->setDefaultButton(queue);
        box->setAttribute(Qt::WA_DeleteOnClose);
        connect(box, &QMessageBox::finished, this, [this, box, queue] {
            if (box->clickedButton() == queue)
                startDeployment(true);
        });
        box->open();
        return;
    }
    startDeployment(true);
}

void AppPage::startDeployment(bool queue)
{
    m_bar->setStarting(true);
    m_bar->setMessage(
        m_source->selection().isUpload()
            ? QStringLiteral("Uploading %1 to slipwayd…").arg(m_source->selection().describe())
            : QStringLiteral("Asking slipwayd to deploy %1…")
                  .arg(m_source->selection().describe()));
    m_starter->start(m_app, m_source->selection(), queue);
}

void AppPage::onStarted(const QString &app, const QJsonObject &deployment)
{
    m_bar->setStarting(false);
    m_bar->hideTransfer();
    RecentSources::remember(app, m_source->selection());
    const QString id = deployment.value(QStringLiteral("id")).toString();
    if (std::exchange(m_cancelOnStart, QString()) == app && !id.isEmpty())
        requestCancel(app, id);
    Q_EMIT deploymentStarted(app, id);
    if (app != m_app)
        return;
    m_followLatest = true;
    m_deployments->refresh();
    showTab(DeploymentTab);
    // Queued behind a running deployment: the running one stays in view (that is where things
    // happen); the new one follows it when it ends.
    if (deployment.value(QStringLiteral("status")).toString() == QLatin1String("queued") &&
        m_tracker->isLoaded() && !m_tracker->isFinished()) {
        m_bar->setMessage(
            QStringLiteral("Deployment %1 is queued: it starts when this one ends.").arg(id));
        return;
    }
    m_tracker->track(app, id);
}

void AppPage::cancel()
{
    // An upload still on its way stops there; the daemon never sees the deployment.
    if (m_starter->cancel())
        return;
    // Otherwise the deployment running is cancelled; one the daemon is making right now (a
    // request it already has) is cancelled once it exists. A deployment being queued behind
    // the running one is not what the bar shows, and goes on.
    QString id;
    if (m_tracker->isLoaded() && !m_tracker->isFinished())
        id = m_tracker->id();
    else
        id = m_deployments->running().value(QStringLiteral("id")).toString();
    if (!id.isEmpty())
        requestCancel(m_app, id);
    else if (m_starter->isBusy())
        m_cancelOnStart = m_app;
}

void AppPage::requestCancel(const QString &app, const QString &id)
{
    m_client->send("POST", QStringLiteral("/v1/apps/%1/deployments/%2/cancel").arg(app, id),
                   QJsonValue(), this, [this](const ApiResult &result) {
                       if (!result.ok())
                           m_bar->setMessage(
                               QStringLiteral("Could not cancel: %1").arg(result.message()), true);
                   });
}

void AppPage::openInBrowser()
{
    const QString url = m_appInfo.value(QStringLiteral("url")).toString();
    if (!url.isEmpty())
        QDesktopServices::openUrl(QUrl(url));
}

void AppPage::followLatest()
{
    if (m_deployments->rowCount() == 0)
        return;
    const QString newest = m_deployments->deployment(0).value(QStringLiteral("id")).toString();
    // Show the newest deployment unless the user chose to look at an older one, or the
    // one shown still runs (a queued one must not hide the running one).
    if (m_tracker->id().isEmpty() || (m_followLatest && newest != m_tracker->id() &&
                                      (m_tracker->isFinished() || !m_tracker->isLoaded())))
        m_tracker->track(m_app, newest);
}

} // namespace Slipway
