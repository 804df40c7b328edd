#pragma once

#include "runtime/ContainerSpec.h"
#include "runtime/LogLine.h"
#include "util/ProcessRunner.h"

#include <QDateTime>
#include <QMap>
#include <QObject>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

namespace Slipway {

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

// One running process type instance, whatever runs it: a sandboxed process tree on this
// machine (local), a Docker container, a Swarm task. The rollout, the router and the store
// know containers only through this: where the container's PORT is reached, its lines,
// how it ended. A runtime (runtime/Runtime.h) makes them.
class Container : public QObject
{
    Q_OBJECT

public:
    enum class State { Created, Starting, Running, Stopping, Exited };
    static constexpr int KeptLines = 500;

    ~Container() override;

    // Starts it; `started` once it runs, `exited` when it ends (or could not start).
    virtual void start() = 0;
    // SIGTERM to what runs inside, SIGKILL after `grace`.
    void stop() { stop(m_spec.gracePeriod); }
    virtual void stop(std::chrono::milliseconds grace) = 0;
    virtual void kill() = 0;

    const ContainerSpec &spec() const { return m_spec; }
    QString name() const { return m_spec.name(); }
    State state() const { return m_state; }
    static QString stateName(State state);
    QDateTime startedAt() const { return m_startedAt; }
    const ContainerExit &exit() const { return m_exit; }
    QList<LogLine> recentLines(int count = KeptLines) const;

    // The runtime it belongs to: local, docker, swarm.
    virtual QString runtimeName() const = 0;
    // Where the router and the readiness probe reach its PORT.
    virtual QString host() const { return QStringLiteral("127.0.0.1"); }
    // Sockets inside its own network namespace, where its PORT listens (local sandboxes);
    // null when its port is reached at host():port.
    virtual std::shared_ptr<SandboxSocketSource> sockets() const { return nullptr; }
    // Where it runs when that is worth telling: a Swarm node; empty on this machine.
    virtual QString placement() const { return {}; }
    // Its main process as this machine sees it; 0 when it runs elsewhere or not yet.
    virtual qint64 processId() const { return 0; }
    // Kept from the host and from other apps (sandboxed, or in an engine's container).
    virtual bool isIsolated() const { return true; }
    // Whether it keeps running when slipwayd stops (an engine's container), to be taken over
    // by the next slipwayd; deleting the object then leaves it running.
    virtual bool outlivesDaemon() const { return false; }
    // The environment the command runs with (for `run` and the console).
    virtual QMap<QString, QString> environment() const = 0;

    // Sources .profile.d/*.sh in name order, then .profile, then runs the process command
    // (passed as $0), as the Heroku and Scalingo runtimes do; the same on every runtime.
    static QString startScript();
    // The platform's variables over the config vars, as every runtime sets them.
    static QMap<QString, QString> environmentFor(const ContainerSpec &spec, const QString &home,
                                                 const QString &tmp);

Q_SIGNALS:
    void started();
    void logLine(const Slipway::LogLine &line);
    void exited(const Slipway::ContainerExit &exit);
    // Its engine started it again after it ended by itself (Swarm replaced its task): how the
    // last one ended; `started` follows once the new one runs, possibly elsewhere (host()).
    void restarted(const Slipway::ContainerExit &previous);

protected:
    Container(ContainerSpec spec, QObject *parent);

    // For runtimes: a line the app printed, a line of Slipway's own, the state, the end.
    void addLine(LogLine line);
    void note(const QString &text);
    void setState(State state) { m_state = state; }
    // Running now: sets the start time and tells.
    void markStarted();
    // Records the stop request (once) for the exit's timing.
    void markStopRequested();
    bool stopRequested() const { return m_stopRequested; }
    // Sets the exit from `outcome` and tells; later calls do nothing.
    void markExited(const ProcessOutcome &outcome);

    ContainerSpec m_spec;

private:
    State m_state = State::Created;
    QDateTime m_startedAt;
    QDateTime m_stopRequestedAt;
    bool m_stopRequested = false;
    std::deque<LogLine> m_recent;
    ContainerExit m_exit;
};

} // namespace Slipway

Q_DECLARE_METATYPE(Slipway::ContainerExit)
