#pragma once

#include <QFileSystemWatcher>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <memory>
#include <optional>

class QFile;

namespace Slipway {

// Follows a log that a LogFile writes, as it grows and through its rotations, and hands out
// each complete line once, in order. File system notifications make it prompt; a short poll
// catches what they miss (network file systems, a watch set up late).
class LogFollower : public QObject
{
    Q_OBJECT

public:
    static constexpr std::chrono::milliseconds DefaultPollInterval{250};

    explicit LogFollower(QString path, QObject *parent = nullptr);
    ~LogFollower() override;

    const QString &path() const { return m_path; }
    void setPollInterval(std::chrono::milliseconds interval);

    // Emits the last `backlogLines` lines already there (all the log keeps when negative,
    // none when 0), then every line added from now on. Connect to lines() first. The log
    // need not exist yet.
    void start(int backlogLines = 0);
    void stop();
    bool isFollowing() const { return m_following; }

Q_SIGNALS:
    void lines(const QStringList &lines);

private:
    struct FileId
    {
        quint64 device = 0;
        quint64 inode = 0;
        bool operator==(const FileId &) const = default;
    };
    friend size_t qHash(const FileId &id, size_t seed)
    {
        return qHashMulti(seed, id.device, id.inode);
    }

    static std::optional<FileId> idOf(const QString &path);
    static std::optional<FileId> idOf(const QFile &file);

    void check();
    void readAvailable(QStringList *out);
    void takePartial(QStringList *out);
    bool openNext();
    void watch();

    QString m_path;
    bool m_following = false;
    std::unique_ptr<QFile> m_file;
    std::optional<FileId> m_fileId;
    qint64 m_position = 0;
    QByteArray m_partial;
    // Files whose lines are not new: there before start() or read already.
    QSet<FileId> m_seen;
    std::optional<FileId> m_watchedId;
    QFileSystemWatcher m_watcher;
    QTimer m_poll;
};

} // namespace Slipway
