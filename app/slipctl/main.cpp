#include "BuildCommand.h"
#include "ClientCommands.h"
#include "CommandLine.h"
#include "Output.h"

#include <QCoreApplication>
#include <QTextStream>

using namespace Slipctl;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("slipctl"));
    QCoreApplication::setOrganizationName(QStringLiteral("slipway"));

    const QStringList arguments = QCoreApplication::arguments();
    Slipway::Result<GlobalOptions> options = GlobalOptions::parse(arguments);
    if (!options) {
        standardError() << "slipctl: " << options.error().message << "\n"
                        << "Run 'slipctl help' for the commands and their options.\n";
        return 2;
    }

    // `build` runs in this process and keeps its own options; global ones given before it
    // are handed on.
    if (options->command == QLatin1String("build")) {
        QStringList buildArguments{arguments.first(), options->command};
        buildArguments += options->arguments;
        if (!options->app.isEmpty())
            buildArguments << QStringLiteral("--app") << options->app;
        if (options->json)
            buildArguments << QStringLiteral("--json");
        if (options->help)
            buildArguments << QStringLiteral("--help");
        return runBuildCommand(buildArguments);
    }
    return runClientCommand(*options);
}
