#pragma once

#include "client/DaemonClient.h"

#include <QFrame>

class QLabel;
class QPushButton;

namespace Slipway {

// A strip across the window while the daemon is not there: what happens ("reconnecting",
// "starting slipwayd…") and why, with the actions that help. Hidden while connected.
class ConnectionBanner : public QFrame
{
    Q_OBJECT

public:
    explicit ConnectionBanner(DaemonClient *client, QWidget *parent = nullptr);

    QString text() const;

private:
    void update(DaemonClient::State state, const QString &reason);

    DaemonClient *m_client;
    QLabel *m_text;
    QPushButton *m_start;
};

} // namespace Slipway
