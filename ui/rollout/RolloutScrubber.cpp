#include "rollout/RolloutScrubber.h"

#include "rollout/RolloutState.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QSlider>
#include <QStyle>
#include <QToolButton>

namespace Slipway {

namespace {

constexpr int FrameMilliseconds = 33;
constexpr double Speeds[] = {1, 2, 5, 10, 30};
constexpr int DefaultSpeedIndex = 1; // twice as fast: a 30 s rollout replays in 15 s

} // namespace

RolloutScrubber::RolloutScrubber(QWidget *parent)
    : QWidget(parent)
    , m_playButton(new QToolButton(this))
    , m_slider(new QSlider(Qt::Horizontal, this))
    , m_positionLabel(new QLabel(this))
    , m_speedBox(new QComboBox(this))
{
    setObjectName(QStringLiteral("rolloutScrubber"));
    m_playButton->setObjectName(QStringLiteral("rolloutPlayButton"));
    m_playButton->setAutoRaise(true);
    // The word beside the icon: standard media icons can vanish on a dark palette.
    m_playButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_slider->setObjectName(QStringLiteral("rolloutScrubberSlider"));
    m_slider->setAccessibleName(tr("Replay position"));
    m_slider->setRange(0, 0);
    m_slider->setSingleStep(100);
    m_slider->setPageStep(1000);
    m_positionLabel->setObjectName(QStringLiteral("rolloutPositionLabel"));
    m_positionLabel->setMinimumWidth(m_positionLabel->fontMetrics().horizontalAdvance(
        QStringLiteral("00 min 00 s / 00 min 00 s")));
    m_positionLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_speedBox->setObjectName(QStringLiteral("rolloutSpeedBox"));
    m_speedBox->setAccessibleName(tr("Replay speed"));
    for (double speed : Speeds)
        m_speedBox->addItem(QStringLiteral("%1×").arg(speed), speed);
    m_speedBox->setCurrentIndex(DefaultSpeedIndex);

    auto *layout = new QHBoxLayout(this);
    // Room above the slider for the marks' labels and ticks.
    layout->setContentsMargins(0, fontMetrics().lineSpacing() + 4, 0, 0);
    auto *title = new QLabel(tr("Replay"), this);
    title->setObjectName(QStringLiteral("rolloutReplayTitle"));
    layout->addWidget(title);
    layout->addWidget(m_playButton);
    layout->addWidget(m_slider, 1);
    layout->addWidget(m_positionLabel);
    layout->addWidget(m_speedBox);

    m_timer.setInterval(FrameMilliseconds);
    connect(&m_timer, &QTimer::timeout, this, &RolloutScrubber::advance);
    connect(m_playButton, &QToolButton::clicked, this, [this] {
        if (isPlaying())
            pause();
        else
            play();
    });
    connect(m_slider, &QSlider::valueChanged, this, [this](int value) {
        if (value == m_position)
            return;
        m_position = value;
        m_carry = 0;
        updateLabel();
        Q_EMIT positionChanged(m_position);
    });
    updatePlayButton();
    updateLabel();
}

void RolloutScrubber::setDuration(qint64 milliseconds)
{
    m_duration = qMax<qint64>(0, milliseconds);
    m_slider->setRange(0, int(qMin<qint64>(m_duration, INT_MAX)));
    if (m_position > m_duration)
        setPosition(m_duration);
    updateLabel();
}

void RolloutScrubber::setPosition(qint64 milliseconds)
{
    const qint64 position = qBound<qint64>(0, milliseconds, m_duration);
    if (position == m_position && m_slider->value() == position)
        return;
    m_position = position;
    {
        const QSignalBlocker blocker(m_slider);
        m_slider->setValue(int(position));
    }
    updateLabel();
    Q_EMIT positionChanged(m_position);
}

void RolloutScrubber::setMarks(const QList<Mark> &marks)
{
    if (marks == m_marks)
        return;
    m_marks = marks;
    update();
}

int RolloutScrubber::xFor(qint64 offsetMs) const
{
    // Where the slider's handle centre would be for this value.
    const QRect slider = m_slider->geometry();
    const int handle = style()->pixelMetric(QStyle::PM_SliderLength, nullptr, m_slider);
    const int span = qMax(1, slider.width() - handle);
    return slider.left() + handle / 2 +
           QStyle::sliderPositionFromValue(
               0, qMax(1, m_slider->maximum()),
               int(qBound<qint64>(0, offsetMs, qint64(m_slider->maximum()))), span);
}

QPoint RolloutScrubber::markPosition(int index) const
{
    if (index < 0 || index >= m_marks.size())
        return {};
    return {xFor(m_marks.at(index).offsetMs), fontMetrics().lineSpacing() / 2 + 2};
}

void RolloutScrubber::paintEvent(QPaintEvent *event)
{
    QWidget::paintEvent(event);
    if (m_marks.isEmpty() || m_duration <= 0)
        return;
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics metrics = fontMetrics();
    const int band = metrics.lineSpacing() + 4;
    for (const Mark &mark : std::as_const(m_marks)) {
        const int x = xFor(mark.offsetMs);
        painter.setPen(QPen(StatusStyle::color(mark.family, palette()), 2));
        painter.drawLine(QPointF(x, band - 5), QPointF(x, band + 2));
    }
    // Labels: the major ones first; one that would overlap a drawn label is left out (its
    // tick stays).
    QList<QRect> drawn;
    for (const bool major : {true, false}) {
        for (const Mark &mark : std::as_const(m_marks)) {
            if (mark.major != major)
                continue;
            const int width = metrics.horizontalAdvance(mark.label);
            const int left =
                qBound(0, xFor(mark.offsetMs) - width / 2, qMax(0, this->width() - width));
            const QRect rect(left, 0, width, metrics.lineSpacing());
            bool overlaps = false;
            for (const QRect &other : std::as_const(drawn))
                overlaps = overlaps || rect.adjusted(-4, 0, 4, 0).intersects(other);
            if (overlaps)
                continue;
            painter.setPen(StatusStyle::color(mark.family, palette()));
            painter.drawText(rect, Qt::AlignCenter, mark.label);
            drawn.append(rect);
        }
    }
}

void RolloutScrubber::mousePressEvent(QMouseEvent *event)
{
    // A click in the marks' band jumps to the nearest mark.
    const int band = fontMetrics().lineSpacing() + 4;
    const QPoint at = event->position().toPoint();
    if (at.y() <= band && !m_marks.isEmpty()) {
        // Marks on the same pixel: a major one wins, as its label is the one drawn.
        int best = -1;
        int bestDistance = fontMetrics().averageCharWidth() * 4 + 1;
        for (int i = 0; i < m_marks.size(); ++i) {
            const int distance = qAbs(xFor(m_marks.at(i).offsetMs) - at.x());
            const bool beats =
                distance < bestDistance || (distance == bestDistance && best >= 0 &&
                                            m_marks.at(i).major && !m_marks.at(best).major);
            if (beats) {
                best = i;
                bestDistance = distance;
            }
        }
        if (best >= 0) {
            pause();
            setPosition(m_marks.at(best).offsetMs);
            return;
        }
    }
    QWidget::mousePressEvent(event);
}

void RolloutScrubber::setSpeed(double speed)
{
    int best = 0;
    for (int i = 0; i < m_speedBox->count(); ++i) {
        if (qAbs(m_speedBox->itemData(i).toDouble() - speed) <
            qAbs(m_speedBox->itemData(best).toDouble() - speed))
            best = i;
    }
    m_speedBox->setCurrentIndex(best);
}

double RolloutScrubber::speed() const
{
    return m_speedBox->currentData().toDouble();
}

void RolloutScrubber::play()
{
    if (m_duration <= 0 || isPlaying())
        return;
    if (m_position >= m_duration)
        setPosition(0); // playing at the end starts over
    m_carry = 0;
    m_clock.start();
    m_timer.start();
    updatePlayButton();
    Q_EMIT playingChanged(true);
}

void RolloutScrubber::pause()
{
    if (!isPlaying())
        return;
    m_timer.stop();
    updatePlayButton();
    Q_EMIT playingChanged(false);
}

void RolloutScrubber::advance()
{
    // The real time since the last frame, so a late timer does not slow the replay down.
    const double step = double(m_clock.restart()) * speed() + m_carry;
    const qint64 whole = qint64(step);
    m_carry = step - double(whole);
    const qint64 next = qMin(m_duration, m_position + whole);
    const double carry = m_carry;
    setPosition(next);
    m_carry = carry;
    if (next >= m_duration)
        pause();
}

void RolloutScrubber::updateLabel()
{
    m_positionLabel->setText(QStringLiteral("%1 / %2").arg(RolloutState::duration(m_position),
                                                           RolloutState::duration(m_duration)));
}

void RolloutScrubber::updatePlayButton()
{
    const bool playing = isPlaying();
    m_playButton->setIcon(
        style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    m_playButton->setText(playing ? tr("Pause") : tr("Play"));
    m_playButton->setToolTip(playing ? tr("Pause the replay") : tr("Replay the deployment"));
    m_playButton->setAccessibleName(m_playButton->text());
}

} // namespace Slipway
