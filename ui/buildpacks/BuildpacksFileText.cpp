#include "buildpacks/BuildpacksFileText.h"

#include <QHash>
#include <QList>

namespace Slipway {

namespace {

// A comment starts at the first '#' that follows white space; "url#ref" keeps its ref.
qsizetype commentStart(const QString &line)
{
    for (qsizetype i = 1; i < line.size(); ++i) {
        if (line.at(i) == u'#' && line.at(i - 1).isSpace())
            return i;
    }
    return -1;
}

struct Line
{
    QString text;
    QString reference; // empty for blank and comment lines
};

QList<Line> split(const QByteArray &bytes, bool *crlf, bool *bom, bool *finalNewline)
{
    QByteArray data = bytes;
    *bom = data.startsWith("\xEF\xBB\xBF");
    if (*bom)
        data.remove(0, 3);
    *crlf = data.contains("\r\n");
    *finalNewline = data.isEmpty() || data.endsWith('\n');
    QList<Line> lines;
    const QList<QByteArray> raw = data.split('\n');
    for (qsizetype i = 0; i < raw.size(); ++i) {
        QByteArray piece = raw.at(i);
        if (i == raw.size() - 1 && piece.isEmpty())
            break; // after the last newline
        if (piece.endsWith('\r'))
            piece.chop(1);
        Line line;
        line.text = QString::fromUtf8(piece);
        const QString trimmed = line.text.trimmed();
        if (!trimmed.isEmpty() && !trimmed.startsWith(u'#')) {
            const qsizetype comment = commentStart(trimmed);
            line.reference = (comment < 0 ? trimmed : trimmed.left(comment)).trimmed();
        }
        lines.append(line);
    }
    return lines;
}

} // namespace

QStringList BuildpacksFileText::references(const QByteArray &text)
{
    bool crlf = false, bom = false, finalNewline = true;
    QStringList list;
    for (const Line &line : split(text, &crlf, &bom, &finalNewline)) {
        if (!line.reference.isEmpty())
            list.append(line.reference);
    }
    return list;
}

QByteArray BuildpacksFileText::update(const QByteArray &existing, const QStringList &references)
{
    bool crlf = false, bom = false, finalNewline = true;
    const QList<Line> lines = split(existing, &crlf, &bom, &finalNewline);

    // A reference that stays keeps its line as written, trailing comment included.
    QHash<QString, QString> written;
    for (const Line &line : lines) {
        if (!line.reference.isEmpty() && !written.contains(line.reference))
            written.insert(line.reference, line.text.trimmed());
    }
    QStringList newLines;
    for (const QString &reference : references)
        newLines.append(written.value(reference, reference));

    QStringList out;
    bool placed = false;
    qsizetype leadingComments = 0;
    for (const Line &line : lines) {
        if (line.reference.isEmpty()) {
            out.append(line.text);
            if (!placed)
                leadingComments = out.size();
            continue;
        }
        if (!placed) {
            out.append(newLines);
            placed = true;
        }
    }
    if (!placed) {
        // No reference before: the list follows the comments at the top of the file.
        for (qsizetype i = 0; i < newLines.size(); ++i)
            out.insert(leadingComments + i, newLines.at(i));
    }
    const QString separator = crlf ? QStringLiteral("\r\n") : QStringLiteral("\n");
    QByteArray text = out.join(separator).toUtf8();
    if (!out.isEmpty() && (finalNewline || existing.isEmpty()))
        text += separator.toUtf8();
    if (bom)
        text.prepend("\xEF\xBB\xBF");
    return text;
}

} // namespace Slipway
