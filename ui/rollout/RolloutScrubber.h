#pragma once

#include "style/StatusStyle.h"

#include <QElapsedTimer>
#include <QList>
#include <QTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QSlider;
class QToolButton;

namespace Slipway {

// Replays a finished deployment: a slider over its duration, play/pause, a speed, and the
// deployment's moments marked above the slider (a click on one jumps there). It only moves
// a position; whoever owns it turns the position into a picture.
class RolloutScrubber : public QWidget
{
    Q_OBJECT

public:
    // A moment worth jumping to: "ready", "switch", "failed".
    struct Mark
    {
        qint64 offsetMs = 0;
        QString label;
        StatusFamily family = StatusFamily::Waiting;
        bool major = false; // its label wins when labels would overlap
        bool operator==(const Mark &) const = default;
    };

    explicit RolloutScrubber(QWidget *parent = nullptr);

    void setDuration(qint64 milliseconds);
    qint64 duration() const { return m_duration; }
    void setPosition(qint64 milliseconds);
    qint64 position() const { return m_position; }
    // How many times faster than it happened: 1, 2, 5, 10 or 30.
    void setSpeed(double speed);
    double speed() const;
    bool isPlaying() const { return m_timer.isActive(); }

    void setMarks(const QList<Mark> &marks);
    const QList<Mark> &marks() const { return m_marks; }
    // Where a mark's tick is drawn, in this widget's coordinates.
    QPoint markPosition(int index) const;

    void play();
    void pause();

Q_SIGNALS:
    void positionChanged(qint64 milliseconds);
    void playingChanged(bool playing);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    int xFor(qint64 offsetMs) const;
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
    QList<Mark> m_marks;
};

} // namespace Slipway
