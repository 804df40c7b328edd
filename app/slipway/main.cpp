#include "api/DaemonLauncher.h"
#include "client/DaemonClient.h"
#include "util/Paths.h"
#include "window/MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <cstdio>

using namespace Slipway;

int main(int argc, char *argv[])
{
    // Without a display there is no window to open: say so, and where to go instead,
    // rather than let the platform plugin abort.
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
        qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        std::fprintf(stderr, "slipway: no display to open the console on (neither DISPLAY nor "
                             "WAYLAND_DISPLAY is set).\n"
                             "slipway: use slipctl from a terminal instead: `slipctl help` lists "
                             "every command.\n");
        return 1;
    }

    QApplication application(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Slipway"));
    QApplication::setApplicationName(QStringLiteral("slipway"));
    QApplication::setApplicationDisplayName(QStringLiteral("Slipway"));
    QApplication::setApplicationVersion(QStringLiteral(SLIPWAY_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("slipway"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Slipway's console: choose a source, pick buildpacks, deploy, and watch "
                       "the build and the rollout live."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption socket(QStringLiteral("socket"),
                                    QStringLiteral("The daemon's API socket (default: "
                                                   "$SLIPWAY_SOCKET, else "
                                                   "$XDG_RUNTIME_DIR/slipway/slipwayd.sock)."),
                                    QStringLiteral("PATH"));
    const QCommandLineOption dataDir(QStringLiteral("data-dir"),
                                     QStringLiteral("The data folder of a daemon started by "
                                                    "the console."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption app(QStringLiteral("app"), QStringLiteral("Open on this app."),
                                 QStringLiteral("NAME"));
    parser.addOption(socket);
    parser.addOption(dataDir);
    parser.addOption(app);
    parser.addPositionalArgument(QStringLiteral("SOURCE"),
                                 QStringLiteral("A folder, git URL, archive or .jar/.war to "
                                                "choose as the app's source."),
                                 QStringLiteral("[SOURCE]"));
    parser.process(application);
    if (parser.positionalArguments().size() > 1) {
        std::fprintf(stderr, "slipway: give one source at most (got %lld); see slipway --help\n",
                     static_cast<long long>(parser.positionalArguments().size()));
        return 2;
    }

    DaemonEndpoint endpoint;
    endpoint.socketPath = parser.isSet(socket) ? QFileInfo(parser.value(socket)).absoluteFilePath()
                                               : DaemonLauncher::defaultSocketPath();
    endpoint.dataDirectory =
        parser.isSet(dataDir) ? QFileInfo(parser.value(dataDir)).absoluteFilePath() : QString();
    endpoint.autostart = qgetenv("SLIPWAY_NO_AUTOSTART") != "1";

    MainWindow::Options options;
    options.app = parser.value(app);
    if (!parser.positionalArguments().isEmpty()) {
        const QString source = parser.positionalArguments().first();
        // A relative path means the caller's folder; URLs stay as they are.
        options.source =
            source.contains(QLatin1String("://")) || source.startsWith(QLatin1String("git@"))
                ? source
                : QFileInfo(source).absoluteFilePath();
    }
    options.samplePath = Paths::resourcesDirectory() + QStringLiteral("/samples/hello");

    DaemonClient client(endpoint);
    MainWindow window(&client, options);
    window.show();
    client.open();
    return application.exec();
}
