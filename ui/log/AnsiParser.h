#pragma once

#include "log/TextStyle.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <vector>

namespace Slipway {

// One log line once its escape sequences are gone: the text a user reads (valid UTF-8,
// tabs expanded) and where its style changes.
struct ParsedLine
{
    struct Span
    {
        quint32 start = 0; // UTF-16 units into the text
        TextStyle style;
    };

    QByteArray text;
    std::vector<Span> spans; // only where the style changes; none for a plain line
    qsizetype utf16Length = 0;
    int columns = 0;   // cells on a monospace grid (TextCells)
    bool ascii = true; // the text is plain ASCII: bytes, UTF-16 units and cells coincide

    void clear()
    {
        text.clear();
        spans.clear();
        utf16Length = 0;
        columns = 0;
        ascii = true;
    }
};

// Turns raw build output, one line at a time, into text and styles, the way a terminal
// shows it: SGR sequences (bold, dim, italic, underline, inverse, strike, 8/16, 256 and
// RGB colours) become styles and carry over to the next lines until reset; every other
// escape sequence (cursor moves, erasing, OSC titles and links, DCS) and control character
// is dropped; a carriage return starts the line over, as progress bars redraw it;
// backspace removes the last character; tabs advance to the next multiple of 8 columns;
// bytes that are not UTF-8 become U+FFFD.
class AnsiParser
{
public:
    // `line` holds no '\n'; trailing '\r' (CRLF endings) are ignored.
    void parseLine(QByteArrayView line, ParsedLine &out);
    // The style in effect for the next line.
    const TextStyle &style() const { return m_style; }
    void reset() { m_style = TextStyle(); }

    // Plain text of `data` (several lines allowed), escape sequences removed; for tests and
    // callers that need no styles.
    static QString stripped(QByteArrayView data);

private:
    qsizetype parseEscape(QByteArrayView line, qsizetype at);
    void applySgr(QByteArrayView parameters);
    void markStyle(ParsedLine &out) const;

    TextStyle m_style;
};

} // namespace Slipway
