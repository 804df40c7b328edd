#pragma once

#include "release/ConfigVars.h"
#include "release/ProcessTypes.h"
#include "util/Result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace Slipway {

// What a buildpack's bin/release printed: suggested process types, default config vars and
// add-ons (only logged; Slipway provisions none).
struct BuildpackReleaseInfo
{
    ProcessTypes defaultProcessTypes;
    ConfigVars configVars;
    QStringList addons;

    // bin/release output is bounded so a runaway script cannot exhaust memory here.
    static constexpr qsizetype MaximumSize = 1024 * 1024;

    // Empty output means the buildpack suggests nothing, which is fine. Anything else must
    // be a YAML map; unknown keys are ignored. Errors name the buildpack and, for YAML
    // syntax errors, the line and column.
    static Result<BuildpackReleaseInfo> parse(const QByteArray &yaml, const QString &buildpackName);
};

} // namespace Slipway
