#include "log/LogSnapshot.h"

#include <QIODevice>

#include <array>
#include <cstring>

namespace Slipway {

namespace {

// Cancellation is checked about once per this many bytes scanned.
constexpr qsizetype CancelCheckBytes = 1 << 20;

const std::array<uchar, 256> &foldTable(bool foldCase)
{
    static const std::array<uchar, 256> identity = [] {
        std::array<uchar, 256> table{};
        for (int i = 0; i < 256; ++i)
            table[i] = uchar(i);
        return table;
    }();
    static const std::array<uchar, 256> lower = [] {
        std::array<uchar, 256> table = identity;
        for (int c = 'A'; c <= 'Z'; ++c)
            table[c] = uchar(c - 'A' + 'a');
        return table;
    }();
    return foldCase ? lower : identity;
}

// UTF-16 units in a run of valid UTF-8.
qsizetype utf16Units(const uchar *begin, const uchar *end)
{
    qsizetype units = 0;
    for (const uchar *p = begin; p < end; ++p) {
        if ((*p & 0xc0) != 0x80)
            ++units;
        if (*p >= 0xf0)
            ++units; // a surrogate pair
    }
    return units;
}

bool isCancelled(const std::atomic_bool *cancel)
{
    return cancel && cancel->load(std::memory_order_relaxed);
}

} // namespace

std::vector<LogMatch> LogSnapshot::search(const QString &needle, Qt::CaseSensitivity sensitivity,
                                          const std::atomic_bool *cancel) const
{
    std::vector<LogMatch> matches;
    if (needle.isEmpty() || needle.contains(QLatin1Char('\n')))
        return matches;
    bool ascii = true;
    for (const QChar c : needle)
        ascii = ascii && c.unicode() < 0x80;
    QByteArray bytes = needle.toUtf8();
    const bool foldCase = sensitivity == Qt::CaseInsensitive;
    if (ascii && foldCase)
        bytes = bytes.toLower();
    for (const Piece &piece : m_pieces) {
        if (isCancelled(cancel))
            break;
        if (ascii)
            searchAscii(piece, bytes, foldCase, quint32(needle.size()), cancel, matches);
        else
            searchUnicode(piece, needle, sensitivity, cancel, matches);
    }
    return matches;
}

void LogSnapshot::searchAscii(const Piece &piece, const QByteArray &needle, bool foldCase,
                              quint32 needleLength, const std::atomic_bool *cancel,
                              std::vector<LogMatch> &matches) const
{
    const std::array<uchar, 256> &fold = foldTable(foldCase);
    const auto *data = reinterpret_cast<const uchar *>(piece.chunk->data.get());
    const uchar *const begin = data + piece.begin;
    const uchar *const end = data + piece.end;
    const auto *pattern = reinterpret_cast<const uchar *>(needle.constData());
    const qsizetype length = needle.size();
    if (end - begin < length)
        return;
    const uchar *const last = end - length; // the last place a match can start
    const uchar first = pattern[0];

    qsizetype line = piece.firstLine;
    const uchar *lineStart = begin;
    // Column bookkeeping within the current line, so many hits on one long line cost one
    // pass over it, not one per hit.
    const uchar *counted = begin;
    qsizetype countedUnits = 0;
    const uchar *nextCheck = begin + CancelCheckBytes;

    const uchar *p = begin;
    while (p <= last) {
        while (p <= last && fold[*p] != first)
            ++p;
        if (p > last)
            break;
        if (p >= nextCheck) {
            if (isCancelled(cancel))
                return;
            nextCheck = p + CancelCheckBytes;
        }
        qsizetype k = 1;
        while (k < length && fold[p[k]] == pattern[k])
            ++k;
        if (k < length) {
            ++p;
            continue;
        }
        // The match's line: step over the newlines since the last one seen. A needle
        // never holds '\n', so a match never straddles two lines.
        while (const void *newline = std::memchr(lineStart, '\n', size_t(p - lineStart))) {
            lineStart = static_cast<const uchar *>(newline) + 1;
            ++line;
        }
        if (counted < lineStart) {
            counted = lineStart;
            countedUnits = 0;
        }
        countedUnits += utf16Units(counted, p);
        counted = p;
        matches.push_back({quint32(line), quint32(countedUnits), needleLength});
        p += length;
    }
}

void LogSnapshot::searchUnicode(const Piece &piece, const QString &needle,
                                Qt::CaseSensitivity sensitivity, const std::atomic_bool *cancel,
                                std::vector<LogMatch> &matches) const
{
    const char *const data = piece.chunk->data.get();
    qsizetype position = piece.begin;
    qsizetype line = piece.firstLine;
    qsizetype nextCheck = position + CancelCheckBytes;
    while (position < piece.end) {
        const auto *newline =
            static_cast<const char *>(std::memchr(data + position, '\n', piece.end - position));
        const qsizetype lineEnd = newline ? newline - data : piece.end;
        // Only lines with non-ASCII text can hold a needle with non-ASCII letters.
        bool ascii = true;
        for (qsizetype i = position; i < lineEnd && ascii; ++i)
            ascii = uchar(data[i]) < 0x80;
        if (!ascii) {
            const QString text = QString::fromUtf8(data + position, lineEnd - position);
            qsizetype from = 0;
            while ((from = text.indexOf(needle, from, sensitivity)) >= 0) {
                matches.push_back({quint32(line), quint32(from), quint32(needle.size())});
                from += needle.size();
            }
        }
        position = lineEnd + 1;
        ++line;
        if (position >= nextCheck) {
            if (isCancelled(cancel))
                return;
            nextCheck = position + CancelCheckBytes;
        }
    }
}

QByteArray LogSnapshot::toUtf8() const
{
    qsizetype size = m_partialLine.size();
    for (const Piece &piece : m_pieces)
        size += piece.end - piece.begin;
    QByteArray text;
    text.reserve(size);
    for (const Piece &piece : m_pieces)
        text.append(piece.chunk->data.get() + piece.begin, piece.end - piece.begin);
    text.append(m_partialLine);
    return text;
}

bool LogSnapshot::writeTo(QIODevice *device, QString *error) const
{
    const auto write = [&](const char *data, qsizetype size) {
        // Large blocks go out in pieces so a slow disk reports its error early.
        constexpr qsizetype Block = 4 << 20;
        for (qsizetype done = 0; done < size;) {
            const qint64 written = device->write(data + done, qMin(Block, size - done));
            if (written <= 0) {
                if (error)
                    *error = device->errorString();
                return false;
            }
            done += written;
        }
        return true;
    };
    for (const Piece &piece : m_pieces) {
        if (!write(piece.chunk->data.get() + piece.begin, piece.end - piece.begin))
            return false;
    }
    return write(m_partialLine.constData(), m_partialLine.size());
}

} // namespace Slipway
