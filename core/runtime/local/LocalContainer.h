#pragma once

#include "runtime/ContainerSpec.h"
#include "runtime/LogLine.h"
#include "util/ProcessRunner.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>

#include <deque>
#include <memory>
#include <optional>

namespace Slipway {

class OutboundNetwork;
class SandboxSocketSource;

// How a container ended.
struct ContainerExit
{
    ProcessOutcome outcome;
    bool requested = false;      // we stopped it (rollout, scale, shutdown), it did not crash
    qint64 stopMilliseconds = 0; // from the stop request to the exit

    // "exited with status 0 after SIGTERM in 120 ms", "killed with SIGKILL after the 30 s
    // grace period", "exited with status 1" (a crash)...
    QString describe() const;
    // The status it exited with; none when a signal ended it or it never ran.
    std::optional<int> exitStatus() const;
    // "SIGTERM", "SIGKILL", "SIGSEGV"... for the signal that ended it; empty when none did.
    QString signalName() const;
    static QString signalName(int signal);
};

// One running process type instance: a process tree in its own session, sandboxed with
// bubblewrap when available, with its own writable copy of the release's app folder.
class Container : public QObject
{
    Q_OBJECT

public:
    enum class State { Created, Starting, Running, Stopping, Exited };
    static constexpr int KeptLines = 500;

    // `workDirectory` is where this container's app copy lives; it is removed on exit.
    Container(ContainerSpec spec, QString workDirectory, QObject *parent = nullptr);
    ~Container() override;

    void start();
    // SIGTERM to the whole tree, SIGKILL after the spec's grace period.
    void stop();
    void stop(std::chrono::milliseconds grace);
    void kill();

    const ContainerSpec &spec() const { return m_spec; }
    QString name() const { return m_spec.name(); }
    State state() const { return m_state; }
    static QString stateName(State state);
    qint64 processId() const;
    QDateTime startedAt() const { return m_startedAt; }
    bool isIsolated() const { return m_isolated; }
    const ContainerExit &exit() const { return m_exit; }
    QList<LogLine> recentLines(int count = KeptLines) const;
    // Sockets inside this container's network namespace, where its PORT listens; null
    // when it runs without isolation (its port is then on the host's loopback).
    std::shared_ptr<SandboxSocketSource> sockets() const { return m_sockets; }
    // The environment the command runs with (for `run` and the console).
    QMap<QString, QString> environment() const;

Q_SIGNALS:
    void started();
    void logLine(const Slipway::LogLine &line);
    void exited(const Slipway::ContainerExit &exit);

private:
    void launch();
    void finish(const ProcessOutcome &outcome);
    // A line of Slipway's own in the container's log.
    void note(const QString &text);
    void onNetworkFailed(const QString &reason);

    ContainerSpec m_spec;
    QString m_workDirectory;
    State m_state = State::Created;
    QPointer<ProcessRunner> m_runner;
    QDateTime m_startedAt;
    QDateTime m_stopRequestedAt;
    bool m_isolated = false;
    bool m_outbound = false; // a way out of its own (OutboundNetwork)
    QPointer<OutboundNetwork> m_network;
    QString m_networkFailure; // set when the network could not be connected
    bool m_stopRequested = false;
    std::chrono::milliseconds m_grace{0};
    std::deque<LogLine> m_recent;
    ContainerExit m_exit;
    std::shared_ptr<SandboxSocketSource> m_sockets;
    int m_sandboxChannel = -1; // the sandbox's end, until the runner takes it
};

} // namespace Slipway

Q_DECLARE_METATYPE(Slipway::ContainerExit)
