#include "util/Paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace Slipway {

QString Paths::resourcesDirectory()
{
    const QString fromEnvironment = qEnvironmentVariable("SLIPWAY_RESOURCES_DIR");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    // An installed binary sits in PREFIX/bin, its data in PREFIX/share/slipway.
    if (QCoreApplication::instance()) {
        const QString installed = QDir(QCoreApplication::applicationDirPath())
                                      .absoluteFilePath(QStringLiteral("../share/slipway"));
        if (QFileInfo::exists(installed + QStringLiteral("/buildpacks")))
            return QDir::cleanPath(installed);
    }
    if (QFileInfo::exists(QStringLiteral(SLIPWAY_INSTALL_DATADIR "/buildpacks")))
        return QStringLiteral(SLIPWAY_INSTALL_DATADIR);
    return QStringLiteral(SLIPWAY_SOURCE_RESOURCES);
}

QString Paths::builtinBuildpacksDirectory()
{
    return resourcesDirectory() + QStringLiteral("/buildpacks");
}

QString Paths::dataDirectory()
{
    const QString fromEnvironment = qEnvironmentVariable("SLIPWAY_DATA_DIR");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/slipway");
}

QString Paths::cacheDirectory()
{
    const QString fromEnvironment = qEnvironmentVariable("SLIPWAY_DATA_DIR");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment + QStringLiteral("/cache");
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) +
           QStringLiteral("/slipway");
}

} // namespace Slipway
