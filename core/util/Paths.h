#pragma once

#include <QString>

namespace Slipway {

// Where Slipway finds what it ships (built-in buildpacks, the sample app) and where it
// keeps its own data.
class Paths
{
public:
    // resources/ of the source tree when running from a build tree, else the installed
    // share/slipway; SLIPWAY_RESOURCES_DIR overrides both.
    static QString resourcesDirectory();
    static QString builtinBuildpacksDirectory();
    // Per-user data (XDG): caches, buildpack clones. SLIPWAY_DATA_DIR overrides.
    static QString dataDirectory();
    static QString cacheDirectory();
};

} // namespace Slipway
