// Config var names and values as clients send them (`NAME=value`, or a name and a value).

#include "FuzzCheck.h"
#include "release/ConfigVars.h"

#include <QByteArray>
#include <QString>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString text = QString::fromUtf8(bytes);
    const auto assignment = Slipway::ConfigVar::parseAssignment(text);
    if (assignment) {
        FUZZ_CHECK(Slipway::ConfigVar::validateName(assignment->first).has_value());
    } else {
        FUZZ_CHECK(!assignment.error().message.isEmpty());
        // Errors name what was wrong without sending huge input back.
        FUZZ_CHECK(assignment.error().message.size() <= 1000);
    }
    const qsizetype split = text.indexOf(QLatin1Char('\n'));
    const QString name = split < 0 ? text : text.left(split);
    const QString value = split < 0 ? QString() : text.mid(split + 1);
    const auto validName = Slipway::ConfigVar::validateName(name);
    if (!validName)
        FUZZ_CHECK(validName.error().message.size() <= 1000);
    const auto validValue = Slipway::ConfigVar::validateValue(value, name);
    if (!validValue)
        FUZZ_CHECK(validValue.error().message.size() <= 1000);
    return 0;
}
