#include "log/TextCells.h"

namespace Slipway::TextCells {

int width(char32_t c)
{
    if (c < 0x300)
        return 1;
    // Combining marks and zero-width characters add no cell.
    if ((c >= 0x300 && c <= 0x36f) || (c >= 0x483 && c <= 0x489) || (c >= 0x591 && c <= 0x5bd) ||
        (c >= 0x1ab0 && c <= 0x1aff) || (c >= 0x1dc0 && c <= 0x1dff) ||
        (c >= 0x200b && c <= 0x200f) || (c >= 0x20d0 && c <= 0x20ff) ||
        (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xfe20 && c <= 0xfe2f) || c == 0xfeff ||
        (c >= 0xe0100 && c <= 0xe01ef))
        return 0;
    // East Asian wide and fullwidth blocks, and the emoji planes.
    if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x231a && c <= 0x231b) ||
        (c >= 0x2329 && c <= 0x232a) || (c >= 0x23e9 && c <= 0x23ec) || c == 0x23f0 ||
        c == 0x23f3 || (c >= 0x25fd && c <= 0x25fe) || (c >= 0x2614 && c <= 0x2615) ||
        (c >= 0x2648 && c <= 0x2653) || c == 0x267f || c == 0x2693 || c == 0x26a1 ||
        (c >= 0x26aa && c <= 0x26ab) || (c >= 0x26bd && c <= 0x26be) ||
        (c >= 0x26c4 && c <= 0x26c5) || c == 0x26ce || c == 0x26d4 || c == 0x26ea ||
        (c >= 0x26f2 && c <= 0x26f3) || c == 0x26f5 || c == 0x26fa || c == 0x26fd || c == 0x2705 ||
        (c >= 0x270a && c <= 0x270b) || c == 0x2728 || c == 0x274c || c == 0x274e ||
        (c >= 0x2753 && c <= 0x2755) || c == 0x2757 || (c >= 0x2795 && c <= 0x2797) ||
        c == 0x27b0 || c == 0x27bf || (c >= 0x2b1b && c <= 0x2b1c) || c == 0x2b50 || c == 0x2b55 ||
        (c >= 0x2e80 && c <= 0x303e) || (c >= 0x3041 && c <= 0x33ff) ||
        (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
        (c >= 0xa000 && c <= 0xa4cf) || (c >= 0xa960 && c <= 0xa97f) ||
        (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
        (c >= 0xfe10 && c <= 0xfe19) || (c >= 0xfe30 && c <= 0xfe6f) ||
        (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
        (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x1f680 && c <= 0x1f6ff) ||
        (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x1fa70 && c <= 0x1faff) ||
        (c >= 0x20000 && c <= 0x3fffd))
        return 2;
    return 1;
}

int columns(QStringView text)
{
    int cells = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c.isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            cells += width(QChar::surrogateToUcs4(c, text[i + 1]));
            ++i;
        } else {
            cells += width(c.unicode());
        }
    }
    return cells;
}

} // namespace Slipway::TextCells
