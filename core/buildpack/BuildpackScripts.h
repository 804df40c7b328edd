#pragma once

#include "buildpack/Buildpack.h"
#include "util/Result.h"

#include <QStringList>

namespace Slipway {

// The scripts of the classic buildpack API, and the copy of a buildpack a build runs.
//
// Slipway never runs a buildpack from where it was fetched: each build (and each detection
// for the console) runs its own copy. A script committed without the executable bit, a
// common slip when a buildpack is written on Windows or zipped by hand, runs anyway, as it
// does on Heroku: the copy gets the bit and the build log says so.
class BuildpackScripts
{
public:
    // bin/detect, bin/compile, bin/release, and the test ones Heroku CI calls.
    static const QStringList &names();

    struct Copy
    {
        Buildpack buildpack;        // pointing at the copy
        QStringList madeExecutable; // "bin/compile", ... that lacked the executable bit
    };

    // Copies `buildpack`'s folder into `target` (created; must not exist or be empty) and
    // sets the executable bit on the copy's scripts that lack it.
    static Result<Copy> copy(const Buildpack &buildpack, const QString &target);

    // The build log's line for a copy whose scripts needed the bit; empty when none did.
    static QString madeExecutableNotice(const Copy &copy);
};

} // namespace Slipway
