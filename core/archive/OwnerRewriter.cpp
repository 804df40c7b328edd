#include "archive/OwnerRewriter.h"

#include <QFile>
#include <QSaveFile>

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace Slipway {

namespace {

struct ReaderDeleter
{
    void operator()(archive *reader) const { archive_read_free(reader); }
};

struct WriterDeleter
{
    void operator()(archive *writer) const { archive_write_free(writer); }
};

la_ssize_t writeToSaveFile(archive *, void *file, const void *buffer, size_t length)
{
    auto *output = static_cast<QSaveFile *>(file);
    return output->write(static_cast<const char *>(buffer), qint64(length));
}

} // namespace

Result<void> OwnerRewriter::rewrite(const QString &inputPath, const QString &outputPath, qint64 uid,
                                    qint64 gid)
{
    const auto problem = [&inputPath](const QString &what) {
        return failure(
            QStringLiteral("cannot give the files of '%1' to their user: %2").arg(inputPath, what));
    };
    std::unique_ptr<archive, ReaderDeleter> reader(archive_read_new());
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_tar(reader.get());
    const QByteArray input = QFile::encodeName(inputPath);
    if (archive_read_open_filename(reader.get(), input.constData(), 256 * 1024) != ARCHIVE_OK)
        return problem(QString::fromUtf8(archive_error_string(reader.get())));

    QSaveFile output(outputPath);
    if (!output.open(QIODevice::WriteOnly))
        return problem(output.errorString());
    std::unique_ptr<archive, WriterDeleter> writer(archive_write_new());
    // No padding after the gzip stream: a reader that takes concatenated gzip members (Go's,
    // the engine's) would read the zeros as a broken next member.
    if (archive_write_set_format_pax_restricted(writer.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(writer.get(), 0) != ARCHIVE_OK ||
        archive_write_add_filter_gzip(writer.get()) != ARCHIVE_OK ||
        archive_write_set_filter_option(writer.get(), "gzip", "compression-level", "1") !=
            ARCHIVE_OK ||
        archive_write_open2(writer.get(), &output, nullptr, &writeToSaveFile, nullptr, nullptr) !=
            ARCHIVE_OK)
        return problem(QString::fromUtf8(archive_error_string(writer.get())));

    archive_entry *entry = nullptr;
    char buffer[64 * 1024];
    for (;;) {
        const int next = archive_read_next_header(reader.get(), &entry);
        if (next == ARCHIVE_EOF)
            break;
        if (next < ARCHIVE_WARN)
            return problem(QString::fromUtf8(archive_error_string(reader.get())));
        archive_entry_set_uid(entry, uid);
        archive_entry_set_gid(entry, gid);
        archive_entry_set_uname(entry, nullptr);
        archive_entry_set_gname(entry, nullptr);
        if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN)
            return problem(QString::fromUtf8(archive_error_string(writer.get())));
        for (;;) {
            const la_ssize_t read = archive_read_data(reader.get(), buffer, sizeof buffer);
            if (read < 0)
                return problem(QString::fromUtf8(archive_error_string(reader.get())));
            if (read == 0)
                break;
            if (archive_write_data(writer.get(), buffer, size_t(read)) != read)
                return problem(QString::fromUtf8(archive_error_string(writer.get())));
        }
    }
    if (archive_write_close(writer.get()) != ARCHIVE_OK)
        return problem(QString::fromUtf8(archive_error_string(writer.get())));
    if (!output.commit())
        return problem(output.errorString());
    return {};
}

} // namespace Slipway
