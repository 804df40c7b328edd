#pragma once

#include "log/LogChunk.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <memory>
#include <vector>

class QIODevice;

namespace Slipway {

// One occurrence of the search text: the line, and where it is in that line's text in
// UTF-16 units (the units the view selects and paints in).
struct LogMatch
{
    quint32 line = 0;
    quint32 column = 0;
    quint32 length = 0;

    bool operator==(const LogMatch &) const = default;
};

// The log's lines from one line to the end as they were when it was taken. It shares the
// store's text blocks, which are never rewritten, so it costs no copy and a worker thread
// can search it or write it to a file while more lines arrive.
class LogSnapshot
{
public:
    struct Piece
    {
        std::shared_ptr<const LogChunk> chunk;
        qsizetype begin = 0; // byte range of whole lines in the chunk
        qsizetype end = 0;
        qsizetype firstLine = 0;
    };

    qsizetype firstLine() const { return m_firstLine; }
    qsizetype endLine() const { return m_endLine; } // one past the last line covered
    // The unfinished last line of a live log (no newline yet), when the snapshot is for
    // saving or copying; searches skip it until it is complete.
    const QByteArray &partialLine() const { return m_partialLine; }

    // Every non-overlapping occurrence of `needle`, in line order. Case-insensitive
    // matching folds ASCII letters byte by byte, so the common case stays a plain scan; a
    // needle with other letters is matched with Qt's case folding on the lines that hold
    // non-ASCII text. Returns early, incomplete, once `cancel` is set.
    std::vector<LogMatch> search(const QString &needle, Qt::CaseSensitivity sensitivity,
                                 const std::atomic_bool *cancel = nullptr) const;

    // The plain text, one '\n' after each line (the partial line included, without one).
    QByteArray toUtf8() const;
    // Writes toUtf8() to `device`; false and the device's error when a write fails.
    bool writeTo(QIODevice *device, QString *error) const;

private:
    friend class LogStore;

    void searchAscii(const Piece &piece, const QByteArray &needle, bool foldCase,
                     quint32 needleLength, const std::atomic_bool *cancel,
                     std::vector<LogMatch> &matches) const;
    void searchUnicode(const Piece &piece, const QString &needle, Qt::CaseSensitivity sensitivity,
                       const std::atomic_bool *cancel, std::vector<LogMatch> &matches) const;

    std::vector<Piece> m_pieces;
    qsizetype m_firstLine = 0;
    qsizetype m_endLine = 0;
    QByteArray m_partialLine;
};

} // namespace Slipway
