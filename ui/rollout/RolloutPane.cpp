#include "rollout/RolloutPane.h"

#include "rollout/RolloutScrubber.h"
#include "rollout/RolloutView.h"
#include "style/StatusStyle.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QScrollBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace Slipway {

namespace {

// Often enough for a countdown in whole seconds and a probe count every 100 ms.
constexpr int LiveRefreshMilliseconds = 200;
// The moments a replay can jump to, from the finished deployment's picture.
QList<RolloutScrubber::Mark> marksOf(const RolloutState &end)
{
    using StepKind = RolloutState::StepKind;
    using StepState = RolloutState::StepState;
    QList<RolloutScrubber::Mark> marks;
    auto add = [&marks](qint64 offset, const QString &label, StatusFamily family,
                        bool major = false) {
        if (offset >= 0)
            marks.append({offset, label, family, major});
    };
    add(end.step(StepKind::Start).startedMs, RolloutPane::tr("rollout"), StatusFamily::Active);
    const RolloutState::Step &postdeploy = end.step(StepKind::Postdeploy);
    if (postdeploy.state != StepState::NotRun)
        add(postdeploy.startedMs, RolloutPane::tr("all ready"), StatusFamily::Good);
    if (end.hook.startedMs >= 0)
        add(end.hook.startedMs, RolloutPane::tr("hook"), StatusFamily::Active);
    if (end.traffic.happened)
        add(end.traffic.atMs, RolloutPane::tr("switch"), StatusFamily::Good, true);
    if (end.failure.failed)
        add(end.failure.atMs, end.failure.status, StatusStyle::family(end.failure.status), true);
    const RolloutState::Step &stopOld = end.step(StepKind::StopOld);
    if (stopOld.state == StepState::Done && !end.oldContainers.isEmpty())
        add(stopOld.startedMs + stopOld.durationMs, RolloutPane::tr("drained"),
            StatusFamily::Ended);
    std::stable_sort(marks.begin(), marks.end(),
                     [](const auto &a, const auto &b) { return a.offsetMs < b.offsetMs; });
    return marks;
}

// After `success`, old containers still drain; the view stays live for that long at most
// past the last event before it settles as a replay.
constexpr qint64 DrainFollowMilliseconds = 5000;

} // namespace

RolloutPane::RolloutPane(QWidget *parent)
    : QWidget(parent)
    , m_status(new QLabel(this))
    , m_release(new QLabel(this))
    , m_elapsed(new QLabel(this))
    , m_sentence(new QLabel(this))
    , m_problem(new QLabel(this))
    , m_scroll(new QScrollArea(this))
    , m_view(new RolloutView)
    , m_details(new QWidget(this))
    , m_detailsTitle(new QLabel(m_details))
    , m_output(new QPlainTextEdit(m_details))
    , m_closeDetails(new QToolButton(m_details))
    , m_scrubber(new RolloutScrubber(this))
{
    setObjectName(QStringLiteral("rolloutPane"));
    m_status->setObjectName(QStringLiteral("rolloutStatus"));
    m_release->setObjectName(QStringLiteral("rolloutRelease"));
    m_elapsed->setObjectName(QStringLiteral("rolloutElapsed"));
    m_sentence->setObjectName(QStringLiteral("rolloutSentence"));
    m_problem->setObjectName(QStringLiteral("rolloutProblem"));
    m_scroll->setObjectName(QStringLiteral("rolloutScrollArea"));
    m_details->setObjectName(QStringLiteral("rolloutDetails"));
    m_detailsTitle->setObjectName(QStringLiteral("rolloutDetailsTitle"));
    m_output->setObjectName(QStringLiteral("rolloutOutput"));
    m_closeDetails->setObjectName(QStringLiteral("rolloutDetailsClose"));

    QFont statusFont = m_status->font();
    statusFont.setBold(true);
    statusFont.setPointSizeF(statusFont.pointSizeF() > 0 ? statusFont.pointSizeF() * 1.25 : 12);
    m_status->setFont(statusFont);
    m_status->setAccessibleName(tr("Deployment status"));
    m_elapsed->setAccessibleName(tr("Elapsed time"));
    m_sentence->setWordWrap(true);
    m_problem->setWordWrap(true);
    m_problem->hide();

    auto *header = new QHBoxLayout;
    header->addWidget(m_status);
    header->addSpacing(12);
    header->addWidget(m_release);
    header->addStretch(1);
    header->addWidget(m_elapsed);

    m_scroll->setWidget(m_view);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    // The output of the container picked in the view.
    m_output->setReadOnly(true);
    m_output->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_output->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_output->setAccessibleName(tr("Container output"));
    m_output->setMaximumHeight(m_output->fontMetrics().lineSpacing() * 12);
    m_closeDetails->setText(tr("Close"));
    m_closeDetails->setToolTip(tr("Close the output panel"));
    m_closeDetails->setAutoRaise(true);
    QFont titleFont = m_detailsTitle->font();
    titleFont.setBold(true);
    m_detailsTitle->setFont(titleFont);
    auto *detailsHeader = new QHBoxLayout;
    detailsHeader->addWidget(m_detailsTitle, 1);
    detailsHeader->addWidget(m_closeDetails);
    auto *detailsLayout = new QVBoxLayout(m_details);
    detailsLayout->setContentsMargins(0, 0, 0, 0);
    detailsLayout->addLayout(detailsHeader);
    detailsLayout->addWidget(m_output);
    m_details->hide();

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(header);
    layout->addWidget(m_sentence);
    layout->addWidget(m_problem);
    layout->addWidget(m_scroll, 1);
    layout->addWidget(m_details);
    layout->addWidget(m_scrubber);
    m_scrubber->hide();

    m_liveTimer.setInterval(LiveRefreshMilliseconds);
    connect(&m_liveTimer, &QTimer::timeout, this, &RolloutPane::refresh);
    connect(m_scrubber, &RolloutScrubber::positionChanged, this, &RolloutPane::refresh);
    connect(m_view, &RolloutView::itemActivated, this, [this](const QString &name) {
        showOutput(name);
        Q_EMIT itemActivated(name);
    });
    connect(m_closeDetails, &QToolButton::clicked, this, [this] {
        m_shownOutput.clear();
        m_details->hide();
        m_view->setFocus(Qt::OtherFocusReason);
    });
    m_sinceEvent.start();
    refresh();
}

const RolloutState &RolloutPane::state() const
{
    return m_view->state();
}

bool RolloutPane::setDeployment(const QJsonObject &deployment, QString *error)
{
    QString problem;
    if (!m_timeline.setDeployment(deployment, &problem) && problem.isEmpty())
        problem = tr("this is not a deployment");
    const bool accepted = deployment.value(QStringLiteral("status")).isString();
    m_problem->setVisible(!problem.isEmpty());
    m_problem->setText(problem.isEmpty() ? QString()
                                         : tr("Part of the timeline is missing: %1").arg(problem));
    if (error)
        *error = problem;
    m_sinceEvent.restart();
    m_replay = false;
    m_scrubber->pause();
    m_shownOutput.clear();
    m_details->hide();
    updateMode();
    if (m_replay)
        m_scrubber->setPosition(m_scrubber->duration());
    refresh();
    return accepted;
}

bool RolloutPane::appendEvent(const QJsonObject &event, QString *error)
{
    QString problem;
    if (!m_timeline.appendEvent(event, &problem)) {
        m_problem->setText(tr("Part of the timeline is missing: %1").arg(problem));
        m_problem->show();
        if (error)
            *error = problem;
        return false;
    }
    eventsChanged();
    return true;
}

void RolloutPane::updateDeployment(const QJsonObject &deployment)
{
    m_timeline.updateDeployment(deployment);
    eventsChanged();
}

void RolloutPane::setStatus(const QString &status, const QString &error)
{
    m_timeline.setStatus(status, error);
    eventsChanged();
}

void RolloutPane::eventsChanged()
{
    m_sinceEvent.restart();
    const bool atEnd = m_scrubber->position() >= m_scrubber->duration();
    updateMode();
    // A replay left at its end follows what still arrives (the old containers' end).
    if (m_replay && atEnd && !m_scrubber->isPlaying())
        m_scrubber->setPosition(m_scrubber->duration());
    refresh();
}

void RolloutPane::setLog(const QStringList &lines)
{
    m_timeline.setLog(lines);
    refresh();
}

void RolloutPane::appendLogLine(const QString &line)
{
    m_timeline.appendLogLine(line);
    if (!m_liveTimer.isActive())
        refresh();
}

void RolloutPane::clear()
{
    m_timeline.clear();
    m_replay = false;
    m_scrubber->pause();
    m_shownOutput.clear();
    m_details->hide();
    m_problem->hide();
    updateMode();
    refresh();
}

qint64 RolloutPane::liveOffset() const
{
    // The daemon's clock says when the deployment began; the events say how far it got.
    qint64 now = m_timeline.lastEventOffset() + m_sinceEvent.elapsed();
    if (m_timeline.createdAt().isValid())
        now = qMax(m_timeline.lastEventOffset(),
                   m_timeline.createdAt().msecsTo(QDateTime::currentDateTimeUtc()));
    return now;
}

void RolloutPane::updateMode()
{
    bool replay = m_timeline.isFinished();
    if (replay) {
        // Old containers may still be draining after `success`: follow them live a while.
        const RolloutState now = m_timeline.snapshotAt(liveOffset());
        const bool draining = now.currentStep == int(RolloutState::StepKind::StopOld);
        const qint64 grace = now.oldGracePeriodMs > 0 ? now.oldGracePeriodMs : 30000;
        if (draining &&
            liveOffset() - m_timeline.lastEventOffset() < grace + DrainFollowMilliseconds)
            replay = false;
    }
    m_scrubber->setDuration(m_timeline.endOffset());
    if (replay)
        m_scrubber->setMarks(marksOf(m_timeline.snapshotAt(m_timeline.endOffset())));
    if (replay != m_replay) {
        m_replay = replay;
        if (replay)
            m_scrubber->setPosition(m_scrubber->duration());
    }
    m_scrubber->setVisible(m_replay);
    if (m_replay) {
        m_liveTimer.stop();
    } else if (!m_liveTimer.isActive()) {
        m_liveTimer.start();
    }
}

void RolloutPane::refresh()
{
    if (!m_replay && m_timeline.isFinished())
        updateMode(); // the drain it followed is over
    const qint64 offset = m_replay ? m_scrubber->position() : liveOffset();
    const RolloutState state = m_timeline.snapshotAt(offset);
    m_view->setState(state);
    updateHeader(state);
    updateOutput();
}

void RolloutPane::updateHeader(const RolloutState &state)
{
    m_status->setText(state.status);
    QPalette statusPalette = m_status->palette();
    statusPalette.setColor(QPalette::WindowText, StatusStyle::color(state.status, palette()));
    m_status->setPalette(statusPalette);
    m_status->setToolTip(StatusStyle::describe(state.status));

    QString release;
    if (state.release > 0)
        release =
            state.previousRelease
                ? tr("release v%1, replacing v%2").arg(state.release).arg(*state.previousRelease)
                : tr("release v%1, the app's first").arg(state.release);
    else if (state.previousRelease)
        release = tr("v%1 serves the app meanwhile").arg(*state.previousRelease);
    m_release->setText(release);

    QString elapsed;
    if (m_replay) {
        const qint64 took =
            m_timeline.durationMs() >= 0 ? m_timeline.durationMs() : m_timeline.endOffset();
        elapsed = tr("took %1").arg(RolloutState::duration(took));
        if (m_timeline.finishedAt().isValid())
            elapsed += tr(", ended %1")
                           .arg(m_timeline.finishedAt().toLocalTime().toString(
                               QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    } else if (StatusStyle::isFinal(state.status)) {
        elapsed =
            tr("took %1").arg(RolloutState::duration(qMax<qint64>(0, m_timeline.durationMs())));
    } else {
        elapsed = tr("%1 for %2")
                      .arg(state.status == QLatin1String("queued") ? tr("queued") : tr("running"),
                           RolloutState::duration(state.offsetMs));
    }
    m_elapsed->setText(elapsed);

    QString sentence = StatusStyle::describe(state.status);
    if (state.status == QLatin1String("queued") && !state.waitingFor.isEmpty())
        sentence = tr("Waits for deployment %1 to end.").arg(state.waitingFor);
    else if (!sentence.isEmpty())
        sentence += u'.';
    if (m_replay && state.offsetMs < m_scrubber->duration())
        sentence = tr("Replay at %1: ").arg(RolloutState::duration(state.offsetMs)) + sentence;
    m_sentence->setText(sentence);
}

void RolloutPane::showOutput(const QString &container)
{
    m_shownOutput = container;
    m_details->show();
    updateOutput();
}

void RolloutPane::updateOutput()
{
    if (m_shownOutput.isEmpty())
        return;
    const QStringList lines = m_timeline.outputOf(m_shownOutput);
    m_detailsTitle->setText(lines.isEmpty()
                                ? tr("%1: no output in the deployment log").arg(m_shownOutput)
                                : tr("%1: its last %2 line(s) in the deployment log")
                                      .arg(m_shownOutput)
                                      .arg(lines.size()));
    const QString text = lines.join(u'\n');
    if (m_output->toPlainText() != text) {
        QScrollBar *bar = m_output->verticalScrollBar();
        const bool following = bar->value() == bar->maximum();
        m_output->setPlainText(text);
        if (following)
            bar->setValue(bar->maximum());
    }
}

void RolloutPane::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        updateHeader(m_view->state());
}

} // namespace Slipway
