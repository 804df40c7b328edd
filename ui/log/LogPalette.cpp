#include "log/LogPalette.h"

#include <array>
#include <cmath>

namespace Slipway {

namespace {

// The 16 terminal colours as text: deeper tones on a light window, lighter ones on a dark
// window, so "yellow" and "white" stay legible on white and "black" on black.
constexpr std::array<QRgb, 16> LightText = {
    0x1f2328, 0xc4262e, 0x1d7a3a, 0x8a5a00, 0x1a5fb4, 0x8a3fc4, 0x0f7a85, 0x6b7079,
    0x5a6069, 0xe0333c, 0x2c9447, 0xa86f00, 0x2f7de1, 0xa356d6, 0x1793a0, 0x8b9099,
};
constexpr std::array<QRgb, 16> DarkText = {
    0x7a8089, 0xff6b6b, 0x5cc46f, 0xe5c07b, 0x61a6ff, 0xc983f0, 0x4fc1d0, 0xd0d4da,
    0x9aa0a8, 0xff8787, 0x7ee08c, 0xf5d68a, 0x8cc0ff, 0xdfa3ff, 0x7ad9e5, 0xffffff,
};
// As backgrounds (badges like " WARN " on yellow) the classic mid tones read on both.
constexpr std::array<QRgb, 16> Backgrounds = {
    0x2e3436, 0xcc3333, 0x3a9a3a, 0xd7a600, 0x3465a4, 0x9c4fb0, 0x2aa1b3, 0xd3d7cf,
    0x555753, 0xef4444, 0x5fd35f, 0xfce94f, 0x729fcf, 0xad7fa8, 0x34e2e2, 0xeeeeec,
};

qreal luminance(const QColor &color)
{
    const auto channel = [](qreal value) {
        return value <= 0.03928 ? value / 12.92 : std::pow((value + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) +
           0.0722 * channel(color.blueF());
}

// Text on the base needs more contrast than a dim note; 3.0 keeps the log's own tones
// recognisable while nothing fades into the background.
constexpr qreal TextContrast = 3.0;

} // namespace

LogPalette::LogPalette(const QPalette &palette)
    : m_dark(palette.color(QPalette::Base).lightness() < 128)
    , m_text(palette.color(QPalette::Text))
    , m_base(palette.color(QPalette::Base))
{
    m_gutterBackground = blend(m_base, m_text, m_dark ? 0.06 : 0.04);
    m_gutterText = readable(blend(m_base, m_text, 0.45), m_gutterBackground, 3.0);
    m_headerBackground = blend(m_base, palette.color(QPalette::Highlight), m_dark ? 0.22 : 0.12);
    QColor selection = palette.color(QPalette::Highlight);
    selection.setAlphaF(m_dark ? 0.45 : 0.30);
    m_selection = selection;
    m_match = m_dark ? QColor(0x6b, 0x5a, 0x12) : QColor(0xff, 0xe5, 0x8f);
    m_currentMatch = m_dark ? QColor(0xb8, 0x6a, 0x00) : QColor(0xff, 0x9f, 0x3d);
    m_mutedText = readable(blend(m_base, m_text, 0.6), m_base, 3.5);
}

QColor LogPalette::indexed(int index, bool forBackground) const
{
    if (index < 16)
        return QColor::fromRgb(forBackground ? Backgrounds[index]
                                             : (m_dark ? DarkText[index] : LightText[index]));
    if (index < 232) {
        // The 6x6x6 cube.
        static constexpr std::array<int, 6> levels = {0, 95, 135, 175, 215, 255};
        const int cube = index - 16;
        return QColor(levels[cube / 36], levels[cube / 6 % 6], levels[cube % 6]);
    }
    const int grey = 8 + 10 * (index - 232);
    return QColor(grey, grey, grey);
}

LogPalette::Colors LogPalette::resolve(const TextStyle &style) const
{
    const auto color = [&](quint32 value, bool forBackground) -> QColor {
        if (TextStyle::isIndexed(value))
            return indexed(TextStyle::colorIndex(value), forBackground);
        if (TextStyle::isRgb(value))
            return QColor::fromRgb(TextStyle::rgbValue(value));
        return {};
    };
    Colors colors;
    QColor foreground = color(style.foreground, false);
    QColor background = color(style.background, true);
    if (style.has(TextStyle::Inverse)) {
        const QColor swapped = foreground.isValid() ? foreground : m_text;
        foreground = background.isValid() ? background : m_base;
        background = swapped;
    }
    if (!foreground.isValid())
        foreground = m_text;
    const QColor behind = background.isValid() ? background : m_base;
    if (style.has(TextStyle::Dim))
        foreground = blend(foreground, behind, 0.4);
    colors.foreground =
        readable(foreground, behind, style.has(TextStyle::Dim) ? 2.2 : TextContrast);
    colors.background = background;
    return colors;
}

qreal LogPalette::contrast(const QColor &a, const QColor &b)
{
    const qreal la = luminance(a);
    const qreal lb = luminance(b);
    return (qMax(la, lb) + 0.05) / (qMin(la, lb) + 0.05);
}

QColor LogPalette::readable(const QColor &color, const QColor &background, qreal ratio)
{
    if (contrast(color, background) >= ratio)
        return color;
    // Move towards black on a light background, towards white on a dark one.
    const QColor target = luminance(background) > 0.18 ? QColor(Qt::black) : QColor(Qt::white);
    QColor adjusted = color;
    for (int step = 1; step <= 10; ++step) {
        adjusted = blend(color, target, step / 10.0);
        if (contrast(adjusted, background) >= ratio)
            break;
    }
    return adjusted;
}

QColor LogPalette::blend(const QColor &from, const QColor &to, qreal amount)
{
    return QColor::fromRgbF(from.redF() + (to.redF() - from.redF()) * amount,
                            from.greenF() + (to.greenF() - from.greenF()) * amount,
                            from.blueF() + (to.blueF() - from.blueF()) * amount);
}

} // namespace Slipway
