#include "apps/AppItemDelegate.h"

#include "apps/AppListModel.h"
#include "style/StatusStyle.h"

#include <QApplication>
#include <QPainter>

namespace Slipway {

namespace {
constexpr int Margin = 8;
constexpr int DotSize = 9;
} // namespace

QSize AppItemDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const QFontMetrics metrics(option.font);
    return {200, Margin * 2 + metrics.height() * 3 + 6};
}

void AppItemDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                            const QModelIndex &index) const
{
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    painter->save();
    const bool selected = option.state & QStyle::State_Selected;
    const QPalette &palette = option.palette;
    const QColor text = palette.color(selected ? QPalette::HighlightedText : QPalette::Text);
    const QString state = index.data(AppListModel::StateRole).toString();
    const QString lastStatus = index.data(AppListModel::LastStatusRole).toString();

    const QRect area = option.rect.adjusted(Margin, Margin, -Margin, -Margin);
    QFont nameFont = option.font;
    nameFont.setBold(true);
    const QFontMetrics nameMetrics(nameFont);
    const QFontMetrics metrics(option.font);

    // The dot tells the app's state; the words on the second line tell the details.
    const QString dotWord = state == QLatin1String("running")     ? QStringLiteral("running")
                            : state == QLatin1String("deploying") ? QStringLiteral("starting")
                            : state == QLatin1String("crashed")   ? QStringLiteral("crashed")
                                                                  : QStringLiteral("new");
    const QRect dot(area.left(), area.top() + (nameMetrics.height() - DotSize) / 2, DotSize,
                    DotSize);
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(Qt::NoPen);
    painter->setBrush(StatusStyle::color(dotWord, palette));
    painter->drawEllipse(dot);

    painter->setFont(nameFont);
    painter->setPen(text);
    const QRect nameRect(dot.right() + 8, area.top(), area.width() - DotSize - 8,
                         nameMetrics.height());
    painter->drawText(nameRect, Qt::AlignLeft | Qt::AlignVCenter,
                      nameMetrics.elidedText(index.data(AppListModel::NameRole).toString(),
                                             Qt::ElideRight, nameRect.width()));

    // Second line: release and readiness, then the last deployment's word in its colour.
    painter->setFont(option.font);
    QString details;
    const int release = index.data(AppListModel::ReleaseRole).toInt();
    const int total = index.data(AppListModel::WebTotalRole).toInt();
    if (release > 0) {
        details = QStringLiteral("v%1").arg(release);
        if (total > 0)
            details += QStringLiteral(" · web %1/%2")
                           .arg(index.data(AppListModel::WebReadyRole).toInt())
                           .arg(total);
    } else {
        details = QStringLiteral("not deployed");
    }
    QRect line(nameRect.left(), nameRect.bottom() + 4, nameRect.width(), metrics.height());
    QColor dim = text;
    dim.setAlphaF(selected ? 0.85 : 0.7);
    painter->setPen(dim);
    const QString detailsText = metrics.elidedText(details, Qt::ElideRight, line.width());
    painter->drawText(line, Qt::AlignLeft | Qt::AlignVCenter, detailsText);
    if (!lastStatus.isEmpty()) {
        const int used = metrics.horizontalAdvance(detailsText + QStringLiteral(" · "));
        if (used < line.width()) {
            painter->drawText(line, Qt::AlignLeft | Qt::AlignVCenter,
                              QString(detailsText + QStringLiteral(" · ")));
            QRect statusRect = line.adjusted(used, 0, 0, 0);
            painter->setPen(selected ? text : StatusStyle::color(lastStatus, palette));
            painter->drawText(statusRect, Qt::AlignLeft | Qt::AlignVCenter,
                              metrics.elidedText(lastStatus, Qt::ElideRight, statusRect.width()));
        }
    }
    // Third line: where the app answers.
    const QString url = index.data(AppListModel::UrlRole).toString();
    if (!url.isEmpty()) {
        const QRect urlLine(line.left(), line.bottom() + 2, line.width(), metrics.height());
        painter->setPen(selected ? dim : palette.color(QPalette::Link));
        painter->drawText(urlLine, Qt::AlignLeft | Qt::AlignVCenter,
                          metrics.elidedText(url, Qt::ElideMiddle, urlLine.width()));
    }
    painter->restore();
}

} // namespace Slipway
