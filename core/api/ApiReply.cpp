#include "api/ApiReply.h"

#include <QJsonObject>

namespace Slipway {

QJsonDocument ApiReply::json() const
{
    return QJsonDocument::fromJson(body);
}

QString ApiReply::errorMessage() const
{
    if (isSuccess())
        return {};
    const QJsonValue error = json().object().value(QLatin1String("error"));
    const QString message = error.isObject()
                                ? error.toObject().value(QLatin1String("message")).toString()
                                : error.toString();
    if (!message.isEmpty())
        return message;
    QString text = QStringLiteral("slipwayd answered HTTP %1").arg(status);
    const QByteArray excerpt = body.left(200).trimmed();
    if (!excerpt.isEmpty())
        text += QStringLiteral(": ") + QString::fromUtf8(excerpt);
    return text;
}

} // namespace Slipway
