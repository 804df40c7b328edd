#include "git/GitCredentials.h"

#include "git/GitLogging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>

namespace Slipway {

namespace {

constexpr QFile::Permissions privateFile = QFile::ReadOwner | QFile::WriteOwner;
constexpr QFile::Permissions privateScript = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
constexpr QFile::Permissions othersMask = QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup |
                                          QFile::ReadOther | QFile::WriteOther | QFile::ExeOther;

const QString usernameFileName = QStringLiteral("username");
const QString passwordFileName = QStringLiteral("password");
const QString askPassFileName = QStringLiteral("askpass.sh");

QString shellQuoted(const QString &text)
{
    QString quoted = text;
    quoted.replace(u'\'', QStringLiteral("'\\''"));
    return u'\'' + quoted + u'\'';
}

// Creates the file (it must not exist yet) with its final mode, then writes: the content
// never sits in a file others could open.
Result<void> writePrivateFile(const QString &path, const QByteArray &content,
                              QFile::Permissions permissions)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly, permissions))
        return failure(QStringLiteral("cannot create %1: %2").arg(path, file.errorString()));
    if (file.permissions() & othersMask)
        return failure(QStringLiteral("cannot make %1 private").arg(path));
    if (file.write(content) != content.size() || !file.flush())
        return failure(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return {};
}

bool hasLineBreakOrNul(const QByteArray &value)
{
    return value.contains('\n') || value.contains('\r') || value.contains('\0');
}

} // namespace

GitCredentials::GitCredentials() = default;
GitCredentials::GitCredentials(GitCredentials &&) noexcept = default;

GitCredentials &GitCredentials::operator=(GitCredentials &&other) noexcept
{
    if (this != &other) {
        wipe();
        m_directory = std::move(other.m_directory);
        m_askPassPath = std::move(other.m_askPassPath);
    }
    return *this;
}

GitCredentials::~GitCredentials()
{
    wipe();
}

Result<GitCredentials> GitCredentials::prepare(const QString &username, const QByteArray &password,
                                               const QString &onlyForHost, bool plainHttp)
{
    static const QRegularExpression hostPattern(QStringLiteral("^[a-z0-9.:\\[\\]-]+$"));
    if (!onlyForHost.isEmpty() && !hostPattern.match(onlyForHost).hasMatch())
        return failure(QStringLiteral("'%1' is not a host name").arg(onlyForHost));
    const QByteArray user = username.toUtf8();
    if (user.isEmpty())
        return failure(QStringLiteral("a git credential needs a username"));
    if (hasLineBreakOrNul(user) || hasLineBreakOrNul(password))
        return failure(QStringLiteral("a git username or password cannot contain line breaks or "
                                      "NUL characters"));

    GitCredentials credentials;
    credentials.m_directory =
        std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/slipway-git-XXXXXX"));
    QTemporaryDir &directory = *credentials.m_directory;
    if (!directory.isValid())
        return failure(QStringLiteral("cannot create a private folder for git credentials: %1")
                           .arg(directory.errorString()));
    // mkdtemp makes it 0700 already; say so explicitly in case that ever changes.
    if (!QFile::setPermissions(directory.path(), privateScript) ||
        (QFileInfo(directory.path()).permissions() & othersMask))
        return failure(QStringLiteral("cannot make %1 private").arg(directory.path()));

    const QString usernamePath = directory.filePath(usernameFileName);
    const QString passwordPath = directory.filePath(passwordFileName);
    credentials.m_askPassPath = directory.filePath(askPassFileName);

    if (auto written = writePrivateFile(usernamePath, user, privateFile); !written)
        return std::unexpected(written.error());
    if (auto written = writePrivateFile(passwordPath, password, privateFile); !written)
        return std::unexpected(written.error());

    // git runs the script with its prompt as the only argument ("Username for
    // 'https://host': ", "Password for 'https://user@host': ") and reads the answer from its
    // stdout. cat's argument is a path, so the value is never in any process's argv or
    // environment. A prompt for another host gets nothing and git gives up on it.
    QString hostCheck;
    if (!onlyForHost.isEmpty()) {
        hostCheck = QStringLiteral("prompt=$(printf '%s' \"$1\" | tr 'A-Z' 'a-z')\n"
                                   "case \"$prompt\" in\n"
                                   "*\"://%1'\"*|*\"@%1'\"*) ;;\n"
                                   "*) exit 1 ;;\n"
                                   "esac\n")
                        .arg(onlyForHost);
        if (!plainHttp)
            hostCheck += QStringLiteral("case \"$prompt\" in\n"
                                        "*\"'http://\"*) exit 1 ;;\n"
                                        "esac\n");
    }
    const QString script =
        QStringLiteral("#!/bin/sh\n"
                       "%3"
                       "case \"$1\" in\n"
                       "[Uu]sername*) exec cat -- %1 ;;\n"
                       "*) exec cat -- %2 ;;\n"
                       "esac\n")
            .arg(shellQuoted(usernamePath), shellQuoted(passwordPath), hostCheck);
    if (auto written = writePrivateFile(credentials.m_askPassPath, script.toUtf8(), privateScript);
        !written)
        return std::unexpected(written.error());

    qCDebug(lcGit, "git credentials for %s prepared in %s", qPrintable(username),
            qPrintable(directory.path()));
    return credentials;
}

QMap<QString, QString> GitCredentials::variables() const
{
    QProcessEnvironment environment;
    applyTo(environment);
    QMap<QString, QString> result;
    for (const QString &name : environment.keys())
        result.insert(name, environment.value(name));
    return result;
}

void GitCredentials::applyTo(QProcessEnvironment &environment) const
{
    environment.insert(QStringLiteral("GIT_ASKPASS"), m_askPassPath);
    environment.insert(QStringLiteral("GIT_TERMINAL_PROMPT"), QStringLiteral("0"));
    // Other prompts git might prefer to GIT_ASKPASS must not take over.
    environment.remove(QStringLiteral("SSH_ASKPASS"));
    // An empty credential.helper empties the list of helpers from every config file, so
    // no helper stores (or supplies) a credential for this run. Added after any
    // GIT_CONFIG_* pairs the caller set.
    bool ok = false;
    int count = environment.value(QStringLiteral("GIT_CONFIG_COUNT")).toInt(&ok);
    if (!ok || count < 0)
        count = 0;
    environment.insert(QStringLiteral("GIT_CONFIG_KEY_%1").arg(count),
                       QStringLiteral("credential.helper"));
    environment.insert(QStringLiteral("GIT_CONFIG_VALUE_%1").arg(count), QString());
    environment.insert(QStringLiteral("GIT_CONFIG_COUNT"), QString::number(count + 1));
    // Request tracing would print the Authorization header to stderr.
    for (const QString &name :
         {QStringLiteral("GIT_TRACE_CURL"), QStringLiteral("GIT_CURL_VERBOSE"),
          QStringLiteral("GIT_TRACE_CURL_NO_DATA")})
        environment.remove(name);
    environment.insert(QStringLiteral("GIT_TRACE_REDACT"), QStringLiteral("1"));
}

QProcessEnvironment GitCredentials::environment(QProcessEnvironment base) const
{
    applyTo(base);
    return base;
}

QString GitCredentials::directory() const
{
    return m_directory ? m_directory->path() : QString();
}

void GitCredentials::wipe()
{
    if (!m_directory)
        return;
    // Overwrite before unlinking, so the value does not linger in a freed block of tmpfs.
    QFile password(m_directory->filePath(passwordFileName));
    if (password.open(QIODevice::ReadWrite)) {
        password.write(QByteArray(password.size(), '\0'));
        password.flush();
        password.close();
    }
    m_directory->remove();
    m_directory.reset();
}

} // namespace Slipway
