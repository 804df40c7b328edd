// Procfile text from an app's source.

#include "FuzzCheck.h"
#include "release/Procfile.h"

#include <QByteArray>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray contents(reinterpret_cast<const char *>(data), qsizetype(size));
    const Slipway::Result<Slipway::ProcessTypes> types = Slipway::Procfile::parse(contents);
    if (types) {
        // Whatever it accepts names process types it would accept on their own.
        for (auto it = types->cbegin(); it != types->cend(); ++it) {
            FUZZ_CHECK(Slipway::Procfile::validateName(it.key()).has_value());
            FUZZ_CHECK(!it.value().trimmed().isEmpty());
        }
    } else {
        FUZZ_CHECK(!types.error().message.isEmpty());
    }
    return 0;
}
