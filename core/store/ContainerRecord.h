#pragma once

#include <QDateTime>
#include <QString>

namespace Slipway {

// A container the daemon started. Kept so that after a crash of the daemon the processes it
// left behind can be found again (by process group, checked against the start time).
struct ContainerRecord
{
    QString app;
    QString name; // web-1
    int releaseVersion = 0;
    QString type; // web, worker, tcp...
    qint64 pid = 0;
    qint64 pgid = 0; // process group, which is also the session: a container leads its own
    int port = 0;    // 0: no port (types other than web and tcp)
    QString state;   // Container::stateName()
    QDateTime startedAt;
    int restarts = 0;

    bool operator==(const ContainerRecord &) const = default;
};

} // namespace Slipway
