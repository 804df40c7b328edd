#pragma once

#include <QAbstractListModel>
#include <QJsonObject>
#include <QList>
#include <QTimer>

namespace Slipway {

class DaemonClient;

// An app's deployments, newest first, kept current from the event stream (a new
// deployment appears at the top, a status change updates its row).
class DeploymentListModel : public QAbstractListModel
{
    Q_OBJECT

public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        StatusRole,
        ReleaseRole,
        SourceRole,
        TriggerRole,
        CreatedRole,
        FinishedRole,
        ErrorRole,
    };

    explicit DeploymentListModel(DaemonClient *client, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    void setApp(const QString &app);
    const QString &app() const { return m_app; }
    void refresh();
    int rowOf(const QString &id) const;
    QJsonObject deployment(int row) const { return m_rows.value(row); }
    // The deployment that runs (or waits) now, if any: newest first.
    QJsonObject running() const;

    // "v3 · success · 2 min ago · ~/src/shop" for the list and screen readers.
    static QString describe(const QJsonObject &deployment);

Q_SIGNALS:
    void refreshed();

private:
    void onEvent(const QJsonObject &event);
    void setRows(const QList<QJsonObject> &rows);

    DaemonClient *m_client;
    QString m_app;
    QList<QJsonObject> m_rows;
    QTimer m_refreshSoon;
    int m_generation = 0;
};

} // namespace Slipway
