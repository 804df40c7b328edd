#include "runtime/local/LocalContainer.h"

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

LocalContainer::LocalContainer(ContainerSpec spec, QString workDirectory, QObject *parent)
    : Container(std::move(spec), parent)
    , m_workDirectory(std::move(workDirectory))
    , m_grace(m_spec.gracePeriod)
{}

LocalContainer::~LocalContainer()
{
    if (m_sandboxChannel >= 0)
        ::close(m_sandboxChannel);
    if (m_runner && m_runner->isRunning())
        m_runner->kill();
    delete m_runner;
    if (!m_workDirectory.isEmpty())
        QDir(m_workDirectory).removeRecursively();
}

qint64 LocalContainer::processId() const
{
    return m_runner ? m_runner->processId() : 0;
}

QMap<QString, QString> LocalContainer::environment() const
{
    if (m_isolated)
        return environmentFor(m_spec, QString::fromLatin1(Sandbox::AppMountPoint),
                              QStringLiteral("/tmp"));
    return environmentFor(m_spec, m_workDirectory + QStringLiteral("/app"),
                          m_workDirectory + QStringLiteral("/tmp"));
}

void LocalContainer::start()
{
    if (state() != State::Created)
        return;
    setState(State::Starting);
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
            if (stopRequested()) {
                ProcessOutcome outcome;
                outcome.kind = ProcessOutcome::Kind::Cancelled;
                finish(outcome);
                return;
            }
            launch();
        });
}

void LocalContainer::launch()
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
        connect(network, &OutboundNetwork::failed, this, &LocalContainer::onNetworkFailed);
    }
    auto *runner = new ProcessRunner(this);
    m_runner = runner;
    ProcessRunner::Spec spec;
    spec.program = QStringLiteral("/bin/bash");
    spec.arguments = {QStringLiteral("-c"), startScript(), m_spec.command};
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
                addLine(LogLine{QDateTime::currentDateTimeUtc(), m_spec.name(),
                                channel == ProcessRunner::Channel::StandardError, text});
            });
    connect(runner, &ProcessRunner::finished, this, &LocalContainer::finish);
    runner->start(spec);
    if (m_network)
        m_network->connectSandbox();
    // ProcessRunner launches on the next turn; report once it has a pid.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (state() != State::Starting)
                return;
            markStarted();
            if (stopRequested())
                stop(m_grace);
        },
        Qt::QueuedConnection);
}

void LocalContainer::onNetworkFailed(const QString &reason)
{
    note(reason);
    if (state() == State::Exited || stopRequested())
        return;
    // An app that was given a way out must not run on silently without one.
    if (m_network && !m_network->isReady())
        m_networkFailure = reason;
    if (m_runner)
        m_runner->kill();
}

void LocalContainer::finish(const ProcessOutcome &outcome)
{
    if (state() == State::Exited)
        return;
    if (m_network)
        m_network->stop();
    if (m_sockets)
        m_sockets->close();
    ProcessOutcome ended = outcome;
    if (!m_networkFailure.isEmpty() && !stopRequested()) {
        ended.kind = ProcessOutcome::Kind::FailedToStart;
        ended.errorString =
            QStringLiteral("its outbound network could not be set up: %1").arg(m_networkFailure);
    }
    // The copy is this container's alone; the release it came from stays.
    const QString work = m_workDirectory;
    runInBackground(
        this, [work] { return QDir(work).removeRecursively(); }, [](bool) {});
    m_workDirectory.clear();
    markExited(ended);
}

void LocalContainer::stop(std::chrono::milliseconds grace)
{
    if (state() == State::Exited)
        return;
    m_grace = grace;
    markStopRequested();
    if (state() == State::Running || state() == State::Stopping) {
        setState(State::Stopping);
        if (m_runner)
            m_runner->stop(grace);
    }
    // Created or Starting: start() and launch() see the request and end at once.
    if (state() == State::Created) {
        ProcessOutcome outcome;
        outcome.kind = ProcessOutcome::Kind::Cancelled;
        finish(outcome);
    }
}

void LocalContainer::kill()
{
    if (state() == State::Exited)
        return;
    markStopRequested();
    if (m_runner)
        m_runner->kill();
    else
        stop(std::chrono::milliseconds(0));
}

} // namespace Slipway
