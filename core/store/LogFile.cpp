#include "store/LogFile.h"

#include "util/DiskSpace.h"

#include <QDir>
#include <QFileInfo>

#include <cstdio>

namespace Slipway {

namespace {

constexpr qint64 ReadChunk = 64 * 1024;

// The last `count` complete lines of file[0, end), where `end` follows a newline.
QStringList lastLines(QFile &file, qint64 end, int count)
{
    if (count <= 0 || end <= 0)
        return {};
    QList<QByteArray> chunks;
    qint64 position = end;
    qsizetype newlines = 0;
    // One newline more than lines wanted: the first piece read may start mid-line.
    while (position > 0 && newlines <= count) {
        const qint64 size = qMin(ReadChunk, position);
        position -= size;
        if (!file.seek(position))
            return {};
        const QByteArray chunk = file.read(size);
        if (chunk.size() != size)
            return {};
        newlines += chunk.count('\n');
        chunks.prepend(chunk);
    }
    QByteArray data;
    data.reserve(end - position);
    for (const QByteArray &chunk : std::as_const(chunks))
        data.append(chunk);
    if (data.endsWith('\n'))
        data.chop(1);
    QList<QByteArray> pieces = data.split('\n');
    if (position > 0)
        pieces.removeFirst();
    if (pieces.size() > count)
        pieces.remove(0, pieces.size() - count);
    QStringList lines;
    lines.reserve(pieces.size());
    for (const QByteArray &piece : std::as_const(pieces))
        lines.append(QString::fromUtf8(piece));
    return lines;
}

bool renameOver(const QString &from, const QString &to)
{
    // rename(2) replaces `to` in one step, which QFile::rename does not.
    return std::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) == 0;
}

} // namespace

LogFile::LogFile(QString path, qint64 maxBytes, int keep)
    : m_path(std::move(path))
    , m_maxBytes(qMax<qint64>(1, maxBytes))
    , m_keep(qMax(0, keep))
{}

LogFile::~LogFile() = default;

QString LogFile::rotatedPath(const QString &path, int index)
{
    return path + QLatin1Char('.') + QString::number(index);
}

void LogFile::close()
{
    m_file.close();
}

Result<void> LogFile::openFile()
{
    const QFileInfo info(m_path);
    if (!QDir().mkpath(info.absolutePath())) {
        return failure(
            QStringLiteral("cannot create the folder '%1' for the log").arg(info.absolutePath()));
    }
    const bool existed = info.exists();
    m_file.setFileName(m_path);
    // Unbuffered: each line goes to the file in one write, readers see it at once.
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) {
        return failure(
            QStringLiteral("cannot open the log '%1': %2").arg(m_path, m_file.errorString()));
    }
    if (!existed)
        m_file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    m_size = m_file.size();
    return {};
}

Result<void> LogFile::rotate()
{
    m_file.close();
    if (m_keep == 0) {
        QFile::remove(m_path);
    } else {
        for (int index = m_keep - 1; index >= 1; --index) {
            const QString from = rotatedPath(m_path, index);
            if (QFileInfo::exists(from) && !renameOver(from, rotatedPath(m_path, index + 1))) {
                return failure(QStringLiteral("cannot rotate the log '%1': renaming '%2' failed")
                                   .arg(m_path, from));
            }
        }
        if (!renameOver(m_path, rotatedPath(m_path, 1)))
            return failure(QStringLiteral("cannot rotate the log '%1'").arg(m_path));
    }
    // Left over from a larger `keep`.
    for (int index = m_keep + 1; QFileInfo::exists(rotatedPath(m_path, index)); ++index)
        QFile::remove(rotatedPath(m_path, index));
    return openFile();
}

Result<void> LogFile::append(const QString &line)
{
    // Lines that could not be written (a full disk) leave a trace once writing works again.
    if (m_dropped > 0) {
        const QString note =
            QStringLiteral(" !     %1 %2 of this log could not be written here: %3")
                .arg(m_dropped)
                .arg(m_dropped == 1 ? QStringLiteral("line") : QStringLiteral("lines"),
                     m_dropReason);
        const qint64 dropped = m_dropped;
        m_dropped = 0;
        if (Result<void> noted = writeLine(note); !noted) {
            m_dropped = dropped + 1;
            return noted;
        }
    }
    if (Result<void> written = writeLine(line); !written) {
        if (m_dropped++ == 0)
            m_dropReason = written.error().message;
        return written;
    }
    return {};
}

Result<void> LogFile::writeLine(const QString &line)
{
    QByteArray bytes = line.toUtf8();
    bytes.append('\n');
    if (!m_file.isOpen()) {
        if (Result<void> opened = openFile(); !opened)
            return failure(DiskSpace::explain(opened.error().message, {m_path}));
    }
    if (m_size > 0 && m_size + bytes.size() > m_maxBytes) {
        if (Result<void> rotated = rotate(); !rotated)
            return failure(DiskSpace::explain(rotated.error().message, {m_path}));
    }
    const qint64 written = m_file.write(bytes);
    if (written != bytes.size()) {
        const QString message =
            QStringLiteral("cannot write to the log '%1': %2").arg(m_path, m_file.errorString());
        // Never half a line: the next one would be glued to it. (A failed write may have
        // put some bytes in the file even when it reports none.)
        m_file.resize(m_size);
        return failure(DiskSpace::explain(message, {m_path}));
    }
    m_size += written;
    m_file.flush();
    return {};
}

qint64 LogFile::completeLinesEnd(QFile &file)
{
    qint64 position = file.size();
    while (position > 0) {
        const qint64 size = qMin(ReadChunk, position);
        if (!file.seek(position - size))
            return 0;
        const QByteArray chunk = file.read(size);
        const qsizetype newline = chunk.lastIndexOf('\n');
        if (newline >= 0)
            return position - size + newline + 1;
        position -= size;
    }
    return 0;
}

QStringList LogFile::tail(QFile &file, qint64 end, const QString &path, int firstRotated, int lines)
{
    QStringList result = file.isOpen() ? lastLines(file, end, lines) : QStringList();
    for (int index = qMax(1, firstRotated); result.size() < lines; ++index) {
        QFile rotated(rotatedPath(path, index));
        if (!rotated.open(QIODevice::ReadOnly))
            break;
        const QStringList older =
            lastLines(rotated, completeLinesEnd(rotated), lines - int(result.size()));
        result = older + result;
    }
    return result;
}

QStringList LogFile::tail(const QString &path, int lines)
{
    if (lines <= 0)
        return {};
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        // Between a rotation and the next line there may be no current file for a moment.
        return tail(file, 0, path, 1, lines);
    }
    return tail(file, completeLinesEnd(file), path, 1, lines);
}

} // namespace Slipway
