#pragma once

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QSlider;
class QToolButton;

namespace Slipway {

// Replays a finished deployment: a slider over its duration, play/pause, a speed. It only
// moves a position; whoever owns it turns the position into a picture.
class RolloutScrubber : public QWidget
{
    Q_OBJECT

public:
    explicit RolloutScrubber(QWidget *parent = nullptr);

    void setDuration(qint64 milliseconds);
    qint64 duration() const { return m_duration; }
    void setPosition(qint64 milliseconds);
    qint64 position() const { return m_position; }
    // How many times faster than it happened: 1, 2, 5, 10 or 30.
    void setSpeed(double speed);
    double speed() const;
    bool isPlaying() const { return m_timer.isActive(); }

    void play();
    void pause();

Q_SIGNALS:
    void positionChanged(qint64 milliseconds);
    void playingChanged(bool playing);

private:
    void advance();
    void updateLabel();
    void updatePlayButton();

    QToolButton *m_playButton;
    QSlider *m_slider;
    QLabel *m_positionLabel;
    QComboBox *m_speedBox;
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_duration = 0;
    qint64 m_position = 0;
    double m_carry = 0;
};

} // namespace Slipway
