#include "git/GitCommand.h"

#include "git/GitCredentials.h"
#include "git/GitProgress.h"

#include <QObject>

#include <memory>

namespace Slipway {

QString GitCommand::Outcome::reason() const
{
    QStringList lines = errorLines;
    // First, so that reason() picks it over what git said before it was stopped.
    if (process.kind == ProcessOutcome::Kind::TimedOut ||
        process.kind == ProcessOutcome::Kind::FailedToStart)
        lines.prepend(QStringLiteral("fatal: git ") + process.describe());
    return GitCommand::reason(lines);
}

QString GitCommand::reason(const QStringList &errorLines)
{
    // The first "fatal:" line names the cause; the "Could not read from remote repository."
    // that often follows it says nothing, and when it stands alone the line before it
    // (ssh's "Permission denied (publickey).") is the cause.
    static const QString generic = QStringLiteral("Could not read from remote repository.");
    QStringList lines;
    for (const QString &line : errorLines) {
        if (!line.trimmed().isEmpty())
            lines.append(line.trimmed());
    }
    qsizetype genericAt = -1;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (!lines.at(i).startsWith(QLatin1String("fatal: ")) &&
            !lines.at(i).startsWith(QLatin1String("error: ")))
            continue;
        QString reason = lines.at(i).section(QLatin1Char(' '), 1);
        if (reason == generic) {
            if (genericAt < 0)
                genericAt = i;
            continue;
        }
        // "unable to connect to host:" continues on the next line with the errno.
        if (reason.endsWith(QLatin1Char(':')) && i + 1 < lines.size())
            reason += QLatin1Char(' ') + lines.at(i + 1);
        return reason;
    }
    if (genericAt > 0)
        return lines.at(genericAt - 1);
    if (genericAt == 0)
        return generic;
    return lines.isEmpty() ? QStringLiteral("no output") : lines.last();
}

QProcessEnvironment GitCommand::cleanEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char *name :
         {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
          "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_ASKPASS", "SSH_ASKPASS"})
        environment.remove(QString::fromLatin1(name));
    environment.insert(QStringLiteral("LC_ALL"), QStringLiteral("C"));
    // Never wait on a password prompt nobody can answer.
    environment.insert(QStringLiteral("GIT_TERMINAL_PROMPT"), QStringLiteral("0"));
    environment.insert(QStringLiteral("GIT_SSH_COMMAND"), QStringLiteral("ssh -o BatchMode=yes"));
    return environment;
}

ProcessRunner *GitCommand::start(QObject *context, std::function<void(const Outcome &)> then) const
{
    auto *runner = new ProcessRunner(context);
    ProcessRunner::Spec spec;
    spec.program = QStringLiteral("git");
    spec.arguments = arguments;
    spec.workingDirectory = workingDirectory;
    spec.timeout = timeout;
    spec.ownPidNamespace = ownPidNamespace;
    spec.captureStandardOutput = true;
    spec.environment = cleanEnvironment();
    for (auto it = environment.cbegin(); it != environment.cend(); ++it)
        spec.environment.insert(it.key(), it.value());

    // The askpass folder must outlive git, so the finished handler owns it.
    std::shared_ptr<GitCredentials> credentials;
    if (login) {
        Result<GitCredentials> prepared = GitCredentials::prepare(login->username, login->password,
                                                                  login->host, login->plainHttp);
        if (!prepared) {
            Outcome failed;
            failed.process.kind = ProcessOutcome::Kind::FailedToStart;
            failed.process.errorString = prepared.error().message;
            QMetaObject::invokeMethod(
                context,
                [runner, failed, then = std::move(then)] {
                    runner->deleteLater();
                    then(failed);
                },
                Qt::QueuedConnection);
            return runner;
        }
        credentials = std::make_shared<GitCredentials>(std::move(*prepared));
        credentials->applyTo(spec.environment);
    }

    auto errors = std::make_shared<QStringList>();
    spec.carriageReturnEndsLine = bool(progress);
    QObject::connect(runner, &ProcessRunner::outputLine, context,
                     [errors, progress = progress](const QString &line, ProcessRunner::Channel) {
                         if (progress) {
                             if (const std::optional<GitProgress> parsed = GitProgress::parse(line))
                                 progress(parsed->bytes);
                             if (GitProgress::isProgressLine(line))
                                 return;
                         }
                         errors->append(line);
                     });
    QObject::connect(runner, &ProcessRunner::finished, context,
                     [runner, errors, credentials,
                      then = std::move(then)](const ProcessOutcome &process) mutable {
                         runner->deleteLater();
                         credentials.reset();
                         then(Outcome{process, *errors});
                     });
    runner->start(spec);
    return runner;
}

} // namespace Slipway
