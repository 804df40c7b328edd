#pragma once

#include <QDateTime>
#include <QString>

namespace Slipway {

// A login for private git sources on one host. The password is never here: `secretRef`
// names its entry in the OS keychain.
struct GitCredentialRecord
{
    QString host; // "host" or "host:port", lowercase
    QString username;
    QString secretRef;
    QDateTime updatedAt;

    bool operator==(const GitCredentialRecord &) const = default;
};

} // namespace Slipway
