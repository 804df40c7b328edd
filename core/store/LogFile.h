#pragma once

#include "util/Result.h"

#include <QFile>
#include <QString>
#include <QStringList>

namespace Slipway {

// An append-only log of lines (a deployment's build and rollout output, an app's logs),
// bounded by rotation: when the next line would take `path` beyond maxBytes, it becomes
// `path.1`, `path.1` becomes `path.2` and so on; files beyond `keep` rotated ones are
// dropped. Every line reaches the file as soon as it is appended, so readers (tail,
// LogFollower) see it at once. One LogFile writes a given path at a time.
class LogFile
{
public:
    static constexpr qint64 DefaultMaxBytes = 10 * 1024 * 1024;
    static constexpr int DefaultKeep = 3;

    explicit LogFile(QString path, qint64 maxBytes = DefaultMaxBytes, int keep = DefaultKeep);
    ~LogFile();
    LogFile(const LogFile &) = delete;
    LogFile &operator=(const LogFile &) = delete;

    const QString &path() const { return m_path; }
    qint64 maxBytes() const { return m_maxBytes; }
    int keep() const { return m_keep; }

    // Writes `line` and a newline. A line longer than maxBytes gets a file of its own. When
    // a write fails (a full disk), nothing of the line stays in the file, and the next line
    // that can be written is preceded by one saying how many were lost and why.
    Result<void> append(const QString &line);
    void close();

    // `path.<index>`: 1 is the most recent rotated file.
    static QString rotatedPath(const QString &path, int index);

    // The last `lines` complete lines of the log, oldest first, reading back through the
    // rotated files as far as needed. A line still being written is left out.
    static QStringList tail(const QString &path, int lines);

    // For readers that keep their own place: the last `lines` complete lines of `file` before
    // `end`, then as many as still needed from `path.<firstRotated>`, `path.<firstRotated+1>`...
    static QStringList tail(QFile &file, qint64 end, const QString &path, int firstRotated,
                            int lines);
    // Where the complete lines of `file` end (after its last newline).
    static qint64 completeLinesEnd(QFile &file);

private:
    Result<void> openFile();
    Result<void> writeLine(const QString &line);
    Result<void> rotate();

    QString m_path;
    qint64 m_maxBytes;
    int m_keep;
    QFile m_file;
    qint64 m_size = 0;
    qint64 m_dropped = 0; // lines lost since the last write that worked
    QString m_dropReason;
};

} // namespace Slipway
