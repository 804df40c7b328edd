#pragma once

#include "util/Result.h"

#include <QProcessEnvironment>
#include <QString>

namespace Slipway {

// Where a Docker engine answers: a Unix socket (unix:///var/run/docker.sock, the default) or
// TCP with TLS client certificates (tcp://host:port and a folder holding ca.pem, cert.pem and
// key.pem, as the docker CLI's DOCKER_CERT_PATH). Plain TCP is refused: an engine's API
// without TLS gives root on its host to anyone who reaches the port.
class DockerEndpoint
{
public:
    enum class Kind { UnixSocket, Tls };

    static constexpr auto DefaultAddress = "unix:///var/run/docker.sock";

    // `address`: unix:///path, a bare absolute socket path, or tcp://host:port (the port
    // defaults to 2376). `certificateFolder` is needed for tcp:// and ignored otherwise.
    static Result<DockerEndpoint> parse(const QString &address,
                                        const QString &certificateFolder = {});
    // The setting when given (docker-host, docker-cert-path), otherwise DOCKER_HOST and
    // DOCKER_CERT_PATH (default ~/.docker when DOCKER_HOST is tcp://), otherwise the default
    // socket.
    static Result<DockerEndpoint>
    fromSettings(const QString &host, const QString &certificateFolder,
                 const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());

    DockerEndpoint() = default; // the default socket

    Kind kind() const { return m_kind; }
    QString socketPath() const { return m_socketPath; } // UnixSocket
    QString host() const { return m_host; }             // Tls
    quint16 port() const { return m_port; }             // Tls
    QString certificateFolder() const { return m_certificateFolder; }
    QString caFile() const;
    QString certificateFile() const;
    QString keyFile() const;

    // unix:///path or tcp://host:port, as settings write it.
    QString address() const;

    bool operator==(const DockerEndpoint &) const = default;

private:
    Kind m_kind = Kind::UnixSocket;
    QString m_socketPath = QStringLiteral("/var/run/docker.sock");
    QString m_host;
    quint16 m_port = 0;
    QString m_certificateFolder;
};

} // namespace Slipway
