#include "buildpack/BuildpacksFile.h"

#include <QStringDecoder>

namespace Slipway {

namespace {

// A comment starts at the first '#' that follows white space; "url#ref" keeps its ref.
QString withoutComment(const QString &line)
{
    for (qsizetype i = 1; i < line.size(); ++i) {
        if (line[i] == u'#' && line[i - 1].isSpace())
            return line.left(i);
    }
    return line;
}

} // namespace

Result<QList<BuildpackRef>> BuildpacksFile::parse(const QByteArray &contents,
                                                  const QString &baseDirectory)
{
    QByteArrayView data(contents);
    if (data.startsWith("\xEF\xBB\xBF"))
        data = data.sliced(3);

    QList<BuildpackRef> buildpacks;
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

        QStringDecoder decoder(QStringDecoder::Utf8);
        const QString line = decoder.decode(bytes);
        if (decoder.hasError()) {
            return failure(QStringLiteral(".buildpacks line %1: the text is not valid UTF-8; "
                                          "save the file as UTF-8.")
                               .arg(lineNumber));
        }
        const QString trimmed = line.trimmed();
        if (trimmed.isEmpty() || trimmed.startsWith(u'#'))
            continue;
        Result<BuildpackRef> buildpack =
            BuildpackRef::parse(withoutComment(trimmed).trimmed(), baseDirectory);
        if (!buildpack) {
            return failure(QStringLiteral(".buildpacks line %1: %2")
                               .arg(QString::number(lineNumber), buildpack.error().message));
        }
        buildpacks.append(std::move(*buildpack));
    }
    return buildpacks;
}

QByteArray BuildpacksFile::serialize(const QList<BuildpackRef> &buildpacks)
{
    QByteArray contents;
    for (const BuildpackRef &buildpack : buildpacks) {
        if (buildpack.text().isEmpty())
            continue;
        contents += buildpack.text().toUtf8();
        contents += '\n';
    }
    return contents;
}

} // namespace Slipway
