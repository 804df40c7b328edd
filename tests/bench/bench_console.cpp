// The console's responsiveness against a real slipwayd, with slipctl doing the same work as
// the peer in the same run:
//   console_start_ms           window created to usable (20 apps listed, one selected, painted)
//   slipctl_apps_ms            `slipctl apps` listing the same 20 apps (process start included)
//   console_deploy_first_line_ms   Deploy clicked to the first log line on screen (sample app)
//   slipctl_deploy_first_line_ms   `slipctl deploy` of the same source to the deployment's
//                                  first log line (after slipctl's own "Deploying" line)
// Medians of several runs; it asserts nothing about time.

#include "apps/AppListModel.h"
#include "client/DaemonClient.h"
#include "deploy/DeploymentTracker.h"
#include "log/LogPane.h"
#include "log/LogView.h"
#include "window/AppPage.h"
#include "window/DeploymentView.h"
#include "window/MainWindow.h"

#include "DaemonProcess.h"
#include "TestSupport.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <functional>

using namespace Slipway;

namespace {

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    if (values.isEmpty())
        return 0;
    const qsizetype middle = values.size() / 2;
    return values.size() % 2 ? values.at(middle) : (values.at(middle - 1) + values.at(middle)) / 2;
}

bool waitFor(const std::function<bool()> &condition, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (!condition()) {
        if (clock.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return true;
}

void print(const char *name, double value)
{
    std::printf("%s: %.1f\n", name, value);
    std::fflush(stdout);
}

// Milliseconds from starting `arguments` to line `line` (1-based) on its stdout, or to its
// end when `line` is 0.
double lineOf(const QStringList &arguments, int line)
{
    QProcess process;
    process.setProgram(TestSupport::slipctlBinary());
    process.setArguments(arguments);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("SLIPWAY_NO_AUTOSTART"), QStringLiteral("1"));
    process.setProcessEnvironment(environment);
    QElapsedTimer clock;
    clock.start();
    process.start();
    double at = -1;
    int lines = 0;
    while (at < 0) {
        process.waitForReadyRead(20);
        while (process.canReadLine()) {
            process.readLine();
            if (++lines == line && at < 0)
                at = double(clock.nsecsElapsed()) / 1e6;
        }
        if (process.state() == QProcess::NotRunning)
            break;
    }
    if (at < 0)
        at = double(clock.nsecsElapsed()) / 1e6;
    process.waitForFinished(300000);
    return at;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication application(argc, argv);
    QTemporaryDir temp;
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope,
                       temp.filePath(QStringLiteral("settings")));
    DaemonProcess daemon;
    if (!daemon.start()) {
        std::fprintf(stderr, "bench_console: slipwayd did not start: %s\n",
                     daemon.output().constData());
        return 1;
    }
    for (int i = 1; i <= 20; ++i)
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"),
                      QJsonObject{{QStringLiteral("name"),
                                   QStringLiteral("app-%1").arg(i, 2, 10, QLatin1Char('0'))}}}});
    const QString sample = TestSupport::resourcesPath(QStringLiteral("samples/hello"));
    DaemonEndpoint endpoint;
    endpoint.socketPath = daemon.socketPath();
    endpoint.autostart = false;

    // --- start to a usable window with 20 apps
    constexpr int StartRuns = 7;
    QList<double> starts;
    for (int run = 0; run < StartRuns; ++run) {
        QElapsedTimer clock;
        clock.start();
        DaemonClient client(endpoint);
        MainWindow window(&client, {QStringLiteral("app-01"), QString(), sample});
        window.resize(1400, 900);
        window.show();
        client.open();
        const bool usable = waitFor(
            [&] {
                return window.apps()->rowCount() == 20 &&
                       window.currentApp() == QLatin1String("app-01") &&
                       window.appPage()->isVisible();
            },
            30000);
        QCoreApplication::processEvents(); // the paint of what arrived
        const double ms = double(clock.nsecsElapsed()) / 1e6;
        if (!usable) {
            std::fprintf(stderr, "bench_console: the window did not list the 20 apps\n");
            return 1;
        }
        starts.append(ms);
    }
    QList<double> peerStarts;
    for (int run = 0; run < StartRuns; ++run)
        peerStarts.append(
            lineOf({QStringLiteral("--socket"), daemon.socketPath(), QStringLiteral("apps")}, 0));
    print("console_start_ms", median(starts));
    print("slipctl_apps_ms", median(peerStarts));
    std::printf("console_start_vs_slipctl_apps_ratio: %.2f\n", median(starts) / median(peerStarts));

    // --- Deploy clicked to the first log line on screen
    daemon.call(
        "POST", QStringLiteral("/v1/apps"),
        {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), QStringLiteral("hello")}}}});
    constexpr int DeployRuns = 3;
    QList<double> firstLines;
    {
        DaemonClient client(endpoint);
        MainWindow window(&client, {QStringLiteral("hello"), sample, sample});
        window.resize(1400, 900);
        window.show();
        client.open();
        waitFor(
            [&] {
                return window.currentApp() == QLatin1String("hello") &&
                       window.appPage()->sourceChooser();
            },
            30000);
        AppPage *page = window.appPage();
        LogView *log = page->deploymentView()->logPane()->view();
        for (int run = 0; run < DeployRuns; ++run) {
            waitFor(
                [&] { return page->tracker()->id().isEmpty() || page->tracker()->isFinished(); },
                300000);
            const QString before = page->tracker()->id();
            QElapsedTimer clock;
            clock.start();
            page->deploy();
            const bool shown = waitFor(
                [&] { return page->tracker()->id() != before && log->store().lineCount() > 0; },
                120000);
            QCoreApplication::processEvents();
            const double ms = double(clock.nsecsElapsed()) / 1e6;
            if (!shown) {
                std::fprintf(stderr, "bench_console: no log line came after Deploy\n");
                return 1;
            }
            firstLines.append(ms);
            waitFor([&] { return page->tracker()->isFinished(); }, 300000);
        }
    }
    QList<double> peerLines;
    for (int run = 0; run < DeployRuns; ++run)
        // slipctl's own "-----> Deploying …" line comes first; the deployment's log after it.
        peerLines.append(
            lineOf({QStringLiteral("--socket"), daemon.socketPath(), QStringLiteral("--app"),
                    QStringLiteral("hello"), QStringLiteral("deploy"), sample},
                   2));
    print("console_deploy_first_line_ms", median(firstLines));
    print("slipctl_deploy_first_line_ms", median(peerLines));
    std::printf("console_deploy_first_line_vs_slipctl_ratio: %.2f\n",
                median(firstLines) / median(peerLines));
    return 0;
}
