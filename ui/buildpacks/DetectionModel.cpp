#include "buildpacks/DetectionModel.h"

#include <QJsonArray>

namespace Slipway {

int DetectionModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int DetectionModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString DetectionModel::originLabel(const QString &origin)
{
    if (origin == QLatin1String("buildpack-url"))
        return QStringLiteral("BUILDPACK_URL");
    if (origin == QLatin1String("app-list"))
        return QStringLiteral("app's list");
    if (origin == QLatin1String("buildpacks-file"))
        return QStringLiteral(".buildpacks");
    return QStringLiteral("built-in");
}

QVariant DetectionModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::AccessibleTextRole:
        switch (index.column()) {
        case BuildpackColumn:
            return row.buildpack;
        case OriginColumn:
            return originLabel(row.origin);
        case ResultColumn:
            if (!row.error.isEmpty())
                return QStringLiteral("not fetched");
            return row.detected ? QStringLiteral("matches") : QStringLiteral("no match");
        case NameColumn:
            return row.error.isEmpty() ? row.name : row.error;
        }
        return {};
    case Qt::ToolTipRole:
        if (!row.error.isEmpty())
            return row.error;
        return row.detected
                   ? QStringLiteral("bin/detect of %1 accepted the source and printed \"%2\"")
                         .arg(row.buildpack, row.name)
                   : QStringLiteral("bin/detect of %1 did not accept the source")
                         .arg(row.buildpack);
    case DetectedRole:
        return row.detected;
    case ErrorRole:
        return row.error;
    case OriginRole:
        return row.origin;
    default:
        return {};
    }
}

QVariant DetectionModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case BuildpackColumn:
        return QStringLiteral("Buildpack");
    case OriginColumn:
        return QStringLiteral("From");
    case ResultColumn:
        return QStringLiteral("Detect");
    case NameColumn:
        return QStringLiteral("bin/detect printed");
    }
    return {};
}

void DetectionModel::setAnswer(const QJsonObject &answer)
{
    beginResetModel();
    m_answer = answer;
    m_rows.clear();
    for (const QJsonValue &value : answer.value(QStringLiteral("configured")).toArray()) {
        const QJsonObject object = value.toObject();
        m_rows.append({object.value(QStringLiteral("buildpack")).toString(),
                       object.value(QStringLiteral("origin")).toString(),
                       object.value(QStringLiteral("detected")).toBool(),
                       object.value(QStringLiteral("name")).toString(),
                       object.value(QStringLiteral("error")).toString()});
    }
    for (const QJsonValue &value : answer.value(QStringLiteral("results")).toArray()) {
        const QJsonObject object = value.toObject();
        m_rows.append({object.value(QStringLiteral("buildpack")).toString(),
                       QStringLiteral("builtin"), object.value(QStringLiteral("detected")).toBool(),
                       object.value(QStringLiteral("name")).toString(), QString()});
    }
    endResetModel();
}

QStringList DetectionModel::builtinNames() const
{
    QStringList names;
    for (const Row &row : m_rows) {
        if (row.origin == QLatin1String("builtin"))
            names.append(row.buildpack);
    }
    return names;
}

} // namespace Slipway
