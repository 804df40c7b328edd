#pragma once

#include <QColor>
#include <QPalette>
#include <QString>

namespace Slipway {

// A deployment status (product.md §5) or a container state, grouped by what it means to
// the user, so every view colours the same word the same way.
enum class StatusFamily {
    Waiting, // queued, created: nothing happens yet
    Active,  // building, pushing, starting, probing: work in progress
    Good,    // success, ready, serving, running
    Bad,     // build-error, crashed-error, timeout-error, hook-error, crashed, timed out
    Ended,   // aborted, stopped, exited: over, neither good nor bad
};

class StatusStyle
{
public:
    // The family of a deployment status or container state word; unknown words are Waiting.
    static StatusFamily family(const QString &word);
    // A colour for the family that reads well on `palette`'s window colour (light or dark).
    static QColor color(StatusFamily family, const QPalette &palette);
    static QColor color(const QString &word, const QPalette &palette)
    {
        return color(family(word), palette);
    }
    // True when the palette is a dark one (light text on a dark window).
    static bool isDark(const QPalette &palette);
    // One short sentence for a deployment status, for tooltips and accessible descriptions.
    static QString describe(const QString &status);
    static bool isFinal(const QString &status);
};

} // namespace Slipway
