#pragma once

#include <QDateTime>
#include <QString>

namespace Slipway {

// An API token as listed: the store knows its SHA-256 only, so a token once shown cannot be
// shown again, only revoked.
struct TokenRecord
{
    qint64 id = 0;
    QString name;
    QDateTime createdAt;
    QDateTime revokedAt; // invalid while the token is valid

    bool isRevoked() const { return revokedAt.isValid(); }
    bool operator==(const TokenRecord &) const = default;
};

} // namespace Slipway
