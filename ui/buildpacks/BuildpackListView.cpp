#include "buildpacks/BuildpackListView.h"

#include <QPainter>

namespace Slipway {

BuildpackListView::BuildpackListView(QWidget *parent)
    : QListView(parent)
{
    setDragDropMode(QAbstractItemView::InternalMove);
    setDefaultDropAction(Qt::MoveAction);
    setDragEnabled(true);
    setAcceptDrops(true);
    setDropIndicatorShown(true);
    setSelectionMode(QAbstractItemView::SingleSelection);
}

void BuildpackListView::paintEvent(QPaintEvent *event)
{
    QListView::paintEvent(event);
    if (model() && model()->rowCount() > 0)
        return;
    QPainter painter(viewport());
    QColor text = palette().color(QPalette::Text);
    text.setAlphaF(0.6);
    painter.setPen(text);
    painter.drawText(viewport()->rect().adjusted(12, 12, -12, -12),
                     Qt::AlignCenter | Qt::TextWordWrap,
                     QStringLiteral("No list is set for this app, so the source's .buildpacks "
                                    "or auto-detection decides.\nAdd buildpacks below to run "
                                    "them in this order for every deployment."));
}

} // namespace Slipway
