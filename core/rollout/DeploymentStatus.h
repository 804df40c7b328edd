#pragma once

#include <QString>

namespace Slipway {

// product.md §5: a deployment moves through queued → building → pushing → starting and
// ends in exactly one of the final statuses.
enum class DeploymentStatus {
    Queued,
    Building,
    Pushing,
    Starting,
    Success,
    BuildError,
    CrashedError,
    TimeoutError,
    HookError,
    Aborted,
};

inline QString deploymentStatusName(DeploymentStatus status)
{
    switch (status) {
    case DeploymentStatus::Queued:
        return QStringLiteral("queued");
    case DeploymentStatus::Building:
        return QStringLiteral("building");
    case DeploymentStatus::Pushing:
        return QStringLiteral("pushing");
    case DeploymentStatus::Starting:
        return QStringLiteral("starting");
    case DeploymentStatus::Success:
        return QStringLiteral("success");
    case DeploymentStatus::BuildError:
        return QStringLiteral("build-error");
    case DeploymentStatus::CrashedError:
        return QStringLiteral("crashed-error");
    case DeploymentStatus::TimeoutError:
        return QStringLiteral("timeout-error");
    case DeploymentStatus::HookError:
        return QStringLiteral("hook-error");
    case DeploymentStatus::Aborted:
        return QStringLiteral("aborted");
    }
    return {};
}

inline bool isFinal(DeploymentStatus status)
{
    return status >= DeploymentStatus::Success;
}

} // namespace Slipway
