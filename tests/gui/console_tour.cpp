// Drives the real console window through a user's first session and photographs each main
// view: apps, source and buildpacks, build log, rollout in progress, rollout done, rollout
// failed. Run by tests/gui/screenshots.sh under Xvfb; not a test (it asserts nothing, it
// shows).

#include "apps/AppListModel.h"
#include "buildpacks/BuildpacksPanel.h"
#include "client/DaemonClient.h"
#include "deploy/DeploymentTracker.h"
#include "log/LogPane.h"
#include "log/LogView.h"
#include "rollout/RolloutPane.h"
#include "rollout/RolloutState.h"
#include "source/SourceChooser.h"
#include "window/AppPage.h"
#include "window/DeploymentView.h"
#include "window/MainWindow.h"

#include "DaemonProcess.h"
#include "TestSupport.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QListView>
#include <QPalette>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QStandardPaths>
#include <QStyleFactory>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <functional>

using namespace Slipway;

namespace {

QPalette darkPalette()
{
    QPalette palette;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1f, 0x21, 0x24), text(0xe6, 0xe6, 0xe6);
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::AlternateBase, window);
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::Button, window);
    palette.setColor(QPalette::ButtonText, text);
    palette.setColor(QPalette::ToolTipBase, base);
    palette.setColor(QPalette::ToolTipText, text);
    palette.setColor(QPalette::Highlight, QColor(0x3d, 0x6f, 0xb5));
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::Link, QColor(0x6c, 0xb4, 0xff));
    palette.setColor(QPalette::PlaceholderText, QColor(0x90, 0x90, 0x90));
    palette.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
    palette.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x80, 0x80));
    palette.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x80, 0x80, 0x80));
    return palette;
}

bool waitFor(const std::function<bool()> &condition, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (!condition()) {
        if (clock.elapsed() > timeoutMs)
            return false;
        QTest::qWait(50);
    }
    return true;
}

class Tour
{
public:
    Tour(MainWindow *window, DaemonProcess *daemon, QString out, QString suffix)
        : m_window(window)
        , m_daemon(daemon)
        , m_out(std::move(out))
        , m_suffix(std::move(suffix))
    {}

    AppPage *page() const { return m_window->appPage(); }

    void shoot(const QString &name)
    {
        QTest::qWait(400); // let the last paint land
        const QString path = QStringLiteral("%1/%2%3.png").arg(m_out, name, m_suffix);
        // The screen's own pixels: what a user would see, decorations of Qt's drawing only.
        const QPixmap pixmap = m_window->screen()->grabWindow(m_window->winId());
        if (pixmap.save(path))
            std::printf("screenshot: %s\n", qPrintable(path));
        else
            std::fprintf(stderr, "console_tour: could not write %s\n", qPrintable(path));
    }

    void step(const QString &what, bool done)
    {
        if (!done)
            std::fprintf(stderr, "console_tour: gave up waiting for %s\n", qPrintable(what));
    }

    void select(const QString &app)
    {
        m_window->apps()->refreshApp(app);
        step(app, waitFor([&] { return m_window->apps()->rowOf(app) >= 0; }, 20000));
        m_window->selectApp(app);
    }

    void create(const QString &app)
    {
        m_daemon->call("POST", QStringLiteral("/v1/apps"),
                       {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}});
        select(app);
    }

    void deploy()
    {
        const QString before = page()->tracker()->id();
        page()->deploy();
        step(QStringLiteral("the deployment to start"),
             waitFor(
                 [&] {
                     return !page()->tracker()->id().isEmpty() &&
                            page()->tracker()->id() != before && page()->tracker()->isLoaded();
                 },
                 30000));
    }

    bool waitStatus(const QStringList &statuses, int timeoutMs = 240000)
    {
        return waitFor([&] { return statuses.contains(page()->tracker()->status()); }, timeoutMs);
    }

    MainWindow *m_window;
    DaemonProcess *m_daemon;
    QString m_out;
    QString m_suffix;
};

} // namespace

int main(int argc, char *argv[])
{
    QApplication application(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("SlipwayTour"));
    QApplication::setApplicationName(QStringLiteral("console_tour"));
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Folder for the PNGs."),
                                 QStringLiteral("DIR"));
    const QCommandLineOption dark(QStringLiteral("dark"), QStringLiteral("Use a dark palette."));
    parser.addOption(out);
    parser.addOption(dark);
    parser.process(application);
    const QString folder = parser.value(out).isEmpty() ? QStringLiteral("/tmp/slipway-screenshots")
                                                       : parser.value(out);
    QDir().mkpath(folder);

    QTemporaryDir temp;
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope,
                       temp.filePath(QStringLiteral("settings")));
    application.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    if (parser.isSet(dark))
        application.setPalette(darkPalette());

    DaemonProcess daemon;
    if (!daemon.start()) {
        std::fprintf(stderr, "console_tour: slipwayd did not start (SLIPWAYD=%s):\n%s\n",
                     qPrintable(DaemonProcess::binary()), daemon.output().constData());
        return 1;
    }
    DaemonEndpoint endpoint;
    endpoint.socketPath = daemon.socketPath();
    endpoint.autostart = false;
    DaemonClient client(endpoint);
    MainWindow::Options options;
    options.samplePath = TestSupport::resourcesPath(QStringLiteral("samples/hello"));
    MainWindow window(&client, options);
    window.resize(1440, 900);
    window.move(0, 0);
    window.show();
    client.open();
    Tour tour(&window, &daemon, folder, parser.isSet(dark) ? QStringLiteral("-dark") : QString());
    tour.step(QStringLiteral("the apps"),
              waitFor([&] { return window.apps()->isLoaded(); }, 30000));
    tour.shoot(QStringLiteral("0-welcome"));

    // The sample app, from the welcome page: source and detection.
    window.createSampleApp();
    tour.step(QStringLiteral("the sample app"),
              waitFor([&] { return window.currentApp() == QLatin1String("hello"); }, 30000));
    BuildpacksPanel *panel = tour.page()->buildpacksPanel();
    tour.step(
        QStringLiteral("detection"),
        waitFor([&] { return !panel->isDetecting() && !panel->detection().isEmpty(); }, 120000));
    tour.shoot(QStringLiteral("2-source-and-buildpacks"));

    // Deploy it; the build log while it builds.
    tour.deploy();
    DeploymentView *view = tour.page()->deploymentView();
    tour.step(QStringLiteral("log lines"),
              waitFor([&] { return view->logPane()->view()->store().lineCount() > 12; }, 120000));
    tour.shoot(QStringLiteral("3-build-log"));
    tour.waitStatus({QStringLiteral("success"), QStringLiteral("build-error"),
                     QStringLiteral("crashed-error"), QStringLiteral("timeout-error"),
                     QStringLiteral("hook-error"), QStringLiteral("aborted")});

    // An app that takes its time to boot: the rollout while it is probed, then done.
    QTemporaryDir work;
    const QString slow = work.filePath(QStringLiteral("api"));
    TestSupport::copyTree(TestSupport::dataPath(QStringLiteral("fixtures/behave")), slow);
    auto writeProcfile = [&](const QString &web, const QString &postdeploy) {
        QFile procfile(slow + QStringLiteral("/Procfile"));
        procfile.open(QIODevice::WriteOnly | QIODevice::Truncate);
        procfile.write(
            QStringLiteral("web: %1 python3 behave.py web\nworker: python3 behave.py worker\n")
                .arg(web)
                .toUtf8());
        if (!postdeploy.isEmpty())
            procfile.write(QStringLiteral("postdeploy: %1 python3 behave.py postdeploy\n")
                               .arg(postdeploy)
                               .toUtf8());
    };
    writeProcfile(QStringLiteral("BEHAVIOUR=slow-boot BOOT_DELAY=1"),
                  QStringLiteral("POSTDEPLOY=succeed"));
    TestSupport::gitInitCommit(slow);
    tour.create(QStringLiteral("api"));
    daemon.call("POST", QStringLiteral("/v1/apps/api/scale"),
                {{QStringLiteral("containers"),
                  QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("web")},
                                         {QStringLiteral("amount"), 3}}}}});
    // Its buildpacks: a .buildpacks file in the folder, and a list set for the app that
    // hides it; the panel says which rule wins and what it hides.
    {
        QFile file(slow + QStringLiteral("/.buildpacks"));
        file.open(QIODevice::WriteOnly);
        file.write("# Python tools for the assets, then the Procfile\npython\nprocfile\n");
    }
    daemon.call("PUT", QStringLiteral("/v1/apps/api/buildpacks"),
                {{QStringLiteral("buildpacks"), QJsonArray{QStringLiteral("procfile")}}});
    tour.page()->buildpacksPanel()->reloadList();
    tour.page()->chooseSourceText(slow);
    tour.step(QStringLiteral("detection of the api"),
              waitFor(
                  [&] {
                      return !panel->isDetecting() &&
                             panel->ruleText().contains(QStringLiteral("list"));
                  },
                  120000));
    tour.shoot(QStringLiteral("2b-buildpack-rules"));
    tour.deploy();
    tour.waitStatus({QStringLiteral("success")});
    // A second rollout: new containers probed while the old ones serve, then drained.
    writeProcfile(QStringLiteral("BEHAVIOUR=slow-boot BOOT_DELAY=6"),
                  QStringLiteral("POSTDEPLOY=succeed"));
    tour.deploy();
    RolloutPane *rollout = view->rolloutPane();
    tour.step(QStringLiteral("probing"), waitFor(
                                             [&] {
                                                 const RolloutState state = rollout->state();
                                                 return state.status == QLatin1String("starting") &&
                                                        !state.tiles.isEmpty() &&
                                                        state.tiles.first().probes >= 20;
                                             },
                                             120000));
    tour.shoot(QStringLiteral("4-rollout-in-progress"));
    tour.waitStatus({QStringLiteral("success")});
    waitFor(
        [&] {
            const RolloutState state = rollout->state();
            return !state.oldContainers.isEmpty() &&
                   std::all_of(
                       state.oldContainers.cbegin(), state.oldContainers.cend(),
                       [](const RolloutState::OldContainer &old) { return old.stoppedMs >= 0; });
        },
        60000);
    QTest::qWait(1500);
    // Down to the traffic switch and the old containers, as a user would scroll.
    if (auto *area = rollout->findChild<QScrollArea *>(QStringLiteral("rolloutScrollArea")))
        area->verticalScrollBar()->setValue(area->verticalScrollBar()->maximum());
    tour.shoot(QStringLiteral("5-rollout-done"));

    // An app that never listens: the boot timeout runs out, the previous release serves.
    daemon.call("PATCH", QStringLiteral("/v1/apps/api/settings"),
                {{QStringLiteral("settings"), QJsonObject{{QStringLiteral("boot_timeout"), 8}}}});
    writeProcfile(QStringLiteral("BEHAVIOUR=never-listen"), QString());
    tour.deploy();
    tour.waitStatus({QStringLiteral("timeout-error")});
    QTest::qWait(1500);
    tour.shoot(QStringLiteral("6-rollout-failed"));

    // The apps list with its states.
    window.appList()->setFocus();
    tour.shoot(QStringLiteral("1-apps"));
    return 0;
}
