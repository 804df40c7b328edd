#include "util/ProcessTree.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSet>
#include <QSocketNotifier>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace Slipway {

namespace {

struct ProcStat
{
    pid_t pid = 0;
    pid_t parent = 0;
    pid_t session = 0;
};

// /proc/PID/stat: "pid (comm) state ppid pgrp session ..."; comm may hold spaces and
// parentheses, so fields are read after the last ')'.
bool readStat(pid_t pid, ProcStat &out)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = file.readAll();
    const qsizetype close = line.lastIndexOf(')');
    if (close < 0)
        return false;
    const QList<QByteArray> fields = line.mid(close + 2).split(' ');
    if (fields.size() < 4)
        return false;
    out.pid = pid;
    out.parent = fields.at(1).toInt();
    out.session = fields.at(3).toInt();
    return true;
}

QList<ProcStat> allProcesses()
{
    QList<ProcStat> result;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool ok = false;
        const pid_t pid = entry.toInt(&ok);
        ProcStat stat;
        if (ok && readStat(pid, stat))
            result.append(stat);
    }
    return result;
}

} // namespace

QList<pid_t> ProcessTree::members(pid_t sessionLeader)
{
    if (sessionLeader <= 0)
        return {};
    const QList<ProcStat> processes = allProcesses();
    QSet<pid_t> tree;
    tree.insert(sessionLeader);
    for (const ProcStat &p : processes) {
        if (p.session == sessionLeader)
            tree.insert(p.pid);
    }
    // Descendants that left the session (setsid) are still found through their parents.
    bool grew = true;
    while (grew) {
        grew = false;
        for (const ProcStat &p : processes) {
            if (!tree.contains(p.pid) && tree.contains(p.parent)) {
                tree.insert(p.pid);
                grew = true;
            }
        }
    }
    QList<pid_t> alive;
    for (pid_t pid : std::as_const(tree)) {
        if (isAlive(pid))
            alive.append(pid);
    }
    return alive;
}

qint64 ProcessTree::memoryUsage(pid_t sessionLeader)
{
    return memoryUsage(members(sessionLeader));
}

qint64 ProcessTree::memoryUsage(const QList<pid_t> &pids)
{
    static const qint64 pageSize = ::sysconf(_SC_PAGESIZE);
    qint64 total = 0;
    for (pid_t pid : pids) {
        const QByteArray base = "/proc/" + QByteArray::number(pid);
        QFile rollup(QString::fromLatin1(base + "/smaps_rollup"));
        bool counted = false;
        if (rollup.open(QIODevice::ReadOnly)) {
            // "Pss:              1234 kB"
            const QByteArray text = rollup.readAll();
            const qsizetype at = text.indexOf("\nPss:");
            if (at >= 0) {
                const qsizetype end = text.indexOf('\n', at + 1);
                const QByteArray field = text.mid(at + 5, end - at - 5).trimmed();
                total += field.left(field.indexOf(' ')).toLongLong() * 1024;
                counted = true;
            }
        }
        if (counted)
            continue;
        QFile statm(QString::fromLatin1(base + "/statm"));
        if (statm.open(QIODevice::ReadOnly)) {
            const QList<QByteArray> fields = statm.readAll().split(' ');
            if (fields.size() > 1)
                total += fields.at(1).toLongLong() * pageSize;
        }
    }
    return total;
}

void ProcessTree::signalAll(pid_t sessionLeader, int signal, bool sparingLeader)
{
    // Freeze until the membership stops changing: a process forked between the scan and
    // the signal would otherwise escape.
    QSet<pid_t> stopped;
    for (int round = 0; round < 10; ++round) {
        const QList<pid_t> now = members(sessionLeader);
        bool added = false;
        for (pid_t pid : now) {
            if (!stopped.contains(pid)) {
                ::kill(pid, SIGSTOP);
                stopped.insert(pid);
                added = true;
            }
        }
        if (!added)
            break;
    }
    if (!sparingLeader)
        ::kill(-sessionLeader, signal);
    for (pid_t pid : std::as_const(stopped)) {
        if (!(sparingLeader && pid == sessionLeader))
            ::kill(pid, signal);
    }
    if (signal != SIGKILL) {
        for (pid_t pid : std::as_const(stopped))
            ::kill(pid, SIGCONT);
    }
}

bool ProcessTree::refersTo(pid_t pid, const QString &folder)
{
    const QByteArray prefix = QFile::encodeName(QDir(folder).absolutePath()) + '/';
    // The kernel gives the working folder with its links resolved.
    const QByteArray canonical = QFile::encodeName(QFileInfo(folder).canonicalFilePath()) + '/';
    const QByteArray workingIn =
        QFile::encodeName(QFile::symLinkTarget(QStringLiteral("/proc/%1/cwd").arg(pid))) + '/';
    if (workingIn.startsWith(prefix) || (canonical.size() > 1 && workingIn.startsWith(canonical)))
        return true;
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
    if (!cmdline.open(QIODevice::ReadOnly))
        return false;
    const QList<QByteArray> arguments = cmdline.readAll().split('\0');
    return std::any_of(arguments.cbegin(), arguments.cend(),
                       [&](const QByteArray &argument) { return argument.startsWith(prefix); });
}

QList<pid_t> ProcessTree::endStrayBubblewrapsUnder(const QString &folder)
{
    const QList<ProcStat> processes = allProcesses();
    QHash<pid_t, pid_t> parents;
    for (const ProcStat &process : processes)
        parents.insert(process.pid, process.parent);
    const pid_t self = ::getpid();
    const auto isOurs = [&](pid_t pid) {
        for (int depth = 0; pid > 1 && depth < 64; ++depth) {
            if (pid == self)
                return true;
            pid = parents.value(pid, 0);
        }
        return false;
    };
    const auto isStray = [&](pid_t pid) {
        const QString program = QFile::symLinkTarget(QStringLiteral("/proc/%1/exe").arg(pid));
        return QFileInfo(program).fileName() == QLatin1String("bwrap") && refersTo(pid, folder);
    };
    QList<pid_t> ended;
    for (const ProcStat &process : processes) {
        if (isOurs(process.pid))
            continue;
        const int pidfd = int(::syscall(SYS_pidfd_open, process.pid, 0));
        if (pidfd < 0)
            continue;
        if (isStray(process.pid) &&
            ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0)
            ended.append(process.pid);
        ::close(pidfd);
    }
    return ended;
}

bool ProcessTree::isAlive(pid_t pid)
{
    // A zombie has already exited: it only waits to be reaped.
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = file.readAll();
    const qsizetype close = line.lastIndexOf(')');
    return close >= 0 && line.size() > close + 2 && line.at(close + 2) != 'Z' &&
           line.at(close + 2) != 'X';
}

void ProcessTree::becomeSubreaper()
{
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

void ProcessTree::reapWhenDone(const QList<pid_t> &pids)
{
    for (pid_t pid : pids) {
        // Gone already (reaped by someone else) or not ours: nothing to hold.
        const int pidfd = int(::syscall(SYS_pidfd_open, pid, 0));
        if (pidfd < 0)
            continue;
        siginfo_t info{};
        if (::waitid(idtype_t(P_PIDFD), id_t(pidfd), &info, WEXITED | WNOHANG) != 0 ||
            info.si_pid != 0) {
            // Reaped now, or not our child (ECHILD): done with it.
            ::close(pidfd);
            continue;
        }
        // Still running: the pidfd becomes readable when it ends. The application owns the
        // watch, so a program that quits first (slipctl after a build) frees it on its way out
        // instead of leaking it; a watch made on another thread cannot have it as parent.
        QObject *owner = QCoreApplication::instance();
        if (owner && owner->thread() != QThread::currentThread())
            owner = nullptr;
        auto *notifier = new QSocketNotifier(pidfd, QSocketNotifier::Read, owner);
        QObject::connect(notifier, &QSocketNotifier::activated, notifier, [notifier, pidfd] {
            siginfo_t ended{};
            ::waitid(idtype_t(P_PIDFD), id_t(pidfd), &ended, WEXITED | WNOHANG);
            notifier->setEnabled(false);
            notifier->deleteLater();
            ::close(pidfd);
        });
    }
}

void ProcessTree::reapAdoptedSandboxes()
{
    const pid_t self = ::getpid();
    const QStringList entries =
        QDir(QStringLiteral("/proc")).entryList({QStringLiteral("[0-9]*")}, QDir::Dirs);
    for (const QString &entry : entries) {
        const pid_t pid = pid_t(entry.toInt());
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        const qsizetype close = line.lastIndexOf(')');
        // "... ) Z ppid ...": a zombie whose parent is us.
        if (close < 0 || line.size() < close + 4 || line.at(close + 2) != 'Z')
            continue;
        if (line.mid(close + 4).split(' ').value(0).toInt() != self)
            continue;
        QFile status(QStringLiteral("/proc/%1/status").arg(pid));
        if (!status.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray &field : status.readAll().split('\n')) {
            // "NSpid:\t4242\t1": known by a second number in a namespace below ours.
            if (field.startsWith("NSpid:") && field.mid(6).simplified().split(' ').size() > 1) {
                int ignored = 0;
                ::waitpid(pid, &ignored, WNOHANG);
                break;
            }
        }
    }
}

} // namespace Slipway
