#include "rollout/RolloutScrubber.h"

#include "rollout/RolloutState.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
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
    layout->setContentsMargins(0, 0, 0, 0);
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
