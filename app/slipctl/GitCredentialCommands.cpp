// Logins for private git sources: git-credentials, git-credentials-set, git-credentials-unset.

#include "ClientCommands.h"
#include "CommandContext.h"
#include "Output.h"

#include "git/GitLogins.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTextStream>

#include <termios.h>
#include <unistd.h>

using namespace Slipway;

namespace Slipctl {

namespace {

using AppUse = CommandSpec::AppUse;

// Echo off while the user types a password, restored however the read ends.
class HiddenInput
{
public:
    HiddenInput()
    {
        if (::tcgetattr(STDIN_FILENO, &m_saved) != 0)
            return;
        termios quiet = m_saved;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        m_active = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
    ~HiddenInput()
    {
        if (m_active)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &m_saved);
    }
    HiddenInput(const HiddenInput &) = delete;
    HiddenInput &operator=(const HiddenInput &) = delete;

private:
    termios m_saved{};
    bool m_active = false;
};

// The password never comes from the command line, where `ps` and shell history would show
// it: typed at a hidden prompt, or read from stdin (`pass show x | slipctl ...`).
Result<QByteArray> readPassword(const QString &host)
{
    QFile input;
    if (!input.open(stdin, QIODevice::ReadOnly))
        return failure(QStringLiteral("cannot read the password from stdin"));
    QByteArray password;
    if (stdinIsTerminal()) {
        standardError() << "Password or access token for " << host << ": ";
        standardError().flush();
        {
            HiddenInput hidden;
            password = input.readLine(8192);
        }
        standardError() << '\n';
        standardError().flush();
    } else {
        password = input.read(8192);
    }
    while (password.endsWith('\n') || password.endsWith('\r'))
        password.chop(1);
    if (password.isEmpty())
        return failure(QStringLiteral("no password was given; type it at the prompt or pipe it "
                                      "in: printf %s \"$TOKEN\" | slipctl git-credentials-set "
                                      "%1 USERNAME")
                           .arg(host));
    return password;
}

QString credentialPath(const QString &host)
{
    return QStringLiteral("/v1/git-credentials/") + CommandContext::pathSegment(host);
}

int list(CommandContext &context)
{
    Result<QJsonObject> answer = context.get(QStringLiteral("/v1/git-credentials"));
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    const QJsonArray logins = answer->value(QStringLiteral("git_credentials")).toArray();
    if (logins.isEmpty()) {
        standardError() << "No git logins are kept; add one with: slipctl git-credentials-set "
                           "HOST USERNAME\n";
        standardError().flush();
        return 0;
    }
    Table table({QStringLiteral("HOST"), QStringLiteral("USERNAME"), QStringLiteral("UPDATED"),
                 QStringLiteral("USABLE")});
    for (const QJsonValue &value : logins) {
        const QJsonObject login = value.toObject();
        const QString problem = login.value(QStringLiteral("problem")).toString();
        table.addRow(
            {login.value(QStringLiteral("host")).toString(),
             login.value(QStringLiteral("username")).toString(),
             formatTime(login.value(QStringLiteral("updated_at")).toString()),
             problem.isEmpty() ? QStringLiteral("yes") : QStringLiteral("no: ") + problem});
    }
    table.print(standardOutput());
    return 0;
}

int set(CommandContext &context)
{
    const Result<QString> host = GitLogins::normalizedHost(context.positionals().at(0));
    if (!host)
        return context.usageError(host.error().message);
    const QString username = context.positionals().at(1);
    const Result<QByteArray> password = readPassword(*host);
    if (!password)
        return fail(password.error().message);
    if (Result<void> valid = GitLogins::validate({username, *password, {}}); !valid)
        return fail(valid.error().message);
    Result<QJsonObject> answer = context.send(
        "PUT", credentialPath(*host),
        QJsonObject{{QStringLiteral("git_credential"),
                     QJsonObject{{QStringLiteral("username"), username},
                                 {QStringLiteral("password"), QString::fromUtf8(*password)}}}});
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    standardOutput() << "-----> Git login for " << *host << " kept (user " << username
                     << "); deployments from https://" << *host << "/… use it\n";
    standardOutput().flush();
    return 0;
}

int unset(CommandContext &context)
{
    const Result<QString> host = GitLogins::normalizedHost(context.positionals().at(0));
    if (!host)
        return context.usageError(host.error().message);
    Result<QJsonObject> answer = context.send("DELETE", credentialPath(*host));
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(QJsonObject{{QStringLiteral("host"), *host}, {QStringLiteral("removed"), true}});
        return 0;
    }
    standardOutput() << "-----> Git login for " << *host << " removed\n";
    standardOutput().flush();
    return 0;
}

} // namespace

QList<CommandSpec> gitCredentialCommands()
{
    CommandSpec listSpec;
    listSpec.name = QStringLiteral("git-credentials");
    listSpec.summary = QStringLiteral("list the logins kept for private git hosts");
    listSpec.app = AppUse::None;
    listSpec.run = list;

    CommandSpec setSpec;
    setSpec.name = QStringLiteral("git-credentials-set");
    setSpec.arguments = QStringLiteral("HOST USERNAME");
    setSpec.summary = QStringLiteral("keep a login for private repositories on HOST");
    setSpec.description = QStringLiteral(
        "The password or access token is typed at a hidden prompt, or read from stdin:\n"
        "  printf %s \"$TOKEN\" | slipctl git-credentials-set github.com x-access-token\n"
        "It is kept in the OS keychain and handed to git for http(s) sources and\n"
        "buildpacks on HOST (give HOST:PORT for one port only); ssh URLs use your keys.");
    setSpec.app = AppUse::None;
    setSpec.minimumPositionals = 2;
    setSpec.maximumPositionals = 2;
    setSpec.run = set;

    CommandSpec unsetSpec;
    unsetSpec.name = QStringLiteral("git-credentials-unset");
    unsetSpec.arguments = QStringLiteral("HOST");
    unsetSpec.summary = QStringLiteral("forget the login kept for HOST");
    unsetSpec.app = AppUse::None;
    unsetSpec.minimumPositionals = 1;
    unsetSpec.maximumPositionals = 1;
    unsetSpec.run = unset;

    return {listSpec, setSpec, unsetSpec};
}

} // namespace Slipctl
