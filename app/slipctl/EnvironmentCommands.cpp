// Config vars: env, env-set, env-unset.

#include "ClientCommands.h"
#include "CommandContext.h"
#include "DeploymentProgress.h"
#include "Output.h"

#include "release/ConfigVars.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QTextStream>

using namespace Slipway;

namespace Slipctl {

namespace {

using AppUse = CommandSpec::AppUse;

int env(CommandContext &context)
{
    QString path = context.appPath(QStringLiteral("/variables"));
    if (context.isSet(QStringLiteral("reveal")))
        path += QStringLiteral("?reveal=true");
    Result<QJsonObject> answer = context.get(path);
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    const QJsonArray variables = answer->value(QStringLiteral("variables")).toArray();
    if (variables.isEmpty()) {
        // stderr, so `slipctl env > .env` gives an empty file rather than a sentence.
        standardError() << context.app()
                        << " has no config vars; set some with: slipctl env-set NAME=value\n";
        standardError().flush();
        return 0;
    }
    for (const QJsonValue &value : variables) {
        const QJsonObject variable = value.toObject();
        standardOutput() << variable.value(QStringLiteral("name")).toString() << '='
                         << variable.value(QStringLiteral("value")).toString() << '\n';
    }
    standardOutput().flush();
    return 0;
}

// Waits for the rollouts a config change started, in order; 0 when all succeeded.
int awaitRollouts(CommandContext &context, const QStringList &ids, QJsonObject answer)
{
    if (ids.isEmpty() || context.isSet(QStringLiteral("no-wait"))) {
        if (context.json())
            printJson(answer);
        return 0;
    }
    QJsonObject last;
    for (const QString &id : ids) {
        Result<QJsonObject> finished =
            DeploymentProgress::wait(context, id, context.json() ? nullptr : &standardOutput());
        if (!finished)
            return fail(finished.error().message);
        last = *finished;
        if (last.value(QStringLiteral("status")).toString() != QLatin1String("success"))
            break;
    }
    if (context.json()) {
        answer.insert(QStringLiteral("deployment"), last);
        printJson(answer);
    } else {
        standardOutput() << DeploymentProgress::statusLine(last) << '\n';
        standardOutput().flush();
    }
    const QString status = last.value(QStringLiteral("status")).toString();
    if (status == QLatin1String("success"))
        return 0;
    return fail(QStringLiteral("the new config did not roll out: deployment %1 ended in %2")
                    .arg(last.value(QStringLiteral("id")).toString(), status));
}

void announceRollout(CommandContext &context, const QString &id)
{
    if (context.json())
        return;
    standardOutput() << "-----> Rolling out the new config (deployment " << id << ")";
    if (context.isSet(QStringLiteral("no-wait")))
        standardOutput() << "; follow it with: slipctl --app " << context.app()
                         << " deployment-follow " << id;
    standardOutput() << '\n';
    standardOutput().flush();
}

int envSet(CommandContext &context)
{
    QJsonArray variables;
    QStringList names;
    const bool secret = context.isSet(QStringLiteral("secret"));
    for (const QString &assignment : context.positionals()) {
        Result<QPair<QString, QString>> parsed = ConfigVar::parseAssignment(assignment);
        if (!parsed)
            return context.usageError(parsed.error().message);
        if (names.contains(parsed->first))
            return context.usageError(
                QStringLiteral("%1 is set more than once").arg(parsed->first));
        names.append(parsed->first);
        variables.append(QJsonObject{{QStringLiteral("name"), parsed->first},
                                     {QStringLiteral("value"), parsed->second},
                                     {QStringLiteral("secret"), secret}});
    }
    Result<QJsonObject> answer =
        context.send("POST", context.appPath(QStringLiteral("/variables")),
                     QJsonObject{{QStringLiteral("variables"), variables}});
    if (!answer)
        return fail(answer.error().message);
    if (!context.json()) {
        standardOutput() << "-----> " << (names.size() == 1 ? "Config var " : "Config vars ")
                         << names.join(QStringLiteral(", ")) << " set on " << context.app()
                         << (secret ? " (secret)\n" : "\n");
        standardOutput().flush();
    }
    const QString id = answer->value(QStringLiteral("deployment"))
                           .toObject()
                           .value(QStringLiteral("id"))
                           .toString();
    if (id.isEmpty()) {
        if (context.json())
            printJson(*answer);
        return 0;
    }
    announceRollout(context, id);
    return awaitRollouts(context, {id}, *answer);
}

int envUnset(CommandContext &context)
{
    for (const QString &name : context.positionals()) {
        if (Result<void> valid = ConfigVar::validateName(name); !valid)
            return context.usageError(valid.error().message);
    }
    QStringList rollouts;
    QJsonObject last;
    for (const QString &name : context.positionals()) {
        Result<QJsonObject> answer =
            context.send("DELETE", context.appPath(QStringLiteral("/variables/") +
                                                   CommandContext::pathSegment(name)));
        if (!answer)
            return fail(answer.error().message);
        last = *answer;
        if (!context.json()) {
            standardOutput() << "-----> Config var " << name << " removed from " << context.app()
                             << '\n';
            standardOutput().flush();
        }
        const QString id = answer->value(QStringLiteral("deployment"))
                               .toObject()
                               .value(QStringLiteral("id"))
                               .toString();
        if (!id.isEmpty() && !rollouts.contains(id)) {
            rollouts.append(id);
            announceRollout(context, id);
        }
    }
    return awaitRollouts(context, rollouts, last);
}

} // namespace

QList<CommandSpec> environmentCommands()
{
    const QString rule = QStringLiteral(
        "Names: letters, digits and '_', starting with a letter, at most 64 characters;\n"
        "values at most 32,768 characters.");
    const QCommandLineOption noWait(
        QStringLiteral("no-wait"), QStringLiteral("do not wait for the rollout of the new config"));

    CommandSpec envSpec;
    envSpec.name = QStringLiteral("env");
    envSpec.arguments = QStringLiteral("[--reveal]");
    envSpec.summary = QStringLiteral("print the app's config vars as NAME=value lines");
    envSpec.options = {
        QCommandLineOption(QStringLiteral("reveal"), QStringLiteral("show the values of secrets"))};
    envSpec.run = env;

    CommandSpec setSpec;
    setSpec.name = QStringLiteral("env-set");
    setSpec.arguments = QStringLiteral("NAME=value... [--secret] [--no-wait]");
    setSpec.summary = QStringLiteral("set config vars; a running app rolls out the new config");
    setSpec.description =
        rule + QStringLiteral(
                   "\nThe exit status is 0 only when the rollout succeeds (or none was needed).");
    setSpec.options = {
        QCommandLineOption(QStringLiteral("secret"),
                           QStringLiteral("keep the values in the OS keychain, masked in 'env'")),
        noWait};
    setSpec.minimumPositionals = 1;
    setSpec.maximumPositionals = -1;
    setSpec.run = envSet;

    CommandSpec unsetSpec;
    unsetSpec.name = QStringLiteral("env-unset");
    unsetSpec.arguments = QStringLiteral("NAME... [--no-wait]");
    unsetSpec.summary =
        QStringLiteral("remove config vars; a running app rolls out the new config");
    unsetSpec.description =
        QStringLiteral("The exit status is 0 only when the rollout succeeds (or none was needed).");
    unsetSpec.options = {noWait};
    unsetSpec.minimumPositionals = 1;
    unsetSpec.maximumPositionals = -1;
    unsetSpec.run = envUnset;

    return {envSpec, setSpec, unsetSpec};
}

} // namespace Slipctl
