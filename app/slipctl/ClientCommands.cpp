#include "ClientCommands.h"

#include "CommandContext.h"
#include "Output.h"

#include <QTextStream>

namespace Slipctl {

namespace {

CommandSpec buildCommand()
{
    CommandSpec build;
    build.name = QStringLiteral("build");
    build.arguments =
        QStringLiteral("SOURCE --slug OUT.tgz [--buildpack REF]... [--env K=V]... [--cache DIR]");
    build.summary = QStringLiteral("build an app into a slug in this process, without a daemon");
    build.app = CommandSpec::AppUse::None;
    return build;
}

CommandSpec helpCommand()
{
    CommandSpec help;
    help.name = QStringLiteral("help");
    help.arguments = QStringLiteral("[COMMAND]");
    help.summary = QStringLiteral("list the commands, or explain one");
    help.app = CommandSpec::AppUse::None;
    return help;
}

const CommandSpec *findCommand(const QList<CommandGroup> &groups, const QString &word)
{
    for (const CommandGroup &group : groups) {
        for (const CommandSpec &command : group.commands) {
            if (command.isCalled(word))
                return &command;
        }
    }
    return nullptr;
}

} // namespace

QList<CommandGroup> commandGroups()
{
    return {
        {QStringLiteral("Apps"), appCommands()},
        {QStringLiteral("Deployments"), deploymentCommands()},
        {QStringLiteral("Containers"), containerCommands()},
        {QStringLiteral("Environment"), environmentCommands()},
        {QStringLiteral("Releases and buildpacks"), releaseCommands()},
        {QStringLiteral("Private git sources"), gitCredentialCommands()},
        {QStringLiteral("Daemon"), daemonCommands()},
        {QStringLiteral("Without a daemon"), {buildCommand(), helpCommand()}},
    };
}

int runClientCommand(const GlobalOptions &options)
{
    const QList<CommandGroup> groups = commandGroups();
    if (options.command.isEmpty() || options.command == QLatin1String("help")) {
        if (options.command.isEmpty() && !options.help) {
            // A usage error: the list goes where errors go, so stdout stays clean for scripts.
            standardError() << "slipctl: give a command\n";
            printCommandList(standardError(), groups);
            return 2;
        }
        const QString topic = options.arguments.value(0);
        if (topic.isEmpty()) {
            printCommandList(standardOutput(), groups);
            return 0;
        }
        const CommandSpec *command = findCommand(groups, topic);
        if (!command) {
            standardError() << "slipctl: unknown command '" << topic
                            << "'; 'slipctl help' lists them all\n";
            return 2;
        }
        printCommandHelp(standardOutput(), *command);
        return 0;
    }

    const CommandSpec *command = findCommand(groups, options.command);
    if (!command || !command->run) {
        standardError() << "slipctl: unknown command '" << options.command << "'\n";
        printCommandList(standardError(), groups);
        return 2;
    }
    CommandContext context(options, *command);
    if (const int status = context.parseArguments(); status >= 0)
        return status;
    return command->run(context);
}

} // namespace Slipctl
