#pragma once

#include "log/AnsiParser.h"
#include "log/LogChunk.h"
#include "log/LogSnapshot.h"
#include "log/TextStyle.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace Slipway {

// A step of the build: from a line starting with "-----> " up to the next such line.
struct LogSection
{
    qsizetype headerLine = 0;
    QString title;       // the header without its arrow
    qint64 startMs = -1; // on the log's clock; -1 when unknown
    bool explicitStart = false;
};

// The build log as compact lines: the plain UTF-8 text of every line in large blocks with
// an offset per line, style changes in one array with a start index per line, the distinct
// styles once in a table. A million typical build lines take about the size of their text
// plus 20 bytes each. Raw output arrives in chunks of any size; escape sequences are
// parsed once, when a line is complete.
//
// Times (section starts, the log's end) are milliseconds on one clock that the caller
// chooses: offsets from the deployment's start, as the timeline gives them, or by default
// a monotonic clock started when the store was created or cleared. In a live log the
// arrival of each header line is read off that clock, and the last section of a log that
// has not ended counts up to now.
class LogStore
{
public:
    using Clock = std::function<qint64()>;

    // Lines longer than this are broken there, so a stream without newlines cannot grow
    // one line without bound.
    static constexpr qsizetype MaxLineBytes = 8 << 20;

    LogStore();

    // Raw build output; a partial last line waits for its end (and is shown meanwhile).
    // `arrivalMs` is when the output arrived, on the log's clock, for a caller that parses
    // it later; by default it is now.
    void appendData(QByteArrayView data, qint64 arrivalMs = -1);
    // The log is complete: the partial last line becomes a line; a live log ends now unless
    // setLogEnd() said when.
    void finish();
    // Forgets all lines, sections and times, to show another deployment's log. The clock
    // stays; the store is live again.
    void clear();

    qsizetype lineCount() const { return qsizetype(m_lineStarts.size()); }
    // Lines to show: the committed ones plus the partial last line when it has text. The
    // partial line has index lineCount().
    qsizetype displayLineCount() const { return lineCount() + (hasPartialLine() ? 1 : 0); }
    bool hasPartialLine() const;
    bool isFinished() const { return m_finished; }

    // The text of a line (a committed one or the partial one), cut after `maxLength`
    // UTF-16 units when that is not negative.
    QString lineText(qsizetype line, qsizetype maxLength = -1) const;
    // The line's text length in UTF-16 units.
    qsizetype lineLength(qsizetype line) const;
    QByteArrayView lineUtf8(qsizetype line) const;
    bool isAscii(qsizetype line) const;
    std::span<const StyleSpan> spans(qsizetype line) const;
    const TextStyle &style(quint32 id) const { return m_styles[id]; }
    // Cells of the widest line so far (a bound for horizontal scrolling).
    int widestLineColumns() const { return m_widestColumns; }
    // The plain text of lines [first, last], a '\n' between them.
    QString text(qsizetype first, qsizetype last) const;

    // Sections, in line order.
    qsizetype sectionCount() const { return qsizetype(m_sections.size()); }
    const LogSection &section(qsizetype index) const { return m_sections[size_t(index)]; }
    // The section holding `line`, or -1 for lines before the first header.
    qsizetype sectionOfLine(qsizetype line) const;
    // The section whose header is `line`, or -1.
    qsizetype sectionOfHeader(qsizetype line) const;
    bool isSectionHeader(qsizetype line) const;
    qsizetype sectionLastLine(qsizetype index) const;

    // Live: header lines take their arrival time from the clock, the last section of an
    // unfinished log counts up to now. A past log loaded whole is not live: its times come
    // from setSectionStart() and setLogEnd().
    void setLive(bool live) { m_live = live; }
    bool isLive() const { return m_live; }
    void setClock(Clock clock);
    qint64 now() const;
    // When the section whose header is line `line` started (the timeline's log-section
    // events). It may come before the line itself; it wins over an arrival time.
    void setSectionStart(qsizetype line, qint64 offsetMs);
    // When the log ended (the deployment's end).
    void setLogEnd(qint64 offsetMs) { m_endMs = offsetMs; }
    qint64 logEnd() const { return m_endMs; }
    // How long a section took, or took so far while it runs; empty when its times are
    // unknown.
    std::optional<qint64> sectionDuration(qsizetype index) const;
    // The last section of a live log that has not ended.
    bool isSectionRunning(qsizetype index) const;
    bool isRunning() const { return m_live && !m_finished && m_endMs < 0; }

    // The committed lines from `fromLine` on, to search or save off the GUI thread;
    // `withPartialLine` adds the unfinished last line's text.
    LogSnapshot snapshot(qsizetype fromLine = 0, bool withPartialLine = false) const;

    // Bytes held for the text, the line and style indexes and the sections.
    qsizetype memoryUse() const;

private:
    void commitLine(QByteArrayView raw, qint64 arrivalMs = -1);
    void storeLine(const ParsedLine &parsed, qint64 arrivalMs);
    quint32 styleId(const TextStyle &style) const;
    void parsePartial() const;
    const LogChunk &chunkOf(qsizetype line, qsizetype *offset, qsizetype *length) const;

    static constexpr qsizetype ChunkBytes = 4 << 20;
    enum LineFlag : quint8 { Ascii = 0x01, Header = 0x02 };

    std::vector<std::shared_ptr<LogChunk>> m_chunks;
    std::vector<quint64> m_lineStarts; // chunk index << 32 | byte offset in the chunk
    std::vector<quint8> m_lineFlags;
    std::vector<quint32> m_spanStarts; // first span of each line, one more at the end
    std::vector<StyleSpan> m_spans;
    // The partial line, parsed only when shown, adds its styles from a const accessor.
    mutable std::vector<TextStyle> m_styles;
    mutable QHash<TextStyle, quint32> m_styleIds;
    int m_widestColumns = 0;

    AnsiParser m_parser;
    ParsedLine m_parsed;  // reused for every line, so parsing allocates nothing
    QByteArray m_partial; // raw bytes of the unfinished last line
    mutable bool m_partialValid = false;
    mutable ParsedLine m_partialParsed;
    mutable std::vector<StyleSpan> m_partialSpans;

    std::vector<LogSection> m_sections;
    QHash<qsizetype, qint64> m_pendingStarts; // section starts for lines not here yet
    Clock m_clock;
    QElapsedTimer m_origin;
    qint64 m_endMs = -1;
    bool m_live = true;
    bool m_finished = false;
};

} // namespace Slipway
