#pragma once

#include <QJsonValue>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

class QTextStream;

namespace Slipctl {

// stdout and stderr for every client command; both are flushed by the helpers below, so
// the two never interleave out of order on a terminal.
QTextStream &standardOutput();
QTextStream &standardError();

bool stdoutIsTerminal();
bool stdinIsTerminal();

enum class Tone { Plain, Bold, Good, Bad, Busy };
// Colours only when stdout is a terminal (and NO_COLOR is unset): pipes and files get the
// text alone.
QString toned(const QString &text, Tone tone);
Tone toneOfStatus(const QString &status);

// "slipctl: <message>" on stderr; returns 1, the exit status of a failed command.
int fail(const QString &message);

// The API's JSON answer as the user asked for it with --json.
void printJson(const QJsonValue &value);

// "2026-11-26T10:30:00.123Z" -> "2026-11-26 11:30:00" in local time; "-" when empty.
QString formatTime(const QString &isoTime);
// 12345 -> "12.3 s"; 125000 -> "2 min 5 s".
QString formatDuration(qint64 milliseconds);
// Milliseconds from one ISO time to another; -1 when either is missing.
qint64 millisecondsBetween(const QString &fromIso, const QString &toIso);
// A JSON scalar as a table cell: "-" for null or missing.
QString cellText(const QJsonValue &value);

// "name   value" lines, the values aligned.
void printFields(const QList<QPair<QString, QString>> &fields);

// Plain aligned columns, Scalingo-like: a header row, then one row per item.
class Table
{
public:
    explicit Table(QStringList headers);

    void addRow(QStringList cells);
    bool isEmpty() const { return m_rows.isEmpty(); }
    void print(QTextStream &stream) const;

private:
    QStringList m_headers;
    QList<QStringList> m_rows;
};

} // namespace Slipctl
