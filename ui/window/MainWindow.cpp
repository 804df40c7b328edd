#include "window/MainWindow.h"

#include "apps/AppItemDelegate.h"
#include "apps/AppListModel.h"
#include "apps/CreateAppDialog.h"
#include "deploy/DeployBar.h"
#include "source/SourceChooser.h"
#include "style/StatusStyle.h"
#include "window/AppPage.h"
#include "window/ConnectionBanner.h"
#include "window/DesktopNotifier.h"
#include "window/WelcomePage.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QJsonObject>
#include <QLabel>
#include <QListView>
#include <QMenuBar>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>

namespace Slipway {

MainWindow::MainWindow(DaemonClient *client, Options options, QWidget *parent)
    : QMainWindow(parent)
    , m_client(client)
    , m_options(std::move(options))
    , m_apps(new AppListModel(client, this))
    , m_notifier(new DesktopNotifier(this, this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_banner = new ConnectionBanner(client, central);
    layout->addWidget(m_banner);

    m_splitter = new QSplitter(Qt::Horizontal, central);
    m_splitter->setObjectName(QStringLiteral("mainSplitter"));
    m_splitter->setChildrenCollapsible(false);
    auto *side = new QWidget(m_splitter);
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(8, 8, 0, 8);
    auto *appsLabel = new QLabel(QStringLiteral("A&pps"), side);
    QFont bold = appsLabel->font();
    bold.setBold(true);
    appsLabel->setFont(bold);
    m_list = new QListView(side);
    m_list->setObjectName(QStringLiteral("appList"));
    m_list->setAccessibleName(QStringLiteral("Apps"));
    m_list->setModel(m_apps);
    m_list->setItemDelegate(new AppItemDelegate(m_list));
    m_list->setUniformItemSizes(true);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    appsLabel->setBuddy(m_list);
    m_newApp = new QPushButton(QStringLiteral("&New app…"), side);
    m_newApp->setObjectName(QStringLiteral("newAppButton"));
    m_newApp->setAccessibleName(QStringLiteral("Create an app"));
    sideLayout->addWidget(appsLabel);
    sideLayout->addWidget(m_list, 1);
    sideLayout->addWidget(m_newApp);
    side->setMinimumWidth(200);

    m_stack = new QStackedWidget(m_splitter);
    m_welcome = new WelcomePage(m_stack);
    m_welcome->setSampleAvailable(QFileInfo(m_options.samplePath).isDir(), m_options.samplePath);
    m_page = new AppPage(client, m_stack);
    m_stack->addWidget(m_welcome);
    m_stack->addWidget(m_page);
    m_splitter->addWidget(side);
    m_splitter->addWidget(m_stack);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({250, 1150});
    layout->addWidget(m_splitter, 1);
    setCentralWidget(central);

    m_connection = new QLabel(this);
    m_connection->setObjectName(QStringLiteral("connectionStatus"));
    m_isolation = new QLabel(this);
    m_isolation->setObjectName(QStringLiteral("isolationWarning"));
    statusBar()->addWidget(m_connection, 1);
    statusBar()->addPermanentWidget(m_isolation);

    connect(m_newApp, &QPushButton::clicked, this, &MainWindow::createApp);
    connect(m_welcome, &WelcomePage::createRequested, this, &MainWindow::createApp);
    connect(m_welcome, &WelcomePage::sampleRequested, this, &MainWindow::createSampleApp);
    connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid())
                    selectApp(current.data(AppListModel::NameRole).toString());
            });
    connect(m_apps, &AppListModel::loaded, this, &MainWindow::onAppsLoaded);
    connect(m_apps, &AppListModel::appChanged, this, [this](const QString &name) {
        if (name == m_page->app())
            m_page->setAppInfo(m_apps->app(name));
        if (m_apps->rowOf(name) < 0 && name == m_page->app())
            m_page->setApp(QString());
        showPage();
    });
    connect(m_apps, &QAbstractItemModel::rowsRemoved, this, &MainWindow::showPage);
    connect(m_page, &AppPage::deploymentStarted, this,
            [this](const QString &app, const QString &id) { m_started.insert(id, app); });
    connect(client, &DaemonClient::event, this, &MainWindow::onEvent);
    connect(client, &DaemonClient::stateChanged, this, &MainWindow::updateStatusBar);
    connect(client, &DaemonClient::daemonStatusChanged, this, &MainWindow::updateStatusBar);

    buildMenus();
    restoreState();
    // A window opened on a client that is connected already reads the apps at once; the
    // others wait for the connection.
    if (client->state() == DaemonClient::State::Online)
        m_apps->refresh();
    showPage();
    updateTitle();
    updateStatusBar();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(QStringLiteral("&File"));
    QAction *chooseFolder = file->addAction(QStringLiteral("Choose a &folder to deploy…"));
    chooseFolder->setShortcut(QKeySequence::Open);
    connect(chooseFolder, &QAction::triggered, this, [this] {
        m_page->showTab(AppPage::SourceTab);
        m_page->sourceChooser()
            ->findChild<QPushButton *>(QStringLiteral("chooseFolderButton"))
            ->click();
    });
    file->addSeparator();
    QAction *quit = file->addAction(QStringLiteral("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu *app = menuBar()->addMenu(QStringLiteral("&App"));
    QAction *create = app->addAction(QStringLiteral("&New app…"));
    create->setShortcut(QKeySequence::New);
    connect(create, &QAction::triggered, this, &MainWindow::createApp);
    QAction *deploy = app->addAction(QStringLiteral("&Deploy"));
    deploy->setObjectName(QStringLiteral("deployAction"));
    deploy->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
    deploy->setShortcutContext(Qt::ApplicationShortcut);
    connect(deploy, &QAction::triggered, m_page, &AppPage::deploy);
    QAction *cancel = app->addAction(QStringLiteral("&Cancel the deployment"));
    cancel->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_X));
    connect(cancel, &QAction::triggered, m_page, &AppPage::cancel);
    QAction *browse = app->addAction(QStringLiteral("&Open in the browser"));
    browse->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    connect(browse, &QAction::triggered, m_page, &AppPage::openInBrowser);

    QMenu *view = menuBar()->addMenu(QStringLiteral("&View"));
    QAction *sourceTab = view->addAction(QStringLiteral("&Source and buildpacks"));
    sourceTab->setShortcut(QKeySequence(Qt::ALT | Qt::Key_1));
    connect(sourceTab, &QAction::triggered, this, [this] { m_page->showTab(AppPage::SourceTab); });
    QAction *deploymentTab = view->addAction(QStringLiteral("&Deployment"));
    deploymentTab->setShortcut(QKeySequence(Qt::ALT | Qt::Key_2));
    connect(deploymentTab, &QAction::triggered, this,
            [this] { m_page->showTab(AppPage::DeploymentTab); });
    QAction *apps = view->addAction(QStringLiteral("The &apps list"));
    apps->setShortcut(QKeySequence(Qt::ALT | Qt::Key_0));
    connect(apps, &QAction::triggered, this, [this] { m_list->setFocus(); });
}

void MainWindow::restoreState()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1400, 900);
    m_splitter->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/splitter"), m_splitter->saveState());
    if (!m_page->app().isEmpty())
        settings.setValue(QStringLiteral("window/lastApp"), m_page->app());
    QMainWindow::closeEvent(event);
}

QString MainWindow::currentApp() const
{
    return m_page->app();
}

void MainWindow::selectApp(const QString &app)
{
    const int row = m_apps->rowOf(app);
    if (row >= 0 && m_list->currentIndex().row() != row)
        m_list->setCurrentIndex(m_apps->index(row));
    if (app == m_page->app())
        return;
    m_page->setApp(app);
    m_page->setAppInfo(m_apps->app(app));
    QSettings().setValue(QStringLiteral("window/lastApp"), app);
    showPage();
    updateTitle();
}

void MainWindow::onAppsLoaded()
{
    if (!m_firstLoad) {
        showPage();
        return;
    }
    m_firstLoad = false;
    // The app asked for on the command line, else the last one, else the first.
    QString wanted = m_options.app;
    if (wanted.isEmpty())
        wanted = QSettings().value(QStringLiteral("window/lastApp")).toString();
    if (m_apps->rowOf(wanted) < 0)
        wanted = m_apps->rowCount() > 0 ? m_apps->names().first() : QString();
    if (!m_options.app.isEmpty() && m_apps->rowOf(m_options.app) < 0)
        statusBar()->showMessage(QStringLiteral("There is no app named %1: create it with "
                                                "App ▸ New app.")
                                     .arg(m_options.app),
                                 15000);
    if (!wanted.isEmpty())
        selectApp(wanted);
    if (!m_options.source.isEmpty() && !wanted.isEmpty())
        m_page->chooseSourceText(m_options.source);
    showPage();
}

void MainWindow::showPage()
{
    const bool hasApp = !m_page->app().isEmpty() && m_apps->rowOf(m_page->app()) >= 0;
    if (!hasApp && m_apps->rowCount() > 0 && m_apps->isLoaded()) {
        selectApp(m_apps->names().first());
        return;
    }
    m_stack->setCurrentWidget(hasApp ? static_cast<QWidget *>(m_page) : m_welcome);
    updateTitle();
}

void MainWindow::updateTitle()
{
    const QString app = m_page->app();
    setWindowTitle(app.isEmpty() ? QStringLiteral("Slipway")
                                 : QStringLiteral("%1 — Slipway").arg(app));
}

void MainWindow::updateStatusBar()
{
    const QJsonObject &status = m_client->daemonStatus();
    switch (m_client->state()) {
    case DaemonClient::State::Online:
        m_connection->setText(QStringLiteral("Connected to slipwayd %1 at %2 · router on port %3")
                                  .arg(status.value(QStringLiteral("version")).toString(),
                                       m_client->endpoint().describe())
                                  .arg(m_client->routerPort()));
        break;
    case DaemonClient::State::Connecting:
        m_connection->setText(QStringLiteral("Connecting to slipwayd…"));
        break;
    case DaemonClient::State::Offline:
        m_connection->setText(QStringLiteral("slipwayd does not answer; reconnecting…"));
        break;
    }
    // Running without isolation is worth saying loudly: containers see the whole machine.
    const bool isolated = status.value(QStringLiteral("isolation")).toBool(true);
    if (!isolated) {
        m_isolation->setText(QStringLiteral("⚠ Containers are not isolated: %1")
                                 .arg(status.value(QStringLiteral("isolation_note")).toString()));
        QPalette palette = m_isolation->palette();
        palette.setColor(QPalette::WindowText, StatusStyle::color(StatusFamily::Bad, palette));
        m_isolation->setPalette(palette);
        m_isolation->show();
    } else {
        m_isolation->hide();
    }
}

void MainWindow::onEvent(const QJsonObject &event)
{
    if (event.value(QStringLiteral("type")).toString() != QLatin1String("deployment"))
        return;
    const QString id = event.value(QStringLiteral("id")).toString();
    const QString status = event.value(QStringLiteral("status")).toString();
    if (!m_started.contains(id) || !StatusStyle::isFinal(status))
        return;
    const QString app = m_started.take(id);
    const bool good = status == QLatin1String("success");
    const QString error = event.value(QStringLiteral("error")).toString();
    m_notifier->notify(good ? QStringLiteral("%1 is deployed").arg(app)
                            : QStringLiteral("%1: %2").arg(app, status),
                       good ? QStringLiteral("Deployment %1 ended in success; the new release "
                                             "serves.")
                                  .arg(id)
                            : (error.isEmpty() ? StatusStyle::describe(status) : error),
                       !good);
}

void MainWindow::createApp()
{
    auto *dialog = new CreateAppDialog(m_client, m_apps->names(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &CreateAppDialog::created, this, [this](const QString &name) {
        m_apps->refreshApp(name);
        // The row arrives with the refresh; select it then.
        auto *context = new QObject(this);
        connect(m_apps, &AppListModel::appChanged, context, [this, name, context] {
            if (m_apps->rowOf(name) < 0)
                return;
            selectApp(name);
            m_page->showTab(AppPage::SourceTab);
            context->deleteLater();
        });
    });
    dialog->open();
}

void MainWindow::createSampleApp()
{
    const QString name = QStringLiteral("hello");
    m_welcome->setBusy(true);
    m_welcome->setMessage({});
    auto chooseSample = [this, name] {
        m_welcome->setBusy(false);
        m_apps->refreshApp(name);
        auto *context = new QObject(this);
        connect(m_apps, &AppListModel::appChanged, context, [this, name, context] {
            if (m_apps->rowOf(name) < 0)
                return;
            selectApp(name);
            m_page->chooseSourceText(m_options.samplePath);
            context->deleteLater();
        });
    };
    m_client->send(
        "POST", QStringLiteral("/v1/apps"),
        QJsonObject{{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), name}}}}, this,
        [this, chooseSample](const ApiResult &result) {
            // An existing "hello" is as good: it gets the sample as its source.
            if (result.ok() || result.status == 409) {
                chooseSample();
                return;
            }
            m_welcome->setBusy(false);
            m_welcome->setMessage(
                QStringLiteral("The sample app was not created: %1").arg(result.message()));
        });
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls() || event->mimeData()->hasText())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QMimeData *data = event->mimeData();
    QString text;
    if (data->hasUrls() && !data->urls().isEmpty()) {
        const QUrl url = data->urls().first();
        text = url.isLocalFile() ? url.toLocalFile() : url.toString();
    } else {
        text = data->text().trimmed().section(QLatin1Char('\n'), 0, 0);
    }
    if (text.isEmpty() || m_page->app().isEmpty()) {
        statusBar()->showMessage(QStringLiteral("Create or choose an app first, then drop its "
                                                "source on the window."),
                                 8000);
        return;
    }
    m_page->chooseSourceText(text);
    event->acceptProposedAction();
}

} // namespace Slipway
