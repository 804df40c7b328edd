#include "ArchiveExtractor.h"

#include "DirectoryCleaner.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <archive.h>
#include <archive_entry.h>

#include <memory>

using namespace Qt::StringLiterals;

namespace Slipway {

namespace {

struct ReadArchiveDeleter
{
    void operator()(archive *handle) const { archive_read_free(handle); }
};

struct WriteArchiveDeleter
{
    void operator()(archive *handle) const { archive_write_free(handle); }
};

using ReadArchive = std::unique_ptr<archive, ReadArchiveDeleter>;
using WriteArchive = std::unique_ptr<archive, WriteArchiveDeleter>;

// The kernel gives up on symlink chains after 40 hops too.
constexpr int MaxSymlinkHops = 40;

constexpr qint64 Megabyte = 1024 * 1024;

QString megabytes(qint64 bytes)
{
    const double value = double(bytes) / Megabyte;
    QString text = QString::number(value, 'f', value < 10 ? 1 : 0);
    if (text.endsWith(u".0"_s))
        text.chop(2);
    return text + u" MB"_s;
}

QString libarchiveError(archive *handle)
{
    const char *message = archive_error_string(handle);
    return message ? QString::fromUtf8(message) : u"unknown error"_s;
}

bool succeeded(int status)
{
    // A warning (say, a name that could not be converted) still extracted the entry.
    return status == ARCHIVE_OK || status == ARCHIVE_WARN;
}

// Path components without empty and "." ones, so "./a//b/" and "a/b" compare equal.
QList<QByteArray> componentsOf(const QByteArray &path)
{
    QList<QByteArray> components;
    for (const QByteArray &component : path.split('/')) {
        if (!component.isEmpty() && component != ".")
            components.append(component);
    }
    return components;
}

QByteArray joined(const QList<QByteArray> &components, qsizetype count = -1)
{
    if (count < 0)
        count = components.size();
    QByteArray path;
    for (qsizetype i = 0; i < count; ++i) {
        if (i > 0)
            path += '/';
        path += components.at(i);
    }
    return path;
}

// One run of ArchiveExtractor::extract: the open archives and what has been written.
class Extraction
{
public:
    Extraction(const QString &archivePath, const QString &destination,
               const ArchiveExtractor::Options &options)
        : m_archivePath(archivePath)
        , m_archiveName(QFileInfo(archivePath).fileName())
        , m_destination(QDir::cleanPath(destination))
        , m_sizeLimit(options.sizeLimit)
        , m_entryLimit(options.entryLimit)
        , m_depthLimit(options.depthLimit)
        , m_allowLinksOutside(options.allowLinksOutside)
        , m_unwrapSingleFolder(options.unwrapSingleFolder)
        , m_cancelled(options.cancelled)
    {}

    Result<ExtractedArchive> run()
    {
        Result<> extracted = extractAll();
        // Closing the writer applies deferred folder modes, so it happens before cleanup.
        m_writer.reset();
        m_reader.reset();
        if (!extracted) {
            if (m_destinationChecked)
                DirectoryCleaner::removeContents(m_destination);
            return std::unexpected(extracted.error());
        }
        return ExtractedArchive{m_totalBytes, m_entryCount, sourceRoot()};
    }

private:
    Result<> extractAll()
    {
        if (auto ready = checkDestination(); !ready)
            return ready;
        if (auto opened = open(); !opened)
            return opened;

        for (;;) {
            if (isCancelled())
                return failure(u"cancelled"_s);
            archive_entry *entry = nullptr;
            const int status = archive_read_next_header(m_reader.get(), &entry);
            if (status == ARCHIVE_EOF)
                break;
            if (!succeeded(status))
                return damaged();
            if (auto written = extractEntry(entry); !written)
                return written;
        }

        // An earlier symlink may only escape through one that came after it, so every
        // link is checked again against the complete set.
        for (auto it = m_symlinks.cbegin(); it != m_symlinks.cend(); ++it) {
            if (!m_allowLinksOutside && !staysInside(it.key(), it.value()))
                return refuse(it.key(), symlinkOutside(it.value()));
        }

        if (archive_write_close(m_writer.get()) != ARCHIVE_OK)
            return failure(u"Cannot finish extracting %1: %2"_s.arg(
                m_archiveName, libarchiveError(m_writer.get())));
        return {};
    }

    Result<> checkDestination()
    {
        const QFileInfo info(m_destination);
        if (!info.isDir() || info.isSymLink())
            return failure(
                u"Cannot extract %1: %2 is not a folder."_s.arg(m_archiveName, m_destination));
        if (!QDir(m_destination)
                 .isEmpty(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot))
            return failure(
                u"Cannot extract %1: %2 is not empty."_s.arg(m_archiveName, m_destination));
        // Entries are written by absolute name; libarchive's symlink guard then checks
        // every component from the root, so the destination must have none of its own.
        m_destinationPath = QFile::encodeName(info.canonicalFilePath());
        m_destinationChecked = true;
        return {};
    }

    Result<> open()
    {
        m_reader.reset(archive_read_new());
        archive *reader = m_reader.get();
        archive_read_support_filter_gzip(reader);
        archive_read_support_filter_bzip2(reader);
        archive_read_support_filter_xz(reader);
        archive_read_support_format_tar(reader);
        archive_read_support_format_zip(reader);
        QFile archiveFile(m_archivePath);
        if (!archiveFile.open(QIODevice::ReadOnly))
            return failure(u"Cannot read %1: %2"_s.arg(m_archivePath, archiveFile.errorString()));
        archiveFile.close();
        // Opening already reads the first block to recognise the format.
        if (archive_read_open_filename(reader, QFile::encodeName(m_archivePath).constData(),
                                       256 * 1024) != ARCHIVE_OK) {
            return failure(u"%1 is not a readable archive or is damaged: %2."_s.arg(
                m_archiveName, libarchiveError(reader)));
        }

        m_writer.reset(archive_write_disk_new());
        // SECURE_NOABSOLUTEPATHS is left out on purpose: it only works with names relative
        // to the working directory, which is process-wide and cannot be changed safely from
        // a worker thread. Names are made absolute here instead, from relative ones checked
        // below, so an entry cannot name a place outside the destination at all.
        archive_write_disk_set_options(
            m_writer.get(), ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME);
        return {};
    }

    Result<> extractEntry(archive_entry *entry)
    {
        const char *rawName = archive_entry_pathname(entry);
        if (!rawName)
            rawName = archive_entry_pathname_utf8(entry);
        const QByteArray name(rawName ? rawName : "");

        if (name.isEmpty())
            return refuse(name, u"has an empty name"_s);
        if (name.startsWith('/'))
            return refuse(name, u"has an absolute path"_s);
        const QList<QByteArray> components = componentsOf(name);
        if (components.contains(".."))
            return refuse(name, u"climbs out of the folder with \"..\""_s);
        ++m_entryCount;
        if (m_entryCount > m_entryLimit)
            return failure(u"%1 holds more than %2 files and folders, over the limit; an app's "
                           "source needs far fewer (leave dependencies and build output out of "
                           "it)"_s.arg(m_archiveName)
                               .arg(m_entryLimit));
        if (components.size() > m_depthLimit + 1)
            return refuse(name,
                          u"lies %1 folders deep, over the limit of %2"_s.arg(components.size() - 1)
                              .arg(m_depthLimit));
        // "./" describes the destination itself, which keeps its own mode.
        if (components.isEmpty())
            return {};
        const QByteArray path = joined(components);

        for (qsizetype count = 1; count < components.size(); ++count) {
            const QByteArray parent = joined(components, count);
            if (m_symlinks.contains(parent))
                return refuse(name,
                              u"lies under the symlink \"%1\""_s.arg(QString::fromUtf8(parent)));
        }

        const mode_t type = archive_entry_filetype(entry);
        const char *hardlink = archive_entry_hardlink(entry);
        QByteArray symlinkTarget;
        if (hardlink) {
            const QByteArray target(hardlink);
            const QByteArray targetPath = joined(componentsOf(target));
            if (target.startsWith('/') || componentsOf(target).contains("..") ||
                !m_files.contains(targetPath)) {
                return refuse(name, u"is a hard link to \"%1\", which is not a file extracted "
                                    "before it"_s.arg(QString::fromUtf8(target)));
            }
            archive_entry_copy_hardlink(entry, absolute(targetPath).constData());
        } else {
            switch (type) {
            case AE_IFREG:
            case AE_IFDIR:
                break;
            case AE_IFLNK:
                symlinkTarget = archive_entry_symlink(entry);
                if (!m_allowLinksOutside && !staysInside(path, symlinkTarget))
                    return refuse(name, symlinkOutside(symlinkTarget));
                break;
            case AE_IFCHR:
                return refuse(name, u"is a character device"_s);
            case AE_IFBLK:
                return refuse(name, u"is a block device"_s);
            case AE_IFIFO:
                return refuse(name, u"is a FIFO"_s);
            case AE_IFSOCK:
                return refuse(name, u"is a socket"_s);
            default:
                return refuse(name, u"is not a file, folder or link"_s);
            }
        }

        const qint64 declaredSize =
            archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
        // Headers state the size up front, so a bomb is usually stopped before its data.
        if (declaredSize > m_sizeLimit - m_totalBytes)
            return tooLarge(m_totalBytes + declaredSize);

        if (type != AE_IFLNK) {
            // Set-id and sticky bits have no place in an app; the owner must always be able
            // to read the tree and clean it up again.
            const mode_t permissions = archive_entry_perm(entry) & 0777;
            archive_entry_set_perm(entry, permissions | (type == AE_IFDIR ? 0700 : 0600));
        }
        archive_entry_copy_pathname(entry, absolute(path).constData());

        if (!succeeded(archive_write_header(m_writer.get(), entry)))
            return cannotWrite(name);
        if (auto copied = copyData(name); !copied)
            return copied;
        if (!succeeded(archive_write_finish_entry(m_writer.get())))
            return cannotWrite(name);

        // A later entry may replace an earlier one of the same name.
        m_symlinks.remove(path);
        m_files.remove(path);
        if (type == AE_IFLNK && !hardlink)
            m_symlinks.insert(path, symlinkTarget);
        else if (type == AE_IFREG || hardlink)
            m_files.insert(path);
        return {};
    }

    Result<> copyData(const QByteArray &name)
    {
        const void *buffer = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        for (;;) {
            const int status = archive_read_data_block(m_reader.get(), &buffer, &size, &offset);
            if (status == ARCHIVE_EOF)
                return {};
            if (!succeeded(status))
                return damaged(name);
            m_totalBytes += qint64(size);
            // Sizes in headers can lie (zip data descriptors), so what is written counts.
            if (m_totalBytes > m_sizeLimit)
                return tooLarge(m_totalBytes);
            if (isCancelled())
                return failure(u"cancelled"_s);
            if (archive_write_data_block(m_writer.get(), buffer, size, offset) < ARCHIVE_WARN)
                return cannotWrite(name);
        }
    }

    // Follows `target` from the folder holding `linkPath` the way the kernel would, through
    // the links extracted so far, and tells whether it stays within the destination.
    bool staysInside(const QByteArray &linkPath, const QByteArray &target) const
    {
        if (target.startsWith('/'))
            return false;
        QList<QByteArray> resolved = componentsOf(linkPath);
        if (!resolved.isEmpty())
            resolved.removeLast();
        QList<QByteArray> pending = target.split('/');
        int hops = 0;
        while (!pending.isEmpty()) {
            const QByteArray component = pending.takeFirst();
            if (component.isEmpty() || component == ".")
                continue;
            if (component == "..") {
                if (resolved.isEmpty())
                    return false;
                resolved.removeLast();
                continue;
            }
            resolved.append(component);
            const auto link = m_symlinks.constFind(joined(resolved));
            if (link == m_symlinks.cend())
                continue;
            if (++hops > MaxSymlinkHops || link->startsWith('/'))
                return false;
            resolved.removeLast();
            pending = link->split('/') + pending;
        }
        return true;
    }

    QByteArray absolute(const QByteArray &relativePath) const
    {
        return m_destinationPath + '/' + relativePath;
    }

    QString sourceRoot() const
    {
        const QDir destination(m_destination);
        if (!m_unwrapSingleFolder)
            return m_destination;
        const QFileInfoList top = destination.entryInfoList(QDir::AllEntries | QDir::Hidden |
                                                            QDir::System | QDir::NoDotAndDotDot);
        if (top.size() == 1 && top.first().isDir() && !top.first().isSymLink())
            return destination.filePath(top.first().fileName());
        return m_destination;
    }

    bool isCancelled() const { return m_cancelled && m_cancelled->load(); }

    static QString symlinkOutside(const QByteArray &target)
    {
        return u"is a symlink to \"%1\", which is outside the extraction folder"_s.arg(
            QString::fromUtf8(target));
    }

    std::unexpected<Error> refuse(const QByteArray &name, const QString &why) const
    {
        return failure(u"Refusing to extract %1: entry \"%2\" %3."_s.arg(
            m_archiveName, QString::fromUtf8(name), why));
    }

    std::unexpected<Error> damaged(const QByteArray &name = {}) const
    {
        const QString reason = libarchiveError(m_reader.get());
        if (m_entryCount == 0 && name.isEmpty())
            return failure(
                u"%1 is not a readable archive or is damaged: %2."_s.arg(m_archiveName, reason));
        const QString where = name.isEmpty() ? u"after %1 entries"_s.arg(m_entryCount)
                                             : u"at \"%1\""_s.arg(QString::fromUtf8(name));
        return failure(u"%1 is damaged or truncated %2: %3."_s.arg(m_archiveName, where, reason));
    }

    std::unexpected<Error> cannotWrite(const QByteArray &name) const
    {
        return failure(u"Cannot extract \"%1\" from %2: %3."_s.arg(
            QString::fromUtf8(name), m_archiveName, libarchiveError(m_writer.get())));
    }

    std::unexpected<Error> tooLarge(qint64 bytesSoFar) const
    {
        return failure(u"%1 is at least %2 uncompressed, over the %3 limit; leave build output "
                       "and dependencies out of the archive."_s.arg(
                           m_archiveName, megabytes(bytesSoFar), megabytes(m_sizeLimit)));
    }

    const QString m_archivePath;
    const QString m_archiveName;
    const QString m_destination;
    const qint64 m_sizeLimit;
    const int m_entryLimit;
    const int m_depthLimit;
    const bool m_allowLinksOutside;
    const bool m_unwrapSingleFolder;
    const std::atomic<bool> *m_cancelled;

    ReadArchive m_reader;
    WriteArchive m_writer;
    QByteArray m_destinationPath;
    bool m_destinationChecked = false;
    qint64 m_totalBytes = 0;
    int m_entryCount = 0;
    // Relative paths of what has been written, for the link checks.
    QHash<QByteArray, QByteArray> m_symlinks;
    QSet<QByteArray> m_files;
};

} // namespace

bool ArchiveExtractor::isArchiveName(const QString &fileName)
{
    static const QStringList extensions = {u".tar"_s,  u".tar.gz"_s, u".tgz"_s, u".tar.bz2"_s,
                                           u".tbz2"_s, u".tar.xz"_s, u".txz"_s, u".zip"_s};
    for (const QString &extension : extensions) {
        if (fileName.endsWith(extension, Qt::CaseInsensitive) && fileName.size() > extension.size())
            return true;
    }
    return false;
}

Result<ExtractedArchive> ArchiveExtractor::extract(const QString &archivePath,
                                                   const QString &destination, qint64 sizeLimit,
                                                   const std::atomic<bool> *cancelled)
{
    Options options;
    options.sizeLimit = sizeLimit;
    options.cancelled = cancelled;
    return extract(archivePath, destination, options);
}

Result<ExtractedArchive> ArchiveExtractor::extract(const QString &archivePath,
                                                   const QString &destination,
                                                   const Options &options)
{
    return Extraction(archivePath, destination, options).run();
}

} // namespace Slipway
