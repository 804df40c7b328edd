#include "util/ProcessRunner.h"

#include "util/FileDescriptor.h"
#include "util/ProcessTree.h"

#include <QFileInfo>
#include <QStandardPaths>

#include <csignal>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <utility>

namespace Slipway {

namespace {

QString bubblewrapPath()
{
    static const QString path = [] {
        const QString found = QStandardPaths::findExecutable(QStringLiteral("bwrap"));
        if (found.isEmpty())
            return QString();
        // bwrap may be installed but unusable (no user namespaces for this user): try it.
        QProcess probe;
        probe.start(found, {QStringLiteral("--dev-bind"), QStringLiteral("/"), QStringLiteral("/"),
                            QStringLiteral("--unshare-pid"), QStringLiteral("--proc"),
                            QStringLiteral("/proc"), QStringLiteral("--"), QStringLiteral("true")});
        if (!probe.waitForFinished(5000) || probe.exitStatus() != QProcess::NormalExit ||
            probe.exitCode() != 0)
            return QString();
        return found;
    }();
    return path;
}

QString seconds(std::chrono::milliseconds ms)
{
    if (ms.count() % 1000 == 0)
        return QStringLiteral("%1 s").arg(ms.count() / 1000);
    return QStringLiteral("%1 s").arg(double(ms.count()) / 1000.0, 0, 'f', 1);
}

QString megabytes(qint64 bytes)
{
    return QStringLiteral("%1 MB").arg((bytes + 512 * 1024) / (1024 * 1024));
}

} // namespace

QString ProcessOutcome::describe() const
{
    switch (kind) {
    case Kind::Exited:
        return QStringLiteral("exited with status %1").arg(exitCode);
    case Kind::Signalled:
        return QStringLiteral("was killed by signal %1 (%2)")
            .arg(signal)
            .arg(QString::fromLocal8Bit(::strsignal(signal)));
    case Kind::TimedOut:
        return QStringLiteral("was stopped after the time limit of %1").arg(seconds(limit));
    case Kind::MemoryExceeded:
        return QStringLiteral("was stopped for using more than %1 of memory (all its processes "
                              "together)")
            .arg(megabytes(memoryLimit));
    case Kind::Cancelled:
        return QStringLiteral("was cancelled");
    case Kind::FailedToStart:
        return QStringLiteral("could not be started: %1").arg(errorString);
    }
    return {};
}

ProcessRunner::ProcessRunner(QObject *parent)
    : QObject(parent)
{
    m_limitTimer.setSingleShot(true);
    // A coarse timer may fire up to 5 % early: a 30 min limit must not end at 28.5 min.
    m_limitTimer.setTimerType(Qt::PreciseTimer);
    m_killTimer.setSingleShot(true);
    // The same for the grace period: a container gets its full 30 s before SIGKILL.
    m_killTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_limitTimer, &QTimer::timeout, this,
            [this] { terminateTree(ProcessOutcome::Kind::TimedOut); });
    connect(&m_killTimer, &QTimer::timeout, this, &ProcessRunner::killTree);
    m_memoryTimer.setInterval(std::chrono::milliseconds(250));
    connect(&m_memoryTimer, &QTimer::timeout, this, &ProcessRunner::checkMemory);
}

ProcessRunner::~ProcessRunner()
{
    closePassedDescriptors();
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_done = true; // nobody listens any more
        killTree();
        m_process->waitForFinished(2000);
    }
}

bool ProcessRunner::pidNamespacesAvailable()
{
    return !bubblewrapPath().isEmpty();
}

QString ProcessRunner::bubblewrapProgram()
{
    return bubblewrapPath();
}

void ProcessRunner::start(const Spec &spec)
{
    m_spec = spec;
    QMetaObject::invokeMethod(this, &ProcessRunner::launch, Qt::QueuedConnection);
}

bool ProcessRunner::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

qint64 ProcessRunner::processId() const
{
    return m_pid;
}

void ProcessRunner::launch()
{
    if (m_done)
        return;
    m_process = new QProcess(this);
    m_process->setProcessEnvironment(m_spec.environment);
    if (!m_spec.workingDirectory.isEmpty())
        m_process->setWorkingDirectory(m_spec.workingDirectory);
    m_process->setStandardInputFile(QProcess::nullDevice());

    connect(m_process, &QProcess::readyReadStandardOutput, this, [this] {
        if (m_spec.captureStandardOutput)
            m_captured += m_process->readAllStandardOutput();
        else
            drain(Channel::StandardOutput, false);
    });
    connect(m_process, &QProcess::readyReadStandardError, this,
            [this] { drain(Channel::StandardError, false); });
    connect(m_process, &QProcess::finished, this, &ProcessRunner::onFinished);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart || m_done)
            return;
        m_done = true;
        ProcessOutcome outcome;
        outcome.kind = ProcessOutcome::Kind::FailedToStart;
        outcome.errorString = m_process->errorString();
        Q_EMIT finished(outcome);
    });

    m_heardFromCommand = false;
    m_heldLine.clear();
    m_partial[0].clear();
    m_partial[1].clear();
    QString program = m_spec.program;
    QStringList arguments = m_spec.arguments;
    const QString bwrap = (m_spec.ownPidNamespace || !m_spec.sandboxArguments.isEmpty())
                              ? bubblewrapPath()
                              : QString();
    if (!bwrap.isEmpty() && !m_spec.sandboxArguments.isEmpty()) {
        arguments = m_spec.sandboxArguments + QStringList{program} + arguments;
        program = bwrap;
        m_wrapped = true;
    } else if (!bwrap.isEmpty()) {
        // Same view of the file system, but a PID namespace of its own: when the command's
        // init goes, the kernel ends every process left in it.
        QStringList wrapped = {QStringLiteral("--dev-bind"),
                               QStringLiteral("/"),
                               QStringLiteral("/"),
                               QStringLiteral("--proc"),
                               QStringLiteral("/proc"),
                               QStringLiteral("--unshare-pid"),
                               QStringLiteral("--die-with-parent")};
        if (!m_spec.workingDirectory.isEmpty())
            wrapped << QStringLiteral("--chdir") << m_spec.workingDirectory;
        // Nothing is handed over that a second start would lack. bubblewrap reports on
        // this pipe the command's exit code once the command ran: without one, it did not.
        int status[2] = {-1, -1};
        m_mayStartAgain = m_spec.passedDescriptors.isEmpty() && ::pipe2(status, O_CLOEXEC) == 0;
        if (m_mayStartAgain) {
            m_statusPipe.reset(status[0]);
            m_spec.passedDescriptors << status[1];
            wrapped << QStringLiteral("--json-status-fd") << QString::number(status[1]);
        }
        wrapped << QStringLiteral("--") << program << arguments;
        program = bwrap;
        arguments = wrapped;
        m_wrapped = true;
    }
    // Own session: the tree can be found and signalled as one, and a terminal's ^C does
    // not reach it behind our back.
    const QList<int> passed = m_spec.passedDescriptors;
    const pid_t daemon = ::getpid();
    const bool dieWithDaemon = m_wrapped;
    m_process->setChildProcessModifier([passed, daemon, dieWithDaemon] {
        ::setsid();
        for (const int descriptor : passed)
            ::fcntl(descriptor, F_SETFD, 0); // this copy only, the daemon's keeps close-on-exec
        // bubblewrap's --die-with-parent asks for this only once it runs: a daemon killed
        // between the fork and then would leave the sandbox behind. Asked for here, before
        // the exec, with a look at whether the daemon is already gone.
        if (dieWithDaemon) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != daemon)
                ::_exit(127);
        }
    });
    m_process->start(program, arguments);
    m_pid = m_process->processId();
    closePassedDescriptors();
    if (m_spec.timeout.count() > 0 && m_pid > 0)
        m_limitTimer.start(m_spec.timeout);
    // A first look soon after the start, so that even a short command has a peak.
    if (m_spec.memoryLimit > 0 && m_pid > 0)
        m_memoryTimer.start(std::chrono::milliseconds(50));
}

void ProcessRunner::closePassedDescriptors()
{
    for (const int descriptor : std::as_const(m_spec.passedDescriptors))
        ::close(descriptor);
    m_spec.passedDescriptors.clear();
}

void ProcessRunner::checkMemory()
{
    if (m_ending || !isRunning())
        return;
    m_memoryTimer.setInterval(std::chrono::milliseconds(250));
    const qint64 used = ProcessTree::memoryUsage(pid_t(m_pid));
    m_peakMemory = qMax(m_peakMemory, used);
    if (used <= m_spec.memoryLimit)
        return;
    // No grace: the host is what is at stake.
    m_ending = true;
    m_endReason = ProcessOutcome::Kind::MemoryExceeded;
    m_memoryTimer.stop();
    killTree();
}

void ProcessRunner::drain(Channel channel, bool flushPartial)
{
    const int index = channel == Channel::StandardOutput ? 0 : 1;
    m_process->setReadChannel(channel == Channel::StandardOutput ? QProcess::StandardOutput
                                                                 : QProcess::StandardError);
    QByteArray &buffer = m_partial[index];
    buffer += m_process->readAll();
    qsizetype start = 0;
    for (;;) {
        qsizetype end = buffer.indexOf('\n', start);
        qsizetype next = end + 1;
        if (m_spec.carriageReturnEndsLine) {
            const qsizetype carriageReturn = buffer.indexOf('\r', start);
            if (carriageReturn >= 0 && (end < 0 || carriageReturn < end)) {
                // "\r\n" may arrive in two pieces: wait for the next byte to know.
                if (carriageReturn + 1 >= buffer.size() && !flushPartial)
                    break;
                end = carriageReturn;
                next = carriageReturn + 1 < buffer.size() && buffer.at(carriageReturn + 1) == '\n'
                           ? carriageReturn + 2
                           : carriageReturn + 1;
            }
        }
        if (end < 0)
            break;
        QByteArray line = buffer.mid(start, end - start);
        if (line.endsWith('\r'))
            line.chop(1);
        emitLine(QString::fromUtf8(line), channel);
        start = next;
    }
    buffer.remove(0, start);
    if (flushPartial && !buffer.isEmpty()) {
        emitLine(QString::fromUtf8(buffer), channel);
        buffer.clear();
    }
}

void ProcessRunner::emitLine(const QString &line, Channel channel)
{
    // bubblewrap's complaint comes before the command ran at all: kept back until it is
    // known whether the command gets a second start.
    if (m_mayStartAgain && !m_heardFromCommand && m_heldLine.isEmpty() &&
        channel == Channel::StandardError && line.startsWith(QLatin1String("bwrap: "))) {
        m_heldLine = line;
        return;
    }
    m_heardFromCommand = true;
    releaseHeldLine();
    Q_EMIT outputLine(line, channel);
}

void ProcessRunner::releaseHeldLine()
{
    if (m_heldLine.isEmpty())
        return;
    const QString line = std::exchange(m_heldLine, QString());
    Q_EMIT outputLine(line, Channel::StandardError);
}

bool ProcessRunner::startsAgainAfter(int exitCode, QProcess::ExitStatus status)
{
    // bubblewrap copies every mount below "/" and then applies its flags to each copy; on
    // a host whose mounts propagate (systemd's default), a mount that goes away meanwhile
    // (Docker's overlays come and go all the time) makes it give up with status 1 before
    // the command ran. Nothing happened yet, so it is simply started again.
    constexpr int MostStarts = 6;
    if (!m_mayStartAgain || m_heardFromCommand || m_ending || m_done ||
        status != QProcess::NormalExit || exitCode != 1 || m_starts >= MostStarts ||
        !m_heldLine.contains(QLatin1String("Unable to apply mount flags")))
        return false;
    // The command's own words cannot look like bubblewrap's: it ran only if bubblewrap
    // said how it ended.
    QByteArray reported;
    char chunk[512];
    ssize_t got = 0;
    ::fcntl(m_statusPipe.get(), F_SETFL, O_NONBLOCK);
    while ((got = ::read(m_statusPipe.get(), chunk, sizeof chunk)) > 0)
        reported.append(chunk, got);
    if (reported.contains("\"exit-code\""))
        return false;
    ++m_starts;
    m_heldLine.clear();
    m_captured.clear();
    m_process->disconnect(this);
    m_process->deleteLater();
    m_process = nullptr; // cancel() meanwhile ends it as one never started
    m_pid = 0;
    QTimer::singleShot(std::chrono::milliseconds(20), this, &ProcessRunner::launch);
    return true;
}

void ProcessRunner::onFinished(int exitCode, QProcess::ExitStatus status)
{
    m_limitTimer.stop();
    m_killTimer.stop();
    m_memoryTimer.stop();
    if (m_spec.captureStandardOutput)
        m_captured += m_process->readAllStandardOutput();
    else
        drain(Channel::StandardOutput, true);
    drain(Channel::StandardError, true);

    // Whatever the command left behind in its session goes with it.
    const QList<pid_t> leftovers = ProcessTree::members(pid_t(m_pid));
    if (!leftovers.isEmpty()) {
        ProcessTree::signalAll(pid_t(m_pid), SIGKILL);
        ProcessTree::reapWhenDone(leftovers);
    }
    if (m_wrapped || m_spec.ownPidNamespace)
        ProcessTree::reapAdoptedSandboxes();
    if (startsAgainAfter(exitCode, status))
        return;
    releaseHeldLine();
    if (m_done)
        return;
    m_done = true;

    ProcessOutcome outcome;
    outcome.limit = m_spec.timeout;
    outcome.standardOutput = m_captured;
    outcome.forced = m_forced;
    outcome.peakMemory = m_peakMemory;
    outcome.memoryLimit = m_spec.memoryLimit;
    if (status == QProcess::CrashExit) {
        outcome.kind = ProcessOutcome::Kind::Signalled;
        outcome.signal = exitCode;
    } else if (m_wrapped && exitCode > 128 && exitCode < 128 + 65) {
        // bubblewrap reports a command killed by a signal as 128 + signal, like a shell.
        outcome.kind = ProcessOutcome::Kind::Signalled;
        outcome.signal = exitCode - 128;
        outcome.exitCode = exitCode;
    } else {
        outcome.kind = ProcessOutcome::Kind::Exited;
        outcome.exitCode = exitCode;
    }
    if (status == QProcess::CrashExit)
        outcome.exitCode = -1;
    if (m_ending)
        outcome.kind = m_endReason;
    Q_EMIT finished(outcome);
}

void ProcessRunner::cancel()
{
    if (!m_process) {
        // Not launched yet: never start it.
        if (!m_done) {
            m_done = true;
            ProcessOutcome outcome;
            outcome.kind = ProcessOutcome::Kind::Cancelled;
            QMetaObject::invokeMethod(
                this, [this, outcome] { Q_EMIT finished(outcome); }, Qt::QueuedConnection);
        }
        return;
    }
    terminateTree(ProcessOutcome::Kind::Cancelled);
}

void ProcessRunner::stop(std::chrono::milliseconds grace)
{
    m_spec.killGrace = grace;
    cancel();
}

void ProcessRunner::kill()
{
    if (!isRunning()) {
        cancel();
        return;
    }
    if (!m_ending) {
        m_ending = true;
        m_endReason = ProcessOutcome::Kind::Cancelled;
    }
    killTree();
}

void ProcessRunner::terminateTree(ProcessOutcome::Kind reason)
{
    if (m_ending || !isRunning())
        return;
    m_ending = true;
    m_endReason = reason;
    // Under bubblewrap the root is bwrap itself: a SIGTERM would make it kill everything
    // at once, so only the processes it runs get the chance to stop cleanly.
    ProcessTree::signalAll(pid_t(m_pid), SIGTERM, m_wrapped);
    m_killTimer.start(m_spec.killGrace);
}

void ProcessRunner::killTree()
{
    if (m_pid > 0 && isRunning()) {
        m_forced = true;
        ProcessTree::signalAll(pid_t(m_pid), SIGKILL);
    }
}

} // namespace Slipway
