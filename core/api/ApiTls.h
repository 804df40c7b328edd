#pragma once

#include "util/Result.h"

#include <QString>

#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace Slipway::ApiTls {

// TLS 1.2 and later only, for both ends.
Result<std::shared_ptr<boost::asio::ssl::context>> serverContext(const QString &certificateFile,
                                                                 const QString &privateKeyFile);
// Trusts the certificates in `caCertificateFile`: either the authority that signed the
// server's certificate (the host name must then match), or the server's own certificate,
// pinned (accepted as it is, whatever name it carries).
Result<std::shared_ptr<boost::asio::ssl::context>> clientContext(const QString &caCertificateFile,
                                                                 const QString &host);

// OpenSSL's reason for the last failure on this thread, or the error code's message.
QString describe(const boost::system::error_code &error);

} // namespace Slipway::ApiTls
