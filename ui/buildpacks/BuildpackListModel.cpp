#include "buildpacks/BuildpackListModel.h"

#include <QDataStream>
#include <QIODevice>
#include <QMimeData>

#include <algorithm>
#include <numeric>

namespace Slipway {

namespace {
const QString RowsMimeType = QStringLiteral("application/x-slipway-buildpack-rows");
} // namespace

int BuildpackListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_references.size());
}

QVariant BuildpackListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QString &reference = m_references.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
        return reference;
    case Qt::ToolTipRole:
    case Qt::AccessibleTextRole:
        return QStringLiteral("Buildpack %1 of %2: %3")
            .arg(index.row() + 1)
            .arg(m_references.size())
            .arg(reference);
    default:
        return {};
    }
}

Qt::ItemFlags BuildpackListModel::flags(const QModelIndex &index) const
{
    // Drops land between rows, never on one (which would mean "replace it").
    if (!index.isValid())
        return Qt::ItemIsDropEnabled;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled |
           Qt::ItemNeverHasChildren;
}

Qt::DropActions BuildpackListModel::supportedDropActions() const
{
    return Qt::MoveAction;
}

Qt::DropActions BuildpackListModel::supportedDragActions() const
{
    return Qt::MoveAction;
}

QStringList BuildpackListModel::mimeTypes() const
{
    return {RowsMimeType};
}

QMimeData *BuildpackListModel::mimeData(const QModelIndexList &indexes) const
{
    QList<int> rows;
    for (const QModelIndex &index : indexes) {
        if (index.isValid() && !rows.contains(index.row()))
            rows.append(index.row());
    }
    std::sort(rows.begin(), rows.end());
    QByteArray encoded;
    QDataStream stream(&encoded, QIODevice::WriteOnly);
    stream << rows;
    auto *data = new QMimeData;
    data->setData(RowsMimeType, encoded);
    QStringList text;
    for (int row : rows)
        text.append(m_references.at(row));
    data->setText(text.join(QLatin1Char('\n')));
    return data;
}

bool BuildpackListModel::canDropMimeData(const QMimeData *data, Qt::DropAction action, int, int,
                                         const QModelIndex &) const
{
    return data && action == Qt::MoveAction && data->hasFormat(RowsMimeType);
}

bool BuildpackListModel::dropMimeData(const QMimeData *data, Qt::DropAction action, int row,
                                      int column, const QModelIndex &parent)
{
    if (!canDropMimeData(data, action, row, column, parent))
        return false;
    QList<int> rows;
    QDataStream stream(data->data(RowsMimeType));
    stream >> rows;
    if (rows.isEmpty())
        return false;
    for (int source : std::as_const(rows)) {
        if (source < 0 || source >= m_references.size())
            return false;
    }
    // Dropped on a row: before it. Dropped past the end or on nothing: at the end.
    int destination = row;
    if (destination < 0)
        destination = parent.isValid() ? parent.row() : int(m_references.size());
    // The new order: the rows that stay, with the moved ones (in their order) where dropped.
    QList<int> order;
    int insertAt = 0;
    for (int i = 0; i < m_references.size(); ++i) {
        if (rows.contains(i))
            continue;
        if (i < destination)
            ++insertAt;
        order.append(i);
    }
    for (qsizetype i = 0; i < rows.size(); ++i)
        order.insert(insertAt + i, rows.at(i));
    reorder(order);
    // The move is done: the view must not remove the dragged rows afterwards.
    return false;
}

void BuildpackListModel::reorder(const QList<int> &order)
{
    QList<int> identity(order.size());
    std::iota(identity.begin(), identity.end(), 0);
    if (order == identity)
        return;
    Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    QStringList references;
    QList<int> newRowOf(order.size());
    for (qsizetype i = 0; i < order.size(); ++i) {
        references.append(m_references.at(order.at(i)));
        newRowOf[order.at(i)] = int(i);
    }
    m_references = references;
    const QModelIndexList before = persistentIndexList();
    QModelIndexList after;
    for (const QModelIndex &index : before)
        after.append(this->index(newRowOf.at(index.row())));
    changePersistentIndexList(before, after);
    Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
    // Row numbers are part of the text.
    Q_EMIT dataChanged(index(0), index(int(m_references.size()) - 1));
    changed();
}

bool BuildpackListModel::moveRows(const QModelIndex &sourceParent, int sourceRow, int count,
                                  const QModelIndex &destinationParent, int destinationChild)
{
    if (sourceParent.isValid() || destinationParent.isValid() || count != 1 || sourceRow < 0 ||
        sourceRow >= m_references.size() || destinationChild < 0 ||
        destinationChild > m_references.size())
        return false;
    if (destinationChild == sourceRow || destinationChild == sourceRow + 1)
        return false; // already there
    if (!beginMoveRows({}, sourceRow, sourceRow, {}, destinationChild))
        return false;
    const int to = destinationChild > sourceRow ? destinationChild - 1 : destinationChild;
    m_references.move(sourceRow, to);
    endMoveRows();
    // Row numbers are part of the text.
    Q_EMIT dataChanged(index(0), index(int(m_references.size()) - 1));
    changed();
    return true;
}

bool BuildpackListModel::removeRows(int row, int count, const QModelIndex &parent)
{
    if (parent.isValid() || row < 0 || count <= 0 || row + count > m_references.size())
        return false;
    beginRemoveRows({}, row, row + count - 1);
    m_references.remove(row, count);
    endRemoveRows();
    if (!m_references.isEmpty())
        Q_EMIT dataChanged(index(0), index(int(m_references.size()) - 1));
    changed();
    return true;
}

void BuildpackListModel::setSaved(const QStringList &references)
{
    beginResetModel();
    m_references = references;
    m_saved = references;
    endResetModel();
    changed();
}

void BuildpackListModel::revert()
{
    beginResetModel();
    m_references = m_saved;
    endResetModel();
    changed();
}

bool BuildpackListModel::add(const QString &reference)
{
    if (reference.isEmpty() || m_references.contains(reference))
        return false;
    const int row = int(m_references.size());
    beginInsertRows({}, row, row);
    m_references.append(reference);
    endInsertRows();
    changed();
    return true;
}

void BuildpackListModel::changed()
{
    const bool modified = isModified();
    if (modified != m_wasModified) {
        m_wasModified = modified;
        Q_EMIT modifiedChanged(modified);
    }
}

} // namespace Slipway
