// The YAML a buildpack's bin/release prints.

#include "FuzzCheck.h"
#include "buildpack/BuildpackReleaseInfo.h"

#include <QByteArray>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray yaml(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto info = Slipway::BuildpackReleaseInfo::parse(yaml, QStringLiteral("fuzz"));
    if (!info)
        FUZZ_CHECK(info.error().message.contains(QStringLiteral("fuzz")));
    return 0;
}
