#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace Slipway {

// What one API call gave the console: an answer (any HTTP status), or no answer at all
// because the daemon could not be reached. `message()` is always a sentence to show.
struct ApiResult
{
    bool reached = false; // an HTTP answer came back
    int status = 0;
    QByteArray body;
    QJsonObject json; // the body parsed, when it is a JSON object
    QString error;    // why it failed: transport problem or the server's error message

    bool ok() const { return reached && status >= 200 && status < 300; }
    QString message() const { return error; }
    QJsonObject object(const QString &key) const { return json.value(key).toObject(); }
    QJsonArray array(const QString &key) const { return json.value(key).toArray(); }
};

} // namespace Slipway
Q_DECLARE_METATYPE(Slipway::ApiResult)
