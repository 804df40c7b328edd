#pragma once

#include <QStyledItemDelegate>

namespace Slipway {

// Paints one app of the list: its name, a dot coloured by its state, and a second line
// "v3 · web 2/2 · success" coloured by the last deployment's status, and a third with the
// URL the app answers at.
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
