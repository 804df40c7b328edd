// Deployments: deploy, deployments, deployment-follow, deployment-cancel,
// deployment-delete-cache.

#include "ClientCommands.h"
#include "CommandContext.h"
#include "DeploymentProgress.h"
#include "Output.h"

#include "source/SourceSpec.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QTextStream>
#include <QUrl>

using namespace Slipway;

namespace Slipctl {

namespace {

using AppUse = CommandSpec::AppUse;

QString followHint(const CommandContext &context, const QString &id)
{
    return QStringLiteral("slipctl --app %1 deployment-follow %2").arg(context.app(), id);
}

// The deployment named on the command line, else the newest one.
Result<QString> chosenDeployment(CommandContext &context)
{
    if (!context.positionals().isEmpty())
        return context.positionals().first();
    return DeploymentProgress::latestId(context);
}

int deploy(CommandContext &context)
{
    const QString input = context.positionals().first();
    Result<SourceSpec> source = SourceSpec::parse(input, context.value(QStringLiteral("ref")));
    if (!source)
        return context.usageError(source.error().message);

    // A local archive or artifact travels in the request; anything else the daemon fetches
    // itself, local paths made absolute since its working folder is not ours.
    const bool uploaded = !source->isRemote() && (source->kind() == SourceSpec::Kind::Archive ||
                                                  source->kind() == SourceSpec::Kind::Artifact);
    Result<QJsonObject> answer;
    if (uploaded) {
        const QString file = source->location().startsWith(QLatin1String("file://"))
                                 ? QUrl(source->location()).toLocalFile()
                                 : source->location();
        answer =
            context.upload(context.appPath(QStringLiteral("/deployments?filename=") +
                                           CommandContext::pathSegment(QFileInfo(file).fileName())),
                           file);
    } else {
        QJsonObject deployment{{QStringLiteral("source_url"), source->location()}};
        if (!source->ref().isEmpty())
            deployment.insert(QStringLiteral("git_ref"), source->ref());
        answer = context.send("POST", context.appPath(QStringLiteral("/deployments")),
                              QJsonObject{{QStringLiteral("deployment"), deployment}});
    }
    if (!answer)
        return fail(answer.error().message);
    const QJsonObject created = answer->value(QStringLiteral("deployment")).toObject();
    const QString id = created.value(QStringLiteral("id")).toString();
    if (id.isEmpty())
        return fail(QStringLiteral("the daemon's answer names no deployment"));

    if (context.isSet(QStringLiteral("no-follow"))) {
        if (context.json()) {
            printJson(*answer);
        } else {
            standardOutput() << "-----> Deployment " << id << ' '
                             << created.value(QStringLiteral("status")).toString()
                             << "; follow it with: " << followHint(context, id) << '\n';
            standardOutput().flush();
        }
        return 0;
    }

    // With --json, stdout carries only the final document; the log goes to stderr.
    QTextStream &log = context.json() ? standardError() : standardOutput();
    log << "-----> Deploying "
        << (uploaded ? QFileInfo(source->location()).fileName() : source->location()) << " to "
        << context.app() << " (deployment " << id << ")\n";
    log.flush();
    Result<QJsonObject> finished = DeploymentProgress::followOutput(context, id, log);
    if (!finished)
        return fail(finished.error().message);
    return DeploymentProgress::report(context, *finished);
}

int deployments(CommandContext &context)
{
    Result<QJsonObject> answer = context.get(context.appPath(QStringLiteral("/deployments")));
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    const QJsonArray list = answer->value(QStringLiteral("deployments")).toArray();
    if (list.isEmpty()) {
        standardOutput() << "No deployments of " << context.app() << " yet\n";
        standardOutput().flush();
        return 0;
    }
    Table table({QStringLiteral("ID"), QStringLiteral("STATUS"), QStringLiteral("RELEASE"),
                 QStringLiteral("TRIGGER"), QStringLiteral("CREATED"), QStringLiteral("DURATION"),
                 QStringLiteral("SOURCE")});
    for (const QJsonValue &value : list) {
        const QJsonObject deployment = value.toObject();
        const QJsonValue release = deployment.value(QStringLiteral("release_version"));
        const QString created = deployment.value(QStringLiteral("created_at")).toString();
        const QString finished = deployment.value(QStringLiteral("finished_at")).toString();
        // A queued deployment says which one it waits for.
        QString status = cellText(deployment.value(QStringLiteral("status")));
        const QString waitingFor = deployment.value(QStringLiteral("waiting_for")).toString();
        if (!waitingFor.isEmpty())
            status += QStringLiteral(" (after %1)").arg(waitingFor);
        table.addRow({cellText(deployment.value(QStringLiteral("id"))), status,
                      release.isDouble() && release.toInt() > 0
                          ? QStringLiteral("v%1").arg(release.toInt())
                          : QStringLiteral("-"),
                      cellText(deployment.value(QStringLiteral("trigger"))), formatTime(created),
                      formatDuration(millisecondsBetween(created, finished)),
                      cellText(deployment.value(QStringLiteral("source")))});
    }
    table.print(standardOutput());
    return 0;
}

int follow(CommandContext &context)
{
    Result<QString> id = chosenDeployment(context);
    if (!id)
        return fail(id.error().message);
    QTextStream &log = context.json() ? standardError() : standardOutput();
    Result<QJsonObject> finished = DeploymentProgress::followOutput(context, *id, log);
    if (!finished)
        return fail(finished.error().message);
    return DeploymentProgress::report(context, *finished);
}

int cancel(CommandContext &context)
{
    Result<QString> id = chosenDeployment(context);
    if (!id)
        return fail(id.error().message);
    Result<QJsonObject> answer = context.send(
        "POST", context.appPath(QStringLiteral("/deployments/") + CommandContext::pathSegment(*id) +
                                QStringLiteral("/cancel")));
    if (!answer)
        return fail(answer.error().message);
    QJsonObject deployment = answer->value(QStringLiteral("deployment")).toObject();
    // The build and the new containers are stopped before the deployment reads as aborted.
    if (!DeploymentProgress::isFinal(deployment.value(QStringLiteral("status")).toString())) {
        Result<QJsonObject> ended = DeploymentProgress::wait(context, *id, nullptr);
        if (!ended)
            return fail(ended.error().message);
        deployment = *ended;
    }
    const QString status = deployment.value(QStringLiteral("status")).toString();
    if (context.json())
        printJson(QJsonObject{{QStringLiteral("deployment"), deployment}});
    else
        standardOutput() << "-----> Deployment " << *id << ' '
                         << toned(status, toneOfStatus(status)) << '\n';
    standardOutput().flush();
    if (status != QLatin1String("aborted"))
        return fail(QStringLiteral("deployment %1 had already ended in %2").arg(*id, status));
    return 0;
}

int deleteCache(CommandContext &context)
{
    Result<QJsonObject> answer = context.send("DELETE", context.appPath(QStringLiteral("/cache")));
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    standardOutput() << "-----> Build cache of " << context.app() << " cleared\n";
    standardOutput().flush();
    return 0;
}

} // namespace

QList<CommandSpec> deploymentCommands()
{
    CommandSpec deploySpec;
    deploySpec.name = QStringLiteral("deploy");
    deploySpec.arguments = QStringLiteral("SOURCE [--ref REF] [--no-follow]");
    deploySpec.summary =
        QStringLiteral("deploy a folder, archive, .jar/.war or git repository and follow the log");
    deploySpec.description = QStringLiteral(
        "A local archive (.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, .zip) or .jar/.war is uploaded;\n"
        "a folder, a git repository or a URL is fetched by the daemon. The log is shown live,\n"
        "then the outcome; the exit status is 0 only when the deployment succeeds.");
    deploySpec.options = {
        QCommandLineOption(QStringLiteral("ref"),
                           QStringLiteral("git branch, tag or commit to deploy"),
                           QStringLiteral("REF")),
        QCommandLineOption(QStringLiteral("no-follow"),
                           QStringLiteral("start the deployment and return at once")),
    };
    deploySpec.minimumPositionals = 1;
    deploySpec.maximumPositionals = 1;
    deploySpec.run = deploy;

    CommandSpec listSpec;
    listSpec.name = QStringLiteral("deployments");
    listSpec.summary = QStringLiteral("list the app's deployments, newest first");
    listSpec.run = deployments;

    CommandSpec followSpec;
    followSpec.name = QStringLiteral("deployment-follow");
    followSpec.arguments = QStringLiteral("[ID]");
    followSpec.summary =
        QStringLiteral("show a deployment's log live until it ends (default: the latest)");
    followSpec.description =
        QStringLiteral("The exit status is 0 only when the deployment succeeds.");
    followSpec.maximumPositionals = 1;
    followSpec.run = follow;

    CommandSpec cancelSpec;
    cancelSpec.name = QStringLiteral("deployment-cancel");
    cancelSpec.arguments = QStringLiteral("[ID]");
    cancelSpec.summary = QStringLiteral("stop a running deployment (default: the latest)");
    cancelSpec.maximumPositionals = 1;
    cancelSpec.run = cancel;

    CommandSpec cacheSpec;
    cacheSpec.name = QStringLiteral("deployment-delete-cache");
    cacheSpec.summary = QStringLiteral("clear the app's build cache");
    cacheSpec.run = deleteCache;

    return {deploySpec, listSpec, followSpec, cancelSpec, cacheSpec};
}

} // namespace Slipctl
