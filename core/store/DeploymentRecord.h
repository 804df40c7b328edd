#pragma once

#include "rollout/DeploymentStatus.h"

#include <QDateTime>
#include <QString>

#include <optional>

namespace Slipway {

// A deployment as the store keeps it: enough to list it, show how it ended and find its log
// after the daemon restarted.
struct DeploymentRecord
{
    QString id;
    QString app;
    QString trigger; // Deployment::triggerName()
    QString source;  // Deployment::source()
    DeploymentStatus status = DeploymentStatus::Queued;
    QString error;
    std::optional<int> releaseVersion;  // known once the build made a release
    std::optional<int> previousRelease; // serving when it started; none on a first deploy
    QDateTime createdAt;
    QDateTime finishedAt; // invalid while it runs
    QString logPath;

    bool operator==(const DeploymentRecord &) const = default;
};

} // namespace Slipway
