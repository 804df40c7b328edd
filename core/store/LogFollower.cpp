#include "store/LogFollower.h"

#include "store/LogFile.h"

#include <QFile>
#include <QFileInfo>

#include <climits>

#include <sys/stat.h>

namespace Slipway {

namespace {

// More rounds in one check than this means the writer rotates faster than we read; the
// next check goes on.
constexpr int MaxRoundsPerCheck = 64;
constexpr qint64 ReadChunk = 1024 * 1024;

} // namespace

LogFollower::LogFollower(QString path, QObject *parent)
    : QObject(parent)
    , m_path(std::move(path))
{
    m_poll.setInterval(DefaultPollInterval);
    connect(&m_poll, &QTimer::timeout, this, &LogFollower::check);
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &LogFollower::check);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &LogFollower::check);
}

LogFollower::~LogFollower() = default;

void LogFollower::setPollInterval(std::chrono::milliseconds interval)
{
    m_poll.setInterval(interval);
}

std::optional<LogFollower::FileId> LogFollower::idOf(const QString &path)
{
    struct stat status;
    if (::stat(QFile::encodeName(path).constData(), &status) != 0)
        return std::nullopt;
    return FileId{quint64(status.st_dev), quint64(status.st_ino)};
}

std::optional<LogFollower::FileId> LogFollower::idOf(const QFile &file)
{
    struct stat status;
    if (file.handle() < 0 || ::fstat(file.handle(), &status) != 0)
        return std::nullopt;
    return FileId{quint64(status.st_dev), quint64(status.st_ino)};
}

void LogFollower::start(int backlogLines)
{
    if (m_following)
        return;
    m_following = true;
    m_seen.clear();
    m_partial.clear();
    m_position = 0;
    m_fileId.reset();

    // Rotated files there now hold old lines, whatever happens next.
    int ourIndex = 0;
    for (int index = 1;; ++index) {
        const std::optional<FileId> id = idOf(LogFile::rotatedPath(m_path, index));
        if (!id)
            break;
        m_seen.insert(*id);
    }
    auto file = std::make_unique<QFile>(m_path);
    if (file->open(QIODevice::ReadOnly | QIODevice::Unbuffered)) {
        m_fileId = idOf(*file);
        if (m_fileId)
            m_seen.insert(*m_fileId);
        // A line still being written is left for check() to complete.
        m_position = LogFile::completeLinesEnd(*file);
        m_file = std::move(file);
        // Rotated since we looked: the older files then start after ours.
        for (int index = 1; m_fileId; ++index) {
            const std::optional<FileId> id = idOf(LogFile::rotatedPath(m_path, index));
            if (!id)
                break;
            if (*id == *m_fileId)
                ourIndex = index;
        }
    }

    if (backlogLines != 0) {
        const int wanted = backlogLines < 0 ? INT_MAX : backlogLines;
        QFile none;
        const QStringList backlog =
            LogFile::tail(m_file ? *m_file : none, m_position, m_path, ourIndex + 1, wanted);
        if (!backlog.isEmpty())
            Q_EMIT lines(backlog);
    }
    m_poll.start();
    check();
}

void LogFollower::stop()
{
    m_following = false;
    m_poll.stop();
    const QStringList watched = m_watcher.files() + m_watcher.directories();
    if (!watched.isEmpty())
        m_watcher.removePaths(watched);
    m_watchedId.reset();
    m_file.reset();
    m_fileId.reset();
}

void LogFollower::readAvailable(QStringList *out)
{
    const qint64 size = m_file->size();
    if (size < m_position) {
        // Truncated in place: start over from its beginning.
        m_position = 0;
        m_partial.clear();
    }
    if (size == m_position || !m_file->seek(m_position))
        return;
    for (;;) {
        const QByteArray data = m_file->read(ReadChunk);
        if (data.isEmpty())
            break;
        m_position += data.size();
        m_partial.append(data);
    }
    const qsizetype lastNewline = m_partial.lastIndexOf('\n');
    if (lastNewline < 0)
        return;
    const QList<QByteArray> complete = m_partial.left(lastNewline).split('\n');
    m_partial.remove(0, lastNewline + 1);
    for (const QByteArray &line : complete)
        out->append(QString::fromUtf8(line));
}

void LogFollower::takePartial(QStringList *out)
{
    // The file is finished: what it ends with is a line, newline or not.
    if (!m_partial.isEmpty())
        out->append(QString::fromUtf8(m_partial));
    m_partial.clear();
}

bool LogFollower::openNext()
{
    // Where is the file we were reading now, and which rotated files exist?
    int ourIndex = 0;
    int newestUnseen = 0; // highest index, that is the oldest file not read yet
    QSet<FileId> present;
    for (int index = 1;; ++index) {
        const std::optional<FileId> id = idOf(LogFile::rotatedPath(m_path, index));
        if (!id)
            break;
        present.insert(*id);
        if (m_fileId && *id == *m_fileId)
            ourIndex = index;
        else if (!m_seen.contains(*id))
            newestUnseen = index;
    }

    // The one written after ours is the next name down; when ours is gone, the oldest file
    // we have not read.
    QString next = m_path;
    if (ourIndex > 1)
        next = LogFile::rotatedPath(m_path, ourIndex - 1);
    else if (ourIndex == 0 && newestUnseen > 0)
        next = LogFile::rotatedPath(m_path, newestUnseen);

    auto file = std::make_unique<QFile>(next);
    if (!file->open(QIODevice::ReadOnly | QIODevice::Unbuffered))
        return false; // between a rotation and the next line; the next check finds it
    const std::optional<FileId> id = idOf(*file);
    if (!id || (m_fileId && *id == *m_fileId))
        return false;
    if (ourIndex == 0 && next == m_path && m_seen.contains(*id))
        return false; // nothing new yet
    // A rotation between looking and opening moved the names: look again.
    if (ourIndex > 0 && idOf(LogFile::rotatedPath(m_path, ourIndex)) != m_fileId)
        return false;

    m_file = std::move(file);
    m_fileId = id;
    m_position = 0;
    m_partial.clear();
    // Forget files that are gone, so a reused inode is not mistaken for one read already.
    present.insert(*id);
    m_seen.intersect(present);
    m_seen.insert(*id);
    return true;
}

void LogFollower::check()
{
    if (!m_following)
        return;
    QStringList out;
    for (int round = 0; round < MaxRoundsPerCheck; ++round) {
        if (!m_file && !openNext())
            break;
        readAvailable(&out);
        const std::optional<FileId> current = idOf(m_path);
        if (current && current == m_fileId)
            break;
        // Ours was rotated away (its writer closed it first): take what was added before the
        // rotation, then go on in the file that followed it.
        readAvailable(&out);
        takePartial(&out);
        if (!openNext())
            break;
    }
    watch();
    if (!out.isEmpty())
        Q_EMIT lines(out);
}

void LogFollower::watch()
{
    const QString directory = QFileInfo(m_path).absolutePath();
    if (!m_watcher.directories().contains(directory) && QFileInfo(directory).isDir())
        m_watcher.addPath(directory);
    // A watch on the file follows the file, not the name: renew it after a rotation.
    const std::optional<FileId> current = idOf(m_path);
    if (current != m_watchedId) {
        if (m_watcher.files().contains(m_path))
            m_watcher.removePath(m_path);
        if (current && m_watcher.addPath(m_path))
            m_watchedId = current;
        else
            m_watchedId.reset();
    }
}

} // namespace Slipway
