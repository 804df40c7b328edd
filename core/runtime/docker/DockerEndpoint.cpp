#include "runtime/docker/DockerEndpoint.h"

#include <QDir>
#include <QFileInfo>
#include <QUrl>

namespace Slipway {

namespace {

constexpr quint16 DefaultTlsPort = 2376;

QString settingHint()
{
    return QStringLiteral("set docker-host to unix:///path/to/docker.sock or tcp://host:port");
}

} // namespace

Result<DockerEndpoint> DockerEndpoint::parse(const QString &given, const QString &certificateFolder)
{
    const QString address = given.trimmed();
    if (address.isEmpty())
        return failure(QStringLiteral("the Docker engine address is empty: %1").arg(settingHint()));

    DockerEndpoint endpoint;
    if (address.startsWith(u'/') || address.startsWith(QStringLiteral("unix://"))) {
        const QString path = address.startsWith(u'/') ? address : address.mid(7);
        if (!path.startsWith(u'/'))
            return failure(QStringLiteral("the Docker engine address '%1' has no absolute socket "
                                          "path after unix:// (write unix:///var/run/docker.sock)")
                               .arg(address));
        endpoint.m_kind = Kind::UnixSocket;
        endpoint.m_socketPath = QDir::cleanPath(path);
        return endpoint;
    }

    const qsizetype schemeEnd = address.indexOf(QStringLiteral("://"));
    const QString scheme = schemeEnd < 0 ? QString() : address.left(schemeEnd).toLower();
    if (scheme != u"tcp" && scheme != u"https") {
        if (scheme == u"ssh")
            return failure(
                QStringLiteral("the Docker engine address '%1' uses ssh://, which Slipway "
                               "does not speak: forward the engine's socket "
                               "(ssh -L /tmp/docker.sock:/var/run/docker.sock HOST) "
                               "and use unix:///tmp/docker.sock, or use tcp:// with TLS")
                    .arg(address));
        return failure(QStringLiteral("the Docker engine address '%1' is not understood: %2")
                           .arg(address, settingHint()));
    }
    const QUrl url(QStringLiteral("tcp://") + address.mid(schemeEnd + 3), QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty())
        return failure(QStringLiteral("the Docker engine address '%1' has no valid host: write "
                                      "tcp://host:port")
                           .arg(address));
    if (!url.path().isEmpty() && url.path() != u"/")
        return failure(
            QStringLiteral("the Docker engine address '%1' has a path; write tcp://host:port")
                .arg(address));
    const int port = url.port(DefaultTlsPort);
    if (port <= 0 || port > 65535)
        return failure(
            QStringLiteral("the Docker engine address '%1' has no valid port (1 to 65535)")
                .arg(address));
    if (certificateFolder.isEmpty())
        return failure(
            QStringLiteral("the Docker engine at %1 is reached over TCP, which needs TLS "
                           "client certificates: set docker-cert-path (or "
                           "DOCKER_CERT_PATH) to a folder holding ca.pem, cert.pem and "
                           "key.pem")
                .arg(address));
    endpoint.m_kind = Kind::Tls;
    endpoint.m_socketPath.clear();
    endpoint.m_host = url.host();
    endpoint.m_port = quint16(port);
    endpoint.m_certificateFolder = QDir::cleanPath(certificateFolder);
    for (const QString &file :
         {endpoint.caFile(), endpoint.certificateFile(), endpoint.keyFile()}) {
        const QFileInfo info(file);
        if (!info.isFile() || !info.isReadable())
            return failure(
                QStringLiteral("the TLS file %1 for the Docker engine at %2 %3: the "
                               "certificate folder must hold ca.pem, cert.pem and key.pem")
                    .arg(file, address,
                         info.exists() ? QStringLiteral("cannot be read")
                                       : QStringLiteral("does not exist")));
    }
    return endpoint;
}

Result<DockerEndpoint> DockerEndpoint::fromSettings(const QString &host,
                                                    const QString &certificateFolder,
                                                    const QProcessEnvironment &environment)
{
    QString address = host.trimmed();
    QString certificates = certificateFolder.trimmed();
    if (address.isEmpty())
        address = environment.value(QStringLiteral("DOCKER_HOST")).trimmed();
    if (certificates.isEmpty())
        certificates = environment.value(QStringLiteral("DOCKER_CERT_PATH")).trimmed();
    if (address.isEmpty())
        address = QString::fromLatin1(DefaultAddress);
    if (certificates.isEmpty() && !address.startsWith(u'/') &&
        !address.startsWith(QStringLiteral("unix://"))) {
        // The docker CLI's own default folder.
        const QString home = environment.value(QStringLiteral("HOME"), QDir::homePath());
        certificates = home + QStringLiteral("/.docker");
    }
    return parse(address, certificates);
}

QString DockerEndpoint::caFile() const
{
    return m_certificateFolder + QStringLiteral("/ca.pem");
}

QString DockerEndpoint::certificateFile() const
{
    return m_certificateFolder + QStringLiteral("/cert.pem");
}

QString DockerEndpoint::keyFile() const
{
    return m_certificateFolder + QStringLiteral("/key.pem");
}

QString DockerEndpoint::address() const
{
    if (m_kind == Kind::UnixSocket)
        return QStringLiteral("unix://") + m_socketPath;
    const bool ipv6 = m_host.contains(u':');
    return QStringLiteral("tcp://%1:%2").arg(ipv6 ? u'[' + m_host + u']' : m_host).arg(m_port);
}

} // namespace Slipway
