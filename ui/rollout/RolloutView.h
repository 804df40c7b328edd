#pragma once

#include "rollout/RolloutState.h"

#include <QList>
#include <QRect>
#include <QWidget>

namespace Slipway {

// Paints one RolloutState: the step strip (build, then the four steps and the retirement of
// the old containers), a failure panel with the guilty container's last lines, a tile per
// new container, the boot-timeout countdown, the postdeploy hook, the traffic switch and
// the old containers draining. It computes nothing about the deployment itself.
//
// Items (the new containers' tiles, then the hook once it ran) are reachable by keyboard:
// Tab and the arrows move between them, Enter or a click activates one.
class RolloutView : public QWidget
{
    Q_OBJECT

public:
    explicit RolloutView(QWidget *parent = nullptr);

    void setState(const RolloutState &state);
    const RolloutState &state() const { return m_state; }

    // The focusable items: tile names, then "postdeploy-1" when the hook ran.
    QStringList itemNames() const;
    QString currentItem() const;
    void setCurrentItem(const QString &name);
    // Where an item (or an old container, by its name prefixed with "old:") is painted.
    QRect itemRect(const QString &name) const;

    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    // A tile or the hook was clicked, or Enter pressed on it: show its output.
    void itemActivated(const QString &name);
    void currentItemChanged(const QString &name);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;
    bool event(QEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void focusInEvent(QFocusEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;
    bool focusNextPrevChild(bool next) override;

private:
    struct Layout
    {
        int width = 0;
        int height = 0;
        QList<QRect> steps;
        QRect failure;
        QRect tilesHeader;
        QList<QRect> tiles;
        QRect tilesEmpty;
        QRect hook;
        QRect traffic;
        QRect oldHeader;
        QList<QRect> old;
        QRect oldEmpty;
        int columns = 1;
    };

    Layout computeLayout(int width) const;
    void relayout();
    int failureHeight(int width) const;
    int itemAt(const QPoint &position) const;
    QRect itemRectAt(int index) const;
    void moveCurrent(int delta);
    void setCurrentIndex(int index);
    QString tooltipAt(const QPoint &position, QRect *area) const;
    void updateAccessibleText();

    void paintSteps(QPainter &painter) const;
    void paintFailure(QPainter &painter) const;
    void paintTiles(QPainter &painter) const;
    void paintTile(QPainter &painter, const QRect &rect, const RolloutState::Tile &tile,
                   bool current) const;
    void paintHook(QPainter &painter) const;
    void paintTraffic(QPainter &painter) const;
    void paintOld(QPainter &painter) const;
    void paintRing(QPainter &painter, const QRect &rect, const RolloutState::Countdown &countdown,
                   const QColor &color) const;

    RolloutState m_state;
    Layout m_layout;
    int m_current = -1;
};

} // namespace Slipway
