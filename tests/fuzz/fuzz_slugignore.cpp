// An app's .slugignore, matched against paths of the app. The first line is the path.

#include "FuzzCheck.h"
#include "slug/SlugIgnore.h"

#include <QByteArray>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype split = bytes.indexOf('\n');
    const QString path = QString::fromUtf8(split < 0 ? bytes : bytes.left(split));
    const Slipway::SlugIgnore ignore =
        Slipway::SlugIgnore::parse(split < 0 ? QByteArray() : bytes.mid(split + 1));
    const bool asFile = ignore.matches(path, false);
    const bool asFolder = ignore.matches(path, true);
    if (ignore.isEmpty())
        FUZZ_CHECK(!asFile && !asFolder);
    return 0;
}
