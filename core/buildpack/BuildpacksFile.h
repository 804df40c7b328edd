#pragma once

#include "buildpack/BuildpackRef.h"
#include "util/Result.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace Slipway {

// The .buildpacks file at the root of an app's source: one buildpack reference per line,
// run in order (multi-buildpack).
class BuildpacksFile
{
public:
    // Blank lines, "#" comment lines and trailing " # comments" (a '#' after white space)
    // are ignored; a '#' straight after a URL is its #branch-or-tag. CRLF line ends and a
    // UTF-8 byte order mark are accepted. Relative folders resolve against baseDirectory,
    // normally the source folder holding the file. The first bad line fails the whole file.
    static Result<QList<BuildpackRef>> parse(const QByteArray &contents,
                                             const QString &baseDirectory);

    // One reference per line, as the user wrote it, so parse() reads back the same list
    // (except for a folder whose path holds " #", which the file format cannot express).
    static QByteArray serialize(const QList<BuildpackRef> &buildpacks);
};

} // namespace Slipway
