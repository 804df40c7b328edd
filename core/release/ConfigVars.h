#pragma once

#include "util/Result.h"

#include <QMap>
#include <QPair>
#include <QString>

namespace Slipway {

// Config var name -> value: the app's environment, as the user set it or a buildpack
// suggested it.
using ConfigVars = QMap<QString, QString>;

// The rules every config var obeys, wherever it comes from (console, CLI, API, bin/release).
// Refusals state the rule, so the user can fix the name or value straight away.
class ConfigVar
{
public:
    static constexpr qsizetype MaximumNameLength = 64;
    static constexpr qsizetype MaximumValueLength = 32768;

    // Letters, digits and '_', starting with a letter (a leading digit would not be a valid
    // shell variable and a leading '_' is kept for the platform), 1 to 64 characters.
    static Result<void> validateName(const QString &name);
    // At most 32,768 characters (Unicode code points), and no NUL character, which an
    // environment variable cannot carry. name, when given, is used in the message.
    static Result<void> validateValue(const QString &value, const QString &name = {});

    // "NAME=value" as typed on the command line: split at the first '='; the value may be
    // empty and may itself contain '='. Name and value are validated.
    static Result<QPair<QString, QString>> parseAssignment(const QString &assignment);

    // The user's vars plus the defaults they do not set themselves: a default never
    // overrides what the user chose, not even an empty value.
    static ConfigVars merge(const ConfigVars &defaults, const ConfigVars &user);
};

} // namespace Slipway
