#include "CommandLine.h"

#include <QTextStream>

using namespace Slipway;

namespace Slipctl {

namespace {

// "--name=value" or "--name value": the value, and how many words it took.
Result<QString> optionValue(const QStringList &arguments, qsizetype *index, const QString &name)
{
    const QString word = arguments.at(*index);
    const qsizetype equals = word.indexOf(u'=');
    if (equals > 0)
        return word.mid(equals + 1);
    if (*index + 1 >= arguments.size() || arguments.at(*index + 1).isEmpty())
        return failure(QStringLiteral("%1 needs a value").arg(name));
    ++*index;
    return arguments.at(*index);
}

QString optionNames(const QCommandLineOption &option)
{
    QStringList names;
    for (const QString &name : option.names())
        names.append(name.size() == 1 ? QStringLiteral("-") + name : QStringLiteral("--") + name);
    QString text = names.join(QStringLiteral(", "));
    if (!option.valueName().isEmpty())
        text += u' ' + option.valueName();
    return text;
}

} // namespace

Result<GlobalOptions> GlobalOptions::parse(const QStringList &arguments)
{
    GlobalOptions options;
    for (qsizetype index = 1; index < arguments.size(); ++index) {
        const QString word = arguments.at(index);
        const QString name = word.section(u'=', 0, 0);
        if (!word.startsWith(u'-') || word == QLatin1String("-")) {
            options.command = word;
            options.arguments = arguments.mid(index + 1);
            return options;
        }
        if (name == QLatin1String("--socket")) {
            Result<QString> value = optionValue(arguments, &index, name);
            if (!value)
                return std::unexpected(value.error());
            options.socketPath = *value;
        } else if (name == QLatin1String("--app") || name == QLatin1String("-a")) {
            Result<QString> value = optionValue(arguments, &index, name);
            if (!value)
                return std::unexpected(value.error());
            options.app = *value;
        } else if (name == QLatin1String("--data-dir")) {
            Result<QString> value = optionValue(arguments, &index, name);
            if (!value)
                return std::unexpected(value.error());
            options.dataDirectory = *value;
        } else if (word == QLatin1String("--json")) {
            options.json = true;
        } else if (word == QLatin1String("--help") || word == QLatin1String("-h")) {
            options.help = true;
        } else {
            return failure(QStringLiteral("unknown option '%1' before the command").arg(word));
        }
    }
    return options;
}

QString CommandSpec::synopsis() const
{
    QString text = QStringLiteral("slipctl ");
    if (app == AppUse::Required)
        text += QStringLiteral("[--app NAME] ");
    text += name;
    if (!arguments.isEmpty())
        text += u' ' + arguments;
    return text;
}

QString CommandSpec::shortForm() const
{
    // The arguments up to the first option: "deploy SOURCE", "build SOURCE --slug OUT.tgz".
    QString shown = arguments;
    if (shown.startsWith(QLatin1String("[-")))
        shown.clear();
    else if (const qsizetype options = shown.indexOf(QLatin1String(" [-")); options >= 0)
        shown.truncate(options);
    return shown.isEmpty() ? name : name + u' ' + shown;
}

void printCommandList(QTextStream &stream, const QList<CommandGroup> &groups)
{
    stream << "Usage: slipctl [GLOBAL OPTIONS] COMMAND [ARGUMENTS]\n\n"
              "Global options (before the command):\n"
              "  --socket PATH    the daemon's socket (else $SLIPWAY_SOCKET, else\n"
              "                   $XDG_RUNTIME_DIR/slipway/slipwayd.sock)\n"
              "  -a, --app NAME   the app to act on (else $SLIPWAY_APP)\n"
              "  --json           print the API's JSON answer instead of tables\n"
              "  --data-dir DIR   data folder of a daemon started on demand\n";
    qsizetype width = 0;
    for (const CommandGroup &group : groups) {
        for (const CommandSpec &command : group.commands)
            width = qMax(width, command.shortForm().size());
    }
    for (const CommandGroup &group : groups) {
        stream << '\n' << group.title << ":\n";
        for (const CommandSpec &command : group.commands)
            stream << "  " << command.shortForm().leftJustified(width + 2) << command.summary
                   << '\n';
    }
    stream << "\nWhen no daemon answers on the socket, slipwayd is started on demand "
              "(SLIPWAY_NO_AUTOSTART=1 turns that off).\n"
              "Run 'slipctl COMMAND --help' for a command's arguments and options.\n";
    stream.flush();
}

void printCommandHelp(QTextStream &stream, const CommandSpec &command)
{
    stream << "Usage: " << command.synopsis() << "\n\n" << command.summary << '\n';
    if (!command.description.isEmpty())
        stream << '\n' << command.description << '\n';
    if (!command.aliases.isEmpty())
        stream << "\nAlias: " << command.aliases.join(QStringLiteral(", ")) << '\n';
    QList<QCommandLineOption> shown = command.options;
    shown.append(QCommandLineOption(QStringList{QStringLiteral("h"), QStringLiteral("help")},
                                    QStringLiteral("show this help")));
    qsizetype width = 0;
    for (const QCommandLineOption &option : std::as_const(shown))
        width = qMax(width, optionNames(option).size());
    stream << "\nOptions:\n";
    for (const QCommandLineOption &option : std::as_const(shown))
        stream << "  " << optionNames(option).leftJustified(width + 2) << option.description()
               << '\n';
    if (command.app == CommandSpec::AppUse::Required)
        stream
            << "\nThe app comes from --app NAME (before or after the command) or $SLIPWAY_APP.\n";
    stream.flush();
}

} // namespace Slipctl
