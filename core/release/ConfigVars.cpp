#include "release/ConfigVars.h"

#include <QLocale>

namespace Slipway {

namespace {

const QString NameRule = QStringLiteral("names use only letters, digits and '_', start with a "
                                        "letter and are at most 64 characters");

QString quoted(const QString &text)
{
    constexpr qsizetype shown = 40;
    if (text.size() <= shown)
        return u'"' + text + u'"';
    return u'"' + text.left(shown) + QStringLiteral("…\"");
}

QString describeCharacter(QChar c)
{
    if (c == u' ')
        return QStringLiteral("a space");
    if (!c.isPrint())
        return QStringLiteral("the character U+%1")
            .arg(QString::number(c.unicode(), 16).toUpper().rightJustified(4, u'0'));
    return u'\'' + QString(c) + u'\'';
}

bool isAsciiLetter(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
}

bool isNameCharacter(QChar c)
{
    return isAsciiLetter(c) || (c >= u'0' && c <= u'9') || c == u'_';
}

qsizetype codePointCount(QStringView text)
{
    qsizetype count = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i].isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate())
            ++i;
        ++count;
    }
    return count;
}

QString formatCount(qsizetype count)
{
    return QLocale(QLocale::English, QLocale::UnitedStates).toString(qint64(count));
}

} // namespace

Result<void> ConfigVar::validateName(const QString &name)
{
    if (name.isEmpty())
        return failure(QStringLiteral("A config var name cannot be empty; %1.").arg(NameRule));
    for (const QChar c : name) {
        if (!isNameCharacter(c)) {
            return failure(QStringLiteral("Config var name %1 contains %2; %3.")
                               .arg(quoted(name), describeCharacter(c), NameRule));
        }
    }
    if (!isAsciiLetter(name.front())) {
        return failure(QStringLiteral("Config var name %1 starts with '%2'; %3.")
                           .arg(quoted(name), QString(name.front()), NameRule));
    }
    if (name.size() > MaximumNameLength) {
        return failure(QStringLiteral("Config var name %1 is %2 characters long; %3.")
                           .arg(quoted(name), QString::number(name.size()), NameRule));
    }
    return {};
}

Result<void> ConfigVar::validateValue(const QString &value, const QString &name)
{
    // The name may not have been checked yet: never more of it than a valid one could be.
    const QString shownName = name.size() <= MaximumNameLength
                                  ? name
                                  : name.left(MaximumNameLength) + QStringLiteral("…");
    const QString subject = name.isEmpty() ? QStringLiteral("A config var value")
                                           : QStringLiteral("The value of %1").arg(shownName);
    // Code points never outnumber UTF-16 units, so only long values need counting.
    if (value.size() > MaximumValueLength) {
        const qsizetype length = codePointCount(value);
        if (length > MaximumValueLength) {
            return failure(QStringLiteral("%1 is %2 characters long; values are at most %3 "
                                          "characters.")
                               .arg(subject, formatCount(length), formatCount(MaximumValueLength)));
        }
    }
    if (value.contains(QChar(0))) {
        return failure(QStringLiteral("%1 contains a NUL character, which an environment "
                                      "variable cannot hold; remove it.")
                           .arg(subject));
    }
    return {};
}

Result<QPair<QString, QString>> ConfigVar::parseAssignment(const QString &assignment)
{
    const qsizetype equals = assignment.indexOf(u'=');
    if (equals < 0) {
        return failure(QStringLiteral("%1 is not an assignment; write NAME=value, for example "
                                      "NODE_ENV=production.")
                           .arg(quoted(assignment)));
    }
    if (equals == 0) {
        return failure(QStringLiteral("%1 has no name before '='; write NAME=value, for "
                                      "example NODE_ENV=production.")
                           .arg(quoted(assignment)));
    }
    const QString name = assignment.left(equals);
    const QString value = assignment.mid(equals + 1);
    if (Result<void> valid = validateName(name); !valid)
        return std::unexpected(std::move(valid.error()));
    if (Result<void> valid = validateValue(value, name); !valid)
        return std::unexpected(std::move(valid.error()));
    return QPair<QString, QString>(name, value);
}

ConfigVars ConfigVar::merge(const ConfigVars &defaults, const ConfigVars &user)
{
    ConfigVars merged = defaults;
    merged.insert(user);
    return merged;
}

} // namespace Slipway
