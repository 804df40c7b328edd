#pragma once

#include "api/ApiRequest.h"

#include <QByteArray>
#include <QString>

#include <boost/asio/ssl/context.hpp>

#include <chrono>
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
    // A body must come at `minimumBodyRate` bytes a second on average once `bodyGrace` has
    // passed, or the connection is closed: a client sending a byte now and then cannot hold
    // a connection and a spool file forever.
    std::chrono::milliseconds bodyGrace{std::chrono::seconds(30)};
    qint64 minimumBodyRate = 4096;
    QString spoolDirectory;
    std::function<bool(const QByteArray &token)> validateToken; // called on I/O threads
    std::shared_ptr<boost::asio::ssl::context> tls;
    // Hands a complete request to the Qt side; any thread.
    std::function<void(ApiRequest &&, std::shared_ptr<ApiResponder>)> dispatch;
    QObject *qtSide = nullptr; // where onClosed callbacks run
};

} // namespace Slipway
