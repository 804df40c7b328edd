#pragma once

#include "buildpack/BuildpackRef.h"

#include <QString>

namespace Slipway {

// A buildpack ready to run: its reference and the local folder holding bin/.
struct Buildpack
{
    BuildpackRef ref;
    QString directory;
    bool operator==(const Buildpack &) const = default;

    QString name() const { return ref.displayName(); }
    QString script(const QString &name) const { return directory + QStringLiteral("/bin/") + name; }
};

} // namespace Slipway
