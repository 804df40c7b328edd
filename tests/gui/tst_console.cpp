#include "apps/AppListModel.h"
#include "apps/CreateAppDialog.h"
#include "buildpacks/BuildpackListModel.h"
#include "buildpacks/BuildpacksPanel.h"
#include "buildpacks/DetectionModel.h"
#include "client/DaemonClient.h"
#include "deploy/DeployBar.h"
#include "deploy/DeploymentListModel.h"
#include "deploy/DeploymentTracker.h"
#include "log/LogPane.h"
#include "log/LogView.h"
#include "rollout/RolloutPane.h"
#include "rollout/RolloutScrubber.h"
#include "rollout/RolloutState.h"
#include "source/SourceChooser.h"
#include "window/AppPage.h"
#include "window/ConnectionBanner.h"
#include "window/DeploymentView.h"
#include "window/DesktopNotifier.h"
#include "window/MainWindow.h"
#include "window/WelcomePage.h"

#include "DaemonProcess.h"
#include "TestSupport.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QDialogButtonBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace Slipway;

// The console as a user drives it: real widgets (offscreen) on a real slipwayd started on a
// temporary data folder, with the fixture app of the engine's own tests as the app to
// deploy. The steps build on each other, in order, as a user's session would.
class TestConsole : public QObject
{
    Q_OBJECT

    QTemporaryDir m_temp;
    std::unique_ptr<DaemonProcess> m_daemon;
    std::unique_ptr<DaemonClient> m_client;
    std::unique_ptr<MainWindow> m_window;
    QString m_folder; // the fixture app, a git work tree, deployed as a folder
    // Every item model of the window, checked through the whole session.
    QList<std::shared_ptr<QAbstractItemModelTester>> m_testers;

    AppPage *page() const { return m_window->appPage(); }
    DeployBar *bar() const { return page()->deployBar(); }
    DeploymentView *view() const { return page()->deploymentView(); }
    LogView *log() const { return view()->logPane()->view(); }
    RolloutState rollout() const { return view()->rolloutPane()->state(); }

    template<class T>
    T *find(const char *name) const
    {
        T *widget = m_window->findChild<T *>(QString::fromLatin1(name));
        if (!widget)
            qWarning("no widget named %s", name);
        return widget;
    }

    QString deploymentStatus() const { return page()->tracker()->status(); }

    // Waits until the deployment shown ends; returns its status.
    QString waitForEnd(int timeoutMs = 180000)
    {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < timeoutMs) {
            if (page()->tracker()->isLoaded() && page()->tracker()->isFinished())
                return deploymentStatus();
            QTest::qWait(50);
        }
        return deploymentStatus();
    }

    void writeProcfile(const QString &web, const QString &postdeploy = {})
    {
        QFile procfile(m_folder + QStringLiteral("/Procfile"));
        QVERIFY(procfile.open(QIODevice::WriteOnly | QIODevice::Truncate));
        procfile.write(
            QStringLiteral("web: %1 python3 behave.py web --tag \"slipway-fixture-$APP\"\n")
                .arg(web)
                .toUtf8());
        if (!postdeploy.isEmpty())
            procfile.write(QStringLiteral("postdeploy: %1 python3 behave.py postdeploy\n")
                               .arg(postdeploy)
                               .toUtf8());
    }

    void setSetting(const QString &name, int value)
    {
        int status = 0;
        m_daemon->call("PATCH", QStringLiteral("/v1/apps/shop/settings"),
                       {{QStringLiteral("settings"), QJsonObject{{name, value}}}}, &status);
        QCOMPARE(status, 200);
    }

    QString diagnosis() const
    {
        QMessageBox *question = m_window->findChild<QMessageBox *>(QStringLiteral("queueQuestion"));
        return QStringLiteral("tracker %1 %2 loaded=%3; bar '%4' '%5'; deploy enabled %6; question "
                              "%7; source %8")
            .arg(page()->tracker()->id(), page()->tracker()->status())
            .arg(page()->tracker()->isLoaded())
            .arg(bar()->statusText(), bar()->messageText())
            .arg(bar()->deployButton()->isEnabled())
            .arg(question ? question->text() : QStringLiteral("none"),
                 page()->sourceChooser()->selection().location);
    }

    // Deploys with the shortcut and waits until the new deployment is shown.
    void deployAndWaitForStart()
    {
        const QString before = page()->tracker()->id();
        clickDeploy();
        QTRY_VERIFY2_WITH_TIMEOUT(page()->tracker()->id() != before &&
                                      page()->tracker()->isLoaded(),
                                  qPrintable(diagnosis()), 30000);
    }

    void clickDeploy()
    {
        // The shortcut, as a user at the keyboard would: Ctrl+Shift+D, in the active window
        // (offscreen, a closed dialog does not give the activation back by itself).
        m_window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        QTest::keyClick(m_window.get(), Qt::Key_D, Qt::ControlModifier | Qt::ShiftModifier);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope,
                           m_temp.filePath(QStringLiteral("settings")));
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                           m_temp.filePath(QStringLiteral("settings")));
        QApplication::setOrganizationName(QStringLiteral("SlipwayTests"));
        QApplication::setApplicationName(QStringLiteral("tst_console"));
        m_daemon = std::make_unique<DaemonProcess>();
        QVERIFY(m_daemon->start());

        DaemonEndpoint endpoint;
        endpoint.socketPath = m_daemon->socketPath();
        endpoint.autostart = false;
        m_client = std::make_unique<DaemonClient>(endpoint);
        MainWindow::Options options;
        options.samplePath = TestSupport::resourcesPath(QStringLiteral("samples/hello"));
        m_window = std::make_unique<MainWindow>(m_client.get(), options);
        m_window->resize(1400, 900);
        m_window->show();
        // Shortcuts reach only the active window.
        m_window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
        m_client->open();
        QTRY_COMPARE_WITH_TIMEOUT(m_client->state(), DaemonClient::State::Online, 20000);
        QTRY_VERIFY(m_window->apps()->isLoaded());
        for (QAbstractItemModel *model :
             {static_cast<QAbstractItemModel *>(m_window->apps()),
              static_cast<QAbstractItemModel *>(page()->buildpacksPanel()->detectionModel()),
              static_cast<QAbstractItemModel *>(page()->buildpacksPanel()->listModel()),
              static_cast<QAbstractItemModel *>(page()->deployments())})
            m_testers.append(std::make_shared<QAbstractItemModelTester>(
                model, QAbstractItemModelTester::FailureReportingMode::QtTest));

        // The app's source: the behave fixture, committed to git, as a developer's folder.
        m_folder = m_temp.filePath(QStringLiteral("shop"));
        QVERIFY(TestSupport::copyTree(TestSupport::dataPath(QStringLiteral("fixtures/behave")),
                                      m_folder));
        writeProcfile(QString());
        QVERIFY(TestSupport::gitInitCommit(m_folder));
    }

    void cleanupTestCase()
    {
        m_testers.clear();
        m_window.reset();
        m_client.reset();
        m_daemon.reset();
    }

    void firstStartOffersTheSampleApp()
    {
        QCOMPARE(m_window->windowTitle(), QStringLiteral("Slipway"));
        QVERIFY(m_window->welcomePage()->isVisible());
        auto *sample = find<QPushButton>("createSampleButton");
        QVERIFY(sample && sample->isVisible());
        QTest::mouseClick(sample, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->currentApp(), QStringLiteral("hello"), 20000);
        QTRY_VERIFY(page()->isVisible());
        QCOMPARE(m_window->windowTitle(), QStringLiteral("hello — Slipway"));
        QCOMPARE(page()->sourceChooser()->selection().location,
                 TestSupport::resourcesPath(QStringLiteral("samples/hello")));
        // Detection of the sample: the Node.js buildpack matches it.
        BuildpacksPanel *panel = page()->buildpacksPanel();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->detection().isEmpty(), 60000);
        bool nodejs = false;
        for (int row = 0; row < panel->detectionModel()->rowCount(); ++row) {
            const QModelIndex index = panel->detectionModel()->index(row, 0);
            if (index.data().toString() == QLatin1String("nodejs"))
                nodejs = index.data(DetectionModel::DetectedRole).toBool();
        }
        QVERIFY(nodejs);
        QVERIFY(bar()->deployButton()->isEnabled());
    }

    void createsAnAppCheckingTheNameAsYouType()
    {
        QTest::mouseClick(find<QPushButton>("newAppButton"), Qt::LeftButton);
        CreateAppDialog *dialog = nullptr;
        QTRY_VERIFY((dialog = m_window->findChild<CreateAppDialog *>()) && dialog->isVisible());
        auto *edit = dialog->findChild<QLineEdit *>(QStringLiteral("appNameEdit"));
        auto *hint = dialog->findChild<QLabel *>(QStringLiteral("appNameHint"));
        auto *create = dialog->findChild<QPushButton *>(QStringLiteral("createAppButton"));
        QTest::keyClicks(edit, QStringLiteral("Shop"));
        QVERIFY(!create->isEnabled());
        QVERIFY2(hint->text().contains(QStringLiteral("lowercase")), qPrintable(hint->text()));
        edit->clear();
        QTest::keyClicks(edit, QStringLiteral("hello"));
        QVERIFY(!create->isEnabled());
        QVERIFY(hint->text().contains(QStringLiteral("exists already")));
        edit->clear();
        QTest::keyClicks(edit, QStringLiteral("shop"));
        QVERIFY(create->isEnabled());
        QVERIFY(hint->text().contains(QStringLiteral("http://shop.localhost")));
        QTest::mouseClick(create, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->currentApp(), QStringLiteral("shop"), 20000);
        QCOMPARE(m_window->windowTitle(), QStringLiteral("shop — Slipway"));
        QCOMPARE(m_window->apps()->rowCount(), 2);
    }

    void choosesAFolderAndSeesDetection()
    {
        auto *edit = find<QLineEdit>("sourceEdit");
        edit->clear();
        QTest::keyClicks(edit, m_folder);
        QTest::keyClick(edit, Qt::Key_Return);
        QCOMPARE(page()->sourceChooser()->selection().kind, SourceSelection::Kind::Folder);
        // The folder is a git work tree: its branch and commit are shown.
        auto *facts = find<QLabel>("sourceFacts");
        QTRY_VERIFY_WITH_TIMEOUT(facts->text().contains(QStringLiteral("branch main")), 10000);
        QVERIFY(facts->text().contains(TestSupport::gitHead(m_folder).left(10)));
        QVERIFY(facts->text().contains(QStringLiteral("no uncommitted changes")));

        BuildpacksPanel *panel = page()->buildpacksPanel();
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isDetecting() && !panel->detection().isEmpty(), 60000);
        QStringList matched;
        for (int row = 0; row < panel->detectionModel()->rowCount(); ++row) {
            const QModelIndex index = panel->detectionModel()->index(row, 0);
            if (index.data(DetectionModel::DetectedRole).toBool())
                matched.append(index.data().toString());
        }
        QCOMPARE(matched, QStringList{QStringLiteral("procfile")});
        QCOMPARE(panel->ruleText(), QStringLiteral("auto-detection"));
        QVERIFY(find<QLabel>("ruleLabel")->text().contains(QStringLiteral("procfile")));
    }

    void reordersBuildpacksByDragAndDropAndSavesThem()
    {
        BuildpacksPanel *panel = page()->buildpacksPanel();
        BuildpackListModel *list = panel->listModel();
        // A custom reference is checked before it is added: a folder without bin/compile is
        // refused with the reason.
        auto *reference = find<QLineEdit>("buildpackReferenceEdit");
        QTest::keyClicks(reference, m_temp.path());
        QTest::mouseClick(find<QPushButton>("buildpackAddButton"), Qt::LeftButton);
        auto *error = find<QLabel>("buildpackListError");
        QTRY_VERIFY_WITH_TIMEOUT(error->text().contains(QStringLiteral("bin/compile")), 60000);
        QCOMPARE(list->rowCount(), 0);

        reference->clear();
        QTest::keyClicks(reference, QStringLiteral("procfile"));
        QTest::keyClick(reference, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(list->rowCount(), 1, 60000);
        reference->clear();
        QTest::keyClicks(reference, QStringLiteral("static"));
        QTest::mouseClick(find<QPushButton>("buildpackAddButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(list->rowCount(), 2, 60000);
        QCOMPARE(list->references(),
                 (QStringList{QStringLiteral("procfile"), QStringLiteral("static")}));

        // Drag "static" above "procfile": the list view's drop goes through the model's
        // mime data, exactly as here.
        auto *listView = find<QListView>("buildpackList");
        std::unique_ptr<QMimeData> dragged(list->mimeData({list->index(1)}));
        QVERIFY(list->canDropMimeData(dragged.get(), Qt::MoveAction, 0, 0, {}));
        list->dropMimeData(dragged.get(), Qt::MoveAction, 0, 0, {});
        QCOMPARE(list->references(),
                 (QStringList{QStringLiteral("static"), QStringLiteral("procfile")}));
        QVERIFY(listView->isVisible());
        auto *save = find<QPushButton>("buildpackSaveButton");
        QVERIFY(save->isEnabled());
        QTest::mouseClick(save, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!list->isModified(), 20000);
        const QJsonArray saved = m_daemon->call("GET", QStringLiteral("/v1/apps/shop/buildpacks"))
                                     .value(QStringLiteral("buildpacks"))
                                     .toArray();
        QCOMPARE(saved.size(), 2);
        QCOMPARE(saved.at(0).toString(), QStringLiteral("static"));
        QCOMPARE(saved.at(1).toString(), QStringLiteral("procfile"));
        // The rule in effect is now the app's list.
        QTRY_VERIFY_WITH_TIMEOUT(
            panel->ruleText().contains(QStringLiteral("list")) && !panel->isDetecting(), 60000);

        // Keyboard: the selected buildpack moves with Ctrl+Down.
        listView->setFocus();
        listView->setCurrentIndex(list->index(0));
        QTest::keyClick(listView, Qt::Key_Down, Qt::ControlModifier);
        QCOMPARE(list->references(),
                 (QStringList{QStringLiteral("procfile"), QStringLiteral("static")}));
    }

    void writesBuildpacksIntoTheFolderKeepingComments()
    {
        BuildpacksPanel *panel = page()->buildpacksPanel();
        BuildpackListModel *list = panel->listModel();
        QFile file(m_folder + QStringLiteral("/.buildpacks"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("# Built with the Procfile only\nnodejs\n");
        file.close();
        // Only procfile stays in the list; it is written to the file.
        auto *listView = find<QListView>("buildpackList");
        listView->setCurrentIndex(list->index(1));
        QTest::mouseClick(find<QPushButton>("buildpackRemoveButton"), Qt::LeftButton);
        QCOMPARE(list->references(), QStringList{QStringLiteral("procfile")});
        // The panel shows the file once the source is read again.
        page()->sourceChooser()->setText(QString());
        page()->sourceChooser()->setText(m_folder);
        auto *write = find<QPushButton>("writeBuildpacksFileButton");
        QTRY_VERIFY(write->isVisible() && write->isEnabled());
        QTest::mouseClick(write, Qt::LeftButton);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("# Built with the Procfile only\nprocfile\n"));
        file.close();
        QVERIFY(find<QLabel>("buildpacksFileState")->text().contains(QStringLiteral("procfile")));

        // An empty app list lets the source's .buildpacks rule.
        listView->setCurrentIndex(list->index(0));
        QTest::mouseClick(find<QPushButton>("buildpackRemoveButton"), Qt::LeftButton);
        QTest::mouseClick(find<QPushButton>("buildpackSaveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!list->isModified(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(!panel->isDetecting() &&
                                     panel->ruleText().contains(QStringLiteral(".buildpacks")),
                                 60000);
        // The file is committed so the work tree is clean again.
        QCOMPARE(
            TestSupport::run(QStringLiteral("git"), {QStringLiteral("-C"), m_folder,
                                                     QStringLiteral("add"), QStringLiteral("-A")}),
            0);
        QCOMPARE(
            TestSupport::run(QStringLiteral("git"),
                             {QStringLiteral("-C"), m_folder, QStringLiteral("-c"),
                              QStringLiteral("user.name=T"), QStringLiteral("-c"),
                              QStringLiteral("user.email=t@t.invalid"), QStringLiteral("commit"),
                              QStringLiteral("-qm"), QStringLiteral("buildpacks")}),
            0);
    }

    void deploysAndShowsTheLogAndTheRollout()
    {
        const int notified = m_window->notifier()->count();
        clickDeploy();
        QTRY_VERIFY_WITH_TIMEOUT(!page()->tracker()->id().isEmpty(), 20000);
        QCOMPARE(page()->tabs()->currentIndex(), int(AppPage::DeploymentTab));
        // Log lines arrive and sections form while it runs.
        QTRY_VERIFY_WITH_TIMEOUT(log()->store().lineCount() > 3, 60000);
        QCOMPARE(waitForEnd(), QStringLiteral("success"));
        QTRY_VERIFY_WITH_TIMEOUT(page()->tracker()->isLogComplete(), 20000);
        QVERIFY2(log()->store().sectionCount() >= 2,
                 qPrintable(QString::number(log()->store().sectionCount())));
        QVERIFY(bar()->statusText().startsWith(QStringLiteral("success")));

        // The rollout picture: every new container ready and serving, the switch made.
        QTRY_VERIFY(rollout().finished);
        const RolloutState state = rollout();
        QCOMPARE(state.tiles.size(), 1);
        QCOMPARE(state.tiles.first().name, QStringLiteral("web-1"));
        QVERIFY2(state.tiles.first().state == QLatin1String("serving"),
                 qPrintable(state.tiles.first().state));
        QVERIFY(state.tiles.first().probes >= 1);
        QVERIFY(state.traffic.happened);
        QCOMPARE(state.traffic.toRelease, 1);
        QVERIFY(!state.traffic.fromRelease.has_value());

        // The app answers through the router.
        const TestSupport::HttpResponse answer =
            TestSupport::routedGet(m_client->routerPort(), QStringLiteral("shop"));
        QCOMPARE(answer.status, 200);
        QVERIFY(answer.body.contains("version=v1"));
        // The deployment the user started ends with a desktop notification.
        QTRY_COMPARE(m_window->notifier()->count(), notified + 1);
        QVERIFY(m_window->notifier()->lastTitle().contains(QStringLiteral("shop")));
        // The app list shows it serving.
        QTRY_COMPARE(m_window->apps()
                         ->index(m_window->apps()->rowOf(QStringLiteral("shop")))
                         .data(AppListModel::ReleaseRole)
                         .toInt(),
                     1);
    }

    void aRedeployStopsTheOldContainer()
    {
        deployAndWaitForStart();
        QCOMPARE(waitForEnd(), QStringLiteral("success"));
        // The old web-1 (v1) gets SIGTERM after the switch, and ends.
        QTRY_VERIFY_WITH_TIMEOUT(rollout().oldContainer(QStringLiteral("web-1")) &&
                                     rollout().oldContainer(QStringLiteral("web-1"))->stoppedMs >=
                                         0,
                                 60000);
        const RolloutState state = rollout();
        QCOMPARE(state.traffic.fromRelease.value_or(0), 1);
        QCOMPARE(state.traffic.toRelease, 2);
        const RolloutState::OldContainer *old = state.oldContainer(QStringLiteral("web-1"));
        QCOMPARE(old->release, 1);
        QVERIFY(old->sigtermMs >= 0);
        QVERIFY2(!old->killed, qPrintable(old->outcome));
        QVERIFY(TestSupport::routedGet(m_client->routerPort(), QStringLiteral("shop"))
                    .body.contains("version=v2"));
    }

    void aNeverListeningAppTimesOutAndTheOldReleaseServes()
    {
        setSetting(QStringLiteral("boot_timeout"), 3);
        writeProcfile(QStringLiteral("BEHAVIOUR=never-listen"));
        deployAndWaitForStart();
        QCOMPARE(waitForEnd(), QStringLiteral("timeout-error"));
        QTRY_VERIFY(rollout().failure.failed);
        const RolloutState state = rollout();
        QCOMPARE(state.failure.stepKey, QStringLiteral("wait-ready"));
        QVERIFY2(state.failure.reason.contains(QStringLiteral("boot timeout")),
                 qPrintable(state.failure.reason));
        QVERIFY(bar()->messageText().contains(QStringLiteral("boot timeout")));
        QCOMPARE(state.traffic.servingRelease.value_or(0), 2);
        QVERIFY(TestSupport::routedGet(m_client->routerPort(), QStringLiteral("shop"))
                    .body.contains("version=v2"));
        setSetting(QStringLiteral("boot_timeout"), 60);
    }

    void aFailingPostdeployIsAHookError()
    {
        writeProcfile(QString(), QStringLiteral("POSTDEPLOY=fail"));
        deployAndWaitForStart();
        QCOMPARE(waitForEnd(), QStringLiteral("hook-error"));
        QTRY_VERIFY(rollout().failure.failed);
        const RolloutState state = rollout();
        QCOMPARE(state.failure.stepKey, QStringLiteral("postdeploy"));
        QCOMPARE(state.hook.exitStatus.value_or(-1), 3);
        QVERIFY(TestSupport::routedGet(m_client->routerPort(), QStringLiteral("shop"))
                    .body.contains("version=v2"));
    }

    void deployingWhileOneRunsAsksToQueueAndCancelAborts()
    {
        writeProcfile(QStringLiteral("BEHAVIOUR=slow-boot BOOT_DELAY=60"));
        clickDeploy();
        QTRY_VERIFY_WITH_TIMEOUT(deploymentStatus() == QLatin1String("starting"), 120000);
        const QString first = page()->tracker()->id();

        // A second deploy asks first, and queues when told to.
        clickDeploy();
        QMessageBox *question = nullptr;
        QTRY_VERIFY(
            (question = m_window->findChild<QMessageBox *>(QStringLiteral("queueQuestion"))) &&
            question->isVisible());
        QTest::mouseClick(question->findChild<QPushButton *>(QStringLiteral("queueButton")),
                          Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(
            page()->deployments()->rowCount() >= 2 &&
                page()->deployments()->deployment(0).value(QStringLiteral("status")).toString() ==
                    QLatin1String("queued"),
            true, 20000);
        const QString second =
            page()->deployments()->deployment(0).value(QStringLiteral("id")).toString();
        QVERIFY(second != first);
        // The view stays on the running one.
        QCOMPARE(page()->tracker()->id(), first);

        QTest::mouseClick(bar()->cancelButton(), Qt::LeftButton);
        QCOMPARE(waitForEnd(60000), QStringLiteral("aborted"));
        QVERIFY(TestSupport::routedGet(m_client->routerPort(), QStringLiteral("shop"))
                    .body.contains("version=v2"));
        // The queued one now runs and is shown; cancel it too.
        QTRY_COMPARE_WITH_TIMEOUT(page()->tracker()->id(), second, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(bar()->cancelButton()->isEnabled(), 30000);
        QTest::mouseClick(bar()->cancelButton(), Qt::LeftButton);
        QCOMPARE(waitForEnd(60000), QStringLiteral("aborted"));
        writeProcfile(QString());
    }

    // Cancel pressed while the daemon is still making the deployment (here it is stopped, as
    // a busy daemon would be slow to answer) is not lost: the deployment is cancelled as soon
    // as it exists, and the running version keeps serving.
    void cancelWhileTheDaemonMakesTheDeploymentCancelsIt()
    {
        writeProcfile(QStringLiteral("BEHAVIOUR=slow-boot BOOT_DELAY=60"));
        const QString before = page()->tracker()->id();
        const auto daemon = pid_t(m_daemon->pid());
        QCOMPARE(::kill(daemon, SIGSTOP), 0);
        clickDeploy();
        QTRY_VERIFY(bar()->cancelButton()->isEnabled());
        QTest::mouseClick(bar()->cancelButton(), Qt::LeftButton);
        QCOMPARE(::kill(daemon, SIGCONT), 0);
        QTRY_VERIFY_WITH_TIMEOUT(page()->tracker()->id() != before && page()->tracker()->isLoaded(),
                                 30000);
        QCOMPARE(waitForEnd(60000), QStringLiteral("aborted"));
        QVERIFY(TestSupport::routedGet(m_client->routerPort(), QStringLiteral("shop"))
                    .body.contains("version=v2"));
        writeProcfile(QString());
    }

    void aPastDeploymentReplays()
    {
        QListView *history = view()->history();
        DeploymentListModel *deployments = page()->deployments();
        const int first = deployments->rowCount() - 1;
        QVERIFY(first >= 4);
        QCOMPARE(deployments->deployment(first).value(QStringLiteral("status")).toString(),
                 QStringLiteral("success"));
        history->setFocus();
        QTest::mouseClick(history->viewport(), Qt::LeftButton, {},
                          history->visualRect(deployments->index(first)).center());
        QTRY_COMPARE(page()->tracker()->id(),
                     deployments->deployment(first).value(QStringLiteral("id")).toString());
        QTRY_VERIFY_WITH_TIMEOUT(page()->tracker()->isLogComplete(), 20000);
        QTRY_VERIFY(view()->rolloutPane()->isReplay());
        QVERIFY(view()->rolloutPane()->scrubber()->isVisible());
        QTRY_VERIFY(log()->store().lineCount() > 3);
        QCOMPARE(rollout().traffic.toRelease, 1);
    }

    void reconnectsWhenTheDaemonComesBack()
    {
        m_daemon->killHard();
        ConnectionBanner *banner = m_window->banner();
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), 20000);
        QVERIFY2(banner->text().contains(QStringLiteral("Reconnecting")),
                 qPrintable(banner->text()));
        // The window answers meanwhile.
        QTest::mouseClick(page()->tabs()->tabBar(), Qt::LeftButton, {},
                          page()->tabs()->tabBar()->tabRect(0).center());
        QCOMPARE(page()->tabs()->currentIndex(), 0);
        QVERIFY(m_daemon->start());
        QTRY_VERIFY_WITH_TIMEOUT(!banner->isVisible(), 30000);
        QCOMPARE(m_client->state(), DaemonClient::State::Online);
        QTRY_COMPARE(m_window->apps()->rowCount(), 2);
        // The daemon brought v2 back; the console shows it and can deploy again.
        QTRY_VERIFY_WITH_TIMEOUT(
            TestSupport::routedGet(m_client->routerPort(), QStringLiteral("shop")).status == 200,
            60000);
        deployAndWaitForStart();
        QCOMPARE(waitForEnd(), QStringLiteral("success"));
    }

    void opensOnTheAppAndSourceItIsGiven()
    {
        MainWindow::Options options;
        options.app = QStringLiteral("shop");
        options.source = TestSupport::resourcesPath(QStringLiteral("samples/hello"));
        MainWindow second(m_client.get(), options);
        second.show();
        m_window->apps()->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(second.apps()->isLoaded(), 10000);
        second.apps()->refresh();
        QTRY_COMPARE(second.currentApp(), QStringLiteral("shop"));
        QCOMPARE(second.windowTitle(), QStringLiteral("shop — Slipway"));
        QTRY_COMPARE(second.appPage()->sourceChooser()->selection().location, options.source);
    }
};

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
