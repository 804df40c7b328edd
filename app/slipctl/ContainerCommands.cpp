// Containers: ps, scale, restart, run, logs.

#include "ClientCommands.h"
#include "CommandContext.h"
#include "DeploymentProgress.h"
#include "Output.h"

#include "release/Procfile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QTextStream>

using namespace Slipway;

namespace Slipctl {

namespace {

using AppUse = CommandSpec::AppUse;

void printContainers(const QJsonArray &containers, const QString &app)
{
    if (containers.isEmpty()) {
        standardOutput() << "No containers of " << app << " are running\n";
        standardOutput().flush();
        return;
    }
    Table table({QStringLiteral("NAME"), QStringLiteral("STATE"), QStringLiteral("RELEASE"),
                 QStringLiteral("PORT"), QStringLiteral("PROBES"), QStringLiteral("RESTARTS"),
                 QStringLiteral("RUNTIME"), QStringLiteral("NODE")});
    for (const QJsonValue &value : containers) {
        const QJsonObject container = value.toObject();
        const QJsonValue release = container.value(QStringLiteral("release_version"));
        const QJsonValue port = container.value(QStringLiteral("port"));
        table.addRow(
            {cellText(container.value(QStringLiteral("name"))),
             cellText(container.value(QStringLiteral("state"))),
             release.isDouble() ? QStringLiteral("v%1").arg(release.toInt()) : cellText(release),
             port.isDouble() && port.toInt() > 0 ? cellText(port) : QStringLiteral("-"),
             cellText(container.value(QStringLiteral("probes"))),
             cellText(container.value(QStringLiteral("restarts"))),
             cellText(container.value(QStringLiteral("runtime"))),
             container.value(QStringLiteral("node")).toString().isEmpty()
                 ? QStringLiteral("-")
                 : cellText(container.value(QStringLiteral("node")))});
    }
    table.print(standardOutput());
}

int ps(CommandContext &context)
{
    Result<QJsonObject> answer = context.get(context.appPath(QStringLiteral("/containers")));
    if (!answer)
        return fail(answer.error().message);
    if (context.json())
        printJson(*answer);
    else
        printContainers(answer->value(QStringLiteral("containers")).toArray(), context.app());
    return 0;
}

int scale(CommandContext &context)
{
    QJsonArray containers;
    QSet<QString> seen;
    for (const QString &argument : context.positionals()) {
        const qsizetype separator = argument.indexOf(u'=');
        if (separator < 0) {
            return context.usageError(
                QStringLiteral("'%1' is not TYPE=AMOUNT; write for example web=2 worker=1")
                    .arg(argument));
        }
        const QString type = argument.left(separator);
        const QString amountText = argument.mid(separator + 1);
        if (Result<void> valid = Procfile::validateName(type); !valid)
            return context.usageError(
                QStringLiteral("'%1': %2").arg(argument, valid.error().message));
        bool ok = false;
        const int amount = amountText.toInt(&ok);
        if (!ok || amount < 0 || amountText.startsWith(u'+')) {
            return context.usageError(
                QStringLiteral(
                    "'%1': the amount must be a whole number, 0 or more (0 stops the type)")
                    .arg(argument));
        }
        if (seen.contains(type))
            return context.usageError(QStringLiteral("'%1' is given more than once").arg(type));
        seen.insert(type);
        containers.append(
            QJsonObject{{QStringLiteral("name"), type}, {QStringLiteral("amount"), amount}});
    }
    Result<QJsonObject> answer =
        context.send("POST", context.appPath(QStringLiteral("/scale")),
                     QJsonObject{{QStringLiteral("containers"), containers}}, 120000);
    if (!answer)
        return fail(answer.error().message);
    if (context.json())
        printJson(*answer);
    else
        printContainers(answer->value(QStringLiteral("containers")).toArray(), context.app());
    return 0;
}

int restart(CommandContext &context)
{
    Result<QJsonObject> answer =
        context.send("POST", context.appPath(QStringLiteral("/restart")), QJsonObject());
    if (!answer)
        return fail(answer.error().message);
    const QString id = answer->value(QStringLiteral("deployment"))
                           .toObject()
                           .value(QStringLiteral("id"))
                           .toString();
    if (id.isEmpty())
        return fail(QStringLiteral("the daemon's answer names no deployment"));
    if (context.isSet(QStringLiteral("no-wait"))) {
        if (context.json())
            printJson(*answer);
        else
            standardOutput() << "-----> Restarting " << context.app() << " (deployment " << id
                             << ")\n";
        standardOutput().flush();
        return 0;
    }
    QTextStream *log = context.json() ? nullptr : &standardOutput();
    if (log) {
        *log << "-----> Restarting " << context.app() << " (deployment " << id << ")\n";
        log->flush();
    }
    Result<QJsonObject> finished = DeploymentProgress::wait(context, id, log);
    if (!finished)
        return fail(finished.error().message);
    return DeploymentProgress::report(context, *finished);
}

// One word as a POSIX shell reads it back: quoted only when it has to be.
QString shellQuoted(const QString &word)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    if (plain.match(word).hasMatch())
        return word;
    QString quoted = word;
    quoted.replace(u'\'', QStringLiteral("'\\''"));
    return u'\'' + quoted + u'\'';
}

int run(CommandContext &context)
{
    // One argument is the command line as typed ("rake db:migrate"); several keep their
    // words, so `run -- sh -c 'echo $HOME'` runs what it says.
    const QStringList words = context.positionals();
    QString command;
    if (words.size() == 1) {
        command = words.first();
    } else {
        QStringList quoted;
        for (const QString &word : words)
            quoted.append(shellQuoted(word));
        command = quoted.join(u' ');
    }
    if (command.trimmed().isEmpty())
        return context.usageError(QStringLiteral("the command is empty"));

    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("command"), command}})
                                .toJson(QJsonDocument::Compact);
    QByteArray pending;
    int exitStatus = -1;
    QString error;
    const auto takeLine = [&](const QByteArray &line) {
        if (line.trimmed().isEmpty())
            return;
        if (context.json()) {
            standardOutput() << QString::fromUtf8(line) << '\n';
        }
        const QJsonObject object = QJsonDocument::fromJson(line).object();
        if (object.contains(QStringLiteral("exit_status"))) {
            exitStatus = object.value(QStringLiteral("exit_status")).toInt();
        } else if (object.contains(QStringLiteral("error"))) {
            const QJsonValue value = object.value(QStringLiteral("error"));
            error = value.isObject() ? value.toObject().value(QStringLiteral("message")).toString()
                                     : value.toString();
        } else if (!context.json()) {
            standardOutput() << object.value(QStringLiteral("line")).toString() << '\n';
        }
        standardOutput().flush();
    };
    Result<void> streamed = context.stream("POST", context.appPath(QStringLiteral("/run")), body,
                                           [&](const QByteArray &chunk) {
                                               pending += chunk;
                                               qsizetype newline;
                                               while ((newline = pending.indexOf('\n')) >= 0) {
                                                   takeLine(pending.left(newline));
                                                   pending.remove(0, newline + 1);
                                               }
                                               return true;
                                           });
    if (!streamed)
        return fail(streamed.error().message);
    takeLine(pending);
    if (!error.isEmpty())
        return fail(error);
    if (exitStatus < 0)
        return fail(QStringLiteral(
            "the connection ended before the command did; its exit status is unknown"));
    // A shell sees at most 8 bits of an exit status.
    return exitStatus > 255 ? 255 : exitStatus;
}

int logs(CommandContext &context)
{
    int lines = 100;
    if (context.isSet(QStringLiteral("lines"))) {
        bool ok = false;
        lines = context.value(QStringLiteral("lines")).toInt(&ok);
        if (!ok || lines <= 0)
            return context.usageError(
                QStringLiteral("-n takes a number of lines, 1 or more; got '%1'")
                    .arg(context.value(QStringLiteral("lines"))));
    }
    QString path = context.appPath(QStringLiteral("/logs?lines=%1").arg(lines));
    if (context.isSet(QStringLiteral("follow")))
        path += QStringLiteral("&follow=true");
    Result<void> streamed = context.stream("GET", path, {}, [](const QByteArray &chunk) {
        standardOutput() << QString::fromUtf8(chunk);
        standardOutput().flush();
        return true;
    });
    if (!streamed)
        return fail(streamed.error().message);
    return 0;
}

} // namespace

QList<CommandSpec> containerCommands()
{
    CommandSpec psSpec;
    psSpec.name = QStringLiteral("ps");
    psSpec.summary =
        QStringLiteral("list the app's containers with their state, release, port and probes");
    psSpec.run = ps;

    CommandSpec scaleSpec;
    scaleSpec.name = QStringLiteral("scale");
    scaleSpec.arguments = QStringLiteral("TYPE=AMOUNT...");
    scaleSpec.summary =
        QStringLiteral("set how many containers of each process type run, e.g. web=2 worker=1");
    scaleSpec.description =
        QStringLiteral("TYPE is a process type of the Procfile; AMOUNT is 0 or more (0 stops it).");
    scaleSpec.minimumPositionals = 1;
    scaleSpec.maximumPositionals = -1;
    scaleSpec.run = scale;

    CommandSpec restartSpec;
    restartSpec.name = QStringLiteral("restart");
    restartSpec.summary =
        QStringLiteral("restart every container without downtime and wait for it");
    restartSpec.description =
        QStringLiteral("The exit status is 0 only when the rollout succeeds.");
    restartSpec.options = {QCommandLineOption(
        QStringLiteral("no-wait"), QStringLiteral("return once the restart has started"))};
    restartSpec.run = restart;

    CommandSpec runSpec;
    runSpec.name = QStringLiteral("run");
    runSpec.arguments = QStringLiteral("-- COMMAND [ARGUMENTS...]");
    runSpec.summary = QStringLiteral("run a one-off command in the app's environment");
    runSpec.description = QStringLiteral(
        "The output is shown as it comes and slipctl exits with the command's exit status.\n"
        "One argument is taken as a shell command line (\"rake db:migrate\"); several are\n"
        "quoted so each stays one word.");
    runSpec.minimumPositionals = 1;
    runSpec.maximumPositionals = -1;
    runSpec.positionalsEndOptions = true;
    runSpec.run = run;

    CommandSpec logsSpec;
    logsSpec.name = QStringLiteral("logs");
    logsSpec.arguments = QStringLiteral("[-n LINES] [-f]");
    logsSpec.summary = QStringLiteral("show the last log lines of every container, or follow them");
    logsSpec.options = {
        QCommandLineOption(QStringList{QStringLiteral("n"), QStringLiteral("lines")},
                           QStringLiteral("how many lines (default 100)"), QStringLiteral("LINES")),
        QCommandLineOption(QStringList{QStringLiteral("f"), QStringLiteral("follow")},
                           QStringLiteral("keep showing new lines until Ctrl-C")),
    };
    logsSpec.run = logs;

    return {psSpec, scaleSpec, restartSpec, runSpec, logsSpec};
}

} // namespace Slipctl
