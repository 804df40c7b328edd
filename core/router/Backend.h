#pragma once

#include <QString>

namespace Slipway {

// One container the router may send traffic to.
struct Backend
{
    QString container;
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 0;

    bool operator==(const Backend &) const = default;
};

} // namespace Slipway
