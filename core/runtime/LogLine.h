#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace Slipway {

// One line a container printed, as kept and shown: when, who, which stream, what.
struct LogLine
{
    QDateTime time;
    QString container; // "web-1", "one-off-3", "postdeploy"
    bool standardError = false;
    QString text;

    // "2026-11-26T10:30:00.123Z web-1: text"
    QString format() const
    {
        return time.toUTC().toString(Qt::ISODateWithMs) + QLatin1Char(' ') + container +
               QStringLiteral(": ") + text;
    }
    bool operator==(const LogLine &) const = default;
};

} // namespace Slipway

Q_DECLARE_METATYPE(Slipway::LogLine)
