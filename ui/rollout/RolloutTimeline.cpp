#include "rollout/RolloutTimeline.h"

#include <QLocale>
#include <QRegularExpression>

#include <algorithm>
#include <array>

namespace Slipway {

namespace {

using StepKind = RolloutState::StepKind;
using StepState = RolloutState::StepState;

constexpr int StepCount = 6;
constexpr int KeptOutputLines = 200;
// How long past its grace period an old container's end may take to be reported.
constexpr qint64 OverdueMs = 5000;

struct StepInfo
{
    StepKind kind;
    const char *key;
    const char *title;
};

constexpr std::array<StepInfo, StepCount> Steps = {{
    {StepKind::Build, "build", "Build"},
    {StepKind::Start, "start", "Start new containers"},
    {StepKind::WaitReady, "wait-ready", "Wait until ready"},
    {StepKind::Postdeploy, "postdeploy", "Postdeploy hook"},
    {StepKind::Route, "route", "Route traffic"},
    {StepKind::StopOld, "stop-old", "Stop old containers"},
}};

int stepIndex(const QString &key)
{
    for (int i = 0; i < StepCount; ++i) {
        if (key == QLatin1String(Steps[i].key))
            return i;
    }
    return -1;
}

// queued < building < pushing < starting < any final status.
int statusRank(const QString &status)
{
    if (status == QLatin1String("queued") || status.isEmpty())
        return 0;
    if (status == QLatin1String("building"))
        return 1;
    if (status == QLatin1String("pushing"))
        return 2;
    if (status == QLatin1String("starting"))
        return 3;
    return 4;
}

bool isRolloutKind(const QString &kind)
{
    static const QStringList kinds = {
        QStringLiteral("step-started"),           QStringLiteral("container-started"),
        QStringLiteral("container-probed"),       QStringLiteral("container-ready"),
        QStringLiteral("container-crashed"),      QStringLiteral("hook-started"),
        QStringLiteral("hook-finished"),          QStringLiteral("traffic-routed"),
        QStringLiteral("old-container-stopping"), QStringLiteral("old-container-stopped"),
        QStringLiteral("new-container-stopping"), QStringLiteral("new-container-stopped"),
    };
    return kinds.contains(kind);
}

std::optional<int> optionalInt(const QJsonValue &value)
{
    if (value.isDouble())
        return value.toInt();
    return std::nullopt;
}

qint64 int64Of(const QJsonValue &value, qint64 fallback = -1)
{
    return value.isDouble() ? qint64(value.toDouble()) : fallback;
}

// The first capture of `pattern` in `text` as a number, or `fallback`.
qint64 capturedNumber(const QString &text, const QRegularExpression &pattern, qint64 fallback = -1)
{
    const QRegularExpressionMatch match = pattern.match(text);
    if (!match.hasMatch())
        return fallback;
    bool ok = false;
    const qint64 value = match.captured(1).toLongLong(&ok);
    return ok ? value : fallback;
}

// "60 s", "500 ms", "2 min" as the engine writes durations.
qint64 parseDuration(const QString &number, const QString &unit)
{
    const qint64 value = number.toLongLong();
    if (unit == QLatin1String("ms"))
        return value;
    if (unit == QLatin1String("min"))
        return value * 60000;
    return value * 1000;
}

bool isHookContainer(const QString &name)
{
    return name.startsWith(QLatin1String("postdeploy-"));
}

bool isProbedType(const QString &type)
{
    return type == QLatin1String("web") || type == QLatin1String("tcp");
}

StatusFamily familyOf(const QString &word)
{
    // The state words are shown with a space; StatusStyle knows them hyphenated.
    return StatusStyle::family(QString(word).replace(u' ', u'-'));
}

QString stopOutcome(std::optional<int> exitStatus, const QString &signal, bool killed,
                    qint64 stopMs, qint64 graceMs)
{
    if (killed) {
        return graceMs > 0 ? QStringLiteral("killed with SIGKILL after the %1 grace period")
                                 .arg(RolloutState::duration(graceMs))
                           : QStringLiteral("killed with SIGKILL after the grace period");
    }
    const QString in =
        stopMs >= 0 ? QStringLiteral(" in %1").arg(RolloutState::duration(stopMs)) : QString();
    if (exitStatus)
        return QStringLiteral("exited with status %1 after SIGTERM%2").arg(*exitStatus).arg(in);
    if (!signal.isEmpty())
        return QStringLiteral("ended by %1%2").arg(signal, in);
    return QStringLiteral("stopped%1").arg(in);
}

// What an "old/new web-1 (v2) stopped: …" text says, for events recorded without data.
struct StopText
{
    int release = 0;
    std::optional<int> exitStatus;
    QString signal;
    bool killed = false;
    qint64 stopMs = -1;
};

StopText readStopText(const QString &text)
{
    static const QRegularExpression release(QStringLiteral("\\(v(\\d+)\\)"));
    static const QRegularExpression status(QStringLiteral("exited with status (\\d+)"));
    static const QRegularExpression signal(QStringLiteral("killed by (SIG[A-Z0-9]+)"));
    static const QRegularExpression in(QStringLiteral("after SIGTERM in (\\d+) ms"));
    static const QRegularExpression grace(QStringLiteral("grace period \\((\\d+) ms\\)"));
    StopText stop;
    stop.release = int(capturedNumber(text, release, 0));
    stop.killed = text.contains(QLatin1String("SIGKILL after the grace period"));
    const qint64 exitStatus = capturedNumber(text, status);
    if (exitStatus >= 0)
        stop.exitStatus = int(exitStatus);
    const QRegularExpressionMatch signalMatch = signal.match(text);
    if (signalMatch.hasMatch())
        stop.signal = signalMatch.captured(1);
    stop.stopMs = capturedNumber(text, stop.killed ? grace : in);
    return stop;
}

} // namespace

// ---- input ---------------------------------------------------------------------------

void RolloutTimeline::clear()
{
    *this = RolloutTimeline();
}

bool RolloutTimeline::setDeployment(const QJsonObject &deployment, QString *error)
{
    if (!deployment.value(QStringLiteral("status")).isString()) {
        if (error)
            *error = QStringLiteral("this is not a deployment: it has no \"status\"; pass the "
                                    "\"deployment\" object of the API's answer");
        return false;
    }
    clear();
    m_id = deployment.value(QStringLiteral("id")).toString();
    m_status = deployment.value(QStringLiteral("status")).toString();
    m_error = deployment.value(QStringLiteral("error")).toString();
    m_waitingFor = deployment.value(QStringLiteral("waiting_for")).toString();
    m_release = deployment.value(QStringLiteral("release_version")).toInt();
    m_previousRelease = optionalInt(deployment.value(QStringLiteral("previous_release")));
    m_createdAt = QDateTime::fromString(deployment.value(QStringLiteral("created_at")).toString(),
                                        Qt::ISODateWithMs);
    m_finishedAt = QDateTime::fromString(deployment.value(QStringLiteral("finished_at")).toString(),
                                         Qt::ISODateWithMs);
    const QJsonValue timeline = deployment.value(QStringLiteral("timeline"));
    if (timeline.isArray()) {
        QString rejected;
        if (appendEvents(timeline.toArray(), &rejected) > 0 && error)
            *error = rejected;
    }
    return true;
}

void RolloutTimeline::setStatus(const QString &status, const QString &error)
{
    if (status.isEmpty())
        return;
    m_status = status;
    if (!error.isEmpty())
        m_error = error;
    if (isFinished() && !m_finishedAt.isValid() && m_createdAt.isValid())
        m_finishedAt = m_createdAt.addMSecs(lastEventOffset());
}

bool RolloutTimeline::appendEvent(const QJsonObject &object, QString *error)
{
    const QString kind = object.value(QStringLiteral("kind")).toString();
    const QJsonValue offset = object.value(QStringLiteral("offset_ms"));
    if (kind.isEmpty() || !offset.isDouble()) {
        if (error)
            *error = QStringLiteral("a timeline event needs a \"kind\" and an \"offset_ms\" "
                                    "number; this one has kind \"%1\" and offset_ms %2, so it "
                                    "was left out of the picture")
                         .arg(kind, offset.isUndefined() ? QStringLiteral("missing")
                                                         : QStringLiteral("not a number"));
        return false;
    }
    Event event;
    event.offset = qMax<qint64>(0, qint64(offset.toDouble()));
    event.time =
        QDateTime::fromString(object.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs);
    event.kind = kind;
    event.container = object.value(QStringLiteral("container")).toString();
    event.text = object.value(QStringLiteral("text")).toString();
    event.data = object.value(QStringLiteral("data")).toObject();

    auto position = std::upper_bound(
        m_events.begin(), m_events.end(), event.offset,
        [](qint64 value, const Event &existing) { return value < existing.offset; });
    for (auto it = position; it != m_events.begin();) {
        --it;
        if (it->offset != event.offset)
            break;
        if (it->kind == event.kind && it->container == event.container && it->text == event.text)
            return true; // already known: the stream and the fetched timeline overlap
    }
    m_events.insert(position, event);
    return true;
}

int RolloutTimeline::appendEvents(const QJsonArray &events, QString *error)
{
    int rejected = 0;
    for (const QJsonValue &value : events) {
        QString why;
        if (!appendEvent(value.toObject(), &why)) {
            if (rejected++ == 0 && error)
                *error = why;
        }
    }
    return rejected;
}

void RolloutTimeline::setLog(const QStringList &lines)
{
    m_output.clear();
    m_inRollout = false;
    m_logBootTimeoutMs = -1;
    for (const QString &line : lines)
        readLogLine(line);
}

void RolloutTimeline::appendLogLine(const QString &line)
{
    readLogLine(line);
}

void RolloutTimeline::readLogLine(const QString &line)
{
    static const QRegularExpression containerLine(
        QStringLiteral("^ {7}([A-Za-z0-9][A-Za-z0-9_.]*(?:-[A-Za-z0-9_.]+)*-\\d+): ?(.*)$"));
    static const QRegularExpression bootTimeout(
        QStringLiteral("^-----> Waiting for .*\\(boot timeout (\\d+) (ms|s|min)\\)"));
    static const QRegularExpression lastLines(QStringLiteral("^-----> Last lines of (\\S+):$"));
    if (line.startsWith(QLatin1String("-----> Starting release v"))) {
        // A container's output is what follows the start of the rollout.
        m_inRollout = true;
        m_output.clear();
        return;
    }
    if (!m_inRollout)
        return;
    if (line.startsWith(QLatin1String("-----> "))) {
        const QRegularExpressionMatch timeout = bootTimeout.match(line);
        if (timeout.hasMatch())
            m_logBootTimeoutMs = parseDuration(timeout.captured(1), timeout.captured(2));
        // The crash report repeats the container's last lines: they replace what was kept.
        const QRegularExpressionMatch last = lastLines.match(line);
        if (last.hasMatch())
            m_output.remove(last.captured(1));
        return;
    }
    const QRegularExpressionMatch match = containerLine.match(line);
    if (!match.hasMatch())
        return;
    QStringList &lines = m_output[match.captured(1)];
    lines.append(match.captured(2));
    if (lines.size() > KeptOutputLines)
        lines.removeFirst();
}

// ---- queries -------------------------------------------------------------------------

bool RolloutTimeline::isFinished() const
{
    return StatusStyle::isFinal(m_status);
}

qint64 RolloutTimeline::lastEventOffset() const
{
    return m_events.isEmpty() ? 0 : m_events.last().offset;
}

qint64 RolloutTimeline::durationMs() const
{
    if (m_createdAt.isValid() && m_finishedAt.isValid())
        return qMax<qint64>(0, m_createdAt.msecsTo(m_finishedAt));
    if (!isFinished())
        return -1;
    // Finished, without a finished_at: it ended with its failure or its traffic switch.
    for (auto it = m_events.crbegin(); it != m_events.crend(); ++it) {
        if (it->kind == QLatin1String("failed") || it->kind == QLatin1String("traffic-routed"))
            return it->offset;
    }
    return lastEventOffset();
}

qint64 RolloutTimeline::endOffset() const
{
    return qMax(lastEventOffset(), durationMs());
}

QStringList RolloutTimeline::outputOf(const QString &container) const
{
    return m_output.value(container);
}

// ---- the picture at one moment -------------------------------------------------------

RolloutState RolloutTimeline::snapshotAt(qint64 offsetMs) const
{
    static const QRegularExpression portInText(QStringLiteral("on port (\\d+)"));
    static const QRegularExpression pidInText(QStringLiteral("\\(pid (\\d+)"));
    static const QRegularExpression probeInText(QStringLiteral(" probe (\\d+)"));
    static const QRegularExpression readyInText(
        QStringLiteral("ready after (\\d+) probes? \\((\\d+) ms\\)"));
    static const QRegularExpression releaseInText(QStringLiteral("release v(\\d+)"));
    static const QRegularExpression hookExitInText(QStringLiteral("exited with status (\\d+)"));
    static const QRegularExpression hookSignalInText(QStringLiteral("killed by (SIG[A-Z0-9]+)"));
    static const QRegularExpression bootTimeoutInText(
        QStringLiteral("boot timeout (\\d+) (ms|s|min)"));
    static const QRegularExpression buildpacksInText(
        QStringLiteral("^buildpacks (.+), chosen by "));
    static const QRegularExpression statusInSection(QStringLiteral("^Deployment ([a-z-]+)$"));
    static const QRegularExpression routedNames(QStringLiteral("([A-Za-z0-9_.-]+-\\d+) \\(port"));

    const qint64 t = qMax<qint64>(0, offsetMs);
    RolloutState state;
    state.offsetMs = t;
    state.release = m_release;
    state.previousRelease = m_previousRelease;
    state.waitingFor = m_waitingFor;
    for (const StepInfo &info : Steps) {
        RolloutState::Step step;
        step.kind = info.kind;
        step.key = QString::fromLatin1(info.key);
        step.title = QString::fromLatin1(info.title);
        state.steps.append(step);
    }

    // What the whole timeline says, so a replay names both releases from its first moment
    // and a container stopped in the same millisecond as a boot timeout is shown as timed
    // out, not merely stopped.
    QString failureStatus = StatusStyle::isFinal(m_status) && m_status != QLatin1String("success")
                                ? m_status
                                : QString();
    for (const Event &event : m_events) {
        const QJsonObject &data = event.data;
        if (event.kind == QLatin1String("failed")) {
            const QString said = data.value(QStringLiteral("status")).toString();
            if (!said.isEmpty())
                failureStatus = said;
        } else if (event.kind == QLatin1String("release-created") && state.release == 0) {
            state.release = data.value(QStringLiteral("release"))
                                .toInt(int(capturedNumber(event.text, releaseInText, 0)));
        } else if (event.kind == QLatin1String("step-started") &&
                   data.value(QStringLiteral("step")).toString() == QLatin1String("start")) {
            state.release = data.value(QStringLiteral("release")).toInt(state.release);
            if (data.contains(QStringLiteral("previous_release")))
                state.previousRelease = optionalInt(data.value(QStringLiteral("previous_release")));
        } else if (event.kind.startsWith(QLatin1String("old-container-")) &&
                   !state.previousRelease) {
            const int release =
                data.value(QStringLiteral("release")).toInt(readStopText(event.text).release);
            if (release > 0)
                state.previousRelease = release;
        }
    }

    std::array<qint64, StepCount> started;
    started.fill(-1);
    std::array<QJsonObject, StepCount> stepData;
    bool buildSeen = false;
    bool rolloutSeen = false;
    QString sectionStatus;
    qint64 releaseCreatedAt = -1;
    QStringList buildpacks;
    qint64 slugBytes = -1;
    qint64 bootTimeoutMs = -1;
    qint64 hookLimitMs = -1;
    bool hookSkipped = false;
    qint64 failedAt = -1;
    QString failedStep;
    QString failedText;
    QString failedStatusAtEvent;
    QString crashedContainer;
    QHash<QString, int> tileIndex;
    QHash<QString, int> oldIndex;
    QHash<QString, qint64> newGrace;

    auto tileFor = [&](const QString &name) -> RolloutState::Tile & {
        auto found = tileIndex.constFind(name);
        if (found != tileIndex.constEnd())
            return state.tiles[*found];
        RolloutState::Tile tile;
        tile.name = name;
        const int dash = int(name.lastIndexOf(u'-'));
        tile.type = dash > 0 ? name.left(dash) : name;
        tile.index = dash > 0 ? name.mid(dash + 1).toInt() : 0;
        tile.probed = isProbedType(tile.type);
        tile.release = m_release;
        tile.state = QStringLiteral("starting");
        tileIndex.insert(name, int(state.tiles.size()));
        state.tiles.append(tile);
        return state.tiles.last();
    };
    auto oldFor = [&](const QString &name) -> RolloutState::OldContainer & {
        auto found = oldIndex.constFind(name);
        if (found != oldIndex.constEnd())
            return state.oldContainers[*found];
        RolloutState::OldContainer old;
        old.name = name;
        old.state = QStringLiteral("serving");
        old.release = m_previousRelease.value_or(0);
        oldIndex.insert(name, int(state.oldContainers.size()));
        state.oldContainers.append(old);
        return state.oldContainers.last();
    };
    // Whether a new container still waiting for its probe was cut short by the boot timeout.
    auto timedOut = [&](const RolloutState::Tile &tile) {
        return failureStatus == QLatin1String("timeout-error") && tile.probed &&
               (tile.state == QLatin1String("starting") || tile.state == QLatin1String("probing"));
    };
    auto isFinalTileState = [](const QString &word) {
        return word == QLatin1String("crashed") || word == QLatin1String("timed out");
    };

    for (const Event &event : m_events) {
        if (event.offset > t)
            break;
        const QJsonObject &data = event.data;
        const QString &kind = event.kind;
        if (isRolloutKind(kind))
            rolloutSeen = true;

        if (kind == QLatin1String("source-fetched") ||
            kind == QLatin1String("buildpack-detected") || kind == QLatin1String("slug-built")) {
            buildSeen = true;
            if (kind == QLatin1String("buildpack-detected")) {
                const QString name = data.value(QStringLiteral("name")).toString();
                const QString reference = data.value(QStringLiteral("buildpack")).toString();
                if (!name.isEmpty() || !reference.isEmpty()) {
                    buildpacks.append(name.isEmpty() ? reference : name);
                } else {
                    // "buildpacks Node.js (nodejs), Procfile (procfile), chosen by …"
                    const QRegularExpressionMatch said = buildpacksInText.match(event.text);
                    if (said.hasMatch()) {
                        const QStringList each = said.captured(1).split(QStringLiteral(", "));
                        for (const QString &buildpack : each) {
                            const qsizetype reference = buildpack.indexOf(QStringLiteral(" ("));
                            buildpacks.append(reference > 0 ? buildpack.left(reference)
                                                            : buildpack);
                        }
                    }
                }
            }
            if (kind == QLatin1String("slug-built"))
                slugBytes = int64Of(data.value(QStringLiteral("bytes")));
        } else if (kind == QLatin1String("log-section")) {
            const QString title = data.value(QStringLiteral("title")).toString();
            const QString words = title.isEmpty() ? event.text : title;
            // "-----> Deployment building": the log says when the status changed.
            const QRegularExpressionMatch said = statusInSection.match(words);
            if (said.hasMatch()) {
                if (statusRank(said.captured(1)) < 4 &&
                    statusRank(said.captured(1)) > statusRank(sectionStatus))
                    sectionStatus = said.captured(1);
                continue;
            }
            if (!rolloutSeen && releaseCreatedAt < 0 &&
                !words.contains(QLatin1String("Starting release")))
                buildSeen = true;
            const QRegularExpressionMatch timeout = bootTimeoutInText.match(words);
            if (timeout.hasMatch() && bootTimeoutMs < 0)
                bootTimeoutMs = parseDuration(timeout.captured(1), timeout.captured(2));
        } else if (kind == QLatin1String("release-created")) {
            releaseCreatedAt = event.offset;
            int release = data.value(QStringLiteral("release")).toInt();
            if (release == 0)
                release = int(capturedNumber(event.text, releaseInText, 0));
            if (release > 0)
                state.release = release;
        } else if (kind == QLatin1String("step-started")) {
            const int index = stepIndex(data.value(QStringLiteral("step")).toString());
            if (index < 0)
                continue;
            started[index] = event.offset;
            stepData[index] = data;
            switch (Steps[index].kind) {
            case StepKind::Start: {
                if (data.value(QStringLiteral("release")).isDouble())
                    state.release = data.value(QStringLiteral("release")).toInt();
                if (data.contains(QStringLiteral("previous_release")))
                    state.previousRelease =
                        optionalInt(data.value(QStringLiteral("previous_release")));
                const QJsonArray containers = data.value(QStringLiteral("containers")).toArray();
                for (const QJsonValue &value : containers) {
                    const QJsonObject container = value.toObject();
                    const QString name = container.value(QStringLiteral("name")).toString();
                    if (name.isEmpty())
                        continue;
                    RolloutState::Tile &tile = tileFor(name);
                    if (container.value(QStringLiteral("type")).isString())
                        tile.type = container.value(QStringLiteral("type")).toString();
                    if (container.value(QStringLiteral("index")).isDouble())
                        tile.index = container.value(QStringLiteral("index")).toInt();
                    tile.port = container.value(QStringLiteral("port")).toInt(tile.port);
                    if (container.value(QStringLiteral("probed")).isBool())
                        tile.probed = container.value(QStringLiteral("probed")).toBool();
                    tile.release = state.release;
                }
                break;
            }
            case StepKind::WaitReady:
                bootTimeoutMs =
                    int64Of(data.value(QStringLiteral("boot_timeout_ms")), bootTimeoutMs);
                state.probeIntervalMs = int64Of(data.value(QStringLiteral("probe_interval_ms")));
                break;
            case StepKind::Postdeploy:
                hookSkipped = data.value(QStringLiteral("skipped")).toBool();
                state.hook.expected = !hookSkipped;
                state.hook.command = data.value(QStringLiteral("command")).toString();
                hookLimitMs = int64Of(data.value(QStringLiteral("time_limit_ms")));
                state.hook.state =
                    hookSkipped ? QStringLiteral("skipped") : QStringLiteral("waiting");
                break;
            case StepKind::Route:
                if (data.contains(QStringLiteral("from_release")))
                    state.traffic.fromRelease =
                        optionalInt(data.value(QStringLiteral("from_release")));
                state.traffic.toRelease = data.value(QStringLiteral("to_release")).toInt();
                break;
            case StepKind::StopOld: {
                state.oldGracePeriodMs = int64Of(data.value(QStringLiteral("grace_period_ms")));
                const int release = data.value(QStringLiteral("release")).toInt();
                const QJsonArray containers = data.value(QStringLiteral("containers")).toArray();
                for (const QJsonValue &value : containers) {
                    RolloutState::OldContainer &old = oldFor(value.toString());
                    if (release > 0)
                        old.release = release;
                }
                break;
            }
            case StepKind::Build:
                break;
            }
        } else if (kind == QLatin1String("container-started")) {
            if (event.container.isEmpty() || isHookContainer(event.container))
                continue;
            RolloutState::Tile &tile = tileFor(event.container);
            if (data.value(QStringLiteral("type")).isString())
                tile.type = data.value(QStringLiteral("type")).toString();
            if (data.value(QStringLiteral("index")).isDouble())
                tile.index = data.value(QStringLiteral("index")).toInt();
            tile.port = data.value(QStringLiteral("port"))
                            .toInt(int(capturedNumber(event.text, portInText, tile.port)));
            tile.pid = int64Of(data.value(QStringLiteral("pid")),
                               capturedNumber(event.text, pidInText, 0));
            if (data.value(QStringLiteral("release")).isDouble())
                tile.release = data.value(QStringLiteral("release")).toInt();
            tile.isolated = data.contains(QStringLiteral("isolated"))
                                ? data.value(QStringLiteral("isolated")).toBool()
                                : !event.text.contains(QLatin1String("not isolated"));
            tile.startedMs = event.offset;
            if (tile.state == QLatin1String("starting") && !tile.probed)
                tile.state = QStringLiteral("running");
        } else if (kind == QLatin1String("container-probed")) {
            RolloutState::Tile &tile = tileFor(event.container);
            tile.probes =
                qMax(tile.probes, data.value(QStringLiteral("probes"))
                                      .toInt(int(capturedNumber(event.text, probeInText, 0))));
            if (tile.port == 0)
                tile.port = data.value(QStringLiteral("port"))
                                .toInt(int(capturedNumber(event.text, portInText, 0)));
            if (tile.state == QLatin1String("starting"))
                tile.state = QStringLiteral("probing");
        } else if (kind == QLatin1String("container-ready")) {
            RolloutState::Tile &tile = tileFor(event.container);
            const QRegularExpressionMatch ready = readyInText.match(event.text);
            tile.probes = data.value(QStringLiteral("probes"))
                              .toInt(ready.hasMatch() ? ready.captured(1).toInt() : tile.probes);
            qint64 elapsed = int64Of(data.value(QStringLiteral("elapsed_ms")),
                                     ready.hasMatch() ? ready.captured(2).toLongLong() : -1);
            if (elapsed < 0 && tile.startedMs >= 0)
                elapsed = event.offset - tile.startedMs;
            tile.timeToReadyMs = elapsed;
            tile.readyMs = event.offset;
            if (tile.port == 0)
                tile.port = data.value(QStringLiteral("port"))
                                .toInt(int(capturedNumber(event.text, portInText, 0)));
            if (!isFinalTileState(tile.state))
                tile.state = QStringLiteral("ready");
        } else if (kind == QLatin1String("container-crashed")) {
            RolloutState::Tile &tile = tileFor(event.container);
            tile.state = QStringLiteral("crashed");
            QString how = data.value(QStringLiteral("how")).toString();
            if (how.isEmpty()) {
                how = event.text;
                if (how.startsWith(event.container + u' '))
                    how = how.mid(event.container.size() + 1);
                how.remove(QStringLiteral(" before the traffic switch"));
            }
            tile.outcome = how;
            if (crashedContainer.isEmpty())
                crashedContainer = event.container;
        } else if (kind == QLatin1String("hook-started")) {
            state.hook.expected = true;
            state.hook.state = QStringLiteral("running");
            state.hook.startedMs = event.offset;
            QString command = data.value(QStringLiteral("command")).toString();
            if (command.isEmpty() && event.text.startsWith(QLatin1String("postdeploy started: ")))
                command = event.text.mid(20);
            if (!command.isEmpty())
                state.hook.command = command;
            hookLimitMs = int64Of(data.value(QStringLiteral("time_limit_ms")), hookLimitMs);
            if (started[int(StepKind::Postdeploy)] < 0)
                started[int(StepKind::Postdeploy)] = event.offset;
        } else if (kind == QLatin1String("hook-finished")) {
            state.hook.finishedMs = event.offset;
            state.hook.exitStatus = optionalInt(data.value(QStringLiteral("exit_status")));
            state.hook.signal = data.value(QStringLiteral("signal")).toString();
            state.hook.timedOut = data.contains(QStringLiteral("timed_out"))
                                      ? data.value(QStringLiteral("timed_out")).toBool()
                                      : event.text.contains(QLatin1String("time limit"));
            if (!data.contains(QStringLiteral("exit_status"))) {
                const qint64 status = capturedNumber(event.text, hookExitInText);
                if (status >= 0)
                    state.hook.exitStatus = int(status);
                const QRegularExpressionMatch signal = hookSignalInText.match(event.text);
                if (signal.hasMatch())
                    state.hook.signal = signal.captured(1);
            }
            if (state.hook.timedOut)
                state.hook.state = QStringLiteral("timed out");
            else if (state.hook.exitStatus == 0)
                state.hook.state = QStringLiteral("succeeded");
            else
                state.hook.state = QStringLiteral("failed");
        } else if (kind == QLatin1String("traffic-routed")) {
            RolloutState::TrafficSwitch &traffic = state.traffic;
            traffic.happened = true;
            traffic.atMs = event.offset;
            traffic.time = event.time;
            if (data.contains(QStringLiteral("from_release")))
                traffic.fromRelease = optionalInt(data.value(QStringLiteral("from_release")));
            else if (started[int(StepKind::Route)] < 0)
                traffic.fromRelease = state.previousRelease;
            traffic.toRelease = data.value(QStringLiteral("to_release")).toInt(traffic.toRelease);
            if (traffic.toRelease == 0)
                traffic.toRelease = int(capturedNumber(event.text, releaseInText, state.release));
            traffic.containers.clear();
            if (data.value(QStringLiteral("containers")).isArray()) {
                for (const QJsonValue &value : data.value(QStringLiteral("containers")).toArray())
                    traffic.containers.append(value.toString());
            } else {
                auto names = routedNames.globalMatch(event.text);
                while (names.hasNext())
                    traffic.containers.append(names.next().captured(1));
            }
            for (RolloutState::Tile &tile : state.tiles) {
                const bool routed = traffic.containers.isEmpty()
                                        ? tile.state == QLatin1String("ready")
                                        : traffic.containers.contains(tile.name);
                if (routed)
                    tile.state = QStringLiteral("serving");
            }
            if (started[int(StepKind::Route)] < 0)
                started[int(StepKind::Route)] = event.offset;
        } else if (kind == QLatin1String("old-container-stopping")) {
            RolloutState::OldContainer &old = oldFor(event.container);
            if (data.value(QStringLiteral("release")).isDouble())
                old.release = data.value(QStringLiteral("release")).toInt();
            old.sigtermMs = event.offset;
            old.grace.totalMs =
                int64Of(data.value(QStringLiteral("grace_period_ms")), state.oldGracePeriodMs);
            if (old.state == QLatin1String("serving"))
                old.state = QStringLiteral("draining");
        } else if (kind == QLatin1String("old-container-stopped")) {
            RolloutState::OldContainer &old = oldFor(event.container);
            const StopText said = readStopText(event.text);
            old.stoppedMs = event.offset;
            if (data.value(QStringLiteral("release")).isDouble())
                old.release = data.value(QStringLiteral("release")).toInt();
            else if (said.release > 0)
                old.release = said.release;
            const bool hasData = data.contains(QStringLiteral("killed"));
            old.exitStatus =
                hasData ? optionalInt(data.value(QStringLiteral("exit_status"))) : said.exitStatus;
            old.signal = hasData ? data.value(QStringLiteral("signal")).toString() : said.signal;
            old.killed = hasData ? data.value(QStringLiteral("killed")).toBool() : said.killed;
            old.stopMs = int64Of(data.value(QStringLiteral("stop_ms")), said.stopMs);
            if (old.sigtermMs < 0)
                old.sigtermMs = old.stopMs >= 0 ? event.offset - old.stopMs : state.traffic.atMs;
            if (old.grace.totalMs <= 0)
                old.grace.totalMs = state.oldGracePeriodMs > 0 ? state.oldGracePeriodMs
                                                               : (old.killed ? old.stopMs : 0);
            old.state = old.killed ? QStringLiteral("killed") : QStringLiteral("exited");
            old.outcome =
                stopOutcome(old.exitStatus, old.signal, old.killed, old.stopMs, old.grace.totalMs);
        } else if (kind == QLatin1String("new-container-stopping")) {
            if (isHookContainer(event.container))
                continue;
            RolloutState::Tile &tile = tileFor(event.container);
            tile.grace.totalMs = int64Of(data.value(QStringLiteral("grace_period_ms")), 0);
            newGrace.insert(tile.name, event.offset);
            if (timedOut(tile))
                tile.state = QStringLiteral("timed out");
            else if (!isFinalTileState(tile.state))
                tile.state = QStringLiteral("stopping");
        } else if (kind == QLatin1String("new-container-stopped")) {
            if (isHookContainer(event.container))
                continue;
            RolloutState::Tile &tile = tileFor(event.container);
            const StopText said = readStopText(event.text);
            const bool hasData = data.contains(QStringLiteral("killed"));
            const bool killed =
                hasData ? data.value(QStringLiteral("killed")).toBool() : said.killed;
            const qint64 stopMs = int64Of(data.value(QStringLiteral("stop_ms")), said.stopMs);
            if (timedOut(tile))
                tile.state = QStringLiteral("timed out");
            if (tile.state == QLatin1String("crashed"))
                continue; // it had ended on its own; being "stopped" adds nothing
            const QString stop = stopOutcome(
                hasData ? optionalInt(data.value(QStringLiteral("exit_status"))) : said.exitStatus,
                hasData ? data.value(QStringLiteral("signal")).toString() : said.signal, killed,
                stopMs, tile.grace.totalMs);
            tile.stop = stop;
            if (!isFinalTileState(tile.state))
                tile.state = QStringLiteral("stopped");
            // The countdown stops where the container ended.
            if (newGrace.contains(tile.name))
                tile.grace.remainingMs = qMax<qint64>(
                    0, tile.grace.totalMs - (event.offset - newGrace.value(tile.name)));
            newGrace.remove(tile.name);
        } else if (kind == QLatin1String("failed")) {
            failedAt = event.offset;
            failedStep = data.value(QStringLiteral("step")).toString();
            failedText = event.text;
            failedStatusAtEvent = data.value(QStringLiteral("status")).toString();
            for (RolloutState::Tile &tile : state.tiles) {
                if (timedOut(tile))
                    tile.state = QStringLiteral("timed out");
            }
        }
    }

    // Timelines without stopping events: an old container whose end is still to come got
    // its SIGTERM when its stop time says, so a replay shows it draining meanwhile.
    for (const Event &event : m_events) {
        if (event.offset <= t || event.kind != QLatin1String("old-container-stopped") ||
            event.data.contains(QStringLiteral("killed")) || oldIndex.contains(event.container))
            continue;
        const StopText said = readStopText(event.text);
        if (said.stopMs < 0 || event.offset - said.stopMs > t)
            continue;
        RolloutState::OldContainer &old = oldFor(event.container);
        old.sigtermMs = event.offset - said.stopMs;
        old.state = QStringLiteral("draining");
        if (said.release > 0)
            old.release = said.release;
        if (said.killed)
            old.grace.totalMs = said.stopMs;
    }

    // Fallbacks for timelines without step-started events.
    if (started[int(StepKind::Start)] < 0) {
        for (const RolloutState::Tile &tile : std::as_const(state.tiles)) {
            if (tile.startedMs >= 0 && (started[int(StepKind::Start)] < 0 ||
                                        tile.startedMs < started[int(StepKind::Start)]))
                started[int(StepKind::Start)] = tile.startedMs;
        }
    }
    if (started[int(StepKind::WaitReady)] < 0 && started[int(StepKind::Start)] >= 0) {
        // The engine waits as soon as it launched the processes: the last launch marks it.
        qint64 last = started[int(StepKind::Start)];
        for (const RolloutState::Tile &tile : std::as_const(state.tiles))
            last = qMax(last, tile.startedMs);
        started[int(StepKind::WaitReady)] = last;
    }
    if (started[int(StepKind::Route)] >= 0 && started[int(StepKind::Postdeploy)] < 0) {
        started[int(StepKind::Postdeploy)] = started[int(StepKind::Route)];
        hookSkipped = true;
        state.hook.state = QStringLiteral("skipped");
    }
    if (started[int(StepKind::StopOld)] < 0 && state.traffic.happened)
        started[int(StepKind::StopOld)] = state.traffic.atMs;
    if (state.traffic.toRelease == 0)
        state.traffic.toRelease = state.release;
    if (!state.traffic.fromRelease && !state.traffic.happened)
        state.traffic.fromRelease = state.previousRelease;
    if (!state.previousRelease && state.traffic.fromRelease)
        state.previousRelease = state.traffic.fromRelease;
    if (bootTimeoutMs < 0)
        bootTimeoutMs = m_logBootTimeoutMs;
    for (RolloutState::OldContainer &old : state.oldContainers) {
        if (old.release == 0 && state.previousRelease)
            old.release = *state.previousRelease;
    }

    // ---- the status at this moment
    const qint64 finalOffset = durationMs() >= 0 ? durationMs()
                               : failedAt >= 0   ? failedAt
                                                 : lastEventOffset();
    QString status = QStringLiteral("queued");
    if (buildSeen)
        status = QStringLiteral("building");
    if (releaseCreatedAt >= 0)
        status = QStringLiteral("pushing");
    if (rolloutSeen)
        status = QStringLiteral("starting");
    if (statusRank(sectionStatus) > statusRank(status))
        status = sectionStatus;
    if (failedAt >= 0) {
        if (!failedStatusAtEvent.isEmpty())
            status = failedStatusAtEvent;
        else if (!failureStatus.isEmpty())
            status = failureStatus;
    }
    if (isFinished()) {
        if (t >= finalOffset)
            status = m_status;
    } else if (statusRank(m_status) > statusRank(status)) {
        status = m_status; // live: the stream may be ahead of the events
    }
    state.status = status;
    state.statusFamily = StatusStyle::family(status);
    state.finished = StatusStyle::isFinal(status);

    // ---- the failure
    RolloutState::Failure &failure = state.failure;
    if (state.finished && status != QLatin1String("success")) {
        failure.failed = true;
        failure.status = status;
        failure.reason = failedText.isEmpty() ? m_error : failedText;
        failure.atMs = failedAt >= 0 ? failedAt : qMin(t, finalOffset);
        int index = stepIndex(failedStep);
        if (index < 0) {
            if (status == QLatin1String("build-error")) {
                index = int(StepKind::Build);
            } else if (status == QLatin1String("hook-error")) {
                index = int(StepKind::Postdeploy);
            } else if ((status == QLatin1String("crashed-error") ||
                        status == QLatin1String("timeout-error")) &&
                       started[int(StepKind::WaitReady)] >= 0 &&
                       started[int(StepKind::Postdeploy)] < 0) {
                index = int(StepKind::WaitReady);
            } else {
                // The step that was running when it ended.
                index = int(StepKind::Build);
                for (int i = int(StepKind::Start); i <= int(StepKind::Route); ++i) {
                    if (started[i] >= 0 && started[i] <= failure.atMs)
                        index = i;
                }
            }
        }
        failure.stepIndex = index;
        failure.stepKey = QString::fromLatin1(Steps[index].key);
        if (status == QLatin1String("hook-error")) {
            failure.container = QStringLiteral("postdeploy-1");
        } else if (!crashedContainer.isEmpty()) {
            failure.container = crashedContainer;
        } else if (status == QLatin1String("timeout-error")) {
            for (const RolloutState::Tile &tile : std::as_const(state.tiles)) {
                if (tile.state == QLatin1String("timed out")) {
                    failure.container = tile.name;
                    break;
                }
            }
        }
        if (!failure.container.isEmpty())
            failure.lastLines = m_output.value(failure.container);
    }

    // ---- the steps
    std::array<qint64, StepCount> ended;
    ended.fill(-1);
    for (int i = 0; i < StepCount; ++i) {
        if (started[i] < 0)
            continue;
        for (int j = i + 1; j < StepCount; ++j) {
            if (started[j] >= 0) {
                ended[i] = started[j];
                break;
            }
        }
    }
    started[int(StepKind::Build)] = 0;
    ended[int(StepKind::Build)] = started[int(StepKind::Start)];
    if (ended[int(StepKind::Build)] < 0 && releaseCreatedAt >= 0 && rolloutSeen)
        ended[int(StepKind::Build)] = releaseCreatedAt;
    if (state.traffic.happened)
        ended[int(StepKind::Route)] = state.traffic.atMs;
    {
        // Stopping the old containers ends with the last of them.
        const int stopOld = int(StepKind::StopOld);
        if (started[stopOld] >= 0) {
            bool allStopped = true;
            qint64 last = started[stopOld];
            for (const RolloutState::OldContainer &old : std::as_const(state.oldContainers)) {
                if (old.stoppedMs < 0)
                    allStopped = false;
                else
                    last = qMax(last, old.stoppedMs);
            }
            const bool noneExpected =
                state.oldContainers.isEmpty() && (!stepData[stopOld].isEmpty() || t >= endOffset());
            // A container past its grace period with no end recorded (the daemon went away
            // meanwhile) does not keep the step running for ever.
            bool overdue = !state.oldContainers.isEmpty();
            for (const RolloutState::OldContainer &old : std::as_const(state.oldContainers)) {
                const qint64 grace =
                    old.grace.totalMs > 0 ? old.grace.totalMs : state.oldGracePeriodMs;
                if (old.stoppedMs < 0 &&
                    (old.sigtermMs < 0 || grace <= 0 || t < old.sigtermMs + grace + OverdueMs))
                    overdue = false;
            }
            if ((allStopped && !state.oldContainers.isEmpty()) || noneExpected)
                ended[stopOld] = last;
            else if (overdue)
                ended[stopOld] = t;
        }
    }

    const int stopOld = int(StepKind::StopOld);
    for (int i = 0; i < StepCount; ++i) {
        RolloutState::Step &step = state.steps[i];
        step.startedMs = started[i];
        if (failure.failed && i == failure.stepIndex) {
            step.state = StepState::Failed;
            step.durationMs = started[i] >= 0 ? qMax<qint64>(0, failure.atMs - started[i]) : -1;
        } else if (failure.failed && i > failure.stepIndex) {
            step.state = StepState::NotRun;
            step.startedMs = -1;
        } else if (started[i] < 0 || started[i] > t) {
            step.state = StepState::Pending;
        } else if (i == int(StepKind::Postdeploy) && hookSkipped) {
            step.state = StepState::Skipped;
        } else if (i == int(StepKind::Build) && ended[i] >= 0 && !buildSeen &&
                   releaseCreatedAt < 0) {
            step.state = StepState::Skipped;
        } else if (ended[i] >= 0 && ended[i] <= t) {
            step.state = StepState::Done;
            step.durationMs = ended[i] - started[i];
        } else if (failure.failed || (isFinished() && t >= endOffset() && i != stopOld)) {
            // A finished deployment has nothing running any more, but its old containers
            // may still drain after `success`.
            step.state = StepState::Done;
            step.durationMs = qMax<qint64>(0, qMin(t, finalOffset) - started[i]);
        } else {
            step.state = StepState::Running;
            step.durationMs = t - started[i];
        }
        if (step.state == StepState::Running && state.currentStep < 0)
            state.currentStep = i;
    }
    // Stopping the old containers can still run after the status became `success`; the
    // step running last is the one to highlight.
    for (int i = StepCount - 1; i >= 0; --i) {
        if (state.steps[i].state == StepState::Running) {
            state.currentStep = i;
            break;
        }
    }
    if (failure.failed)
        state.currentStep = failure.stepIndex;

    // Step details: the few words under each step's title.
    {
        RolloutState::Step &build = state.steps[int(StepKind::Build)];
        if (build.state == StepState::Running || build.state == StepState::Failed)
            build.detail = statusRank(status) <= 2 ? status : QStringLiteral("building");
        else if (build.state == StepState::Skipped)
            build.detail = QStringLiteral("no build");
        else if (!buildpacks.isEmpty())
            build.detail = buildpacks.join(QStringLiteral(", "));
        else if (build.state == StepState::Done)
            build.detail = buildSeen ? QStringLiteral("built") : QStringLiteral("pushed");
        if (build.state == StepState::Running && status == QLatin1String("building") &&
            !buildpacks.isEmpty())
            build.detail += QStringLiteral(" · ") + buildpacks.join(QStringLiteral(", "));
        if (build.state == StepState::Failed && failure.status == QLatin1String("aborted"))
            build.detail = QStringLiteral("aborted while ") + (statusRank(status) == 0 || !buildSeen
                                                                   ? QStringLiteral("queued")
                                                                   : QStringLiteral("building"));
        if (build.state == StepState::Failed && failure.status == QLatin1String("build-error"))
            build.detail = QStringLiteral("build-error");
        if (build.state == StepState::Done && slugBytes >= 0)
            build.detail +=
                QStringLiteral(" · ") +
                QLocale::c().formattedDataSize(slugBytes, 1, QLocale::DataSizeTraditionalFormat);

        int launched = 0;
        int ready = 0;
        int probed = 0;
        for (const RolloutState::Tile &tile : std::as_const(state.tiles)) {
            if (tile.startedMs >= 0)
                ++launched;
            if (tile.probed) {
                ++probed;
                if (tile.readyMs >= 0)
                    ++ready;
            }
        }
        RolloutState::Step &start = state.steps[int(StepKind::Start)];
        if (start.state != StepState::Pending && start.state != StepState::NotRun)
            start.detail =
                state.tiles.isEmpty()
                    ? QStringLiteral("no container")
                    : QStringLiteral("%1 of %2 started").arg(launched).arg(state.tiles.size());
        RolloutState::Step &wait = state.steps[int(StepKind::WaitReady)];
        if (wait.state != StepState::Pending && wait.state != StepState::NotRun)
            wait.detail = probed == 0 ? QStringLiteral("nothing to probe")
                                      : QStringLiteral("%1 of %2 ready").arg(ready).arg(probed);
        RolloutState::Step &post = state.steps[int(StepKind::Postdeploy)];
        if (post.state == StepState::Skipped)
            post.detail = QStringLiteral("no hook");
        else if (post.state != StepState::Pending && post.state != StepState::NotRun)
            post.detail = state.hook.state;
        RolloutState::Step &route = state.steps[int(StepKind::Route)];
        if (route.state != StepState::NotRun)
            route.detail = state.traffic.toRelease > 0
                               ? QStringLiteral("→ v%1").arg(state.traffic.toRelease)
                               : QStringLiteral("→ new release");
        RolloutState::Step &stop = state.steps[stopOld];
        if (stop.state != StepState::Pending && stop.state != StepState::NotRun) {
            int stopped = 0;
            for (const RolloutState::OldContainer &old : std::as_const(state.oldContainers))
                stopped += old.stoppedMs >= 0 ? 1 : 0;
            stop.detail = state.oldContainers.isEmpty() ? QStringLiteral("none to stop")
                                                        : QStringLiteral("%1 of %2 stopped")
                                                              .arg(stopped)
                                                              .arg(state.oldContainers.size());
        }
    }

    // ---- countdowns
    const RolloutState::Step &wait = state.steps[int(StepKind::WaitReady)];
    if (bootTimeoutMs > 0 && wait.startedMs >= 0) {
        RolloutState::Countdown &boot = state.bootTimeout;
        boot.known = true;
        boot.totalMs = bootTimeoutMs;
        boot.running = wait.state == StepState::Running;
        const qint64 spent = wait.state == StepState::Running ? t - wait.startedMs
                                                              : qMax<qint64>(0, wait.durationMs);
        boot.remainingMs = qMax<qint64>(0, bootTimeoutMs - spent);
    }
    if (state.hook.startedMs >= 0 && hookLimitMs > 0) {
        RolloutState::Countdown &limit = state.hook.timeLimit;
        limit.known = true;
        limit.totalMs = hookLimitMs;
        limit.running = state.hook.state == QLatin1String("running") && !failure.failed;
        const qint64 end = state.hook.finishedMs >= 0 ? state.hook.finishedMs
                           : failure.failed           ? failure.atMs
                                                      : t;
        limit.remainingMs = qMax<qint64>(0, hookLimitMs - (end - state.hook.startedMs));
    }
    if (state.hook.state.isEmpty() || state.hook.state == QLatin1String("waiting"))
        state.hook.state = failure.failed ? QStringLiteral("not run") : QStringLiteral("waiting");
    if (failure.failed && state.hook.state == QLatin1String("running"))
        state.hook.state = QStringLiteral("stopped");
    state.hook.family = state.hook.state == QLatin1String("running")     ? StatusFamily::Active
                        : state.hook.state == QLatin1String("succeeded") ? StatusFamily::Good
                        : state.hook.state == QLatin1String("failed") ||
                                state.hook.state == QLatin1String("timed out")
                            ? StatusFamily::Bad
                        : state.hook.state == QLatin1String("stopped") ? StatusFamily::Ended
                                                                       : StatusFamily::Waiting;
    state.hook.lastLines = m_output.value(QStringLiteral("postdeploy-1"));

    for (RolloutState::OldContainer &old : state.oldContainers) {
        if (old.sigtermMs >= 0 && old.grace.totalMs > 0) {
            old.grace.known = true;
            old.grace.running = old.stoppedMs < 0;
            const qint64 end = old.stoppedMs >= 0 ? old.stoppedMs : t;
            old.grace.remainingMs = qMax<qint64>(0, old.grace.totalMs - (end - old.sigtermMs));
        }
        if (old.state == QLatin1String("draining") && old.outcome.isEmpty())
            old.outcome = QStringLiteral("SIGTERM sent");
        old.family = old.state == QLatin1String("serving")    ? StatusFamily::Good
                     : old.state == QLatin1String("draining") ? StatusFamily::Active
                     : old.state == QLatin1String("killed")   ? StatusFamily::Bad
                                                              : StatusFamily::Ended;
    }

    for (RolloutState::Tile &tile : state.tiles) {
        if (newGrace.contains(tile.name) && tile.grace.totalMs > 0) {
            tile.grace.known = true;
            tile.grace.running = true;
            tile.grace.remainingMs =
                qMax<qint64>(0, tile.grace.totalMs - (t - newGrace.value(tile.name)));
        }
        if (tile.state == QLatin1String("timed out") && tile.outcome.isEmpty())
            tile.outcome = QStringLiteral("no answer after %1 probes").arg(tile.probes);
        tile.family =
            tile.state == QLatin1String("stopping") ? StatusFamily::Active : familyOf(tile.state);
        tile.lastLines = m_output.value(tile.name);
    }

    // ---- the router, at this moment
    if (state.traffic.happened && (!failure.failed || failure.atMs >= state.traffic.atMs))
        state.traffic.servingRelease = state.traffic.toRelease;
    else
        state.traffic.servingRelease = state.traffic.fromRelease;
    return state;
}

} // namespace Slipway
