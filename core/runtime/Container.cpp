#include "runtime/Container.h"

#include <csignal>
#include <utility>

namespace Slipway {

namespace {

const QString DefaultPath =
    QStringLiteral("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

} // namespace

QString ContainerExit::signalName(int signal)
{
    switch (signal) {
    case SIGTERM:
        return QStringLiteral("SIGTERM");
    case SIGKILL:
        return QStringLiteral("SIGKILL");
    case SIGINT:
        return QStringLiteral("SIGINT");
    case SIGSEGV:
        return QStringLiteral("SIGSEGV");
    case SIGABRT:
        return QStringLiteral("SIGABRT");
    default:
        return QStringLiteral("signal %1").arg(signal);
    }
}

std::optional<int> ContainerExit::exitStatus() const
{
    if (outcome.signal > 0 || outcome.kind == ProcessOutcome::Kind::Signalled ||
        outcome.kind == ProcessOutcome::Kind::FailedToStart || outcome.exitCode < 0)
        return std::nullopt;
    return outcome.exitCode;
}

QString ContainerExit::signalName() const
{
    return outcome.signal > 0 ? signalName(outcome.signal) : QString();
}

QString ContainerExit::describe() const
{
    QString how;
    switch (outcome.kind) {
    case ProcessOutcome::Kind::FailedToStart:
        return QStringLiteral("could not start: %1").arg(outcome.errorString);
    case ProcessOutcome::Kind::Signalled:
        how = QStringLiteral("killed by %1").arg(signalName(outcome.signal));
        break;
    default:
        how = outcome.signal > 0 ? QStringLiteral("killed by %1").arg(signalName(outcome.signal))
                                 : QStringLiteral("exited with status %1").arg(outcome.exitCode);
        break;
    }
    if (!requested)
        return how;
    if (outcome.forced) {
        return QStringLiteral("killed with SIGKILL after the grace period (%1 ms), SIGTERM was "
                              "ignored")
            .arg(stopMilliseconds);
    }
    return QStringLiteral("%1 after SIGTERM in %2 ms").arg(how).arg(stopMilliseconds);
}

Container::Container(ContainerSpec spec, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
{}

Container::~Container() = default;

QString Container::stateName(State state)
{
    switch (state) {
    case State::Created:
        return QStringLiteral("created");
    case State::Starting:
        return QStringLiteral("starting");
    case State::Running:
        return QStringLiteral("running");
    case State::Stopping:
        return QStringLiteral("stopping");
    case State::Exited:
        return QStringLiteral("exited");
    }
    return {};
}

QString Container::startScript()
{
    return QStringLiteral("cd \"$HOME\" || exit 1; "
                          "for f in \"$HOME\"/.profile.d/*.sh; do [ -r \"$f\" ] && . \"$f\"; done; "
                          "[ -r \"$HOME/.profile\" ] && . \"$HOME/.profile\"; "
                          "exec bash -c \"$0\"");
}

QMap<QString, QString> Container::environmentFor(const ContainerSpec &spec, const QString &home,
                                                 const QString &tmp)
{
    QMap<QString, QString> environment;
    environment.insert(QStringLiteral("PATH"), DefaultPath);
    environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    environment.insert(QStringLiteral("TMPDIR"), tmp);
    for (auto it = spec.config.cbegin(); it != spec.config.cend(); ++it)
        environment.insert(it.key(), it.value());
    // What the platform sets wins over config vars of the same name.
    environment.insert(QStringLiteral("HOME"), home);
    environment.insert(QStringLiteral("APP"), spec.app);
    environment.insert(QStringLiteral("STACK"), spec.stack);
    environment.insert(QStringLiteral("CONTAINER"), spec.name());
    environment.insert(QStringLiteral("CONTAINER_VERSION"), spec.version());
    if (spec.port != 0)
        environment.insert(QStringLiteral("PORT"), QString::number(spec.port));
    else
        environment.remove(QStringLiteral("PORT"));
    return environment;
}

QList<LogLine> Container::recentLines(int count) const
{
    QList<LogLine> lines;
    const int first = qMax(0, int(m_recent.size()) - count);
    for (int i = first; i < int(m_recent.size()); ++i)
        lines.append(m_recent.at(size_t(i)));
    return lines;
}

void Container::addLine(LogLine line)
{
    m_recent.push_back(line);
    if (m_recent.size() > size_t(KeptLines))
        m_recent.pop_front();
    Q_EMIT logLine(line);
}

void Container::note(const QString &text)
{
    addLine(LogLine{QDateTime::currentDateTimeUtc(), m_spec.name(), true,
                    QStringLiteral("slipway: ") + text});
}

void Container::markStarted()
{
    m_state = State::Running;
    m_startedAt = QDateTime::currentDateTimeUtc();
    Q_EMIT started();
}

void Container::markStopRequested()
{
    if (m_stopRequested)
        return;
    m_stopRequested = true;
    m_stopRequestedAt = QDateTime::currentDateTimeUtc();
}

void Container::markExited(const ProcessOutcome &outcome)
{
    if (m_state == State::Exited)
        return;
    m_state = State::Exited;
    m_exit.outcome = outcome;
    m_exit.requested = m_stopRequested;
    if (m_stopRequestedAt.isValid())
        m_exit.stopMilliseconds = m_stopRequestedAt.msecsTo(QDateTime::currentDateTimeUtc());
    Q_EMIT exited(m_exit);
}

} // namespace Slipway
