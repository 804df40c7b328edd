#pragma once

#include "util/Result.h"

#include <QCommandLineOption>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

class QTextStream;

namespace Slipctl {

class CommandContext;

// The options that come before the command: `slipctl [--socket PATH] [--app NAME] [--json]
// [--data-dir DIR] COMMAND ...`.
struct GlobalOptions
{
    QString socketPath;    // as given with --socket; empty: the default
    QString app;           // --app / -a
    QString dataDirectory; // --data-dir, for a daemon started on demand
    bool json = false;
    bool help = false;
    QString command;
    QStringList arguments; // everything after the command

    static Slipway::Result<GlobalOptions> parse(const QStringList &arguments);
};

// One client command: how it is called, what it does, and the function doing it.
struct CommandSpec
{
    enum class AppUse { None, Required };

    QString name;
    QStringList aliases;
    QString arguments;   // after the name in the synopsis: "SOURCE [--ref REF] [--no-follow]"
    QString summary;     // one line for `slipctl help`
    QString description; // a few more lines for `slipctl COMMAND --help`; may be empty
    QList<QCommandLineOption> options;
    AppUse app = AppUse::Required;
    int minimumPositionals = 0;
    int maximumPositionals = 0; // -1: any number
    // `run -- CMD -x`: what follows the first positional is the command's, options included.
    bool positionalsEndOptions = false;
    std::function<int(CommandContext &)> run;

    bool isCalled(const QString &word) const { return word == name || aliases.contains(word); }
    QString synopsis() const;
    // The name and its arguments, without the options, for the list of commands.
    QString shortForm() const;
};

struct CommandGroup
{
    QString title;
    QList<CommandSpec> commands;
};

// `slipctl help`: every command with a line each.
void printCommandList(QTextStream &stream, const QList<CommandGroup> &groups);
// `slipctl COMMAND --help`.
void printCommandHelp(QTextStream &stream, const CommandSpec &command);

} // namespace Slipctl
