#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QStringList>

#include <optional>

namespace Slipway {

// A username and password (or access token) for a private repository served over HTTP(S).
struct GitLogin
{
    QString username;
    QByteArray password;
    // Where git may send it: "host" or "host:port" as the repository URL names it. Set by
    // GitLogins::forUrl().
    QString host;
    // Whether it may also go over plain http to that host (see GitLogins::forUrl).
    bool plainHttp = false;
};

// The logins for private git sources, one per host, as Dokku's `git:auth` keeps them. A
// host is a name or address with an optional port ("git.example.com",
// "git.example.com:8443"); a login for a host without a port serves every port of it.
// Only http and https URLs take a login: ssh uses the user's own keys and agent.
class GitLogins
{
public:
    // Lowercases `text` and checks it is a host with an optional port, nothing more: no
    // scheme, user, path or spaces.
    static Result<QString> normalizedHost(const QString &text);
    // Refuses what git could not be handed through its askpass prompt.
    static Result<void> validate(const GitLogin &login);

    void insert(const QString &host, GitLogin login);
    void remove(const QString &host);
    bool contains(const QString &host) const { return m_logins.contains(host); }
    QStringList hosts() const;
    GitLogin value(const QString &host) const { return m_logins.value(host); }
    bool isEmpty() const { return m_logins.isEmpty(); }

    // "host:port" as an http(s) URL names it, or "host"; empty for any other URL.
    static QString authority(const QString &url);
    // The host under which the login for `url` is kept; empty when none is.
    QString keyForUrl(const QString &url) const;
    // The login for a repository URL, if one is kept for its host: "host:port" first,
    // then "host". Its `host` is the URL's host and port. A login only travels encrypted:
    // over https, or over http to this machine (loopback) or to a host the user named in
    // SLIPWAY_GIT_ALLOW_HTTP (comma-separated "host" or "host:port"); else none is given.
    std::optional<GitLogin> forUrl(const QString &url) const;
    // Whether a login may go to `url` as plain http (false for https: it needs no leave).
    static bool allowsPlainHttp(const QString &url);

private:
    QHash<QString, GitLogin> m_logins;
};

} // namespace Slipway
