#include "runtime/Container.h"

#include "runtime/OutboundNetwork.h"
#include "util/Background.h"
#include "util/FileTree.h"
#include "util/Sandbox.h"
#include "util/SandboxSocketSource.h"

#include <QDir>
#include <QFile>

#include <csignal>
#include <unistd.h>
#include <utility>

namespace Slipway {

namespace {

const QString DefaultPath =
    QStringLiteral("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

// Sources .profile.d/*.sh in name order, then .profile, then runs the process command,
// as the Heroku and Scalingo runtimes do.
const QString StartScript =
    QStringLiteral("cd \"$HOME\" || exit 1; "
                   "for f in \"$HOME\"/.profile.d/*.sh; do [ -r \"$f\" ] && . \"$f\"; done; "
                   "[ -r \"$HOME/.profile\" ] && . \"$HOME/.profile\"; "
                   "exec bash -c \"$0\"");

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

Container::Container(ContainerSpec spec, QString workDirectory, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_workDirectory(std::move(workDirectory))
    , m_grace(m_spec.gracePeriod)
{}

Container::~Container()
{
    if (m_sandboxChannel >= 0)
        ::close(m_sandboxChannel);
    if (m_runner && m_runner->isRunning())
        m_runner->kill();
    delete m_runner;
    if (!m_workDirectory.isEmpty())
        QDir(m_workDirectory).removeRecursively();
}

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

qint64 Container::processId() const
{
    return m_runner ? m_runner->processId() : 0;
}

QList<LogLine> Container::recentLines(int count) const
{
    QList<LogLine> lines;
    const int first = qMax(0, int(m_recent.size()) - count);
    for (int i = first; i < int(m_recent.size()); ++i)
        lines.append(m_recent.at(size_t(i)));
    return lines;
}

QMap<QString, QString> Container::environment() const
{
    const QString home = m_isolated ? QString::fromLatin1(Sandbox::AppMountPoint)
                                    : m_workDirectory + QStringLiteral("/app");
    QMap<QString, QString> environment;
    environment.insert(QStringLiteral("PATH"), DefaultPath);
    environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    environment.insert(QStringLiteral("TMPDIR"), m_isolated
                                                     ? QStringLiteral("/tmp")
                                                     : m_workDirectory + QStringLiteral("/tmp"));
    for (auto it = m_spec.config.cbegin(); it != m_spec.config.cend(); ++it)
        environment.insert(it.key(), it.value());
    // What the platform sets wins over config vars of the same name.
    environment.insert(QStringLiteral("HOME"), home);
    environment.insert(QStringLiteral("APP"), m_spec.app);
    environment.insert(QStringLiteral("STACK"), m_spec.stack);
    environment.insert(QStringLiteral("CONTAINER"), m_spec.name());
    environment.insert(QStringLiteral("CONTAINER_VERSION"), m_spec.version());
    if (m_spec.port != 0)
        environment.insert(QStringLiteral("PORT"), QString::number(m_spec.port));
    else
        environment.remove(QStringLiteral("PORT"));
    return environment;
}

void Container::start()
{
    if (m_state != State::Created)
        return;
    m_state = State::Starting;
    m_isolated = Sandbox::isAvailable();
    m_outbound = m_isolated && m_spec.outbound && OutboundNetwork::isAvailable();
    if (m_isolated && m_spec.outbound && !m_outbound)
        note(QStringLiteral("no outbound network: %1").arg(OutboundNetwork::unavailableReason()));
    // The container's network namespace holds only its loopback: the router and the
    // readiness probe reach its port through sockets its init makes there. The channel is
    // made now, so whoever probes the container from now on has it.
    int channel[2] = {-1, -1};
    if (m_isolated && SandboxSocketSource::makeChannel(channel)) {
        m_sockets = std::make_shared<SandboxSocketSource>(channel[0]);
        m_sandboxChannel = channel[1];
    }
    const QString from = m_spec.releaseDirectory;
    const QString to = m_workDirectory + QStringLiteral("/app");
    const QString tmp = m_workDirectory + QStringLiteral("/tmp");
    const QString resolver =
        m_outbound ? m_workDirectory + QStringLiteral("/resolv.conf") : QString();
    // Each container writes to its own copy, as on Heroku: the release stays untouched.
    runInBackground(
        this,
        [from, to, tmp, resolver, isolated = m_isolated]() -> Result<void> {
            QDir().mkpath(tmp);
            if (!resolver.isEmpty()) {
                QFile file(resolver);
                const QByteArray text = OutboundNetwork::resolverConfiguration();
                if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
                    return failure(
                        QStringLiteral("cannot write '%1': %2").arg(resolver, file.errorString()));
            }
            Result<void> copied = FileTree::copyContents(from, to);
            if (!copied || !isolated)
                return copied;
            // The app runs as the sandbox's user and writes to its own copy.
            return Sandbox::handOver({to});
        },
        [this](const Result<void> &copied) {
            if (!copied) {
                ProcessOutcome outcome;
                outcome.kind = ProcessOutcome::Kind::FailedToStart;
                outcome.errorString =
                    QStringLiteral("cannot prepare the app folder: %1").arg(copied.error().message);
                finish(outcome);
                return;
            }
            if (m_stopRequested) {
                ProcessOutcome outcome;
                outcome.kind = ProcessOutcome::Kind::Cancelled;
                finish(outcome);
                return;
            }
            launch();
        });
}

void Container::launch()
{
    // The sandbox waits, before anything of the app runs, until its way out is there.
    OutboundNetwork::SandboxEnds networkEnds;
    if (m_outbound) {
        auto *network = new OutboundNetwork(this);
        m_network = network;
        const Result<OutboundNetwork::SandboxEnds> ends = network->prepare();
        if (!ends) {
            m_networkFailure = ends.error().message;
            ProcessOutcome outcome;
            outcome.kind = ProcessOutcome::Kind::FailedToStart;
            outcome.errorString = m_networkFailure;
            finish(outcome);
            return;
        }
        networkEnds = *ends;
        connect(network, &OutboundNetwork::failed, this, &Container::onNetworkFailed);
    }
    auto *runner = new ProcessRunner(this);
    m_runner = runner;
    ProcessRunner::Spec spec;
    spec.program = QStringLiteral("/bin/bash");
    spec.arguments = {QStringLiteral("-c"), StartScript, m_spec.command};
    QProcessEnvironment environment;
    const QMap<QString, QString> variables = this->environment();
    for (auto it = variables.cbegin(); it != variables.cend(); ++it)
        environment.insert(it.key(), it.value());
    spec.environment = environment;
    spec.killGrace = m_grace;
    if (m_isolated) {
        Sandbox::Setup setup;
        setup.mounts.append({m_workDirectory + QStringLiteral("/app"),
                             QString::fromLatin1(Sandbox::AppMountPoint), true});
        setup.workingDirectory = QString::fromLatin1(Sandbox::AppMountPoint);
        setup.socketChannel = m_sandboxChannel;
        if (m_sandboxChannel >= 0) // the runner closes what it is passed
            spec.passedDescriptors.append(std::exchange(m_sandboxChannel, -1));
        if (m_outbound) {
            setup.infoDescriptor = networkEnds.info;
            setup.holdDescriptor = networkEnds.hold;
            setup.resolverFile = m_workDirectory + QStringLiteral("/resolv.conf");
            spec.passedDescriptors << networkEnds.info << networkEnds.hold;
        }
        spec.sandboxArguments = Sandbox::arguments(setup);
    } else {
        spec.ownPidNamespace = false;
        spec.workingDirectory = m_workDirectory + QStringLiteral("/app");
    }
    connect(runner, &ProcessRunner::outputLine, this,
            [this](const QString &text, ProcessRunner::Channel channel) {
                LogLine line{QDateTime::currentDateTimeUtc(), m_spec.name(),
                             channel == ProcessRunner::Channel::StandardError, text};
                m_recent.push_back(line);
                if (m_recent.size() > size_t(KeptLines))
                    m_recent.pop_front();
                Q_EMIT logLine(line);
            });
    connect(runner, &ProcessRunner::finished, this, &Container::finish);
    runner->start(spec);
    if (m_network)
        m_network->connectSandbox();
    // ProcessRunner launches on the next turn; report once it has a pid.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (m_state != State::Starting)
                return;
            m_state = State::Running;
            m_startedAt = QDateTime::currentDateTimeUtc();
            Q_EMIT started();
            if (m_stopRequested)
                stop(m_grace);
        },
        Qt::QueuedConnection);
}

void Container::note(const QString &text)
{
    LogLine line{QDateTime::currentDateTimeUtc(), m_spec.name(), true,
                 QStringLiteral("slipway: ") + text};
    m_recent.push_back(line);
    if (m_recent.size() > size_t(KeptLines))
        m_recent.pop_front();
    Q_EMIT logLine(line);
}

void Container::onNetworkFailed(const QString &reason)
{
    note(reason);
    if (m_state == State::Exited || m_stopRequested)
        return;
    // An app that was given a way out must not run on silently without one.
    if (m_network && !m_network->isReady())
        m_networkFailure = reason;
    if (m_runner)
        m_runner->kill();
}

void Container::finish(const ProcessOutcome &outcome)
{
    if (m_state == State::Exited)
        return;
    m_state = State::Exited;
    if (m_network)
        m_network->stop();
    m_exit.outcome = outcome;
    if (!m_networkFailure.isEmpty() && !m_stopRequested) {
        m_exit.outcome.kind = ProcessOutcome::Kind::FailedToStart;
        m_exit.outcome.errorString =
            QStringLiteral("its outbound network could not be set up: %1").arg(m_networkFailure);
    }
    m_exit.requested = m_stopRequested;
    if (m_stopRequestedAt.isValid())
        m_exit.stopMilliseconds = m_stopRequestedAt.msecsTo(QDateTime::currentDateTimeUtc());
    // The copy is this container's alone; the release it came from stays.
    const QString work = m_workDirectory;
    runInBackground(
        this, [work] { return QDir(work).removeRecursively(); }, [](bool) {});
    m_workDirectory.clear();
    Q_EMIT exited(m_exit);
}

void Container::stop()
{
    stop(m_spec.gracePeriod);
}

void Container::stop(std::chrono::milliseconds grace)
{
    if (m_state == State::Exited)
        return;
    m_grace = grace;
    if (!m_stopRequested) {
        m_stopRequested = true;
        m_stopRequestedAt = QDateTime::currentDateTimeUtc();
    }
    if (m_state == State::Running || m_state == State::Stopping) {
        m_state = State::Stopping;
        if (m_runner)
            m_runner->stop(grace);
    }
    // Created or Starting: start() and launch() see the request and end at once.
    if (m_state == State::Created) {
        ProcessOutcome outcome;
        outcome.kind = ProcessOutcome::Kind::Cancelled;
        finish(outcome);
    }
}

void Container::kill()
{
    if (m_state == State::Exited)
        return;
    if (!m_stopRequested) {
        m_stopRequested = true;
        m_stopRequestedAt = QDateTime::currentDateTimeUtc();
    }
    if (m_runner)
        m_runner->kill();
    else
        stop(std::chrono::milliseconds(0));
}

} // namespace Slipway
