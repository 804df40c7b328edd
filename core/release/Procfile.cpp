#include "release/Procfile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QList>
#include <QStringDecoder>

namespace Slipway {

namespace {

const QString ExpectedForm =
    QStringLiteral("each line must read name: command, for example web: npm start");

// Long names are cut in messages so the message stays readable.
QString quoted(const QString &text)
{
    constexpr qsizetype shown = 40;
    if (text.size() <= shown)
        return u'"' + text + u'"';
    return u'"' + text.left(shown) + QStringLiteral("…\"");
}

bool isNameCharacter(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') ||
           c == u'-' || c == u'_';
}

} // namespace

Result<void> Procfile::validateName(const QString &name)
{
    if (name.isEmpty())
        return failure(QStringLiteral("the process type name is empty"));
    for (const QChar c : name) {
        if (!isNameCharacter(c)) {
            return failure(QStringLiteral("process type name %1 may only contain letters, "
                                          "digits, '-' and '_'")
                               .arg(quoted(name)));
        }
    }
    if (name.size() > MaximumNameLength) {
        return failure(QStringLiteral("process type name %1 is %2 characters long; names are "
                                      "at most %3 characters")
                           .arg(quoted(name))
                           .arg(name.size())
                           .arg(MaximumNameLength));
    }
    return {};
}

Result<ProcessTypes> Procfile::parse(const QByteArray &contents)
{
    QByteArrayView data(contents);
    // Editors on Windows like to start UTF-8 files with a byte order mark.
    if (data.startsWith("\xEF\xBB\xBF"))
        data = data.sliced(3);

    ProcessTypes types;
    QHash<QString, int> definedOnLine;
    int lineNumber = 0;
    qsizetype start = 0;
    while (start <= data.size()) {
        qsizetype end = data.indexOf('\n', start);
        if (end < 0)
            end = data.size();
        QByteArrayView bytes = data.sliced(start, end - start);
        start = end + 1;
        ++lineNumber;
        if (bytes.endsWith('\r'))
            bytes.chop(1);

        const auto lineError = [lineNumber](const QString &what) {
            return failure(
                QStringLiteral("Procfile line %1: %2.").arg(QString::number(lineNumber), what));
        };

        QStringDecoder decoder(QStringDecoder::Utf8);
        const QString line = decoder.decode(bytes);
        if (decoder.hasError())
            return lineError(QStringLiteral("the text is not valid UTF-8; save the Procfile "
                                            "as UTF-8"));
        const QString trimmed = line.trimmed();
        if (trimmed.isEmpty() || trimmed.startsWith(u'#'))
            continue;
        if (trimmed.contains(QChar(0)))
            return lineError(QStringLiteral("the line contains a NUL character, which a "
                                            "command cannot hold"));

        const qsizetype colon = trimmed.indexOf(u':');
        if (colon < 0)
            return lineError(
                QStringLiteral("%1 has no ':'; %2").arg(quoted(trimmed), ExpectedForm));
        const QString name = trimmed.left(colon).trimmed();
        const QString command = trimmed.mid(colon + 1).trimmed();
        if (name.isEmpty())
            return lineError(QStringLiteral("the process type name before ':' is missing; %1")
                                 .arg(ExpectedForm));
        if (const Result<void> valid = validateName(name); !valid)
            return lineError(valid.error().message + QStringLiteral("; ") + ExpectedForm);
        if (command.isEmpty())
            return lineError(QStringLiteral("process type %1 has no command after ':'; %2")
                                 .arg(quoted(name), ExpectedForm));
        if (const auto previous = definedOnLine.constFind(name);
            previous != definedOnLine.constEnd()) {
            return lineError(QStringLiteral("process type %1 is already defined on line %2; "
                                            "keep only one of the two lines")
                                 .arg(quoted(name))
                                 .arg(*previous));
        }
        definedOnLine.insert(name, lineNumber);
        types.insert(name, command);
    }
    return types;
}

Result<ProcessTypes> Procfile::read(const QString &appDirectory)
{
    const QString path = QDir(appDirectory).filePath(QStringLiteral("Procfile"));
    const QFileInfo info(path);
    if (!info.exists())
        return ProcessTypes{};
    if (info.isDir())
        return failure(QStringLiteral("%1 is a folder; the Procfile must be a text file with "
                                      "one name: command per line.")
                           .arg(QDir::toNativeSeparators(path)));
    if (info.size() > MaximumFileSize)
        return failure(QStringLiteral("%1 is %2 bytes long; a Procfile may be at most %3 bytes.")
                           .arg(QDir::toNativeSeparators(path))
                           .arg(info.size())
                           .arg(MaximumFileSize));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return failure(QStringLiteral("Could not read %1: %2.")
                           .arg(QDir::toNativeSeparators(path), file.errorString()));
    return parse(file.read(MaximumFileSize + 1));
}

} // namespace Slipway
