#pragma once

#include <QString>

#include <memory>

namespace Slipway {

class SandboxSocketSource;

// One container the router may send traffic to.
struct Backend
{
    QString container;
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 0;
    // Set for a sandboxed container: its port listens on its own loopback, reached through
    // sockets made there (see SandboxSocketSource).
    std::shared_ptr<SandboxSocketSource> sockets;

    bool operator==(const Backend &) const = default;
};

} // namespace Slipway
