// A source's .buildpacks file, and every reference in it.

#include "FuzzCheck.h"
#include "buildpack/BuildpackRef.h"
#include "buildpack/BuildpacksFile.h"

#include <QByteArray>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray contents(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString base = QStringLiteral("/srv/app");
    const auto refs = Slipway::BuildpacksFile::parse(contents, base);
    if (!refs) {
        FUZZ_CHECK(!refs.error().message.isEmpty());
        return 0;
    }
    // What is written back reads back the same (a folder named with " #" cannot be).
    bool expressible = true;
    for (const Slipway::BuildpackRef &ref : *refs)
        expressible = expressible && !ref.text().contains(QStringLiteral(" #"));
    if (expressible) {
        const auto again =
            Slipway::BuildpacksFile::parse(Slipway::BuildpacksFile::serialize(*refs), base);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(*again == *refs);
    }
    // Each line is also a reference a user may type into the console.
    for (const QByteArray &line : contents.split('\n'))
        (void)Slipway::BuildpackRef::parse(QString::fromUtf8(line).trimmed(), base);
    return 0;
}
