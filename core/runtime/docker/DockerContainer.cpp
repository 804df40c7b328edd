#include "runtime/docker/DockerContainer.h"

#include "runtime/docker/DockerRuntime.h"

#include <csignal>
#include <utility>

namespace Slipway {

namespace {

using namespace std::chrono_literals;

// After the engine says the container ended, its last lines may still be on their way.
constexpr auto LastLinesWait = 2s;

} // namespace

DockerContainer::DockerContainer(ContainerSpec spec, DockerRuntime *runtime, QObject *parent)
    : Container(std::move(spec), parent)
    , m_runtime(runtime)
    , m_client(runtime->client())
    , m_grace(m_spec.gracePeriod)
{
    m_lastLines.setSingleShot(true);
    connect(&m_lastLines, &QTimer::timeout, this, &DockerContainer::conclude);
}

DockerContainer::DockerContainer(ContainerSpec spec, DockerRuntime *runtime,
                                 const DockerContainerInfo &running, QObject *parent)
    : DockerContainer(std::move(spec), runtime, parent)
{
    m_id = running.id;
    m_pid = running.state.pid;
    setState(State::Starting);
    markStarted();
    // Its output from now on: what it printed while no slipwayd ran is in the engine's log.
    follow(QDateTime::currentDateTimeUtc());
}

DockerContainer::~DockerContainer()
{
    // The calls end with this object; the engine's container runs on (outlivesDaemon).
    m_step.cancel();
    m_logs.cancel();
    m_wait.cancel();
}

QString DockerContainer::host() const
{
    return m_runtime ? m_runtime->containerHost() : QStringLiteral("127.0.0.1");
}

QMap<QString, QString> DockerContainer::environment() const
{
    return environmentFor(m_spec, QStringLiteral("/app"), QStringLiteral("/tmp"));
}

ProcessOutcome DockerContainer::outcomeOfStatus(int status, bool stopSent, bool killRequested)
{
    ProcessOutcome outcome;
    if (status > 128 && status < 128 + 65) {
        outcome.kind = ProcessOutcome::Kind::Signalled;
        outcome.signal = status - 128;
        outcome.forced = stopSent && outcome.signal == SIGKILL && !killRequested;
    } else {
        outcome.kind = ProcessOutcome::Kind::Exited;
        outcome.exitCode = status;
    }
    return outcome;
}

std::optional<ContainerSpec> DockerContainer::specFromLabels(const DockerLabels &labels)
{
    ContainerSpec spec;
    bool releaseOk = false;
    bool indexOk = false;
    bool portOk = true;
    spec.app = labels.value(QLatin1String(DockerRuntime::AppLabel));
    spec.releaseVersion =
        labels.value(QLatin1String(DockerRuntime::ReleaseLabel)).toInt(&releaseOk);
    spec.processType = labels.value(QLatin1String(DockerRuntime::ProcessLabel));
    spec.index = labels.value(QLatin1String(DockerRuntime::IndexLabel)).toInt(&indexOk);
    const QString port = labels.value(QLatin1String(DockerRuntime::PortLabel));
    if (!port.isEmpty())
        spec.port = quint16(port.toUInt(&portOk));
    spec.command = labels.value(QLatin1String(DockerRuntime::CommandLabel));
    if (spec.app.isEmpty() || spec.processType.isEmpty() || !releaseOk || !indexOk || !portOk ||
        spec.index < 1)
        return std::nullopt;
    return spec;
}

void DockerContainer::start()
{
    if (state() != State::Created)
        return;
    setState(State::Starting);
    if (!m_client || !m_runtime) {
        fail(QStringLiteral("its docker runtime is gone"));
        return;
    }
    if (!m_runtime->stackImage().isEmpty()) {
        create();
        return;
    }
    // A one-off or a restart before any rollout on this runtime since the daemon started:
    // the engine and the stack image are made ready first.
    const QPointer<DockerContainer> guard = this;
    m_runtime->prepare(
        m_spec,
        [guard](const QString &line) {
            if (guard)
                guard->note(line);
        },
        [guard](const Result<void> &prepared) {
            if (!guard || guard->state() != State::Starting)
                return;
            if (!prepared)
                guard->fail(prepared.error().message);
            else if (guard->stopRequested())
                guard->fail({});
            else
                guard->create();
        });
}

void DockerContainer::create()
{
    DockerContainerConfig config;
    config.name = DockerRuntime::engineName(m_spec, m_runtime->owner());
    config.image = m_runtime->stackImage();
    // The same start as on every runtime: bash sources .profile.d and .profile, then runs
    // the command.
    config.entrypoint = QStringList{};
    config.command = {QStringLiteral("/bin/bash"), QStringLiteral("-c"), startScript(),
                      m_spec.command};
    config.environment = environment();
    config.user = QLatin1String(DockerRuntime::SlugUser);
    config.workingDir = QStringLiteral("/app");
    config.memoryLimitBytes = qint64(m_spec.memoryLimitMiB) * 1024 * 1024;
    config.stopTimeout = std::chrono::ceil<std::chrono::seconds>(m_grace);
    config.labels = DockerRuntime::labelsFor(m_spec, m_runtime->owner());
    m_step = m_client->createContainer(config, this, [this](const Result<QString> &created) {
        if (!created) {
            fail(created.error().message);
            return;
        }
        m_id = *created;
        if (stopRequested()) {
            fail({});
            return;
        }
        upload();
    });
}

void DockerContainer::upload()
{
    // The slug as it was built, its files the slug user's, unpacked into /app.
    const QPointer<DockerContainer> guard = this;
    m_runtime->slugForEngine(m_spec.slugPath, [guard](const Result<QString> &slug) {
        if (!guard || guard->state() != State::Starting)
            return;
        if (!slug) {
            guard->fail(slug.error().message);
            return;
        }
        guard->uploadSlug(*slug);
    });
}

void DockerContainer::uploadSlug(const QString &slug)
{
    m_step = m_client->putArchive(m_id, QStringLiteral("/app"), slug, this, {},
                                  [this](const Result<void> &uploaded) {
                                      if (!uploaded) {
                                          fail(QStringLiteral("cannot put the slug into it: %1")
                                                   .arg(uploaded.error().message));
                                          return;
                                      }
                                      if (stopRequested()) {
                                          fail({});
                                          return;
                                      }
                                      launch();
                                  });
}

void DockerContainer::launch()
{
    const QDateTime since = QDateTime::currentDateTimeUtc().addSecs(-1);
    m_step = m_client->startContainer(m_id, this, [this, since](const Result<void> &started) {
        if (!started) {
            fail(started.error().message);
            return;
        }
        m_step = m_client->inspectContainer(
            m_id, this, [this](const Result<std::optional<DockerContainerInfo>> &info) {
                if (info && *info)
                    m_pid = (*info)->state.pid;
                if (state() != State::Starting)
                    return;
                markStarted();
                if (stopRequested())
                    sendStop();
            });
        follow(since);
    });
}

void DockerContainer::follow(const QDateTime &since)
{
    DockerLogOptions options;
    options.follow = true;
    options.timestamps = true;
    options.since = since;
    m_logs = m_client->containerLogs(
        m_id, options, this,
        [this](const QList<DockerLogLine> &lines) {
            for (const DockerLogLine &line : lines) {
                addLine(LogLine{line.time.isValid() ? line.time : QDateTime::currentDateTimeUtc(),
                                m_spec.name(), line.standardError, line.text});
            }
        },
        [this](const Result<void> &) {
            m_logsEnded = true;
            if (m_outcome)
                conclude();
        });
    m_wait = m_client->waitContainer(
        m_id, DockerWaitCondition::NotRunning, this,
        [this](const Result<DockerWaitResult> &waited) { onWaited(waited); });
}

void DockerContainer::onWaited(const Result<DockerWaitResult> &waited)
{
    ProcessOutcome outcome;
    if (!waited) {
        // The engine went away: the container's fate is unknown, so it counts as ended.
        outcome.kind = ProcessOutcome::Kind::FailedToStart;
        outcome.errorString =
            QStringLiteral("lost the Docker engine: %1").arg(waited.error().message);
    } else {
        outcome = outcomeOfStatus(waited->statusCode, m_stopSent, m_killRequested);
    }
    m_outcome = outcome;
    if (m_logsEnded)
        conclude();
    else
        m_lastLines.start(LastLinesWait);
}

void DockerContainer::conclude()
{
    if (!m_outcome || state() == State::Exited)
        return;
    m_lastLines.stop();
    m_logs.cancel();
    const ProcessOutcome outcome = *m_outcome;
    if (m_client && !m_id.isEmpty()) {
        // Ended is ended: nothing of it stays on the engine.
        m_client->removeContainer(m_id, true, nullptr, [](const Result<void> &) {});
    }
    markExited(outcome);
}

void DockerContainer::fail(const QString &reason)
{
    ProcessOutcome outcome;
    if (reason.isEmpty()) {
        outcome.kind = ProcessOutcome::Kind::Cancelled;
    } else {
        outcome.kind = ProcessOutcome::Kind::FailedToStart;
        outcome.errorString = reason;
        note(QStringLiteral("could not start: %1").arg(reason));
    }
    m_outcome = outcome;
    conclude();
}

void DockerContainer::sendStop()
{
    if (m_stopSent || m_id.isEmpty())
        return;
    m_stopSent = true;
    setState(State::Stopping);
    // The engine sends SIGTERM, then SIGKILL once the grace period is over; the end itself
    // comes through the wait.
    m_client->stopContainer(m_id, std::chrono::ceil<std::chrono::seconds>(m_grace), this,
                            [this](const Result<void> &stopped) {
                                if (!stopped && state() != State::Exited)
                                    note(stopped.error().message);
                            });
}

void DockerContainer::stop(std::chrono::milliseconds grace)
{
    if (state() == State::Exited)
        return;
    m_grace = grace;
    markStopRequested();
    if (state() == State::Running || state() == State::Stopping) {
        sendStop();
        return;
    }
    // Created: it never will; Starting: each step looks at the request before the next.
    if (state() == State::Created)
        fail({});
}

void DockerContainer::kill()
{
    if (state() == State::Exited)
        return;
    markStopRequested();
    if (m_id.isEmpty() || state() == State::Created) {
        fail({});
        return;
    }
    m_killRequested = true;
    if (state() == State::Starting) {
        // Not started yet: the start is cancelled and the container removed.
        m_step.cancel();
        fail({});
        return;
    }
    m_client->killContainer(m_id, QStringLiteral("SIGKILL"), this,
                            [this](const Result<void> &killed) {
                                if (!killed && state() != State::Exited)
                                    note(killed.error().message);
                            });
}

} // namespace Slipway
