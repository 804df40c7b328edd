#include "source/GitWorkTreeInfo.h"

#include <QProcess>

namespace Slipway {

GitWorkTreeInfo::GitWorkTreeInfo(QObject *parent)
    : QObject(parent)
{}

GitWorkTreeInfo::~GitWorkTreeInfo()
{
    if (m_process) {
        m_process->disconnect(this);
        m_process->kill();
        m_process->waitForFinished(1000);
    }
}

QString GitWorkTreeInfo::Facts::describe() const
{
    if (!problem.isEmpty())
        return problem;
    if (!isWorkTree)
        return QStringLiteral("Folder (not a git work tree): deployed as it is");
    QStringList parts{QStringLiteral("Git work tree")};
    parts.append(branch.isEmpty() ? QStringLiteral("detached HEAD")
                                  : QStringLiteral("branch %1").arg(branch));
    parts.append(commit.isEmpty() ? QStringLiteral("no commit yet") : commit.left(10));
    if (changed + untracked == 0)
        parts.append(QStringLiteral("no uncommitted changes"));
    else
        parts.append(QStringLiteral("uncommitted changes (%1 changed, %2 untracked) are "
                                    "deployed too")
                         .arg(changed)
                         .arg(untracked));
    return parts.join(QStringLiteral(" · "));
}

GitWorkTreeInfo::Facts GitWorkTreeInfo::parse(const QByteArray &porcelain)
{
    Facts facts;
    facts.isWorkTree = true;
    for (const QByteArray &line : porcelain.split('\n')) {
        if (line.startsWith("# branch.oid ")) {
            const QByteArray oid = line.mid(13).trimmed();
            facts.commit = oid == "(initial)" ? QString() : QString::fromLatin1(oid);
        } else if (line.startsWith("# branch.head ")) {
            const QByteArray head = line.mid(14).trimmed();
            facts.branch = head == "(detached)" ? QString() : QString::fromUtf8(head);
        } else if (line.startsWith("? ")) {
            ++facts.untracked;
        } else if (line.startsWith("1 ") || line.startsWith("2 ") || line.startsWith("u ")) {
            ++facts.changed;
        }
    }
    return facts;
}

void GitWorkTreeInfo::read(const QString &folder)
{
    if (m_process) {
        m_process->disconnect(this);
        m_process->kill();
        m_process->deleteLater();
    }
    auto *process = new QProcess(this);
    m_process = process;
    process->setProgram(QStringLiteral("git"));
    process->setArguments({QStringLiteral("-C"), folder, QStringLiteral("status"),
                           QStringLiteral("--porcelain=v2"), QStringLiteral("--branch")});
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("GIT_OPTIONAL_LOCKS"), QStringLiteral("0"));
    environment.insert(QStringLiteral("LC_ALL"), QStringLiteral("C"));
    process->setProcessEnvironment(environment);
    connect(process, &QProcess::finished, this,
            [this, process, folder](int exitCode, QProcess::ExitStatus status) {
                Facts facts;
                if (status == QProcess::NormalExit && exitCode == 0)
                    facts = parse(process->readAllStandardOutput());
                process->deleteLater();
                Q_EMIT ready(folder, facts);
            });
    connect(process, &QProcess::errorOccurred, this,
            [this, process, folder](QProcess::ProcessError error) {
                if (error != QProcess::FailedToStart)
                    return;
                Facts facts;
                facts.problem = QStringLiteral("Folder (git is not installed, so its branch and "
                                               "commit are not shown)");
                process->deleteLater();
                Q_EMIT ready(folder, facts);
            });
    process->start();
}

} // namespace Slipway
