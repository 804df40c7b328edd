#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QString>

namespace Slipway::ApiJson {

// Compact JSON text of any value, scalars included ("null" for undefined).
QByteArray serialize(const QJsonValue &value);
// {"error": {"status": N, "message": "..."}}: every error the API gives has this shape.
QByteArray error(int status, const QString &message);

} // namespace Slipway::ApiJson
