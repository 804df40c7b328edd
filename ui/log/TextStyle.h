#pragma once

#include <QHashFunctions>
#include <QtGlobal>

namespace Slipway {

// How a run of log text looks, as the program that wrote it asked through SGR escape
// sequences. Colours stay symbolic (the terminal's default, one of 256 indexed colours, or
// RGB) so the view can pick readable tones for a light or a dark palette when it paints.
struct TextStyle
{
    enum Flag : quint8 {
        Bold = 0x01,
        Dim = 0x02,
        Italic = 0x04,
        Underline = 0x08,
        Inverse = 0x10,
        Strike = 0x20,
    };

    // A colour packed in 32 bits: the kind in the top byte, the index or RGB value below.
    static constexpr quint32 DefaultColor = 0;
    static constexpr quint32 indexed(int index) { return 0x01000000u | quint32(index & 0xff); }
    static constexpr quint32 rgb(int red, int green, int blue)
    {
        return 0x02000000u | (quint32(red & 0xff) << 16) | (quint32(green & 0xff) << 8) |
               quint32(blue & 0xff);
    }
    static constexpr bool isIndexed(quint32 color) { return (color >> 24) == 0x01; }
    static constexpr bool isRgb(quint32 color) { return (color >> 24) == 0x02; }
    static constexpr int colorIndex(quint32 color) { return int(color & 0xff); }
    static constexpr quint32 rgbValue(quint32 color) { return color & 0xffffffu; }

    quint32 foreground = DefaultColor;
    quint32 background = DefaultColor;
    quint8 flags = 0;

    bool isDefault() const
    {
        return foreground == DefaultColor && background == DefaultColor && flags == 0;
    }
    bool has(Flag flag) const { return (flags & flag) != 0; }
    void set(Flag flag, bool on) { flags = on ? quint8(flags | flag) : quint8(flags & ~flag); }

    bool operator==(const TextStyle &) const = default;
};

inline size_t qHash(const TextStyle &style, size_t seed = 0)
{
    return qHashMulti(seed, style.foreground, style.background, style.flags);
}

// Where a style starts in a line, in UTF-16 units of the line's text; it lasts until the
// next span or the end of the line. `style` indexes the store's table of distinct styles.
struct StyleSpan
{
    quint32 start = 0;
    quint32 style = 0;
};

} // namespace Slipway
