#pragma once

#include "release/ProcessTypes.h"
#include "util/Result.h"

#include <QByteArray>
#include <QString>

namespace Slipway {

// The app's Procfile: one "name: command" per line. Its entries override the process types
// a buildpack suggests.
class Procfile
{
public:
    static constexpr qsizetype MaximumNameLength = 24;
    // Far beyond any real Procfile; keeps a stray huge file from being read into memory.
    static constexpr qint64 MaximumFileSize = 1024 * 1024;

    // Blank lines and "#" comment lines are skipped; CRLF line ends and a UTF-8 byte order
    // mark are accepted. The first malformed line fails the whole file, naming its number.
    static Result<ProcessTypes> parse(const QByteArray &contents);

    // Reads "Procfile" in appDirectory. No Procfile is not an error: an empty map.
    static Result<ProcessTypes> read(const QString &appDirectory);

    // Letters, digits, '-' and '_', 1 to 24 characters. The message describes the name and
    // the rule, ready to follow a prefix such as "Procfile line 3: ".
    static Result<void> validateName(const QString &name);

    // web, tcp and postdeploy: see ProcessTypes.h.
    static bool isSpecial(const QString &name) { return isSpecialType(name); }
};

} // namespace Slipway
