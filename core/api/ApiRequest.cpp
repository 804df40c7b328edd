#include "api/ApiRequest.h"

#include <QFile>

namespace Slipway {

QJsonDocument ApiRequest::json() const
{
    if (!bodyFile.isEmpty() && body.isEmpty()) {
        QFile file(bodyFile);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        return QJsonDocument::fromJson(file.readAll());
    }
    return QJsonDocument::fromJson(body);
}

} // namespace Slipway
