#include "api/ApiJson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace Slipway::ApiJson {

QByteArray serialize(const QJsonValue &value)
{
    if (value.isObject())
        return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    if (value.isUndefined())
        return QByteArrayLiteral("null");
    // A document holds objects and arrays only: a scalar goes in an array and comes back out.
    const QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

QByteArray error(int status, const QString &message)
{
    // Messages quote what was wrong ("there is no app named '…'"); a request of megabytes
    // must not come back whole, so no message grows past what a person reads.
    constexpr qsizetype MaxLength = 300;
    QString bounded = message;
    if (bounded.size() > MaxLength)
        bounded = bounded.left(MaxLength - 1) + QChar(0x2026);
    const QJsonObject error{{QStringLiteral("status"), status},
                            {QStringLiteral("message"), bounded}};
    return QJsonDocument(QJsonObject{{QStringLiteral("error"), error}})
        .toJson(QJsonDocument::Compact);
}

} // namespace Slipway::ApiJson
