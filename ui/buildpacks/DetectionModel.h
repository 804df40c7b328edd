#pragma once

#include <QAbstractTableModel>
#include <QJsonObject>
#include <QList>

namespace Slipway {

// What each buildpack's bin/detect says of the chosen source: every built-in one and every
// configured one (BUILDPACK_URL, the app's list, the source's .buildpacks), from
// POST /v1/apps/{app}/buildpacks/detect.
class DetectionModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { BuildpackColumn, OriginColumn, ResultColumn, NameColumn, ColumnCount };
    enum Role { DetectedRole = Qt::UserRole + 1, ErrorRole, OriginRole };

    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // The detect endpoint's answer; an empty object clears the table.
    void setAnswer(const QJsonObject &answer);
    const QJsonObject &answer() const { return m_answer; }
    QStringList builtinNames() const;

    static QString originLabel(const QString &origin);

private:
    struct Row
    {
        QString buildpack;
        QString origin; // builtin, buildpack-url, app-list, buildpacks-file
        bool detected = false;
        QString name;
        QString error;
    };
    QJsonObject m_answer;
    QList<Row> m_rows;
};

} // namespace Slipway
