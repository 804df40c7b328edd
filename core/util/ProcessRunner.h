#pragma once

#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTimer>

#include "util/FileDescriptor.h"

#include <chrono>

namespace Slipway {

// How a process tree ended.
struct ProcessOutcome
{
    enum class Kind { Exited, Signalled, TimedOut, MemoryExceeded, Cancelled, FailedToStart };
    Kind kind = Kind::FailedToStart;
    int exitCode = -1;         // Exited
    int signal = 0;            // Signalled
    QString errorString;       // FailedToStart
    QByteArray standardOutput; // only when captureStandardOutput was set
    bool forced = false;       // SIGKILL was needed after the grace period
    qint64 peakMemory = 0;     // bytes, the tree's largest use seen; only with a memory limit
    qint64 memoryLimit = 0;    // MemoryExceeded: the limit it went over

    bool succeeded() const { return kind == Kind::Exited && exitCode == 0; }
    // "exited with status 2", "was killed by signal 9", "timed out after 30 s", ...
    QString describe() const;
    std::chrono::milliseconds limit{0};
};

// Runs one command as a whole process tree: in its own session (and, when bubblewrap is
// available, its own PID namespace, so nothing it starts can outlive it). Output arrives
// line by line; a time limit and cancel() end the whole tree, gently first, then by force.
class ProcessRunner : public QObject
{
    Q_OBJECT

public:
    enum class Channel { StandardOutput, StandardError };

    struct Spec
    {
        QString program;
        QStringList arguments;
        QString workingDirectory;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        std::chrono::milliseconds timeout{0}; // 0: no limit
        std::chrono::milliseconds killGrace{std::chrono::seconds(5)};
        bool captureStandardOutput = false; // keep stdout for the caller instead of lines
        // A lone '\r' ends a line too: progress meters (git's) redraw their line with it.
        bool carriageReturnEndsLine = false;
        // A PID namespace of its own (bubblewrap, when installed) with the host's file
        // system as it is: for Slipway's own tools (git), never for an app or a buildpack.
        bool ownPidNamespace = true;
        // Everything before the command for a sandboxed container or build
        // (Sandbox::arguments); when set it replaces the plain PID namespace above.
        QStringList sandboxArguments;
        // Descriptors the command inherits, under the same numbers (the sandbox's socket
        // channel, bubblewrap's info and block pipes); the runner closes its own copies once
        // the command started.
        QList<int> passedDescriptors;
        // Bytes the whole tree may use together (ProcessTree::memoryUsage, checked four
        // times a second); over it, the tree is killed at once. 0: no limit.
        qint64 memoryLimit = 0;
    };

    explicit ProcessRunner(QObject *parent = nullptr);
    ~ProcessRunner() override;

    // Starts on the next event loop turn, so listeners connected after start() see
    // every line.
    void start(const Spec &spec);
    // SIGTERM to the tree, SIGKILL after the spec's killGrace. finished() reports Cancelled.
    void cancel();
    // The same with an explicit grace period.
    void stop(std::chrono::milliseconds grace);
    // SIGKILL to the whole tree at once.
    void kill();
    bool isRunning() const;
    qint64 processId() const;

    static bool pidNamespacesAvailable();
    static QString bubblewrapProgram();

Q_SIGNALS:
    void outputLine(const QString &line, Slipway::ProcessRunner::Channel channel);
    void finished(const Slipway::ProcessOutcome &outcome);

private:
    void launch();
    void drain(Channel channel, bool flushPartial);
    void emitLine(const QString &line, Channel channel);
    void releaseHeldLine();
    bool startsAgainAfter(int exitCode, QProcess::ExitStatus status);
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void terminateTree(ProcessOutcome::Kind reason);
    void killTree();
    void checkMemory();
    void closePassedDescriptors();

    Spec m_spec;
    QProcess *m_process = nullptr;
    QTimer m_limitTimer;
    QTimer m_killTimer;
    QTimer m_memoryTimer;
    qint64 m_peakMemory = 0;
    QByteArray m_partial[2];
    QByteArray m_captured;
    ProcessOutcome::Kind m_endReason = ProcessOutcome::Kind::Exited;
    bool m_ending = false;
    bool m_done = false;
    bool m_forced = false;
    bool m_wrapped = false;
    bool m_mayStartAgain = false;
    bool m_heardFromCommand = false;
    QString m_heldLine;
    FileDescriptor m_statusPipe; // bubblewrap's reports, when it may be started again
    int m_starts = 1;
    qint64 m_pid = 0;
};

} // namespace Slipway

Q_DECLARE_METATYPE(Slipway::ProcessOutcome)
