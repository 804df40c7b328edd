#include "deploy/DeploymentListModel.h"

#include "apps/AppListModel.h"
#include "client/DaemonClient.h"
#include "style/StatusStyle.h"

#include <QApplication>
#include <QJsonArray>
#include <QPalette>

namespace Slipway {

DeploymentListModel::DeploymentListModel(DaemonClient *client, QObject *parent)
    : QAbstractListModel(parent)
    , m_client(client)
{
    m_refreshSoon.setSingleShot(true);
    m_refreshSoon.setInterval(150);
    connect(&m_refreshSoon, &QTimer::timeout, this, &DeploymentListModel::refresh);
    connect(client, &DaemonClient::event, this, &DeploymentListModel::onEvent);
    connect(client, &DaemonClient::resynced, this, &DeploymentListModel::refresh);
}

int DeploymentListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QString DeploymentListModel::describe(const QJsonObject &deployment)
{
    QStringList parts;
    const int release = deployment.value(QStringLiteral("release_version")).toInt();
    if (release > 0)
        parts.append(QStringLiteral("v%1").arg(release));
    parts.append(deployment.value(QStringLiteral("status")).toString());
    const QDateTime created = QDateTime::fromString(
        deployment.value(QStringLiteral("created_at")).toString(), Qt::ISODateWithMs);
    const QString when = AppListModel::relativeTime(created, QDateTime::currentDateTimeUtc());
    if (!when.isEmpty())
        parts.append(when);
    QString source = deployment.value(QStringLiteral("source")).toString();
    if (source.isEmpty())
        source = deployment.value(QStringLiteral("trigger")).toString();
    if (!source.isEmpty())
        parts.append(source);
    return parts.join(QStringLiteral(" · "));
}

QVariant DeploymentListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QJsonObject &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::AccessibleTextRole:
        return describe(row);
    case Qt::ToolTipRole: {
        const QString error = row.value(QStringLiteral("error")).toString();
        const QString status = row.value(QStringLiteral("status")).toString();
        QString tip =
            QStringLiteral("Deployment %1: %2")
                .arg(row.value(QStringLiteral("id")).toString(),
                     StatusStyle::describe(status).isEmpty() ? status
                                                             : StatusStyle::describe(status));
        if (!error.isEmpty())
            tip += QStringLiteral("\n") + error;
        return tip;
    }
    case Qt::ForegroundRole:
        return StatusStyle::color(row.value(QStringLiteral("status")).toString(),
                                  QApplication::palette());
    case IdRole:
        return row.value(QStringLiteral("id")).toString();
    case StatusRole:
        return row.value(QStringLiteral("status")).toString();
    case ReleaseRole:
        return row.value(QStringLiteral("release_version")).toInt();
    case SourceRole:
        return row.value(QStringLiteral("source")).toString();
    case TriggerRole:
        return row.value(QStringLiteral("trigger")).toString();
    case CreatedRole:
        return QDateTime::fromString(row.value(QStringLiteral("created_at")).toString(),
                                     Qt::ISODateWithMs);
    case FinishedRole:
        return QDateTime::fromString(row.value(QStringLiteral("finished_at")).toString(),
                                     Qt::ISODateWithMs);
    case ErrorRole:
        return row.value(QStringLiteral("error")).toString();
    default:
        return {};
    }
}

void DeploymentListModel::setApp(const QString &app)
{
    if (app == m_app)
        return;
    m_app = app;
    ++m_generation;
    setRows({});
    refresh();
}

void DeploymentListModel::refresh()
{
    if (m_app.isEmpty())
        return;
    const int generation = m_generation;
    m_client->get(QStringLiteral("/v1/apps/%1/deployments").arg(m_app), this,
                  [this, generation](const ApiResult &result) {
                      if (generation != m_generation || !result.ok())
                          return;
                      QList<QJsonObject> rows;
                      for (const QJsonValue &value : result.array(QStringLiteral("deployments")))
                          rows.append(value.toObject());
                      setRows(rows);
                      Q_EMIT refreshed();
                  });
}

int DeploymentListModel::rowOf(const QString &id) const
{
    for (int row = 0; row < m_rows.size(); ++row) {
        if (m_rows.at(row).value(QStringLiteral("id")).toString() == id)
            return row;
    }
    return -1;
}

QJsonObject DeploymentListModel::running() const
{
    for (const QJsonObject &row : m_rows) {
        if (!StatusStyle::isFinal(row.value(QStringLiteral("status")).toString()))
            return row;
    }
    return {};
}

void DeploymentListModel::onEvent(const QJsonObject &event)
{
    if (event.value(QStringLiteral("type")).toString() != QLatin1String("deployment") ||
        event.value(QStringLiteral("app")).toString() != m_app)
        return;
    const int row = rowOf(event.value(QStringLiteral("id")).toString());
    if (row >= 0) {
        m_rows[row].insert(QStringLiteral("status"), event.value(QStringLiteral("status")));
        m_rows[row].insert(QStringLiteral("error"), event.value(QStringLiteral("error")));
        Q_EMIT dataChanged(index(row), index(row));
    }
    // New rows, release numbers and end times come with a read of the list.
    if (!m_refreshSoon.isActive())
        m_refreshSoon.start();
}

void DeploymentListModel::setRows(const QList<QJsonObject> &rows)
{
    // Deployments only ever appear at the top and change in place: insert the new ones,
    // update the others, and drop what the daemon no longer lists.
    QStringList ids;
    for (const QJsonObject &row : rows)
        ids.append(row.value(QStringLiteral("id")).toString());
    for (int row = int(m_rows.size()) - 1; row >= 0; --row) {
        if (!ids.contains(m_rows.at(row).value(QStringLiteral("id")).toString())) {
            beginRemoveRows({}, row, row);
            m_rows.removeAt(row);
            endRemoveRows();
        }
    }
    for (int i = 0; i < rows.size(); ++i) {
        const QString id = ids.at(i);
        const int existing = rowOf(id);
        if (existing == i) {
            if (m_rows.at(i) != rows.at(i)) {
                m_rows[i] = rows.at(i);
                Q_EMIT dataChanged(index(i), index(i));
            }
            continue;
        }
        if (existing >= 0) {
            beginRemoveRows({}, existing, existing);
            m_rows.removeAt(existing);
            endRemoveRows();
        }
        beginInsertRows({}, i, i);
        m_rows.insert(i, rows.at(i));
        endInsertRows();
    }
}

} // namespace Slipway
