#include "DeploymentProgress.h"

#include "CommandContext.h"
#include "Output.h"

#include <QJsonArray>
#include <QTextStream>
#include <QThread>

using namespace Slipway;

namespace Slipctl::DeploymentProgress {

namespace {

constexpr int PollIntervalMs = 250;

QString nameOf(const QJsonObject &deployment)
{
    const QJsonValue version = deployment.value(QStringLiteral("release_version"));
    if (version.isDouble() && version.toInt() > 0)
        return QStringLiteral("v%1").arg(version.toInt());
    return deployment.value(QStringLiteral("id")).toString();
}

QString timelineLine(const QJsonObject &event)
{
    const double seconds = event.value(QStringLiteral("offset_ms")).toDouble() / 1000.0;
    const QString offset = QStringLiteral("+%1 s").arg(seconds, 0, 'f', 1).rightJustified(9);
    const QString container = event.value(QStringLiteral("container")).toString();
    const QString text = event.value(QStringLiteral("text")).toString();
    // Most events name their container already ("web-1 ready after 3 probes").
    const bool named = container.isEmpty() || text.contains(container);
    return QStringLiteral("     %1  %2%3")
        .arg(offset, named ? QString() : container + QStringLiteral(": "), text);
}

} // namespace

bool isFinal(const QString &status)
{
    static const QStringList running = {QStringLiteral("queued"), QStringLiteral("building"),
                                        QStringLiteral("pushing"), QStringLiteral("starting")};
    return !status.isEmpty() && !running.contains(status);
}

QString statusLine(const QJsonObject &deployment)
{
    const QString status = deployment.value(QStringLiteral("status")).toString();
    QString line = QStringLiteral("-----> Deployment %1 %2")
                       .arg(nameOf(deployment), toned(status, toneOfStatus(status)));
    if (status == QLatin1String("success")) {
        const qint64 elapsed =
            millisecondsBetween(deployment.value(QStringLiteral("created_at")).toString(),
                                deployment.value(QStringLiteral("finished_at")).toString());
        if (elapsed >= 0)
            line += QStringLiteral(" in ") + formatDuration(elapsed);
        return line;
    }
    const QString error = deployment.value(QStringLiteral("error")).toString();
    if (!error.isEmpty())
        line += QStringLiteral(": ") + error;
    return line;
}

Result<QJsonObject> fetch(CommandContext &context, const QString &id)
{
    Result<QJsonObject> answer = context.get(
        context.appPath(QStringLiteral("/deployments/") + CommandContext::pathSegment(id)));
    if (!answer)
        return answer;
    const QJsonObject deployment = answer->value(QStringLiteral("deployment")).toObject();
    if (deployment.isEmpty())
        return failure(QStringLiteral("the daemon's answer has no deployment %1").arg(id));
    return deployment;
}

Result<QString> latestId(CommandContext &context)
{
    Result<QJsonObject> answer = context.get(context.appPath(QStringLiteral("/deployments")));
    if (!answer)
        return std::unexpected(answer.error());
    const QJsonArray deployments = answer->value(QStringLiteral("deployments")).toArray();
    if (deployments.isEmpty())
        return failure(QStringLiteral("%1 has no deployment yet").arg(context.app()));
    return deployments.first().toObject().value(QStringLiteral("id")).toString();
}

Result<QJsonObject> followOutput(CommandContext &context, const QString &id, QTextStream &log)
{
    // Asking for the deployment first turns an unknown id into the API's clear 404 rather
    // than an empty log.
    Result<QJsonObject> deployment = fetch(context, id);
    if (!deployment)
        return deployment;
    const QString path =
        context.appPath(QStringLiteral("/deployments/") + CommandContext::pathSegment(id) +
                        QStringLiteral("/output?follow=true"));
    Result<void> streamed = context.stream("GET", path, {}, [&log](const QByteArray &chunk) {
        log << QString::fromUtf8(chunk);
        log.flush();
        return true;
    });
    if (!streamed)
        return std::unexpected(streamed.error());
    // The log ends with the deployment; should the stream have been cut short, the state
    // still tells how it ended.
    return wait(context, id, nullptr);
}

Result<QJsonObject> wait(CommandContext &context, const QString &id, QTextStream *log)
{
    qsizetype shown = 0;
    for (;;) {
        Result<QJsonObject> deployment = fetch(context, id);
        if (!deployment)
            return deployment;
        if (log) {
            const QJsonArray timeline = deployment->value(QStringLiteral("timeline")).toArray();
            for (; shown < timeline.size(); ++shown) {
                const QJsonObject event = timeline.at(shown).toObject();
                // A log section only points into the deployment's log, not shown here.
                if (event.value(QStringLiteral("kind")).toString() != QLatin1String("log-section"))
                    *log << timelineLine(event) << '\n';
            }
            log->flush();
        }
        if (isFinal(deployment->value(QStringLiteral("status")).toString()))
            return deployment;
        QThread::msleep(PollIntervalMs);
    }
}

int report(CommandContext &context, const QJsonObject &deployment)
{
    const QString status = deployment.value(QStringLiteral("status")).toString();
    if (context.json()) {
        printJson(QJsonObject{{QStringLiteral("deployment"), deployment}});
    } else {
        standardOutput() << statusLine(deployment) << '\n';
        standardOutput().flush();
    }
    if (status == QLatin1String("success"))
        return 0;
    return fail(QStringLiteral("deployment %1 of %2 ended in %3")
                    .arg(deployment.value(QStringLiteral("id")).toString(), context.app(), status));
}

} // namespace Slipctl::DeploymentProgress
