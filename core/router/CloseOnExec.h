#pragma once

namespace Slipway {

// Asio opens and accepts sockets without O_CLOEXEC. The daemon starts container processes,
// which must not inherit the router's sockets (a container holding a copy of a client
// connection would keep it open after the router closed it), so every socket is marked right
// after it is created.
void setCloseOnExec(int descriptor);

} // namespace Slipway
