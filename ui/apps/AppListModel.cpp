#include "apps/AppListModel.h"

#include "client/DaemonClient.h"

#include <QJsonArray>
#include <QLocale>

#include <algorithm>

namespace Slipway {

namespace {

QString nameOf(const QJsonObject &app)
{
    return app.value(QStringLiteral("name")).toString();
}

QDateTime lastTime(const QJsonObject &app)
{
    const QJsonObject last = app.value(QStringLiteral("last_deployment")).toObject();
    QString text = last.value(QStringLiteral("finished_at")).toString();
    if (text.isEmpty())
        text = last.value(QStringLiteral("created_at")).toString();
    return QDateTime::fromString(text, Qt::ISODateWithMs);
}

} // namespace

AppListModel::AppListModel(DaemonClient *client, QObject *parent)
    : QAbstractListModel(parent)
    , m_client(client)
{
    m_refreshSoon.setSingleShot(true);
    m_refreshSoon.setInterval(150);
    connect(&m_refreshSoon, &QTimer::timeout, this, [this] {
        const QSet<QString> dirty = std::exchange(m_dirty, {});
        for (const QString &name : dirty)
            refreshApp(name);
    });
    connect(client, &DaemonClient::event, this, &AppListModel::onEvent);
    connect(client, &DaemonClient::resynced, this, &AppListModel::refresh);
}

int AppListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_apps.size());
}

QVariant AppListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QJsonObject &app = m_apps.at(index.row());
    const QJsonObject web = app.value(QStringLiteral("web")).toObject();
    const QJsonObject last = app.value(QStringLiteral("last_deployment")).toObject();
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return nameOf(app);
    case Qt::ToolTipRole:
    case Qt::AccessibleDescriptionRole: {
        const QString url = app.value(QStringLiteral("url")).toString();
        const QString text = summary(app, QDateTime::currentDateTimeUtc());
        return url.isEmpty() ? text : text + QStringLiteral(" · ") + url;
    }
    case StateRole:
        return app.value(QStringLiteral("status")).toString();
    case ReleaseRole:
        return app.value(QStringLiteral("current_release")).toInt();
    case WebReadyRole:
        return web.value(QStringLiteral("ready")).toInt();
    case WebTotalRole:
        return web.value(QStringLiteral("total")).toInt();
    case LastStatusRole:
        return last.value(QStringLiteral("status")).toString();
    case LastTimeRole:
        return lastTime(app);
    case LastDeploymentRole:
        return last.value(QStringLiteral("id")).toString();
    case UrlRole:
        return app.value(QStringLiteral("url")).toString();
    default:
        return {};
    }
}

QHash<int, QByteArray> AppListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(NameRole, "name");
    names.insert(StateRole, "state");
    names.insert(ReleaseRole, "release");
    names.insert(WebReadyRole, "webReady");
    names.insert(WebTotalRole, "webTotal");
    names.insert(LastStatusRole, "lastStatus");
    names.insert(LastTimeRole, "lastTime");
    names.insert(LastDeploymentRole, "lastDeployment");
    names.insert(UrlRole, "url");
    return names;
}

int AppListModel::rowOf(const QString &name) const
{
    for (int row = 0; row < m_apps.size(); ++row) {
        if (nameOf(m_apps.at(row)) == name)
            return row;
    }
    return -1;
}

QJsonObject AppListModel::app(const QString &name) const
{
    const int row = rowOf(name);
    return row < 0 ? QJsonObject() : m_apps.at(row);
}

QStringList AppListModel::names() const
{
    QStringList list;
    for (const QJsonObject &app : m_apps)
        list.append(nameOf(app));
    return list;
}

void AppListModel::refresh()
{
    m_client->get(QStringLiteral("/v1/apps"), this, [this](const ApiResult &result) {
        if (!result.ok()) {
            Q_EMIT loadFailed(result.message());
            return;
        }
        QList<QJsonObject> apps;
        for (const QJsonValue &value : result.array(QStringLiteral("apps")))
            apps.append(value.toObject());
        setApps(apps);
        m_loaded = true;
        Q_EMIT loaded();
    });
}

void AppListModel::refreshApp(const QString &name)
{
    m_client->get(QStringLiteral("/v1/apps/%1").arg(name), this,
                  [this, name](const ApiResult &result) {
                      if (result.status == 404)
                          remove(name);
                      else if (result.ok())
                          upsert(result.object(QStringLiteral("app")));
                  });
}

void AppListModel::onEvent(const QJsonObject &event)
{
    const QString type = event.value(QStringLiteral("type")).toString();
    if (type != QLatin1String("deployment") && type != QLatin1String("containers"))
        return;
    const QString app = event.value(QStringLiteral("app")).toString();
    if (app.isEmpty())
        return;
    m_dirty.insert(app);
    if (!m_refreshSoon.isActive())
        m_refreshSoon.start();
}

void AppListModel::setApps(const QList<QJsonObject> &apps)
{
    QStringList incoming;
    for (const QJsonObject &app : apps)
        incoming.append(nameOf(app));
    // Rows that went away first, then each incoming app updated or inserted in place.
    for (int row = int(m_apps.size()) - 1; row >= 0; --row) {
        if (!incoming.contains(nameOf(m_apps.at(row))))
            remove(nameOf(m_apps.at(row)));
    }
    for (const QJsonObject &app : apps)
        upsert(app);
}

void AppListModel::upsert(const QJsonObject &app)
{
    const QString name = nameOf(app);
    if (name.isEmpty())
        return;
    const int row = rowOf(name);
    if (row >= 0) {
        if (m_apps.at(row) == app)
            return;
        m_apps[row] = app;
        Q_EMIT dataChanged(index(row), index(row));
        Q_EMIT appChanged(name);
        return;
    }
    const auto at = std::lower_bound(m_apps.cbegin(), m_apps.cend(), name,
                                     [](const QJsonObject &existing, const QString &wanted) {
                                         return nameOf(existing) < wanted;
                                     });
    const int position = int(at - m_apps.cbegin());
    beginInsertRows({}, position, position);
    m_apps.insert(position, app);
    endInsertRows();
    Q_EMIT appChanged(name);
}

void AppListModel::remove(const QString &name)
{
    const int row = rowOf(name);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_apps.removeAt(row);
    endRemoveRows();
    Q_EMIT appChanged(name);
}

QString AppListModel::relativeTime(const QDateTime &when, const QDateTime &now)
{
    if (!when.isValid())
        return {};
    const qint64 seconds = when.secsTo(now);
    if (seconds < 45)
        return QStringLiteral("just now");
    if (seconds < 90 * 60)
        return QStringLiteral("%1 min ago").arg(qMax<qint64>(1, (seconds + 30) / 60));
    if (seconds < 36 * 3600)
        return QStringLiteral("%1 h ago").arg((seconds + 1800) / 3600);
    if (seconds < 7 * 86400)
        return QStringLiteral("%1 days ago").arg((seconds + 43200) / 86400);
    return QLocale().toString(when.toLocalTime().date(), QLocale::ShortFormat);
}

QString AppListModel::summary(const QJsonObject &app, const QDateTime &now)
{
    QStringList parts;
    const int release = app.value(QStringLiteral("current_release")).toInt();
    const QJsonObject web = app.value(QStringLiteral("web")).toObject();
    if (release > 0) {
        parts.append(QStringLiteral("v%1 serving").arg(release));
        if (web.value(QStringLiteral("total")).toInt() > 0)
            parts.append(QStringLiteral("web %1/%2 ready")
                             .arg(web.value(QStringLiteral("ready")).toInt())
                             .arg(web.value(QStringLiteral("total")).toInt()));
    } else {
        parts.append(QStringLiteral("not deployed yet"));
    }
    const QJsonObject last = app.value(QStringLiteral("last_deployment")).toObject();
    const QString status = last.value(QStringLiteral("status")).toString();
    if (!status.isEmpty()) {
        const QString when = relativeTime(lastTime(app), now);
        parts.append(when.isEmpty() ? status : QStringLiteral("%1 %2").arg(status, when));
    }
    return parts.join(QStringLiteral(" · "));
}

} // namespace Slipway
