#pragma once

#include <QStyledItemDelegate>

namespace Slipway {

// Paints one app of the list: its name, a dot coloured by its state, and a second line
// "v3 · web 2/2 ready · success 3 min ago" coloured by the last deployment's status.
class AppItemDelegate : public QStyledItemDelegate
{
    Q_OBJECT

public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace Slipway
