#pragma once

#include <QMap>
#include <QString>

namespace Slipway {

// Process type name -> command, as a Procfile or a buildpack's bin/release declares them.
// A sorted map, so listings and comparisons are stable.
using ProcessTypes = QMap<QString, QString>;

// web and tcp get a $PORT and must answer the readiness probe before traffic moves to them.
inline bool isProbedType(const QString &name)
{
    return name == QLatin1String("web") || name == QLatin1String("tcp");
}

// postdeploy is not a long-running process: it runs once after a release goes live.
inline bool isHookType(const QString &name)
{
    return name == QLatin1String("postdeploy");
}

inline bool isSpecialType(const QString &name)
{
    return isProbedType(name) || isHookType(name);
}

} // namespace Slipway
