#pragma once

#include <QByteArray>
#include <QStringList>

namespace Slipway {

// The text of a source's .buildpacks file, edited the way a person would: the references
// change, everything else (comments, blank lines, a trailing comment on a reference that
// stays, CRLF line ends, a byte order mark) is kept.
class BuildpacksFileText
{
public:
    // The references the file lists, in order (blank lines and comments left out).
    static QStringList references(const QByteArray &text);
    // `existing` with its references replaced by `references`: the new list takes the place
    // of the first reference line (or ends the file when it had none);
    // other reference lines go; comment and blank lines stay where they were.
    static QByteArray update(const QByteArray &existing, const QStringList &references);
};

} // namespace Slipway
