#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QMap>
#include <QProcessEnvironment>
#include <QString>

#include <memory>

class QTemporaryDir;

namespace Slipway {

// Hands a username and password to git for one clone or fetch without putting them on a
// command line, in an environment or in a log. A private folder (0700) holds the two values
// in 0600 files and a small GIT_ASKPASS script that prints them when git asks; git's
// environment carries only that script's path. The folder is removed with this object, so
// keep it alive until git has exited.
//
// git's own credential helpers are switched off for the run, so a user's
// `credential.helper=store` never copies the password into ~/.git-credentials.
class GitCredentials
{
public:
    // Refuses values git could not read back: line breaks and NUL bytes. With `onlyForHost`
    // ("host" or "host:port", lowercase), the values are given only when git asks for that
    // host, so a submodule or redirect elsewhere never receives them; and then only over
    // https unless `plainHttp` allows http too (a redirect to http gets nothing).
    static Result<GitCredentials> prepare(const QString &username, const QByteArray &password,
                                          const QString &onlyForHost = {}, bool plainHttp = false);

    GitCredentials(GitCredentials &&) noexcept;
    GitCredentials &operator=(GitCredentials &&) noexcept;
    ~GitCredentials();

    // The variables to add to git's environment.
    QMap<QString, QString> variables() const;
    // Adds variables() to `environment`, and removes what would make git print request
    // headers to its stderr.
    void applyTo(QProcessEnvironment &environment) const;
    QProcessEnvironment
    environment(QProcessEnvironment base = QProcessEnvironment::systemEnvironment()) const;

    // The private folder; gone once this object is.
    QString directory() const;

private:
    GitCredentials();
    void wipe();

    std::unique_ptr<QTemporaryDir> m_directory;
    QString m_askPassPath;
};

} // namespace Slipway
