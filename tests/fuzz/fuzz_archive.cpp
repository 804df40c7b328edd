// Source archives (.tar, .tar.gz, .tar.bz2, .tar.xz, .zip) extracted into a folder: never a
// crash, and never a byte written outside that folder.

#include "FuzzCheck.h"
#include "archive/ArchiveExtractor.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>

namespace {

struct Place
{
    QTemporaryDir root;
    QString archive;
    QString destination;
    QString sentinel;
};

Place &place()
{
    static Place place = [] {
        Place made;
        made.archive = made.root.filePath(QStringLiteral("input.archive"));
        made.destination = made.root.filePath(QStringLiteral("into/app"));
        made.sentinel = made.root.filePath(QStringLiteral("into/sentinel"));
        QDir().mkpath(made.destination);
        QFile sentinel(made.sentinel);
        if (sentinel.open(QIODevice::WriteOnly))
            sentinel.write("untouched");
        return made;
    }();
    return place;
}

// Everything under the root but the destination's contents: name, size and link target.
QStringList outside(const Place &where)
{
    QStringList seen;
    QDirIterator it(where.root.path(),
                    QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.startsWith(where.destination + QLatin1Char('/')) || path == where.archive)
            continue;
        const QFileInfo info = it.fileInfo();
        seen.append(path + QLatin1Char(' ') + QString::number(info.isSymLink() ? -1 : info.size()));
    }
    seen.sort();
    return seen;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    Place &where = place();
    {
        QFile archive(where.archive);
        if (!archive.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return 0;
        archive.write(reinterpret_cast<const char *>(data), qint64(size));
    }
    static const QStringList before = outside(where);
    Slipway::ArchiveExtractor::Options options;
    options.sizeLimit = 8 * 1024 * 1024;
    options.entryLimit = 2000;
    const auto extracted =
        Slipway::ArchiveExtractor::extract(where.archive, where.destination, options);
    if (!extracted)
        FUZZ_CHECK(!extracted.error().message.isEmpty());
    // Nothing appeared, vanished or changed size outside the destination.
    FUZZ_CHECK(outside(where) == before);
    QFile sentinel(where.sentinel);
    FUZZ_CHECK(sentinel.open(QIODevice::ReadOnly) && sentinel.readAll() == "untouched");
    // Ready for the next input: an empty destination.
    QDir destination(where.destination);
    destination.removeRecursively();
    QDir().mkpath(where.destination);
    return 0;
}
