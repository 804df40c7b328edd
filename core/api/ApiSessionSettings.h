#pragma once

#include "api/ApiRequest.h"

#include <QByteArray>
#include <QString>

#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <memory>

class QObject;

namespace Slipway {

class ApiResponder;

// What every connection of one server shares, fixed once the server has started.
struct ApiSessionSettings
{
    qint64 maxBodyBytes = 0;
    qint64 memoryBodyLimit = 0;
    QString spoolDirectory;
    std::function<bool(const QByteArray &token)> validateToken; // called on I/O threads
    std::shared_ptr<boost::asio::ssl::context> tls;
    // Hands a complete request to the Qt side; any thread.
    std::function<void(ApiRequest &&, std::shared_ptr<ApiResponder>)> dispatch;
    QObject *qtSide = nullptr; // where onClosed callbacks run
};

} // namespace Slipway
