#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QMap>
#include <QString>

namespace Slipway {

// What the API server answered, as ApiClient returns it.
struct ApiReply
{
    int status = 0;
    QByteArray body;
    QMap<QByteArray, QByteArray> headers; // lower-case names

    bool isSuccess() const { return status >= 200 && status < 300; }
    QJsonDocument json() const;
    // The server's {"error": {"message": ...}}, else a line naming the status; empty on success.
    QString errorMessage() const;
};

} // namespace Slipway
