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
        QStringLiteral("old-container-draining"), QStringLiteral("old-container-stopping"),
        QStringLiteral("old-container-stopped"),  QStringLiteral("new-container-stopping"),
        QStringLiteral("new-container-stopped"),
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

void RolloutTimeline::updateDeployment(const QJsonObject &deployment)
{
    if (!deployment.value(QStringLiteral("status")).isString())
        return;
    m_status = deployment.value(QStringLiteral("status")).toString();
    m_error = deployment.value(QStringLiteral("error")).toString();
    m_waitingFor = deployment.value(QStringLiteral("waiting_for")).toString();
    if (const int release = deployment.value(QStringLiteral("release_version")).toInt();
        release > 0)
        m_release = release;
    if (deployment.contains(QStringLiteral("previous_release")))
        m_previousRelease = optionalInt(deployment.value(QStringLiteral("previous_release")));
    const QDateTime finished = QDateTime::fromString(
        deployment.value(QStringLiteral("finished_at")).toString(), Qt::ISODateWithMs);
    if (finished.isValid())
        m_finishedAt = finished;
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

namespace {

// Replays the events up to one offset into a RolloutState, then settles what the events
// leave implicit: the status then, the failure, each step's state, the countdowns.
class SnapshotBuilder
{
public:
    SnapshotBuilder(const RolloutTimeline &timeline, qint64 offset)
        : m_timeline(timeline)
        , m_t(qMax<qint64>(0, offset))
    {
        m_started.fill(-1);
        m_ended.fill(-1);
    }

    RolloutState build();

private:
    using Event = RolloutTimeline::Event;

    void readWholeTimeline();
    void apply(const Event &event);
    void applyBuildEvent(const Event &event);
    void applyLogSection(const Event &event);
    void applyStepStarted(const Event &event);
    void applyNewContainer(const Event &event);
    void applyHook(const Event &event);
    void applyTrafficRouted(const Event &event);
    void applyOldContainer(const Event &event);
    void applyNewContainerStop(const Event &event);
    void addLegacyDrains();
    void inferMissingSteps();
    void settleStatus();
    void settleFailure();
    void settleSteps();
    void describeSteps();
    void settleCountdowns();
    void settleContainers();

    RolloutState::Tile &tileFor(const QString &name);
    RolloutState::OldContainer &oldFor(const QString &name);
    bool timedOut(const RolloutState::Tile &tile) const;
    qint64 finalOffset() const;

    const RolloutTimeline &m_timeline;
    const qint64 m_t;
    RolloutState m_state;

    std::array<qint64, StepCount> m_started;
    std::array<qint64, StepCount> m_ended;
    std::array<QJsonObject, StepCount> m_stepData;
    QString m_failureStatus; // from the whole timeline
    bool m_buildSeen = false;
    bool m_rolloutSeen = false;
    QString m_sectionStatus;
    qint64 m_releaseCreatedAt = -1;
    QStringList m_buildpacks;
    qint64 m_slugBytes = -1;
    qint64 m_bootTimeoutMs = -1;
    qint64 m_hookLimitMs = -1;
    bool m_hookSkipped = false;
    qint64 m_failedAt = -1;
    QString m_failedStep;
    QString m_failedText;
    QString m_failedStatus;
    QString m_crashedContainer;
    QHash<QString, int> m_tileIndex;
    QHash<QString, int> m_oldIndex;
    QHash<QString, qint64> m_newSigterm; // new containers stopped after a failure
};

const QRegularExpression &releaseInText()
{
    static const QRegularExpression pattern(QStringLiteral("release v(\\d+)"));
    return pattern;
}

const QRegularExpression &portInText()
{
    static const QRegularExpression pattern(QStringLiteral("on port (\\d+)"));
    return pattern;
}

bool isFinalTileState(const QString &word)
{
    return word == QLatin1String("crashed") || word == QLatin1String("timed out");
}

RolloutState SnapshotBuilder::build()
{
    m_state.offsetMs = m_t;
    m_state.release = m_timeline.release();
    m_state.previousRelease = m_timeline.previousRelease();
    m_state.waitingFor = m_timeline.waitingFor();
    for (const StepInfo &info : Steps) {
        RolloutState::Step step;
        step.kind = info.kind;
        step.key = QString::fromLatin1(info.key);
        step.title = QString::fromLatin1(info.title);
        m_state.steps.append(step);
    }
    readWholeTimeline();
    for (const Event &event : m_timeline.events()) {
        if (event.offset > m_t)
            break;
        apply(event);
    }
    addLegacyDrains();
    inferMissingSteps();
    settleStatus();
    settleFailure();
    settleSteps();
    describeSteps();
    settleCountdowns();
    settleContainers();
    return m_state;
}

// What the whole timeline says, so a replay names both releases from its first moment and
// a container stopped in the same millisecond as a boot timeout is shown as timed out, not
// merely stopped.
void SnapshotBuilder::readWholeTimeline()
{
    const QString &status = m_timeline.status();
    if (StatusStyle::isFinal(status) && status != QLatin1String("success"))
        m_failureStatus = status;
    for (const Event &event : m_timeline.events()) {
        const QJsonObject &data = event.data;
        if (event.kind == QLatin1String("failed")) {
            const QString said = data.value(QStringLiteral("status")).toString();
            if (!said.isEmpty())
                m_failureStatus = said;
        } else if (event.kind == QLatin1String("release-created") && m_state.release == 0) {
            m_state.release = data.value(QStringLiteral("release"))
                                  .toInt(int(capturedNumber(event.text, releaseInText(), 0)));
        } else if (event.kind == QLatin1String("step-started") &&
                   data.value(QStringLiteral("step")).toString() == QLatin1String("start")) {
            m_state.release = data.value(QStringLiteral("release")).toInt(m_state.release);
            if (data.contains(QStringLiteral("previous_release")))
                m_state.previousRelease =
                    optionalInt(data.value(QStringLiteral("previous_release")));
        } else if (event.kind.startsWith(QLatin1String("old-container-")) &&
                   !m_state.previousRelease) {
            const int release =
                data.value(QStringLiteral("release")).toInt(readStopText(event.text).release);
            if (release > 0)
                m_state.previousRelease = release;
        }
    }
}

RolloutState::Tile &SnapshotBuilder::tileFor(const QString &name)
{
    auto found = m_tileIndex.constFind(name);
    if (found != m_tileIndex.constEnd())
        return m_state.tiles[*found];
    RolloutState::Tile tile;
    tile.name = name;
    const int dash = int(name.lastIndexOf(u'-'));
    tile.type = dash > 0 ? name.left(dash) : name;
    tile.index = dash > 0 ? name.mid(dash + 1).toInt() : 0;
    tile.probed = isProbedType(tile.type);
    tile.release = m_state.release;
    tile.state = QStringLiteral("starting");
    m_tileIndex.insert(name, int(m_state.tiles.size()));
    m_state.tiles.append(tile);
    return m_state.tiles.last();
}

RolloutState::OldContainer &SnapshotBuilder::oldFor(const QString &name)
{
    auto found = m_oldIndex.constFind(name);
    if (found != m_oldIndex.constEnd())
        return m_state.oldContainers[*found];
    RolloutState::OldContainer old;
    old.name = name;
    old.state = QStringLiteral("serving");
    old.release = m_state.previousRelease.value_or(0);
    m_oldIndex.insert(name, int(m_state.oldContainers.size()));
    m_state.oldContainers.append(old);
    return m_state.oldContainers.last();
}

// Whether a new container still waiting for its probe was cut short by the boot timeout.
bool SnapshotBuilder::timedOut(const RolloutState::Tile &tile) const
{
    return m_failureStatus == QLatin1String("timeout-error") && tile.probed &&
           (tile.state == QLatin1String("starting") || tile.state == QLatin1String("probing"));
}

qint64 SnapshotBuilder::finalOffset() const
{
    const qint64 duration = m_timeline.durationMs();
    return duration >= 0 ? duration : m_failedAt >= 0 ? m_failedAt : m_timeline.lastEventOffset();
}

void SnapshotBuilder::apply(const Event &event)
{
    const QString &kind = event.kind;
    if (isRolloutKind(kind))
        m_rolloutSeen = true;
    if (kind == QLatin1String("source-fetched") || kind == QLatin1String("buildpack-detected") ||
        kind == QLatin1String("slug-built")) {
        applyBuildEvent(event);
    } else if (kind == QLatin1String("log-section")) {
        applyLogSection(event);
    } else if (kind == QLatin1String("release-created")) {
        m_releaseCreatedAt = event.offset;
        const int release = event.data.value(QStringLiteral("release"))
                                .toInt(int(capturedNumber(event.text, releaseInText(), 0)));
        if (release > 0)
            m_state.release = release;
    } else if (kind == QLatin1String("step-started")) {
        applyStepStarted(event);
    } else if (kind.startsWith(QLatin1String("container-"))) {
        applyNewContainer(event);
    } else if (kind.startsWith(QLatin1String("hook-"))) {
        applyHook(event);
    } else if (kind == QLatin1String("traffic-routed")) {
        applyTrafficRouted(event);
    } else if (kind.startsWith(QLatin1String("old-container-"))) {
        applyOldContainer(event);
    } else if (kind.startsWith(QLatin1String("new-container-"))) {
        applyNewContainerStop(event);
    } else if (kind == QLatin1String("failed")) {
        m_failedAt = event.offset;
        m_failedStep = event.data.value(QStringLiteral("step")).toString();
        m_failedText = event.text;
        m_failedStatus = event.data.value(QStringLiteral("status")).toString();
        for (RolloutState::Tile &tile : m_state.tiles) {
            if (timedOut(tile))
                tile.state = QStringLiteral("timed out");
        }
    }
}

void SnapshotBuilder::applyBuildEvent(const Event &event)
{
    static const QRegularExpression buildpacksInText(
        QStringLiteral("^buildpacks (.+), chosen by "));
    m_buildSeen = true;
    if (event.kind == QLatin1String("slug-built"))
        m_slugBytes = int64Of(event.data.value(QStringLiteral("bytes")));
    if (event.kind != QLatin1String("buildpack-detected"))
        return;
    const QString name = event.data.value(QStringLiteral("name")).toString();
    const QString reference = event.data.value(QStringLiteral("buildpack")).toString();
    if (!name.isEmpty() || !reference.isEmpty()) {
        m_buildpacks.append(name.isEmpty() ? reference : name);
        return;
    }
    // "buildpacks Node.js (nodejs), Procfile (procfile), chosen by …"
    const QRegularExpressionMatch said = buildpacksInText.match(event.text);
    if (!said.hasMatch())
        return;
    const QStringList each = said.captured(1).split(QStringLiteral(", "));
    for (const QString &buildpack : each) {
        const qsizetype cut = buildpack.indexOf(QStringLiteral(" ("));
        m_buildpacks.append(cut > 0 ? buildpack.left(cut) : buildpack);
    }
}

void SnapshotBuilder::applyLogSection(const Event &event)
{
    static const QRegularExpression statusInSection(QStringLiteral("^Deployment ([a-z-]+)$"));
    static const QRegularExpression bootTimeoutInText(
        QStringLiteral("boot timeout (\\d+) (ms|s|min)"));
    const QString title = event.data.value(QStringLiteral("title")).toString();
    const QString words = title.isEmpty() ? event.text : title;
    // "-----> Deployment building": the log says when the status changed.
    const QRegularExpressionMatch said = statusInSection.match(words);
    if (said.hasMatch()) {
        const int rank = statusRank(said.captured(1));
        if (rank < 4 && rank > statusRank(m_sectionStatus))
            m_sectionStatus = said.captured(1);
        return;
    }
    if (!m_rolloutSeen && m_releaseCreatedAt < 0 &&
        !words.contains(QLatin1String("Starting release")))
        m_buildSeen = true;
    const QRegularExpressionMatch timeout = bootTimeoutInText.match(words);
    if (timeout.hasMatch() && m_bootTimeoutMs < 0)
        m_bootTimeoutMs = parseDuration(timeout.captured(1), timeout.captured(2));
}

void SnapshotBuilder::applyStepStarted(const Event &event)
{
    const QJsonObject &data = event.data;
    const int index = stepIndex(data.value(QStringLiteral("step")).toString());
    if (index < 0)
        return;
    m_started[index] = event.offset;
    m_stepData[index] = data;
    switch (Steps[index].kind) {
    case StepKind::Start: {
        const QJsonArray containers = data.value(QStringLiteral("containers")).toArray();
        for (const QJsonValue &value : containers) {
            const QJsonObject container = value.toObject();
            const QString name = container.value(QStringLiteral("name")).toString();
            if (name.isEmpty())
                continue;
            RolloutState::Tile &tile = tileFor(name);
            tile.type = container.value(QStringLiteral("type")).toString(tile.type);
            tile.index = container.value(QStringLiteral("index")).toInt(tile.index);
            tile.port = container.value(QStringLiteral("port")).toInt(tile.port);
            tile.probed = container.value(QStringLiteral("probed")).toBool(tile.probed);
        }
        break;
    }
    case StepKind::WaitReady:
        m_bootTimeoutMs = int64Of(data.value(QStringLiteral("boot_timeout_ms")), m_bootTimeoutMs);
        m_state.probeIntervalMs = int64Of(data.value(QStringLiteral("probe_interval_ms")));
        break;
    case StepKind::Postdeploy:
        m_hookSkipped = data.value(QStringLiteral("skipped")).toBool();
        m_state.hook.expected = !m_hookSkipped;
        m_state.hook.command = data.value(QStringLiteral("command")).toString();
        m_hookLimitMs = int64Of(data.value(QStringLiteral("time_limit_ms")));
        m_state.hook.state = m_hookSkipped ? QStringLiteral("skipped") : QStringLiteral("waiting");
        break;
    case StepKind::Route:
        if (data.contains(QStringLiteral("from_release")))
            m_state.traffic.fromRelease = optionalInt(data.value(QStringLiteral("from_release")));
        m_state.traffic.toRelease = data.value(QStringLiteral("to_release")).toInt();
        break;
    case StepKind::StopOld: {
        m_state.oldGracePeriodMs = int64Of(data.value(QStringLiteral("grace_period_ms")));
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
}

void SnapshotBuilder::applyNewContainer(const Event &event)
{
    static const QRegularExpression pidInText(QStringLiteral("\\(pid (\\d+)"));
    static const QRegularExpression probeInText(QStringLiteral(" probe (\\d+)"));
    static const QRegularExpression readyInText(
        QStringLiteral("ready after (\\d+) probes? \\((\\d+) ms\\)"));
    if (event.container.isEmpty() || isHookContainer(event.container))
        return;
    const QJsonObject &data = event.data;
    RolloutState::Tile &tile = tileFor(event.container);
    if (tile.port == 0)
        tile.port = data.value(QStringLiteral("port"))
                        .toInt(int(capturedNumber(event.text, portInText(), 0)));
    if (event.kind == QLatin1String("container-started")) {
        tile.type = data.value(QStringLiteral("type")).toString(tile.type);
        tile.index = data.value(QStringLiteral("index")).toInt(tile.index);
        tile.pid =
            int64Of(data.value(QStringLiteral("pid")), capturedNumber(event.text, pidInText, 0));
        tile.release = data.value(QStringLiteral("release")).toInt(tile.release);
        tile.isolated = data.value(QStringLiteral("isolated"))
                            .toBool(!event.text.contains(QLatin1String("not isolated")));
        tile.runtime = data.value(QStringLiteral("runtime")).toString(tile.runtime);
        tile.host = data.value(QStringLiteral("host")).toString(tile.host);
        tile.node = data.value(QStringLiteral("node")).toString(tile.node);
        tile.startedMs = event.offset;
        if (tile.state == QLatin1String("starting") && !tile.probed)
            tile.state = QStringLiteral("running");
    } else if (event.kind == QLatin1String("container-probed")) {
        tile.probes =
            qMax(tile.probes, data.value(QStringLiteral("probes"))
                                  .toInt(int(capturedNumber(event.text, probeInText, 0))));
        if (tile.state == QLatin1String("starting"))
            tile.state = QStringLiteral("probing");
    } else if (event.kind == QLatin1String("container-ready")) {
        const QRegularExpressionMatch ready = readyInText.match(event.text);
        tile.probes = data.value(QStringLiteral("probes"))
                          .toInt(ready.hasMatch() ? ready.captured(1).toInt() : tile.probes);
        qint64 elapsed = int64Of(data.value(QStringLiteral("elapsed_ms")),
                                 ready.hasMatch() ? ready.captured(2).toLongLong() : -1);
        if (elapsed < 0 && tile.startedMs >= 0)
            elapsed = event.offset - tile.startedMs;
        tile.timeToReadyMs = elapsed;
        tile.readyMs = event.offset;
        if (!isFinalTileState(tile.state))
            tile.state = QStringLiteral("ready");
    } else if (event.kind == QLatin1String("container-crashed")) {
        tile.state = QStringLiteral("crashed");
        QString how = data.value(QStringLiteral("how")).toString();
        if (how.isEmpty()) {
            // "web-2 exited with status 1 before the traffic switch"
            how = event.text;
            if (how.startsWith(event.container + u' '))
                how = how.mid(event.container.size() + 1);
            how.remove(QStringLiteral(" before the traffic switch"));
        }
        tile.outcome = how;
        if (m_crashedContainer.isEmpty())
            m_crashedContainer = event.container;
    }
}

void SnapshotBuilder::applyHook(const Event &event)
{
    static const QRegularExpression exitInText(QStringLiteral("exited with status (\\d+)"));
    static const QRegularExpression signalInText(QStringLiteral("killed by (SIG[A-Z0-9]+)"));
    const QJsonObject &data = event.data;
    RolloutState::Hook &hook = m_state.hook;
    if (event.kind == QLatin1String("hook-started")) {
        hook.expected = true;
        hook.state = QStringLiteral("running");
        hook.startedMs = event.offset;
        QString command = data.value(QStringLiteral("command")).toString();
        const QString prefix = QStringLiteral("postdeploy started: ");
        if (command.isEmpty() && event.text.startsWith(prefix))
            command = event.text.mid(prefix.size());
        if (!command.isEmpty())
            hook.command = command;
        m_hookLimitMs = int64Of(data.value(QStringLiteral("time_limit_ms")), m_hookLimitMs);
        if (m_started[int(StepKind::Postdeploy)] < 0)
            m_started[int(StepKind::Postdeploy)] = event.offset;
        return;
    }
    if (event.kind != QLatin1String("hook-finished"))
        return;
    hook.finishedMs = event.offset;
    hook.exitStatus = optionalInt(data.value(QStringLiteral("exit_status")));
    hook.signal = data.value(QStringLiteral("signal")).toString();
    hook.timedOut = data.value(QStringLiteral("timed_out"))
                        .toBool(event.text.contains(QLatin1String("time limit")));
    if (!data.contains(QStringLiteral("exit_status"))) {
        // "postdeploy exited with status 3", "postdeploy killed by SIGKILL"
        const qint64 status = capturedNumber(event.text, exitInText);
        if (status >= 0)
            hook.exitStatus = int(status);
        const QRegularExpressionMatch signal = signalInText.match(event.text);
        if (signal.hasMatch())
            hook.signal = signal.captured(1);
    }
    if (hook.timedOut)
        hook.state = QStringLiteral("timed out");
    else if (hook.exitStatus == 0)
        hook.state = QStringLiteral("succeeded");
    else
        hook.state = QStringLiteral("failed");
}

void SnapshotBuilder::applyTrafficRouted(const Event &event)
{
    static const QRegularExpression routedNames(QStringLiteral("([A-Za-z0-9_.-]+-\\d+) \\(port"));
    const QJsonObject &data = event.data;
    RolloutState::TrafficSwitch &traffic = m_state.traffic;
    traffic.happened = true;
    traffic.atMs = event.offset;
    traffic.time = event.time;
    if (data.contains(QStringLiteral("from_release")))
        traffic.fromRelease = optionalInt(data.value(QStringLiteral("from_release")));
    else if (m_started[int(StepKind::Route)] < 0)
        traffic.fromRelease = m_state.previousRelease;
    traffic.toRelease = data.value(QStringLiteral("to_release")).toInt(traffic.toRelease);
    if (traffic.toRelease == 0)
        traffic.toRelease = int(capturedNumber(event.text, releaseInText(), m_state.release));
    traffic.containers.clear();
    if (data.value(QStringLiteral("containers")).isArray()) {
        for (const QJsonValue &value : data.value(QStringLiteral("containers")).toArray())
            traffic.containers.append(value.toString());
    } else {
        // "traffic routed to web-1 (port 5001), web-2 (port 5002)"
        auto names = routedNames.globalMatch(event.text);
        while (names.hasNext())
            traffic.containers.append(names.next().captured(1));
    }
    for (RolloutState::Tile &tile : m_state.tiles) {
        const bool routed = traffic.containers.isEmpty() ? tile.state == QLatin1String("ready")
                                                         : traffic.containers.contains(tile.name);
        if (routed)
            tile.state = QStringLiteral("serving");
    }
    if (m_started[int(StepKind::Route)] < 0)
        m_started[int(StepKind::Route)] = event.offset;
}

void SnapshotBuilder::applyOldContainer(const Event &event)
{
    const QJsonObject &data = event.data;
    RolloutState::OldContainer &old = oldFor(event.container);
    if (event.kind == QLatin1String("old-container-draining")) {
        old.release = data.value(QStringLiteral("release")).toInt(old.release);
        old.finishingMs = event.offset;
        old.inFlight = data.value(QStringLiteral("in_flight")).toInt(-1);
        old.drainLimitMs = int64Of(data.value(QStringLiteral("drain_limit_ms")), -1);
        if (old.state == QLatin1String("serving"))
            old.state = QStringLiteral("finishing");
        return;
    }
    if (event.kind == QLatin1String("old-container-stopping")) {
        old.release = data.value(QStringLiteral("release")).toInt(old.release);
        old.sigtermMs = event.offset;
        old.grace.totalMs =
            int64Of(data.value(QStringLiteral("grace_period_ms")), m_state.oldGracePeriodMs);
        old.drainMs = int64Of(data.value(QStringLiteral("drain_ms")), -1);
        old.waitedRequests = data.value(QStringLiteral("waited_requests")).toInt(-1);
        if (old.state == QLatin1String("serving") || old.state == QLatin1String("finishing"))
            old.state = QStringLiteral("draining");
        return;
    }
    if (event.kind != QLatin1String("old-container-stopped"))
        return;
    const StopText said = readStopText(event.text);
    const bool hasData = data.contains(QStringLiteral("killed"));
    old.stoppedMs = event.offset;
    old.release =
        data.value(QStringLiteral("release")).toInt(said.release > 0 ? said.release : old.release);
    old.exitStatus =
        hasData ? optionalInt(data.value(QStringLiteral("exit_status"))) : said.exitStatus;
    old.signal = hasData ? data.value(QStringLiteral("signal")).toString() : said.signal;
    old.killed = hasData ? data.value(QStringLiteral("killed")).toBool() : said.killed;
    old.stopMs = int64Of(data.value(QStringLiteral("stop_ms")), said.stopMs);
    if (old.sigtermMs < 0)
        old.sigtermMs = old.stopMs >= 0 ? event.offset - old.stopMs : m_state.traffic.atMs;
    if (old.grace.totalMs <= 0)
        old.grace.totalMs =
            m_state.oldGracePeriodMs > 0 ? m_state.oldGracePeriodMs : (old.killed ? old.stopMs : 0);
    old.state = old.killed ? QStringLiteral("killed") : QStringLiteral("exited");
    old.outcome =
        stopOutcome(old.exitStatus, old.signal, old.killed, old.stopMs, old.grace.totalMs);
}

// The new containers of a failed rollout get SIGTERM and their grace period too.
void SnapshotBuilder::applyNewContainerStop(const Event &event)
{
    if (event.container.isEmpty() || isHookContainer(event.container))
        return;
    const QJsonObject &data = event.data;
    RolloutState::Tile &tile = tileFor(event.container);
    if (timedOut(tile))
        tile.state = QStringLiteral("timed out");
    if (event.kind == QLatin1String("new-container-stopping")) {
        tile.grace.totalMs = int64Of(data.value(QStringLiteral("grace_period_ms")), 0);
        m_newSigterm.insert(tile.name, event.offset);
        if (!isFinalTileState(tile.state))
            tile.state = QStringLiteral("stopping");
        return;
    }
    if (event.kind != QLatin1String("new-container-stopped") ||
        tile.state == QLatin1String("crashed"))
        return; // a crashed one had ended on its own; being "stopped" adds nothing
    const StopText said = readStopText(event.text);
    const bool hasData = data.contains(QStringLiteral("killed"));
    tile.stop = stopOutcome(
        hasData ? optionalInt(data.value(QStringLiteral("exit_status"))) : said.exitStatus,
        hasData ? data.value(QStringLiteral("signal")).toString() : said.signal,
        hasData ? data.value(QStringLiteral("killed")).toBool() : said.killed,
        int64Of(data.value(QStringLiteral("stop_ms")), said.stopMs), tile.grace.totalMs);
    if (!isFinalTileState(tile.state))
        tile.state = QStringLiteral("stopped");
    // The countdown stops where the container ended.
    if (m_newSigterm.contains(tile.name))
        tile.grace.remainingMs =
            qMax<qint64>(0, tile.grace.totalMs - (event.offset - m_newSigterm.value(tile.name)));
    m_newSigterm.remove(tile.name);
}

// Timelines without stopping events: an old container whose end is still to come got its
// SIGTERM when its stop time says, so a replay shows it draining meanwhile.
void SnapshotBuilder::addLegacyDrains()
{
    for (const Event &event : m_timeline.events()) {
        if (event.offset <= m_t || event.kind != QLatin1String("old-container-stopped") ||
            event.data.contains(QStringLiteral("killed")) || m_oldIndex.contains(event.container))
            continue;
        const StopText said = readStopText(event.text);
        if (said.stopMs < 0 || event.offset - said.stopMs > m_t)
            continue;
        RolloutState::OldContainer &old = oldFor(event.container);
        old.sigtermMs = event.offset - said.stopMs;
        old.state = QStringLiteral("draining");
        if (said.release > 0)
            old.release = said.release;
        if (said.killed)
            old.grace.totalMs = said.stopMs;
    }
}

// Timelines without step-started events still tell when each step began.
void SnapshotBuilder::inferMissingSteps()
{
    qint64 &start = m_started[int(StepKind::Start)];
    if (start < 0) {
        for (const RolloutState::Tile &tile : std::as_const(m_state.tiles)) {
            if (tile.startedMs >= 0 && (start < 0 || tile.startedMs < start))
                start = tile.startedMs;
        }
    }
    if (m_started[int(StepKind::WaitReady)] < 0 && start >= 0) {
        // The engine waits as soon as it launched the processes: the last launch marks it.
        qint64 last = start;
        for (const RolloutState::Tile &tile : std::as_const(m_state.tiles))
            last = qMax(last, tile.startedMs);
        m_started[int(StepKind::WaitReady)] = last;
    }
    if (m_started[int(StepKind::Route)] >= 0 && m_started[int(StepKind::Postdeploy)] < 0) {
        m_started[int(StepKind::Postdeploy)] = m_started[int(StepKind::Route)];
        m_hookSkipped = true;
        m_state.hook.state = QStringLiteral("skipped");
    }
    RolloutState::TrafficSwitch &traffic = m_state.traffic;
    if (m_started[int(StepKind::StopOld)] < 0 && traffic.happened)
        m_started[int(StepKind::StopOld)] = traffic.atMs;
    if (traffic.toRelease == 0)
        traffic.toRelease = m_state.release;
    if (!traffic.fromRelease && !traffic.happened)
        traffic.fromRelease = m_state.previousRelease;
    if (!m_state.previousRelease && traffic.fromRelease)
        m_state.previousRelease = traffic.fromRelease;
    if (m_bootTimeoutMs < 0)
        m_bootTimeoutMs = m_timeline.bootTimeoutFromLog();
    for (RolloutState::OldContainer &old : m_state.oldContainers) {
        if (old.release == 0 && m_state.previousRelease)
            old.release = *m_state.previousRelease;
    }
}

void SnapshotBuilder::settleStatus()
{
    QString status = QStringLiteral("queued");
    if (m_buildSeen)
        status = QStringLiteral("building");
    if (m_releaseCreatedAt >= 0)
        status = QStringLiteral("pushing");
    if (m_rolloutSeen)
        status = QStringLiteral("starting");
    if (statusRank(m_sectionStatus) > statusRank(status))
        status = m_sectionStatus;
    if (m_failedAt >= 0) {
        if (!m_failedStatus.isEmpty())
            status = m_failedStatus;
        else if (!m_failureStatus.isEmpty())
            status = m_failureStatus;
    }
    if (m_timeline.isFinished()) {
        if (m_t >= finalOffset())
            status = m_timeline.status();
    } else if (statusRank(m_timeline.status()) > statusRank(status)) {
        status = m_timeline.status(); // live: the stream may be ahead of the events
    }
    m_state.status = status;
    m_state.statusFamily = StatusStyle::family(status);
    m_state.finished = StatusStyle::isFinal(status);
}

void SnapshotBuilder::settleFailure()
{
    const QString &status = m_state.status;
    if (!m_state.finished || status == QLatin1String("success"))
        return;
    RolloutState::Failure &failure = m_state.failure;
    failure.failed = true;
    failure.status = status;
    failure.reason = m_failedText.isEmpty() ? m_timeline.error() : m_failedText;
    failure.atMs = m_failedAt >= 0 ? m_failedAt : qMin(m_t, finalOffset());
    int index = stepIndex(m_failedStep);
    if (index < 0) {
        if (status == QLatin1String("build-error")) {
            index = int(StepKind::Build);
        } else if (status == QLatin1String("hook-error")) {
            index = int(StepKind::Postdeploy);
        } else if ((status == QLatin1String("crashed-error") ||
                    status == QLatin1String("timeout-error")) &&
                   m_started[int(StepKind::WaitReady)] >= 0 &&
                   m_started[int(StepKind::Postdeploy)] < 0) {
            index = int(StepKind::WaitReady);
        } else {
            // The step that was running when it ended.
            index = int(StepKind::Build);
            for (int i = int(StepKind::Start); i <= int(StepKind::Route); ++i) {
                if (m_started[i] >= 0 && m_started[i] <= failure.atMs)
                    index = i;
            }
        }
    }
    failure.stepIndex = index;
    failure.stepKey = QString::fromLatin1(Steps[index].key);
    if (status == QLatin1String("hook-error")) {
        failure.container = QStringLiteral("postdeploy-1");
    } else if (!m_crashedContainer.isEmpty()) {
        failure.container = m_crashedContainer;
    } else if (status == QLatin1String("timeout-error")) {
        for (const RolloutState::Tile &tile : std::as_const(m_state.tiles)) {
            if (tile.state == QLatin1String("timed out")) {
                failure.container = tile.name;
                break;
            }
        }
    }
    if (!failure.container.isEmpty())
        failure.lastLines = m_timeline.outputOf(failure.container);
}

void SnapshotBuilder::settleSteps()
{
    // A step ends when the next one begins, except for the few that end on their own.
    for (int i = 0; i < StepCount; ++i) {
        if (m_started[i] < 0)
            continue;
        for (int j = i + 1; j < StepCount; ++j) {
            if (m_started[j] >= 0) {
                m_ended[i] = m_started[j];
                break;
            }
        }
    }
    const int build = int(StepKind::Build);
    const int stopOld = int(StepKind::StopOld);
    m_started[build] = 0; // queued, building and pushing are the build segment
    m_ended[build] = m_started[int(StepKind::Start)];
    if (m_ended[build] < 0 && m_releaseCreatedAt >= 0 && m_rolloutSeen)
        m_ended[build] = m_releaseCreatedAt;
    if (m_state.traffic.happened)
        m_ended[int(StepKind::Route)] = m_state.traffic.atMs;
    if (m_started[stopOld] >= 0) {
        // Stopping the old containers ends with the last of them.
        const QList<RolloutState::OldContainer> &olds = m_state.oldContainers;
        bool allStopped = !olds.isEmpty();
        // One past its grace period with no end recorded (the daemon went away meanwhile)
        // does not keep the step running for ever.
        bool overdue = !olds.isEmpty();
        qint64 last = m_started[stopOld];
        for (const RolloutState::OldContainer &old : olds) {
            const qint64 grace =
                old.grace.totalMs > 0 ? old.grace.totalMs : m_state.oldGracePeriodMs;
            if (old.stoppedMs >= 0) {
                last = qMax(last, old.stoppedMs);
                continue;
            }
            allStopped = false;
            if (old.sigtermMs < 0 || grace <= 0 || m_t < old.sigtermMs + grace + OverdueMs)
                overdue = false;
        }
        const bool noneExpected =
            olds.isEmpty() && (!m_stepData[stopOld].isEmpty() || m_t >= m_timeline.endOffset());
        if (allStopped || noneExpected)
            m_ended[stopOld] = last;
        else if (overdue)
            m_ended[stopOld] = m_t;
    }

    const RolloutState::Failure &failure = m_state.failure;
    for (int i = 0; i < StepCount; ++i) {
        RolloutState::Step &step = m_state.steps[i];
        step.startedMs = m_started[i];
        if (failure.failed && i == failure.stepIndex) {
            step.state = StepState::Failed;
            step.durationMs = m_started[i] >= 0 ? qMax<qint64>(0, failure.atMs - m_started[i]) : -1;
        } else if (failure.failed && i > failure.stepIndex) {
            step.state = StepState::NotRun;
            step.startedMs = -1;
        } else if (m_started[i] < 0 || m_started[i] > m_t) {
            step.state = StepState::Pending;
        } else if (i == int(StepKind::Postdeploy) && m_hookSkipped) {
            step.state = StepState::Skipped;
        } else if (i == build && m_ended[i] >= 0 && !m_buildSeen && m_releaseCreatedAt < 0) {
            step.state = StepState::Skipped; // a restart: the same release, nothing to build
        } else if (m_ended[i] >= 0 && m_ended[i] <= m_t) {
            step.state = StepState::Done;
            step.durationMs = m_ended[i] - m_started[i];
        } else if (failure.failed ||
                   (m_timeline.isFinished() && m_t >= m_timeline.endOffset() && i != stopOld)) {
            // A finished deployment has nothing running any more, but its old containers
            // may still drain after `success`.
            step.state = StepState::Done;
            step.durationMs = qMax<qint64>(0, qMin(m_t, finalOffset()) - m_started[i]);
        } else {
            step.state = StepState::Running;
            step.durationMs = m_t - m_started[i];
        }
    }
    // Stopping the old containers can still run after the status became `success`; the
    // step running last is the one to highlight.
    for (int i = StepCount - 1; i >= 0; --i) {
        if (m_state.steps[i].state == StepState::Running) {
            m_state.currentStep = i;
            break;
        }
    }
    if (failure.failed)
        m_state.currentStep = failure.stepIndex;
}

// The few words under each step's title.
void SnapshotBuilder::describeSteps()
{
    const QString &status = m_state.status;
    const RolloutState::Failure &failure = m_state.failure;
    auto reached = [](const RolloutState::Step &step) {
        return step.state != StepState::Pending && step.state != StepState::NotRun;
    };

    RolloutState::Step &build = m_state.steps[int(StepKind::Build)];
    const QString buildpacks = m_buildpacks.join(QStringLiteral(", "));
    switch (build.state) {
    case StepState::Running:
        build.detail = statusRank(status) <= 2 ? status : QStringLiteral("building");
        if (status == QLatin1String("building") && !buildpacks.isEmpty())
            build.detail += QStringLiteral(" · ") + buildpacks;
        break;
    case StepState::Failed:
        if (failure.status == QLatin1String("aborted"))
            build.detail = m_buildSeen ? QStringLiteral("aborted while building")
                                       : QStringLiteral("aborted while queued");
        else
            build.detail = failure.status;
        break;
    case StepState::Skipped:
        build.detail = QStringLiteral("no build");
        break;
    case StepState::Done:
        build.detail = !buildpacks.isEmpty() ? buildpacks
                       : m_buildSeen         ? QStringLiteral("built")
                                             : QStringLiteral("pushed");
        if (m_slugBytes >= 0)
            build.detail +=
                QStringLiteral(" · ") +
                QLocale::c().formattedDataSize(m_slugBytes, 1, QLocale::DataSizeTraditionalFormat);
        break;
    default:
        break;
    }

    int launched = 0;
    int ready = 0;
    int probed = 0;
    for (const RolloutState::Tile &tile : std::as_const(m_state.tiles)) {
        launched += tile.startedMs >= 0 ? 1 : 0;
        probed += tile.probed ? 1 : 0;
        ready += tile.probed && tile.readyMs >= 0 ? 1 : 0;
    }
    RolloutState::Step &start = m_state.steps[int(StepKind::Start)];
    if (reached(start))
        start.detail =
            m_state.tiles.isEmpty()
                ? QStringLiteral("no container")
                : QStringLiteral("%1 of %2 started").arg(launched).arg(m_state.tiles.size());
    RolloutState::Step &wait = m_state.steps[int(StepKind::WaitReady)];
    if (reached(wait))
        wait.detail = probed == 0 ? QStringLiteral("nothing to probe")
                                  : QStringLiteral("%1 of %2 ready").arg(ready).arg(probed);
    RolloutState::Step &postdeploy = m_state.steps[int(StepKind::Postdeploy)];
    if (postdeploy.state == StepState::Skipped)
        postdeploy.detail = QStringLiteral("no hook");
    else if (reached(postdeploy))
        postdeploy.detail = m_state.hook.state;
    RolloutState::Step &route = m_state.steps[int(StepKind::Route)];
    if (route.state != StepState::NotRun)
        route.detail = m_state.traffic.toRelease > 0
                           ? QStringLiteral("→ v%1").arg(m_state.traffic.toRelease)
                           : QStringLiteral("→ new release");
    RolloutState::Step &stop = m_state.steps[int(StepKind::StopOld)];
    if (reached(stop)) {
        int stopped = 0;
        for (const RolloutState::OldContainer &old : std::as_const(m_state.oldContainers))
            stopped += old.stoppedMs >= 0 ? 1 : 0;
        stop.detail =
            m_state.oldContainers.isEmpty()
                ? QStringLiteral("none to stop")
                : QStringLiteral("%1 of %2 stopped").arg(stopped).arg(m_state.oldContainers.size());
    }
}

void SnapshotBuilder::settleCountdowns()
{
    const RolloutState::Failure &failure = m_state.failure;
    const RolloutState::Step &wait = m_state.step(StepKind::WaitReady);
    if (m_bootTimeoutMs > 0 && wait.startedMs >= 0) {
        RolloutState::Countdown &boot = m_state.bootTimeout;
        boot.known = true;
        boot.totalMs = m_bootTimeoutMs;
        boot.running = wait.state == StepState::Running;
        const qint64 spent = boot.running ? m_t - wait.startedMs : qMax<qint64>(0, wait.durationMs);
        boot.remainingMs = qMax<qint64>(0, m_bootTimeoutMs - spent);
    }

    RolloutState::Hook &hook = m_state.hook;
    if (hook.startedMs >= 0 && m_hookLimitMs > 0) {
        RolloutState::Countdown &limit = hook.timeLimit;
        limit.known = true;
        limit.totalMs = m_hookLimitMs;
        limit.running = hook.state == QLatin1String("running") && !failure.failed;
        const qint64 end = hook.finishedMs >= 0 ? hook.finishedMs
                           : failure.failed     ? failure.atMs
                                                : m_t;
        limit.remainingMs = qMax<qint64>(0, m_hookLimitMs - (end - hook.startedMs));
    }
    if (hook.state.isEmpty() || hook.state == QLatin1String("waiting"))
        hook.state = failure.failed ? QStringLiteral("not run") : QStringLiteral("waiting");
    if (failure.failed && hook.state == QLatin1String("running"))
        hook.state = QStringLiteral("stopped");
    hook.family =
        hook.state == QLatin1String("running")     ? StatusFamily::Active
        : hook.state == QLatin1String("succeeded") ? StatusFamily::Good
        : hook.state == QLatin1String("failed") || hook.state == QLatin1String("timed out")
            ? StatusFamily::Bad
        : hook.state == QLatin1String("stopped") ? StatusFamily::Ended
                                                 : StatusFamily::Waiting;
    hook.lastLines = m_timeline.outputOf(QStringLiteral("postdeploy-1"));

    for (RolloutState::OldContainer &old : m_state.oldContainers) {
        if (old.sigtermMs >= 0 && old.grace.totalMs > 0) {
            old.grace.known = true;
            old.grace.running = old.stoppedMs < 0;
            const qint64 end = old.stoppedMs >= 0 ? old.stoppedMs : m_t;
            old.grace.remainingMs = qMax<qint64>(0, old.grace.totalMs - (end - old.sigtermMs));
        }
    }
    for (RolloutState::Tile &tile : m_state.tiles) {
        if (m_newSigterm.contains(tile.name) && tile.grace.totalMs > 0) {
            tile.grace.known = true;
            tile.grace.running = true;
            tile.grace.remainingMs =
                qMax<qint64>(0, tile.grace.totalMs - (m_t - m_newSigterm.value(tile.name)));
        }
    }
}

void SnapshotBuilder::settleContainers()
{
    for (RolloutState::OldContainer &old : m_state.oldContainers) {
        if (old.state == QLatin1String("draining") && old.outcome.isEmpty())
            old.outcome = QStringLiteral("SIGTERM sent");
        old.family =
            old.state == QLatin1String("serving") ? StatusFamily::Good
            : old.state == QLatin1String("draining") || old.state == QLatin1String("finishing")
                ? StatusFamily::Active
            : old.state == QLatin1String("killed") ? StatusFamily::Bad
                                                   : StatusFamily::Ended;
    }
    for (RolloutState::Tile &tile : m_state.tiles) {
        if (tile.state == QLatin1String("timed out") && tile.outcome.isEmpty())
            tile.outcome = QStringLiteral("no answer after %1 probes").arg(tile.probes);
        tile.family =
            tile.state == QLatin1String("stopping") ? StatusFamily::Active : familyOf(tile.state);
        tile.lastLines = m_timeline.outputOf(tile.name);
    }
    // What the router sends requests to at this moment.
    const RolloutState::TrafficSwitch &traffic = m_state.traffic;
    m_state.traffic.servingRelease =
        traffic.happened ? std::optional<int>(traffic.toRelease) : traffic.fromRelease;
}

} // namespace

RolloutState RolloutTimeline::snapshotAt(qint64 offsetMs) const
{
    return SnapshotBuilder(*this, offsetMs).build();
}

} // namespace Slipway
