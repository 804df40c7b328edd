#include "log/AnsiParser.h"

#include "log/TextCells.h"

#include <array>

namespace Slipway {

namespace {

constexpr char Escape = '\x1b';
constexpr int TabWidth = 8;

bool isContinuation(uchar byte)
{
    return (byte & 0xc0) == 0x80;
}

// Length of the valid UTF-8 sequence at `at` and its code point; 0 when the bytes there
// are not a well-formed sequence (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF).
int decodeUtf8(QByteArrayView bytes, qsizetype at, char32_t &codePoint)
{
    const auto byte = [&](qsizetype i) { return uchar(bytes[i]); };
    const qsizetype left = bytes.size() - at;
    const uchar lead = byte(at);
    if (lead >= 0xc2 && lead <= 0xdf) {
        if (left < 2 || !isContinuation(byte(at + 1)))
            return 0;
        codePoint = char32_t(lead & 0x1f) << 6 | (byte(at + 1) & 0x3f);
        return 2;
    }
    if (lead >= 0xe0 && lead <= 0xef) {
        if (left < 3)
            return 0;
        const uchar second = byte(at + 1);
        const uchar low = lead == 0xe0 ? 0xa0 : 0x80;
        const uchar high = lead == 0xed ? 0x9f : 0xbf;
        if (second < low || second > high || !isContinuation(byte(at + 2)))
            return 0;
        codePoint =
            char32_t(lead & 0x0f) << 12 | char32_t(second & 0x3f) << 6 | (byte(at + 2) & 0x3f);
        return 3;
    }
    if (lead >= 0xf0 && lead <= 0xf4) {
        if (left < 4)
            return 0;
        const uchar second = byte(at + 1);
        const uchar low = lead == 0xf0 ? 0x90 : 0x80;
        const uchar high = lead == 0xf4 ? 0x8f : 0xbf;
        if (second < low || second > high || !isContinuation(byte(at + 2)) ||
            !isContinuation(byte(at + 3)))
            return 0;
        codePoint = char32_t(lead & 0x07) << 18 | char32_t(second & 0x3f) << 12 |
                    char32_t(byte(at + 2) & 0x3f) << 6 | (byte(at + 3) & 0x3f);
        return 4;
    }
    return 0;
}

void appendCodePoint(ParsedLine &out, char32_t codePoint, QByteArrayView encoded)
{
    out.text.append(encoded);
    out.utf16Length += codePoint >= 0x10000 ? 2 : 1;
    out.columns += TextCells::width(codePoint);
    out.ascii = false;
}

// Removes the last code point, as a terminal's backspace moves back over it.
void eraseLast(ParsedLine &out)
{
    if (out.text.isEmpty())
        return;
    qsizetype start = out.text.size() - 1;
    while (start > 0 && isContinuation(uchar(out.text[start])))
        --start;
    const QByteArrayView last(out.text.constData() + start, out.text.size() - start);
    char32_t codePoint = uchar(last[0]);
    if (last.size() > 1)
        decodeUtf8(last, 0, codePoint);
    out.text.truncate(start);
    out.utf16Length -= codePoint >= 0x10000 ? 2 : 1;
    out.columns -= TextCells::width(codePoint);
    while (!out.spans.empty() && out.spans.back().start > out.utf16Length)
        out.spans.pop_back();
}

} // namespace

void AnsiParser::markStyle(ParsedLine &out) const
{
    const TextStyle &current = out.spans.empty() ? TextStyle() : out.spans.back().style;
    if (current == m_style)
        return;
    const auto start = quint32(out.utf16Length);
    if (!out.spans.empty() && out.spans.back().start == start) {
        out.spans.back().style = m_style;
        // A span that only restores the style before it is no change at all.
        const TextStyle &before =
            out.spans.size() > 1 ? out.spans[out.spans.size() - 2].style : TextStyle();
        if (before == m_style)
            out.spans.pop_back();
        return;
    }
    out.spans.push_back({start, m_style});
}

void AnsiParser::parseLine(QByteArrayView line, ParsedLine &out)
{
    out.clear();
    while (!line.isEmpty() && line.back() == '\r')
        line.chop(1);
    out.text.reserve(line.size());

    const qsizetype size = line.size();
    qsizetype i = 0;
    while (i < size) {
        const uchar byte = uchar(line[i]);
        if (byte >= 0x20 && byte < 0x7f) {
            qsizetype end = i + 1;
            while (end < size && uchar(line[end]) >= 0x20 && uchar(line[end]) < 0x7f)
                ++end;
            markStyle(out);
            out.text.append(line.constData() + i, end - i);
            out.utf16Length += end - i;
            out.columns += int(end - i);
            i = end;
            continue;
        }
        if (byte >= 0x80) {
            char32_t codePoint = 0;
            const int length = decodeUtf8(line, i, codePoint);
            if (length == 0) {
                markStyle(out);
                appendCodePoint(out, 0xfffd, "\xef\xbf\xbd");
                ++i;
            } else {
                // C1 controls (U+0080..U+009F) are controls, not text.
                if (codePoint >= 0xa0) {
                    markStyle(out);
                    appendCodePoint(out, codePoint, line.sliced(i, length));
                }
                i += length;
            }
            continue;
        }
        switch (byte) {
        case Escape:
            i = parseEscape(line, i);
            break;
        case '\r':
            // The line starts over: only what follows the last carriage return stays.
            out.clear();
            ++i;
            break;
        case '\t': {
            markStyle(out);
            const int spaces = TabWidth - out.columns % TabWidth;
            out.text.append(spaces, ' ');
            out.utf16Length += spaces;
            out.columns += spaces;
            ++i;
            break;
        }
        case '\b':
            eraseLast(out);
            ++i;
            break;
        default:
            ++i; // other control characters show nothing
            break;
        }
    }
    // Spans never outlive the text they style.
    while (!out.spans.empty() && out.spans.back().start >= out.utf16Length)
        out.spans.pop_back();
}

qsizetype AnsiParser::parseEscape(QByteArrayView line, qsizetype at)
{
    const qsizetype size = line.size();
    if (at + 1 >= size)
        return size;
    const char kind = line[at + 1];
    const auto in = [&](qsizetype i, uchar low, uchar high) {
        return i < size && uchar(line[i]) >= low && uchar(line[i]) <= high;
    };
    if (kind == '[') {
        // CSI: parameter bytes, intermediate bytes, one final byte.
        qsizetype i = at + 2;
        while (in(i, 0x30, 0x3f))
            ++i;
        const QByteArrayView parameters = line.sliced(at + 2, i - at - 2);
        const qsizetype intermediates = i;
        while (in(i, 0x20, 0x2f))
            ++i;
        if (!in(i, 0x40, 0x7e))
            return i; // malformed or cut short: drop what was read, keep what follows
        const bool privateMode = !parameters.isEmpty() && uchar(parameters[0]) >= 0x3c;
        if (line[i] == 'm' && intermediates == i && !privateMode)
            applySgr(parameters);
        return i + 1;
    }
    if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
        // OSC, DCS, SOS, PM, APC: a string up to BEL or ST (ESC \).
        for (qsizetype i = at + 2; i < size; ++i) {
            if (line[i] == '\x07')
                return i + 1;
            if (line[i] == Escape && i + 1 < size && line[i + 1] == '\\')
                return i + 2;
        }
        return size;
    }
    if (in(at + 1, 0x20, 0x2f)) {
        // ESC with intermediates and a final byte, such as a character set choice.
        qsizetype i = at + 1;
        while (in(i, 0x20, 0x2f))
            ++i;
        return i < size ? i + 1 : size;
    }
    if (in(at + 1, 0x30, 0x7e))
        return at + 2; // two-byte sequences: save cursor, keypad modes, reset...
    return at + 1;
}

void AnsiParser::applySgr(QByteArrayView parameters)
{
    // Parameters separated by ';', each with optional ':' sub-parameters (ITU T.416 colour
    // forms such as 38:2::255:128:0). -1 marks an empty parameter.
    constexpr int MaxParameters = 48;
    std::array<int, MaxParameters> values{};
    std::array<bool, MaxParameters> isSub{};
    int count = 0;
    int value = -1;
    bool sub = false;
    const auto push = [&] {
        if (count < MaxParameters) {
            values[count] = value;
            isSub[count] = sub;
            ++count;
        }
    };
    for (const char c : parameters) {
        if (c >= '0' && c <= '9') {
            value = (value < 0 ? 0 : value) * 10 + (c - '0');
            if (value > 1 << 20)
                value = 1 << 20;
        } else if (c == ';' || c == ':') {
            push();
            value = -1;
            sub = c == ':';
        }
    }
    push();

    const auto at = [&](int i) { return i < count && values[i] > 0 ? values[i] : 0; };
    const auto valid = [](int v) { return v >= 0 && v <= 255; };
    for (int i = 0; i < count; ++i) {
        const int code = at(i);
        // Sub-parameters that belong to this parameter.
        int subCount = 0;
        while (i + 1 + subCount < count && isSub[i + 1 + subCount])
            ++subCount;
        switch (code) {
        case 0:
            m_style = TextStyle();
            break;
        case 1:
            m_style.set(TextStyle::Bold, true);
            break;
        case 2:
            m_style.set(TextStyle::Dim, true);
            break;
        case 3:
            m_style.set(TextStyle::Italic, true);
            break;
        case 4:
            m_style.set(TextStyle::Underline, subCount == 0 || at(i + 1) != 0);
            break;
        case 7:
            m_style.set(TextStyle::Inverse, true);
            break;
        case 9:
            m_style.set(TextStyle::Strike, true);
            break;
        case 21:
            m_style.set(TextStyle::Underline, true);
            break;
        case 22:
            m_style.set(TextStyle::Bold, false);
            m_style.set(TextStyle::Dim, false);
            break;
        case 23:
            m_style.set(TextStyle::Italic, false);
            break;
        case 24:
            m_style.set(TextStyle::Underline, false);
            break;
        case 27:
            m_style.set(TextStyle::Inverse, false);
            break;
        case 29:
            m_style.set(TextStyle::Strike, false);
            break;
        case 39:
            m_style.foreground = TextStyle::DefaultColor;
            break;
        case 49:
            m_style.background = TextStyle::DefaultColor;
            break;
        case 38:
        case 48:
        case 58: {
            quint32 color = TextStyle::DefaultColor;
            bool ok = false;
            if (subCount > 0) {
                // 38:5:n, 38:2:r:g:b or 38:2:colourspace:r:g:b
                const int mode = at(i + 1);
                if (mode == 5 && subCount >= 2 && valid(values[i + 2])) {
                    color = TextStyle::indexed(values[i + 2]);
                    ok = true;
                } else if (mode == 2 && subCount >= 4) {
                    const int first = subCount >= 5 ? i + 3 : i + 2;
                    if (valid(at(first)) && valid(at(first + 1)) && valid(at(first + 2))) {
                        color = TextStyle::rgb(at(first), at(first + 1), at(first + 2));
                        ok = true;
                    }
                }
                i += subCount;
            } else {
                // 38;5;n or 38;2;r;g;b
                const int mode = at(i + 1);
                if (mode == 5) {
                    if (i + 2 < count && valid(values[i + 2])) {
                        color = TextStyle::indexed(values[i + 2]);
                        ok = true;
                    }
                    i += 2;
                } else if (mode == 2) {
                    if (i + 4 < count && valid(at(i + 2)) && valid(at(i + 3)) && valid(at(i + 4))) {
                        color = TextStyle::rgb(at(i + 2), at(i + 3), at(i + 4));
                        ok = true;
                    }
                    i += 4;
                } else {
                    i += 1;
                }
            }
            if (ok && code == 38)
                m_style.foreground = color;
            else if (ok && code == 48)
                m_style.background = color;
            continue; // its sub-parameters are consumed
        }
        default:
            if (code >= 30 && code <= 37)
                m_style.foreground = TextStyle::indexed(code - 30);
            else if (code >= 40 && code <= 47)
                m_style.background = TextStyle::indexed(code - 40);
            else if (code >= 90 && code <= 97)
                m_style.foreground = TextStyle::indexed(code - 90 + 8);
            else if (code >= 100 && code <= 107)
                m_style.background = TextStyle::indexed(code - 100 + 8);
            break; // blink, fonts, frames and the like change nothing shown here
        }
        i += subCount;
    }
}

QString AnsiParser::stripped(QByteArrayView data)
{
    AnsiParser parser;
    ParsedLine parsed;
    QString result;
    qsizetype start = 0;
    while (start <= data.size()) {
        qsizetype end = data.indexOf('\n', start);
        const bool last = end < 0;
        if (last)
            end = data.size();
        parser.parseLine(data.sliced(start, end - start), parsed);
        result += QString::fromUtf8(parsed.text);
        if (last)
            break;
        result += QLatin1Char('\n');
        start = end + 1;
    }
    return result;
}

} // namespace Slipway
