#include "rollout/ReadinessProbe.h"

#include "util/SandboxSocketSource.h"

#include <QHostAddress>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace Slipway {

ReadinessProbe::ReadinessProbe(QString host, quint16 port, std::chrono::milliseconds interval,
                               std::shared_ptr<SandboxSocketSource> sockets, QObject *parent)
    : QObject(parent)
    , m_host(std::move(host))
    , m_port(port)
    , m_sockets(std::move(sockets))
{
    m_timer.setInterval(interval);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &ReadinessProbe::probe);
}

bool ReadinessProbe::accepts(quint16 port, SandboxSocketSource *sockets)
{
    // On loopback a connect is answered at once (accepted or refused), so a plain blocking
    // connect costs microseconds and never stalls the event loop.
    const int fd =
        sockets ? sockets->makeSocket(false, 0) : ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool accepted =
        ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
    ::close(fd);
    return accepted;
}

bool ReadinessProbe::isLoopback(const QString &host)
{
    const QHostAddress address(host);
    return address.isLoopback() || host == QLatin1String("localhost");
}

void ReadinessProbe::start()
{
    m_clock.start();
    m_timer.start();
    probe();
}

void ReadinessProbe::stop()
{
    m_timer.stop();
}

void ReadinessProbe::probe()
{
    if (m_ready)
        return;
    if (!m_sockets && !isLoopback(m_host)) {
        probeRemote();
        return;
    }
    ++m_probes;
    const bool accepted = accepts(m_port, m_sockets.get());
    Q_EMIT probed(m_probes);
    if (accepted)
        onAccepted();
}

// Another machine may take a while to answer a connect: the attempt runs on the event loop
// and the next waits for it to end, so a slow node is never probed twice at once.
void ReadinessProbe::probeRemote()
{
    if (m_attempt)
        return;
    ++m_probes;
    auto *attempt = new QTcpSocket(this);
    m_attempt = attempt;
    connect(attempt, &QTcpSocket::connected, this, [this, attempt] {
        attempt->abort();
        attempt->deleteLater();
        Q_EMIT probed(m_probes);
        onAccepted();
    });
    connect(attempt, &QTcpSocket::errorOccurred, this, [this, attempt] {
        attempt->deleteLater();
        Q_EMIT probed(m_probes);
    });
    attempt->connectToHost(m_host, m_port);
}

void ReadinessProbe::onAccepted()
{
    if (m_ready)
        return;
    m_ready = true;
    m_timer.stop();
    Q_EMIT ready(m_probes, m_clock.elapsed());
}

} // namespace Slipway
