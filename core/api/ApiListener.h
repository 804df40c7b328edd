#pragma once

#include "api/ApiIoTypes.h"

#include "util/Result.h"

#include <QString>

#include <memory>
#include <optional>
#include <vector>

namespace Slipway {

class ApiIoThread;
class ConnectionAdmission;
class UnixSocketFile;
struct ApiSessionSettings;

// The API server's listening sockets: the Unix socket and, optionally, the TLS port. They
// accept on the first I/O thread and hand connections to the threads in turn.
class ApiListener : public std::enable_shared_from_this<ApiListener>
{
public:
    ApiListener(std::vector<ApiIoThread *> threads,
                std::shared_ptr<const ApiSessionSettings> settings);

    // Bind and listen at once, so the caller learns about a taken address right away.
    Result<void> listenLocal(UnixSocketFile &file);
    Result<quint16> listenTcp(const QString &address, quint16 port);

    void start();
    // Thread-safe: stops accepting; open connections are left to the threads.
    void close();

private:
    Io::Task<void> acceptLocal();
    Io::Task<void> acceptTcp();
    ApiIoThread &nextThread();

    std::vector<ApiIoThread *> m_threads;
    std::shared_ptr<const ApiSessionSettings> m_settings;
    std::optional<Io::LocalAcceptor> m_local;
    std::optional<Io::Acceptor> m_tcp;
    // Each listener's share of the descriptors, so neither can starve the other, the
    // router or the containers.
    std::shared_ptr<ConnectionAdmission> m_localAdmission;
    std::shared_ptr<ConnectionAdmission> m_tcpAdmission;
    std::size_t m_next = 0;
};

} // namespace Slipway
