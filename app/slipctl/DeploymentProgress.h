#pragma once

#include "util/Result.h"

#include <QJsonObject>
#include <QString>

class QTextStream;

namespace Slipctl {

class CommandContext;

// Watching a deployment to its end, shared by deploy, deployment-follow, restart, rollback
// and the config var commands.
namespace DeploymentProgress {

bool isFinal(const QString &status);

// "-----> Deployment v3 success in 12.3 s" or "-----> Deployment v3 crashed-error: <error>".
QString statusLine(const QJsonObject &deployment);

Slipway::Result<QJsonObject> fetch(CommandContext &context, const QString &id);
// The newest deployment of the app.
Slipway::Result<QString> latestId(CommandContext &context);

// Streams the deployment's log to `log` until the deployment ends; answers its final state.
Slipway::Result<QJsonObject> followOutput(CommandContext &context, const QString &id,
                                          QTextStream &log);

// Polls the deployment until it ends, printing its timeline events to `log` as they come
// (nothing when log is null); answers its final state.
Slipway::Result<QJsonObject> wait(CommandContext &context, const QString &id, QTextStream *log);

// Prints the end of a deployment the way the user asked (status line or --json); the exit
// status: 0 only on success.
int report(CommandContext &context, const QJsonObject &deployment);

} // namespace DeploymentProgress

} // namespace Slipctl
