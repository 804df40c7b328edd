#pragma once

#include <QAbstractListModel>
#include <QStringList>

namespace Slipway {

// The app's ordered buildpack list as the user edits it: reordered by drag and drop (rows
// move, they are never copied) or by moving a row up or down, references added and removed.
// It remembers what the daemon holds, to tell whether there is something to save.
class BuildpackListModel : public QAbstractListModel
{
    Q_OBJECT

public:
    using QAbstractListModel::QAbstractListModel;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    Qt::DropActions supportedDropActions() const override;
    Qt::DropActions supportedDragActions() const override;
    QStringList mimeTypes() const override;
    QMimeData *mimeData(const QModelIndexList &indexes) const override;
    bool canDropMimeData(const QMimeData *data, Qt::DropAction action, int row, int column,
                         const QModelIndex &parent) const override;
    bool dropMimeData(const QMimeData *data, Qt::DropAction action, int row, int column,
                      const QModelIndex &parent) override;
    bool moveRows(const QModelIndex &sourceParent, int sourceRow, int count,
                  const QModelIndex &destinationParent, int destinationChild) override;
    bool removeRows(int row, int count, const QModelIndex &parent = {}) override;

    const QStringList &references() const { return m_references; }
    // What the daemon holds: the list and the saved state both become `references`.
    void setSaved(const QStringList &references);
    bool isModified() const { return m_references != m_saved; }
    void revert();
    // False when the reference is in the list already.
    bool add(const QString &reference);

Q_SIGNALS:
    void modifiedChanged(bool modified);

private:
    void changed();
    // Puts the rows in `order` (old row numbers, in their new order), views kept in step.
    void reorder(const QList<int> &order);

    QStringList m_references;
    QStringList m_saved;
    bool m_wasModified = false;
};

} // namespace Slipway
