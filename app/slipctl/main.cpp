#include "BuildCommand.h"

#include <QCoreApplication>
#include <QTextStream>

namespace {

void printUsage(QTextStream &stream)
{
    stream << "Usage: slipctl COMMAND [OPTIONS]\n\n"
              "Commands:\n"
              "  build SOURCE --slug OUT.tgz   build an app into a slug, in this process\n\n"
              "Run 'slipctl COMMAND --help' for a command's options.\n";
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("slipctl"));
    QCoreApplication::setOrganizationName(QStringLiteral("slipway"));

    const QStringList arguments = QCoreApplication::arguments();
    const QString command = arguments.value(1);
    if (command == QLatin1String("build"))
        return runBuildCommand(arguments);
    if (command == QLatin1String("--help") || command == QLatin1String("-h") ||
        command == QLatin1String("help")) {
        QTextStream out(stdout);
        printUsage(out);
        return 0;
    }
    QTextStream err(stderr);
    if (command.isEmpty()) {
        // A usage error: the usage goes where errors go, so stdout stays clean for scripts.
        err << "slipctl: give a command\n";
        printUsage(err);
        return 2;
    }
    err << "slipctl: unknown command '" << command << "'\n";
    printUsage(err);
    return 2;
}
