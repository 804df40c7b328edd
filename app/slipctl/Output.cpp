#include "Output.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <unistd.h>

namespace Slipctl {

QTextStream &standardOutput()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &standardError()
{
    static QTextStream stream(stderr);
    return stream;
}

bool stdoutIsTerminal()
{
    static const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    return terminal;
}

bool stdinIsTerminal()
{
    return ::isatty(STDIN_FILENO) == 1;
}

QString toned(const QString &text, Tone tone)
{
    static const bool colours = stdoutIsTerminal() && qEnvironmentVariableIsEmpty("NO_COLOR");
    if (!colours || tone == Tone::Plain)
        return text;
    const char *code = "1";
    switch (tone) {
    case Tone::Plain:
    case Tone::Bold:
        code = "1";
        break;
    case Tone::Good:
        code = "1;32";
        break;
    case Tone::Bad:
        code = "1;31";
        break;
    case Tone::Busy:
        code = "1;33";
        break;
    }
    return QStringLiteral("\x1b[%1m%2\x1b[0m").arg(QLatin1String(code), text);
}

Tone toneOfStatus(const QString &status)
{
    if (status == QLatin1String("success") || status == QLatin1String("running") ||
        status == QLatin1String("ready"))
        return Tone::Good;
    if (status.endsWith(QLatin1String("error")) || status == QLatin1String("crashed") ||
        status == QLatin1String("aborted"))
        return Tone::Bad;
    return Tone::Busy;
}

int fail(const QString &message)
{
    standardOutput().flush();
    standardError() << "slipctl: " << message << '\n';
    standardError().flush();
    return 1;
}

void printJson(const QJsonValue &value)
{
    QJsonDocument document;
    if (value.isArray())
        document.setArray(value.toArray());
    else
        document.setObject(value.toObject());
    standardOutput() << document.toJson(QJsonDocument::Indented);
    standardOutput().flush();
}

QString formatTime(const QString &isoTime)
{
    if (isoTime.isEmpty())
        return QStringLiteral("-");
    const QDateTime time = QDateTime::fromString(isoTime, Qt::ISODateWithMs);
    if (!time.isValid())
        return isoTime;
    return time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString formatDuration(qint64 milliseconds)
{
    if (milliseconds < 0)
        return QStringLiteral("-");
    if (milliseconds < 60 * 1000)
        return QStringLiteral("%1 s").arg(double(milliseconds) / 1000.0, 0, 'f', 1);
    const qint64 seconds = (milliseconds + 500) / 1000;
    return QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
}

qint64 millisecondsBetween(const QString &fromIso, const QString &toIso)
{
    const QDateTime from = QDateTime::fromString(fromIso, Qt::ISODateWithMs);
    const QDateTime to = QDateTime::fromString(toIso, Qt::ISODateWithMs);
    if (!from.isValid() || !to.isValid())
        return -1;
    return from.msecsTo(to);
}

QString cellText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QStringLiteral("-");
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    case QJsonValue::Double: {
        const double number = value.toDouble();
        if (number == double(qint64(number)))
            return QString::number(qint64(number));
        return QString::number(number);
    }
    case QJsonValue::String: {
        const QString text = value.toString();
        return text.isEmpty() ? QStringLiteral("-") : text;
    }
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    }
    return QStringLiteral("-");
}

void printFields(const QList<QPair<QString, QString>> &fields)
{
    qsizetype width = 0;
    for (const auto &field : fields)
        width = qMax(width, field.first.size());
    for (const auto &field : fields)
        standardOutput() << QString(field.first + u':').leftJustified(width + 3) << field.second
                         << '\n';
    standardOutput().flush();
}

Table::Table(QStringList headers)
    : m_headers(std::move(headers))
{}

void Table::addRow(QStringList cells)
{
    while (cells.size() < m_headers.size())
        cells.append(QStringLiteral("-"));
    m_rows.append(std::move(cells));
}

void Table::print(QTextStream &stream) const
{
    QList<qsizetype> widths;
    for (const QString &header : m_headers)
        widths.append(header.size());
    for (const QStringList &row : m_rows) {
        for (qsizetype column = 0; column < widths.size(); ++column)
            widths[column] = qMax(widths[column], row.at(column).size());
    }
    const auto printRow = [&](const QStringList &cells, bool header) {
        QString line;
        for (qsizetype column = 0; column < widths.size(); ++column) {
            const bool last = column == widths.size() - 1;
            // No trailing blanks: the last column is never padded.
            line += last ? cells.at(column) : cells.at(column).leftJustified(widths[column]);
            if (!last)
                line += QStringLiteral("  ");
        }
        stream << (header ? toned(line, Tone::Bold) : line) << '\n';
    };
    printRow(m_headers, true);
    for (const QStringList &row : m_rows)
        printRow(row, false);
    stream.flush();
}

} // namespace Slipctl
