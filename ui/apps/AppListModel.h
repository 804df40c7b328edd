#pragma once

#include <QAbstractListModel>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QTimer>

namespace Slipway {

class DaemonClient;

// The daemon's apps, one row each, kept current from the event stream: a deployment's
// status or a change of containers refreshes that app's row (gathered over a short moment,
// so a busy rollout costs one call, not one per event). Rows stay sorted by name.
class AppListModel : public QAbstractListModel
{
    Q_OBJECT

public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        StateRole,          // new, running, deploying, crashed
        ReleaseRole,        // the serving release's version, 0 when none
        WebReadyRole,       // ready web containers of the serving release
        WebTotalRole,       // web containers of the serving release
        LastStatusRole,     // the last deployment's status word, empty when none
        LastTimeRole,       // when it ended (or started, while it runs)
        LastDeploymentRole, // its id
        UrlRole,
    };

    explicit AppListModel(DaemonClient *client, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    int rowOf(const QString &name) const;
    QJsonObject app(const QString &name) const;
    QStringList names() const;
    bool isLoaded() const { return m_loaded; }

    // Reads every app again.
    void refresh();
    void refreshApp(const QString &name);

    // "web 2/2 ready · success 3 min ago", for tooltips and screen readers.
    static QString summary(const QJsonObject &app, const QDateTime &now);
    static QString relativeTime(const QDateTime &when, const QDateTime &now);

Q_SIGNALS:
    void loaded();
    void appChanged(const QString &name);
    void loadFailed(const QString &message);

private:
    void onEvent(const QJsonObject &event);
    void setApps(const QList<QJsonObject> &apps);
    void upsert(const QJsonObject &app);
    void remove(const QString &name);

    DaemonClient *m_client;
    QList<QJsonObject> m_apps;
    QSet<QString> m_dirty;
    QTimer m_refreshSoon;
    bool m_loaded = false;
};

} // namespace Slipway
