#include "SlugWriter.h"

#include "SlugIgnore.h"
#include "archive/ArchiveWriter.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>

using namespace Qt::StringLiterals;

namespace Slipway {

Result<Slug> SlugWriter::write(const QString &appDirectory, const QString &slugPath,
                               const std::function<void(const QString &)> &log,
                               const std::atomic<bool> *cancelled)
{
    const auto say = [&log](const QString &line) {
        if (log)
            log(line);
    };

    // Checked before .slugignore deletes anything from the app.
    if (cancelled && cancelled->load())
        return failure(u"cancelled"_s);
    say(u"-----> Compressing slug"_s);

    QFile ignoreFile(QDir(appDirectory).filePath(u".slugignore"_s));
    if (ignoreFile.exists()) {
        if (!ignoreFile.open(QIODevice::ReadOnly))
            return failure(u"Cannot read .slugignore: %1"_s.arg(ignoreFile.errorString()));
        const SlugIgnore ignore = SlugIgnore::parse(ignoreFile.readAll());
        ignoreFile.close();
        const Result<QStringList> removed = ignore.apply(appDirectory);
        if (!removed)
            return std::unexpected(removed.error());
        say(u"       Removed %1 %2 matching .slugignore"_s.arg(removed->size())
                .arg(removed->size() == 1 ? u"entry"_s : u"entries"_s));
    }

    // The repository's history is of no use at runtime and often outweighs the app.
    const Result<WrittenArchive> written =
        ArchiveWriter::writeTarGz(appDirectory, slugPath, {u".git"_s}, cancelled);
    if (!written)
        return std::unexpected(written.error());

    say(u"       Done: %1"_s.arg(QLocale::c().formattedDataSize(
        written->compressedBytes, 1, QLocale::DataSizeTraditionalFormat)));
    return Slug{QFileInfo(slugPath).absoluteFilePath(), written->compressedBytes,
                written->uncompressedBytes, written->sha256};
}

} // namespace Slipway
