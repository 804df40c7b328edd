#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QMap>
#include <QString>
#include <QUrlQuery>

namespace Slipway {

// One request as the API server hands it to the Qt side, body complete.
struct ApiRequest
{
    QString method;
    QString path; // percent-decoded, without the query
    QUrlQuery query;
    QMap<QByteArray, QByteArray> headers; // lower-case names; repeated fields joined with ", "
    // The body when it is small (up to Options::memoryBodyLimit)...
    QByteArray body;
    // ...else the file it was spooled to, deleted once the response has ended. A handler that
    // wants to keep the file moves it elsewhere before it answers.
    QString bodyFile;
    QString peer; // "unix", or "ip:port" on TCP
    bool viaTcp = false;

    QByteArray header(const QByteArray &lowerCaseName) const
    {
        return headers.value(lowerCaseName);
    }
    // The body parsed as JSON (from memory or the spool file); null when empty or not JSON.
    QJsonDocument json() const;
};

} // namespace Slipway
