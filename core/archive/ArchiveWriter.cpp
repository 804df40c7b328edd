#include "ArchiveWriter.h"

#include "ParallelGzipStream.h"

#include "util/DiskSpace.h"
#include "util/FileDescriptor.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Slipway {

namespace {

// Large reads keep the syscall count low on big files; the tar stream is cut into gzip
// chunks downstream anyway.
constexpr size_t ReadBufferSize = 1024 * 1024;

QString systemError(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// One run of writeTarGz. The tree is walked with *at() calls relative to open folder
// descriptors: no path is resolved twice, nothing follows a symlink, and it is much
// cheaper than building a QFileInfo per file on trees of tens of thousands of files.
class TreeArchiver
{
public:
    TreeArchiver(ParallelGzipStream *stream, QSet<QByteArray> excluded, QByteArray ownOutput,
                 const std::atomic<bool> *cancelled)
        : m_stream(stream)
        , m_excluded(std::move(excluded))
        , m_ownOutput(std::move(ownOutput))
        , m_cancelled(cancelled)
        , m_buffer(std::make_unique<char[]>(ReadBufferSize))
        , m_tar(archive_write_new())
        , m_entry(archive_entry_new())
    {}

    ~TreeArchiver()
    {
        archive_entry_free(m_entry);
        archive_write_free(m_tar);
    }

    TreeArchiver(const TreeArchiver &) = delete;
    TreeArchiver &operator=(const TreeArchiver &) = delete;

    Result<> run(const QString &directory)
    {
        // pax_restricted is plain ustar unless a name or size needs a pax header. The tar
        // stream goes unblocked to the compressor, with no padding to a record size.
        if (archive_write_set_format_pax_restricted(m_tar) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(m_tar, 0) != ARCHIVE_OK ||
            archive_write_open2(m_tar, this, nullptr, &TreeArchiver::writeCallback, nullptr,
                                nullptr) != ARCHIVE_OK) {
            return tarError();
        }

        const FileDescriptor root(
            ::open(QFile::encodeName(directory).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct stat status = {};
        if (!root.isValid() || ::fstat(root.get(), &status) != 0)
            return failure(u"Cannot read the folder %1: %2"_s.arg(directory, systemError(errno)));
        if (auto added = addHeader("./", status); !added)
            return added;
        if (auto added = addFolder(root.get(), {}); !added)
            return added;

        if (archive_write_close(m_tar) != ARCHIVE_OK)
            return tarError();
        return {};
    }

    int entryCount() const { return m_entryCount; }

private:
    static la_ssize_t writeCallback(archive *, void *clientData, const void *buffer, size_t length)
    {
        auto *self = static_cast<TreeArchiver *>(clientData);
        if (auto written =
                self->m_stream->write(static_cast<const char *>(buffer), qsizetype(length));
            !written) {
            self->m_streamError = written.error().message;
            return -1;
        }
        return la_ssize_t(length);
    }

    Result<> addFolder(int folder, const QByteArray &relativeFolder)
    {
        std::vector<QByteArray> names;
        {
            // fdopendir owns the duplicate; the original stays usable for the *at() calls.
            const int copy = ::dup(folder);
            DIR *listing = copy >= 0 ? ::fdopendir(copy) : nullptr;
            if (!listing) {
                const int error = errno;
                if (copy >= 0)
                    ::close(copy);
                return failure(
                    u"Cannot list %1: %2"_s.arg(displayName(relativeFolder), systemError(error)));
            }
            while (const dirent *item = ::readdir(listing)) {
                if (std::strcmp(item->d_name, ".") != 0 && std::strcmp(item->d_name, "..") != 0)
                    names.emplace_back(item->d_name);
            }
            ::closedir(listing);
        }
        std::sort(names.begin(), names.end());

        for (const QByteArray &name : names) {
            if (isCancelled())
                return failure(u"cancelled"_s);
            const QByteArray relative =
                relativeFolder.isEmpty() ? name : relativeFolder + '/' + name;
            if (m_excluded.contains(relative) || isOwnOutput(relative))
                continue;

            struct stat status = {};
            if (::fstatat(folder, name.constData(), &status, AT_SYMLINK_NOFOLLOW) != 0)
                return failure(
                    u"Cannot read %1: %2"_s.arg(displayName(relative), systemError(errno)));
            Result<> added;
            if (S_ISDIR(status.st_mode))
                added = addSubfolder(folder, name, relative, status);
            else if (S_ISREG(status.st_mode))
                added = addFile(folder, name, relative);
            else if (S_ISLNK(status.st_mode))
                added = addSymlink(folder, name, relative, status);
            // Sockets, FIFOs and devices have no meaning in an archive of an app.
            if (!added)
                return added;
        }
        return {};
    }

    Result<> addSubfolder(int parent, const QByteArray &name, const QByteArray &relative,
                          const struct stat &status)
    {
        const FileDescriptor folder(
            ::openat(parent, name.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!folder.isValid())
            return failure(u"Cannot read %1: %2"_s.arg(displayName(relative), systemError(errno)));
        if (auto added = addHeader("./" + relative + '/', status); !added)
            return added;
        return addFolder(folder.get(), relative);
    }

    Result<> addFile(int parent, const QByteArray &name, const QByteArray &relative)
    {
        // O_NONBLOCK: should the file be swapped for a FIFO after the stat, open must not
        // hang; fstat on the open file then tells what it really is.
        const FileDescriptor file(
            ::openat(parent, name.constData(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        struct stat status = {};
        if (!file.isValid() || ::fstat(file.get(), &status) != 0)
            return failure(u"Cannot read %1: %2"_s.arg(displayName(relative), systemError(errno)));
        if (!S_ISREG(status.st_mode))
            return changedWhileReading(relative);
        ::posix_fadvise(file.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

        if (auto added = addHeader("./" + relative, status); !added)
            return added;
        // The header promised st_size bytes: growth is cut off, shrinking is an error.
        qint64 remaining = status.st_size;
        while (remaining > 0) {
            if (isCancelled())
                return failure(u"cancelled"_s);
            const ssize_t count = ::read(file.get(), m_buffer.get(),
                                         size_t(std::min<qint64>(remaining, ReadBufferSize)));
            if (count < 0 && errno == EINTR)
                continue;
            if (count < 0)
                return failure(
                    u"Cannot read %1: %2"_s.arg(displayName(relative), systemError(errno)));
            if (count == 0)
                return changedWhileReading(relative);
            if (archive_write_data(m_tar, m_buffer.get(), size_t(count)) < 0)
                return tarError();
            remaining -= count;
        }
        return {};
    }

    Result<> addSymlink(int parent, const QByteArray &name, const QByteArray &relative,
                        const struct stat &status)
    {
        QByteArray target(qsizetype(std::max<off_t>(status.st_size, 0)) + 1, Qt::Uninitialized);
        const ssize_t length =
            ::readlinkat(parent, name.constData(), target.data(), size_t(target.size()));
        if (length < 0)
            return failure(
                u"Cannot read the symlink %1: %2"_s.arg(displayName(relative), systemError(errno)));
        if (length >= target.size())
            return changedWhileReading(relative);
        target.truncate(length);
        return addHeader("./" + relative, status, target);
    }

    Result<> addHeader(const QByteArray &path, const struct stat &status,
                       const QByteArray &symlinkTarget = {})
    {
        archive_entry_clear(m_entry);
        archive_entry_copy_pathname(m_entry, path.constData());
        archive_entry_set_mode(m_entry, status.st_mode);
        // Whole seconds, like GNU tar: sub-second times would force a pax header per entry.
        archive_entry_set_mtime(m_entry, status.st_mtim.tv_sec, 0);
        archive_entry_set_size(m_entry, S_ISREG(status.st_mode) ? status.st_size : 0);
        if (S_ISLNK(status.st_mode))
            archive_entry_copy_symlink(m_entry, symlinkTarget.constData());
        // Owner stays uid/gid 0 without names: the slug runs as whichever user the runtime
        // picks, and build machine accounts mean nothing there.
        const int written = archive_write_header(m_tar, m_entry);
        if (written != ARCHIVE_OK && written != ARCHIVE_WARN)
            return tarError();
        ++m_entryCount;
        return {};
    }

    std::unexpected<Error> tarError() const
    {
        if (!m_streamError.isEmpty())
            return failure(m_streamError);
        const char *message = archive_error_string(m_tar);
        return failure(u"Cannot write the archive: %1"_s.arg(message ? QString::fromUtf8(message)
                                                                     : u"unknown error"_s));
    }

    static std::unexpected<Error> changedWhileReading(const QByteArray &relative)
    {
        return failure(u"%1 changed while it was being archived; try again once nothing "
                       "writes to the folder."_s.arg(displayName(relative)));
    }

    static QString displayName(const QByteArray &relative)
    {
        return relative.isEmpty() ? u"the folder"_s : QFile::decodeName(relative);
    }

    // The output itself, or its temporary file ("slug.tgz.AbC123") while it is written.
    bool isOwnOutput(const QByteArray &relative) const
    {
        return !m_ownOutput.isEmpty() &&
               (relative == m_ownOutput || relative.startsWith(QByteArray(m_ownOutput + '.')));
    }

    bool isCancelled() const { return m_cancelled && m_cancelled->load(); }

    ParallelGzipStream *m_stream;
    const QSet<QByteArray> m_excluded;
    const QByteArray m_ownOutput;
    const std::atomic<bool> *m_cancelled;
    std::unique_ptr<char[]> m_buffer;
    archive *m_tar;
    archive_entry *m_entry;
    QString m_streamError;
    int m_entryCount = 0;
};

// "./a/b/" and "/a/b" become "a/b", the form the walk compares against.
QByteArray normalizedRelative(const QString &path)
{
    QString cleaned = QDir::cleanPath(path);
    while (cleaned.startsWith(u"./"_s))
        cleaned.remove(0, 2);
    while (cleaned.startsWith(u'/'))
        cleaned.remove(0, 1);
    return cleaned == u"."_s ? QByteArray() : QFile::encodeName(cleaned);
}

} // namespace

Result<WrittenArchive> ArchiveWriter::writeTarGz(const QString &directory,
                                                 const QString &outputPath,
                                                 const QSet<QString> &excluded,
                                                 const std::atomic<bool> *cancelled)
{
    const QFileInfo folder(directory);
    if (!folder.isDir())
        return failure(u"Cannot archive %1: it is not a folder."_s.arg(directory));

    QSet<QByteArray> excludedPaths;
    for (const QString &path : excluded) {
        if (const QByteArray relative = normalizedRelative(path); !relative.isEmpty())
            excludedPaths.insert(relative);
    }
    // An output inside the folder must not archive itself (nor its temporary file).
    QByteArray ownOutput;
    const QString outputRelative =
        QDir(folder.absoluteFilePath()).relativeFilePath(QFileInfo(outputPath).absoluteFilePath());
    if (outputRelative != u".."_s && !outputRelative.startsWith(u"../"_s))
        ownOutput = normalizedRelative(outputRelative);

    // Declared before the stream, so the file outlives the stream's worker threads.
    QSaveFile output(outputPath);
    if (!output.open(QIODevice::WriteOnly))
        return failure(u"Cannot write %1: %2"_s.arg(outputPath, output.errorString()));

    // Said while the unfinished file still takes its space: a full disk is then seen as one.
    const auto writeFailed = [&outputPath](const QString &message) {
        return failure(DiskSpace::explain(message, {outputPath}));
    };
    ParallelGzipStream stream(&output);
    TreeArchiver archiver(&stream, std::move(excludedPaths), ownOutput, cancelled);
    if (auto written = archiver.run(folder.absoluteFilePath()); !written)
        return writeFailed(written.error().message);
    if (auto finished = stream.finish(); !finished)
        return writeFailed(finished.error().message);
    if (cancelled && cancelled->load())
        return failure(u"cancelled"_s);
    if (!output.commit())
        return writeFailed(u"Cannot write %1: %2"_s.arg(outputPath, output.errorString()));

    return WrittenArchive{stream.compressedBytes(), stream.uncompressedBytes(),
                          archiver.entryCount(), stream.sha256()};
}

} // namespace Slipway
