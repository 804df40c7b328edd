#include "git/GitLogins.h"

#include <QRegularExpression>
#include <QUrl>

#include <arpa/inet.h>

namespace Slipway {

namespace {

bool hasLineBreakOrNul(const QByteArray &value)
{
    return value.contains('\n') || value.contains('\r') || value.contains('\0');
}

} // namespace

Result<QString> GitLogins::normalizedHost(const QString &text)
{
    // A DNS name or IPv4 address, or an IPv6 address in brackets, then an optional port.
    static const QRegularExpression pattern(
        QStringLiteral("^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}"
                       "[a-z0-9])?)*|\\[[0-9a-f:.]+\\])(?::([0-9]{1,5}))?$"));
    const QString host = text.trimmed().toLower();
    const QRegularExpressionMatch match = pattern.match(host);
    const QString invalid =
        QStringLiteral("'%1' is not a host: give the name of the git server with an optional "
                       "port, such as git.example.com or git.example.com:8443, without "
                       "https:// or a path")
            .arg(text);
    if (host.isEmpty() || host.size() > 260 || !match.hasMatch())
        return failure(invalid);
    if (match.hasCaptured(1)) {
        bool ok = false;
        const int port = match.captured(1).toInt(&ok);
        if (!ok || port < 1 || port > 65535)
            return failure(invalid);
    }
    return host;
}

Result<void> GitLogins::validate(const GitLogin &login)
{
    if (login.username.isEmpty())
        return failure(QStringLiteral("a git login needs a username; for a token-only service, "
                                      "give any username such as 'oauth2' or 'x-access-token'"));
    if (login.password.isEmpty())
        return failure(QStringLiteral("a git login needs a password or access token"));
    if (hasLineBreakOrNul(login.username.toUtf8()) || hasLineBreakOrNul(login.password))
        return failure(QStringLiteral("a git username or password cannot contain line breaks or "
                                      "NUL characters"));
    if (login.username.size() > 256 || login.password.size() > 4096)
        return failure(QStringLiteral("a git username is at most 256 characters and a password "
                                      "at most 4096 bytes"));
    return {};
}

void GitLogins::insert(const QString &host, GitLogin login)
{
    m_logins.insert(host, std::move(login));
}

void GitLogins::remove(const QString &host)
{
    m_logins.remove(host);
}

QStringList GitLogins::hosts() const
{
    QStringList hosts = m_logins.keys();
    hosts.sort();
    return hosts;
}

QString GitLogins::authority(const QString &url)
{
    const QUrl parsed(url);
    const QString scheme = parsed.scheme().toLower();
    if (!parsed.isValid() || (scheme != QLatin1String("https") && scheme != QLatin1String("http")))
        return {};
    QString host = parsed.host().toLower();
    if (host.contains(u':'))
        host = u'[' + host + u']';
    return parsed.port() > 0 ? host + u':' + QString::number(parsed.port()) : host;
}

QString GitLogins::keyForUrl(const QString &url) const
{
    const QString withPort = authority(url);
    if (withPort.isEmpty())
        return {};
    if (m_logins.contains(withPort))
        return withPort;
    // "host:port" or "[v6]:port" without its port.
    const qsizetype colon = withPort.lastIndexOf(u':');
    const QString host = colon > withPort.lastIndexOf(u']') ? withPort.left(colon) : withPort;
    return m_logins.contains(host) ? host : QString();
}

bool GitLogins::allowsPlainHttp(const QString &url)
{
    const QUrl parsed(url);
    if (parsed.scheme().toLower() != QLatin1String("http"))
        return false;
    const QString host = parsed.host().toLower();
    const QByteArray ascii = host.toLatin1();
    in_addr v4{};
    in6_addr v6{};
    if (host == QLatin1String("localhost") ||
        (::inet_pton(AF_INET, ascii.constData(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127) ||
        (::inet_pton(AF_INET6, ascii.constData(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6)))
        return true; // it never leaves this machine
    const QStringList allowed =
        qEnvironmentVariable("SLIPWAY_GIT_ALLOW_HTTP").toLower().split(u',', Qt::SkipEmptyParts);
    for (const QString &entry : allowed) {
        const QString trimmed = entry.trimmed();
        if (trimmed == host || trimmed == authority(url))
            return true;
    }
    return false;
}

std::optional<GitLogin> GitLogins::forUrl(const QString &url) const
{
    const QString key = keyForUrl(url);
    if (key.isEmpty())
        return std::nullopt;
    const bool plain = allowsPlainHttp(url);
    if (QUrl(url).scheme().toLower() != QLatin1String("https") && !plain)
        return std::nullopt; // a password over plain http is anyone's on the way
    GitLogin login = m_logins.value(key);
    login.host = authority(url);
    login.plainHttp = plain;
    return login;
}

} // namespace Slipway
