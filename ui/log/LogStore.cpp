#include "log/LogStore.h"

#include <algorithm>
#include <cstring>

namespace Slipway {

namespace {

const QByteArrayView HeaderPrefix("-----> ");

// The longest prefix of `bytes` not longer than `maxBytes` that does not cut a UTF-8
// sequence.
qsizetype utf8Prefix(QByteArrayView bytes, qsizetype maxBytes)
{
    if (bytes.size() <= maxBytes)
        return bytes.size();
    qsizetype end = maxBytes;
    while (end > 0 && (uchar(bytes[end]) & 0xc0) == 0x80)
        --end;
    return end;
}

} // namespace

LogStore::LogStore()
{
    clear();
}

void LogStore::clear()
{
    m_chunks.clear();
    m_lineStarts = {};
    m_lineFlags = {};
    m_spanStarts = {0};
    m_spans = {};
    m_styles = {TextStyle()};
    m_styleIds.clear();
    m_styleIds.insert(TextStyle(), 0);
    m_widestColumns = 0;
    m_parser.reset();
    m_partial.clear();
    m_partialValid = false;
    m_sections.clear();
    m_pendingStarts.clear();
    m_origin.start();
    m_endMs = -1;
    m_live = true;
    m_finished = false;
}

void LogStore::appendData(QByteArrayView data, qint64 arrivalMs)
{
    if (data.isEmpty())
        return;
    m_partialValid = false;
    qsizetype start = 0;
    while (start < data.size()) {
        const auto *newline =
            static_cast<const char *>(std::memchr(data.data() + start, '\n', data.size() - start));
        if (!newline) {
            m_partial.append(data.sliced(start));
            if (m_partial.size() >= MaxLineBytes) {
                const qsizetype cut = utf8Prefix(m_partial, MaxLineBytes);
                commitLine(QByteArrayView(m_partial).first(cut), arrivalMs);
                m_partial.remove(0, cut);
            }
            return;
        }
        const qsizetype end = newline - data.data();
        if (m_partial.isEmpty()) {
            commitLine(data.sliced(start, end - start), arrivalMs);
        } else {
            m_partial.append(data.sliced(start, end - start));
            commitLine(m_partial, arrivalMs);
            m_partial.clear();
        }
        start = end + 1;
    }
}

void LogStore::finish()
{
    if (!m_partial.isEmpty()) {
        commitLine(m_partial);
        m_partial.clear();
        m_partialValid = false;
    }
    m_finished = true;
    if (m_live && m_endMs < 0)
        m_endMs = now();
}

void LogStore::commitLine(QByteArrayView raw, qint64 arrivalMs)
{
    m_parser.parseLine(raw, m_parsed);
    storeLine(m_parsed, arrivalMs);
}

void LogStore::storeLine(const ParsedLine &parsed, qint64 arrivalMs)
{
    const qsizetype needed = parsed.text.size() + 1;
    if (m_chunks.empty() || m_chunks.back()->capacity - m_chunks.back()->size < needed)
        m_chunks.push_back(std::make_shared<LogChunk>(qMax(ChunkBytes, needed)));
    LogChunk &chunk = *m_chunks.back();
    const qsizetype offset = chunk.size;
    std::memcpy(chunk.data.get() + offset, parsed.text.constData(), size_t(parsed.text.size()));
    chunk.data[size_t(offset + parsed.text.size())] = '\n';
    chunk.size += needed;

    const qsizetype line = lineCount();
    m_lineStarts.push_back(quint64(m_chunks.size() - 1) << 32 | quint64(offset));
    for (const ParsedLine::Span &span : parsed.spans)
        m_spans.push_back({span.start, styleId(span.style)});
    m_spanStarts.push_back(quint32(m_spans.size()));
    m_widestColumns = qMax(m_widestColumns, parsed.columns);

    quint8 flags = parsed.ascii ? Ascii : 0;
    if (QByteArrayView(parsed.text).startsWith(HeaderPrefix)) {
        flags |= Header;
        LogSection section;
        section.headerLine = line;
        section.title =
            QString::fromUtf8(QByteArrayView(parsed.text).sliced(HeaderPrefix.size())).trimmed();
        if (const auto pending = m_pendingStarts.constFind(line);
            pending != m_pendingStarts.cend()) {
            section.startMs = *pending;
            section.explicitStart = true;
            m_pendingStarts.erase(pending);
        } else if (m_live) {
            section.startMs = arrivalMs >= 0 ? arrivalMs : now();
        }
        m_sections.push_back(std::move(section));
    }
    m_lineFlags.push_back(flags);
}

quint32 LogStore::styleId(const TextStyle &style) const
{
    // Distinct styles are few (a build log uses a handful of colours); past a bound, as an
    // RGB gradient could produce, further ones show in the default style.
    constexpr qsizetype MaxStyles = 1 << 16;
    const auto found = m_styleIds.constFind(style);
    if (found != m_styleIds.cend())
        return *found;
    if (qsizetype(m_styles.size()) >= MaxStyles)
        return 0;
    const auto id = quint32(m_styles.size());
    m_styles.push_back(style);
    m_styleIds.insert(style, id);
    return id;
}

void LogStore::parsePartial() const
{
    if (m_partialValid)
        return;
    m_partialValid = true;
    // A copy of the parser, so the styles carried into the next line stay untouched until
    // the line is complete.
    AnsiParser parser = m_parser;
    parser.parseLine(m_partial, m_partialParsed);
    m_partialSpans.clear();
    for (const ParsedLine::Span &span : m_partialParsed.spans)
        m_partialSpans.push_back({span.start, styleId(span.style)});
}

bool LogStore::hasPartialLine() const
{
    if (m_partial.isEmpty())
        return false;
    parsePartial();
    return !m_partialParsed.text.isEmpty();
}

const LogChunk &LogStore::chunkOf(qsizetype line, qsizetype *offset, qsizetype *length) const
{
    const quint64 start = m_lineStarts[size_t(line)];
    const auto chunkIndex = size_t(start >> 32);
    const LogChunk &chunk = *m_chunks[chunkIndex];
    *offset = qsizetype(start & 0xffffffffu);
    qsizetype end = chunk.size;
    if (size_t(line + 1) < m_lineStarts.size() &&
        (m_lineStarts[size_t(line + 1)] >> 32) == chunkIndex)
        end = qsizetype(m_lineStarts[size_t(line + 1)] & 0xffffffffu);
    *length = end - *offset - 1; // without the '\n'
    return chunk;
}

QByteArrayView LogStore::lineUtf8(qsizetype line) const
{
    if (line == lineCount()) {
        if (m_partial.isEmpty())
            return {};
        parsePartial();
        return m_partialParsed.text;
    }
    if (line < 0 || line > lineCount())
        return {};
    qsizetype offset = 0;
    qsizetype length = 0;
    const LogChunk &chunk = chunkOf(line, &offset, &length);
    return QByteArrayView(chunk.data.get() + offset, length);
}

bool LogStore::isAscii(qsizetype line) const
{
    if (line == lineCount()) {
        parsePartial();
        return m_partialParsed.ascii;
    }
    return line >= 0 && line < lineCount() && (m_lineFlags[size_t(line)] & Ascii) != 0;
}

QString LogStore::lineText(qsizetype line, qsizetype maxLength) const
{
    const QByteArrayView bytes = lineUtf8(line);
    if (isAscii(line)) {
        const qsizetype size = maxLength < 0 ? bytes.size() : qMin(maxLength, bytes.size());
        return QString::fromLatin1(bytes.first(size));
    }
    if (maxLength < 0)
        return QString::fromUtf8(bytes);
    // At most 4 bytes per UTF-16 unit: decode a bounded prefix only, however long the line.
    QString text = QString::fromUtf8(bytes.first(utf8Prefix(bytes, maxLength * 4)));
    if (text.size() > maxLength)
        text.truncate(text.at(maxLength - 1).isHighSurrogate() ? maxLength - 1 : maxLength);
    return text;
}

qsizetype LogStore::lineLength(qsizetype line) const
{
    if (isAscii(line))
        return lineUtf8(line).size();
    if (line == lineCount())
        return m_partialParsed.utf16Length;
    const QByteArrayView bytes = lineUtf8(line);
    qsizetype units = 0;
    for (const char c : bytes) {
        if ((uchar(c) & 0xc0) != 0x80)
            ++units;
        if (uchar(c) >= 0xf0)
            ++units;
    }
    return units;
}

std::span<const StyleSpan> LogStore::spans(qsizetype line) const
{
    if (line == lineCount()) {
        parsePartial();
        return m_partialSpans;
    }
    if (line < 0 || line > lineCount())
        return {};
    const quint32 first = m_spanStarts[size_t(line)];
    const quint32 end = m_spanStarts[size_t(line + 1)];
    return std::span<const StyleSpan>(m_spans.data() + first, end - first);
}

QString LogStore::text(qsizetype first, qsizetype last) const
{
    first = qMax<qsizetype>(first, 0);
    last = qMin(last, displayLineCount() - 1);
    QByteArray bytes;
    for (qsizetype line = first; line <= last; ++line) {
        bytes.append(lineUtf8(line));
        if (line < last)
            bytes.append('\n');
    }
    return QString::fromUtf8(bytes);
}

qsizetype LogStore::sectionOfLine(qsizetype line) const
{
    const auto after = std::upper_bound(
        m_sections.cbegin(), m_sections.cend(), line,
        [](qsizetype value, const LogSection &section) { return value < section.headerLine; });
    return qsizetype(after - m_sections.cbegin()) - 1;
}

qsizetype LogStore::sectionOfHeader(qsizetype line) const
{
    if (!isSectionHeader(line))
        return -1;
    return sectionOfLine(line);
}

bool LogStore::isSectionHeader(qsizetype line) const
{
    return line >= 0 && line < lineCount() && (m_lineFlags[size_t(line)] & Header) != 0;
}

qsizetype LogStore::sectionLastLine(qsizetype index) const
{
    if (index + 1 < sectionCount())
        return section(index + 1).headerLine - 1;
    return displayLineCount() - 1;
}

void LogStore::setClock(Clock clock)
{
    m_clock = std::move(clock);
}

qint64 LogStore::now() const
{
    return m_clock ? m_clock() : m_origin.elapsed();
}

void LogStore::setSectionStart(qsizetype line, qint64 offsetMs)
{
    const qsizetype index = sectionOfHeader(line);
    if (index < 0) {
        m_pendingStarts.insert(line, offsetMs);
        return;
    }
    LogSection &section = m_sections[size_t(index)];
    section.startMs = offsetMs;
    section.explicitStart = true;
}

std::optional<qint64> LogStore::sectionDuration(qsizetype index) const
{
    if (index < 0 || index >= sectionCount())
        return std::nullopt;
    const qint64 start = section(index).startMs;
    if (start < 0)
        return std::nullopt;
    qint64 end = -1;
    if (index + 1 < sectionCount())
        end = section(index + 1).startMs;
    else if (m_endMs >= 0)
        end = m_endMs;
    else if (isRunning())
        end = now();
    if (end < 0)
        return std::nullopt;
    return qMax<qint64>(0, end - start);
}

bool LogStore::isSectionRunning(qsizetype index) const
{
    return isRunning() && index == sectionCount() - 1 && section(index).startMs >= 0;
}

LogSnapshot LogStore::snapshot(qsizetype fromLine, bool withPartialLine) const
{
    LogSnapshot snapshot;
    fromLine = qBound<qsizetype>(0, fromLine, lineCount());
    snapshot.m_firstLine = fromLine;
    snapshot.m_endLine = lineCount();
    if (withPartialLine && hasPartialLine())
        snapshot.m_partialLine = m_partialParsed.text;
    if (fromLine == lineCount())
        return snapshot;
    const quint64 start = m_lineStarts[size_t(fromLine)];
    size_t chunkIndex = size_t(start >> 32);
    qsizetype begin = qsizetype(start & 0xffffffffu);
    qsizetype line = fromLine;
    for (; chunkIndex < m_chunks.size(); ++chunkIndex) {
        const std::shared_ptr<LogChunk> &chunk = m_chunks[chunkIndex];
        snapshot.m_pieces.push_back({chunk, begin, chunk->size, line});
        // The next chunk's first line: the first line index whose start is in it.
        const auto next = std::lower_bound(m_lineStarts.cbegin() + line, m_lineStarts.cend(),
                                           quint64(chunkIndex + 1) << 32);
        line = qsizetype(next - m_lineStarts.cbegin());
        begin = 0;
    }
    return snapshot;
}

qsizetype LogStore::memoryUse() const
{
    qsizetype bytes = 0;
    for (const auto &chunk : m_chunks)
        bytes += chunk->capacity;
    bytes += qsizetype(m_lineStarts.capacity() * sizeof(quint64));
    bytes += qsizetype(m_lineFlags.capacity());
    bytes += qsizetype(m_spanStarts.capacity() * sizeof(quint32));
    bytes += qsizetype(m_spans.capacity() * sizeof(StyleSpan));
    bytes += qsizetype(m_styles.capacity() * sizeof(TextStyle));
    bytes += qsizetype(m_sections.capacity() * sizeof(LogSection));
    return bytes;
}

} // namespace Slipway
