#pragma once

#include <QStringView>

namespace Slipway::TextCells {

// How many character cells of a monospace grid a code point takes, as terminals count
// them: 0 for combining marks and zero-width characters, 2 for East Asian wide and
// fullwidth characters and emoji, 1 for everything else. Tabs are expanded and colours
// positioned on this grid, so columns line up the way they did in the terminal.
int width(char32_t codePoint);

// Cells taken by `text` (UTF-16).
int columns(QStringView text);

} // namespace Slipway::TextCells
