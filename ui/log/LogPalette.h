#pragma once

#include "log/TextStyle.h"

#include <QColor>
#include <QPalette>

namespace Slipway {

// The colours of the build log for one widget palette: the 16 terminal colours toned for a
// light or a dark window, the 256-colour cube and greys, and the view's own tints (gutter,
// section headers, selection, search matches). Every text colour keeps a readable contrast
// against what it is painted on, whatever the program asked for (black on a dark window,
// yellow on white).
class LogPalette
{
public:
    LogPalette() = default;
    explicit LogPalette(const QPalette &palette);

    struct Colors
    {
        QColor foreground;
        QColor background; // invalid: the view's base shows through
    };
    Colors resolve(const TextStyle &style) const;

    bool isDark() const { return m_dark; }
    QColor text() const { return m_text; }
    QColor base() const { return m_base; }
    QColor gutterBackground() const { return m_gutterBackground; }
    QColor gutterText() const { return m_gutterText; }
    QColor headerBackground() const { return m_headerBackground; }
    QColor selection() const { return m_selection; }
    QColor match() const { return m_match; }
    QColor currentMatch() const { return m_currentMatch; }
    QColor mutedText() const { return m_mutedText; }

    // A colour of the 256-colour table as text (`forBackground` false) or as a background.
    QColor indexed(int index, bool forBackground) const;
    // `color` moved away from `background` until their contrast ratio reaches `ratio`.
    static QColor readable(const QColor &color, const QColor &background, qreal ratio);
    static qreal contrast(const QColor &a, const QColor &b);
    static QColor blend(const QColor &from, const QColor &to, qreal amount);

private:
    bool m_dark = false;
    QColor m_text;
    QColor m_base;
    QColor m_gutterBackground;
    QColor m_gutterText;
    QColor m_headerBackground;
    QColor m_selection;
    QColor m_match;
    QColor m_currentMatch;
    QColor m_mutedText;
};

} // namespace Slipway
