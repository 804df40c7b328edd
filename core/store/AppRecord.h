#pragma once

#include "rollout/AppSettings.h"

#include <QDateTime>
#include <QString>
#include <QStringList>

#include <optional>

namespace Slipway {

// An app as the store keeps it between daemon runs.
struct AppRecord
{
    QString name;
    QDateTime createdAt;
    AppSettings settings;
    std::optional<int> currentRelease; // the release serving, none before the first rollout
    QStringList buildpacks;            // the list set for the app, in order; empty: auto
    QString routerName;                // how the router knows the app; empty until set
};

} // namespace Slipway
