#pragma once

#include "release/Release.h"

#include <QString>

namespace Slipway {

// A release ready to run: its record and the folder its slug was unpacked into.
struct LiveRelease
{
    Release release;
    QString directory;

    bool isNull() const { return directory.isEmpty(); }
    int version() const { return release.version(); }
};

} // namespace Slipway
