#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include <chrono>
#include <memory>

namespace Slipway {

class SandboxSocketSource;

// The documented check, and only it: a TCP connect to the container's PORT on loopback,
// repeated every interval until one is accepted (the SYN check). No hidden HTTP check.
class ReadinessProbe : public QObject
{
    Q_OBJECT

public:
    // `sockets`: the container's network namespace when it is sandboxed; null probes
    // `host` (the loopback for this machine's containers, a node's address for a cluster's).
    ReadinessProbe(QString host, quint16 port, std::chrono::milliseconds interval,
                   std::shared_ptr<SandboxSocketSource> sockets = nullptr,
                   QObject *parent = nullptr);

    void start();
    void stop();
    int probes() const { return m_probes; }
    quint16 port() const { return m_port; }
    bool isReady() const { return m_ready; }

    // One connect attempt on the loopback, right now.
    static bool accepts(quint16 port, SandboxSocketSource *sockets = nullptr);
    // Whether `host` is on this machine's loopback, where a connect is answered at once.
    static bool isLoopback(const QString &host);

Q_SIGNALS:
    void probed(int probes);
    void ready(int probes, qint64 elapsedMilliseconds);

private:
    void probe();
    void probeRemote();
    void onAccepted();

    QString m_host;
    quint16 m_port;
    QPointer<QTcpSocket> m_attempt; // a connect to a remote host still under way
    std::shared_ptr<SandboxSocketSource> m_sockets;
    QTimer m_timer;
    QElapsedTimer m_clock;
    int m_probes = 0;
    bool m_ready = false;
};

} // namespace Slipway
