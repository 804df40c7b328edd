#pragma once

#include "git/GitLogins.h"
#include "release/ConfigVars.h"
#include "source/SourceSpec.h"

#include <QString>
#include <QStringList>

#include <chrono>

namespace Slipway {

// Everything one build needs to know.
struct BuildRequest
{
    static constexpr std::chrono::minutes DefaultTimeout{30};
    static constexpr qint64 DefaultSourceSizeLimit = 300LL * 1024 * 1024;
    static inline const QString DefaultStack = QStringLiteral("debian-12");
    // Half the machine's memory, at most 4 GiB.
    static qint64 defaultMemoryLimit();

    QString app;
    SourceSpec source;
    QStringList appBuildpacks;       // the buildpack list set for the app, in order
    ConfigVars config;               // the app's config vars (BUILDPACK_URL, PROJECT_DIR, ...)
    QString cacheDirectory;          // CACHE_DIR, kept per app between builds
    QString workDirectory;           // scratch space, removed after the build
    QString slugPath;                // where the .tar.gz slug goes
    QString buildpackCacheDirectory; // fetched custom buildpacks
    QString builtinBuildpacksDirectory;
    QString stack = DefaultStack;
    std::chrono::milliseconds timeout{DefaultTimeout};
    qint64 sourceSizeLimit = DefaultSourceSizeLimit;
    // Bytes the buildpacks' bin/compile may use, all their processes together; a build
    // over it is stopped, so that it cannot take the host's memory. 0: no limit.
    qint64 memoryLimit = defaultMemoryLimit();
    int releaseVersion = 1;
    QString sourceVersion; // known by the caller (a git push of an archive); else from git
    GitLogins gitLogins;   // for the source and buildpacks in private repositories
};

} // namespace Slipway
