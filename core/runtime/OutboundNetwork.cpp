#include "runtime/OutboundNetwork.h"

#include "util/ProcessRunner.h"
#include "util/Sandbox.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QStandardPaths>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace Slipway {

namespace {

constexpr int KeptLines = 4;

struct Availability
{
    QString program;
    QString reason; // empty when containers get a way out
};

const Availability &availability()
{
    static const Availability found = [] {
        Availability result;
        result.program = QStandardPaths::findExecutable(QStringLiteral("slirp4netns"));
        if (result.program.isEmpty())
            result.program = QStandardPaths::findExecutable(
                QStringLiteral("slirp4netns"),
                {QStringLiteral("/usr/bin"), QStringLiteral("/bin")});
        if (result.program.isEmpty()) {
            result.reason = QStringLiteral("slirp4netns is not installed, so containers have no "
                                           "outbound network and builds use the host's; install "
                                           "it (apt-get install slirp4netns) and restart "
                                           "slipwayd");
            return result;
        }
        // Opening the clone device makes nothing yet; slirp4netns needs it to make the tap.
        const int tun = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (tun < 0) {
            result.reason = QStringLiteral("/dev/net/tun cannot be opened by this user (%1), so "
                                           "containers have no outbound network and builds use "
                                           "the host's; let every user "
                                           "open it (mode 0666, as Debian's udev sets it up) and "
                                           "restart slipwayd")
                                .arg(QString::fromLocal8Bit(::strerror(errno)));
            return result;
        }
        ::close(tun);
        return result;
    }();
    return found;
}

bool makePipe(int ends[2])
{
    return ::pipe2(ends, O_CLOEXEC) == 0;
}

void closeAndForget(int &descriptor)
{
    if (descriptor >= 0)
        ::close(descriptor);
    descriptor = -1;
}

} // namespace

bool OutboundNetwork::isAvailable()
{
    return availability().reason.isEmpty();
}

QString OutboundNetwork::unavailableReason()
{
    return availability().reason;
}

QByteArray OutboundNetwork::resolverConfiguration()
{
    QByteArray text = "# Slipway: slirp4netns' forwarder, which asks the resolvers of the host\n"
                      "nameserver " +
                      QByteArray(ResolverAddress) + '\n';
    // The host's search domains and options still apply; its name servers may be on its
    // loopback, which a container never reaches but through the forwarder.
    QFile host(QStringLiteral("/etc/resolv.conf"));
    if (host.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : host.readAll().split('\n')) {
            const QByteArray trimmed = line.trimmed();
            if (trimmed.startsWith("search") || trimmed.startsWith("domain") ||
                trimmed.startsWith("options"))
                text += trimmed + '\n';
        }
    }
    return text;
}

OutboundNetwork::OutboundNetwork(QObject *parent)
    : QObject(parent)
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        fail(QStringLiteral("slirp4netns did not connect the sandbox to the network within %1 s%2")
                 .arg(SetupLimit.count() / 1000)
                 .arg(m_lastLines.isEmpty()
                          ? QString()
                          : QStringLiteral(": ") + m_lastLines.join(QStringLiteral(" / "))));
    });
}

OutboundNetwork::~OutboundNetwork()
{
    stop();
}

Result<OutboundNetwork::SandboxEnds> OutboundNetwork::prepare()
{
    int info[2] = {-1, -1};
    int hold[2] = {-1, -1};
    // A socket rather than a pipe for the hold: it goes both ways, and sending to a sandbox
    // that died meanwhile must fail, not raise SIGPIPE in the daemon.
    if (!makePipe(info) || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, hold) != 0) {
        const QString reason = QString::fromLocal8Bit(::strerror(errno));
        for (int descriptor : {info[0], info[1], hold[0], hold[1]}) {
            if (descriptor >= 0)
                ::close(descriptor);
        }
        return failure(
            QStringLiteral("cannot make the pipes of the container's network: %1").arg(reason));
    }
    m_info = info[0];
    m_hold = hold[1];
    ::fcntl(m_info, F_SETFL, O_NONBLOCK);
    ::fcntl(m_hold, F_SETFL, O_NONBLOCK);
    return SandboxEnds{info[1], hold[0]};
}

void OutboundNetwork::connectSandbox()
{
    if (m_info < 0 || m_hold < 0 || m_over)
        return;
    m_deadline.start(SetupLimit);
    m_infoNotifier = new QSocketNotifier(m_info, QSocketNotifier::Read, this);
    connect(m_infoNotifier, &QSocketNotifier::activated, this, &OutboundNetwork::readInfo);
    m_holdNotifier = new QSocketNotifier(m_hold, QSocketNotifier::Read, this);
    connect(m_holdNotifier, &QSocketNotifier::activated, this, &OutboundNetwork::readHello);
}

void OutboundNetwork::readInfo()
{
    char buffer[512];
    ssize_t received = 0;
    while ((received = ::read(m_info, buffer, sizeof buffer)) > 0)
        m_infoText.append(buffer, received);
    if (received < 0 && errno == EAGAIN && !m_infoText.contains('}'))
        return;
    m_infoNotifier->setEnabled(false);
    m_infoNotifier->deleteLater();
    m_infoNotifier = nullptr;
    closeAndForget(m_info);
    // {"child-pid": N, ...}: the sandbox's first process, in our PID namespace.
    const QJsonObject info =
        QJsonDocument::fromJson(m_infoText.left(m_infoText.indexOf('}') + 1)).object();
    const qint64 pid = info.value(QStringLiteral("child-pid")).toInteger();
    if (pid <= 0) {
        fail(QStringLiteral("the sandbox ended before its network could be connected"));
        return;
    }
    m_sandboxPid = pid_t(pid);
    launchWhenBothKnown();
}

void OutboundNetwork::readHello()
{
    char hello = 0;
    const ssize_t received = ::recv(m_hold, &hello, 1, 0);
    if (received < 0 && errno == EAGAIN)
        return;
    m_holdNotifier->setEnabled(false);
    m_holdNotifier->deleteLater();
    m_holdNotifier = nullptr;
    if (received != 1) {
        fail(QStringLiteral("the sandbox ended before its network could be connected"));
        return;
    }
    m_sandboxWaits = true;
    launchWhenBothKnown();
}

void OutboundNetwork::launchWhenBothKnown()
{
    // slirp4netns brings the namespace's loopback up and adds its tap device: bubblewrap,
    // which sets up that loopback itself, must be done first.
    if (m_sandboxPid > 0 && m_sandboxWaits && !m_over)
        launch(m_sandboxPid);
}

void OutboundNetwork::launch(pid_t sandboxPid)
{
    const Availability &found = availability();
    int readyEnds[2] = {-1, -1};
    if (!makePipe(readyEnds)) {
        fail(QStringLiteral("cannot make a pipe: %1")
                 .arg(QString::fromLocal8Bit(::strerror(errno))));
        return;
    }
    m_readyPipe = readyEnds[0];
    ::fcntl(m_readyPipe, F_SETFL, O_NONBLOCK);

    ProcessRunner::Spec spec;
    spec.program = found.program;
    spec.passedDescriptors = {readyEnds[1]};
    // slirp4netns sees the stack read-only, the host's processes (to find the sandbox's
    // namespaces), the resolver configuration it forwards DNS to, and the tun device; its
    // own PID namespace keeps it apart from the user's processes. With --enable-sandbox it
    // moves itself into a new root made of /etc and /run, on a tmpfs mounted over /tmp.
    QStringList wrapper = {QStringLiteral("--die-with-parent"), QStringLiteral("--unshare-pid")};
    wrapper << Sandbox::stackArguments();
    // A slirp4netns installed outside the stack (/opt...) brings its folder along.
    const QString folder = QFileInfo(found.program).absolutePath();
    if (!Sandbox::isInStack(folder))
        wrapper << QStringLiteral("--ro-bind") << folder << folder;
    const QString resolver = Sandbox::resolverPath();
    if (!Sandbox::isInStack(resolver) && QFileInfo::exists(resolver))
        wrapper << QStringLiteral("--ro-bind") << resolver << resolver;
    wrapper << QStringLiteral("--ro-bind") << QStringLiteral("/proc") << QStringLiteral("/proc")
            << QStringLiteral("--dev-bind") << QStringLiteral("/dev/net/tun")
            << QStringLiteral("/dev/net/tun") << QStringLiteral("--dir") << QStringLiteral("/tmp")
            << QStringLiteral("--dir") << QStringLiteral("/run");
    QStringList arguments = {QStringLiteral("--configure"),
                             QStringLiteral("--mtu=65520"),
                             QStringLiteral("--disable-host-loopback"),
                             QStringLiteral("--enable-seccomp"),
                             QStringLiteral("--ready-fd"),
                             QString::number(readyEnds[1])};
    if (Sandbox::dropsRoot()) {
        // The container's network namespace belongs to the host's user namespace: root
        // enters it, then slirp4netns leaves for a mount namespace of its own and drops
        // every capability.
        arguments << QStringLiteral("--enable-sandbox");
    } else {
        // The namespace belongs to a user namespace of the sandbox, which only a process
        // inside it may enter: slirp4netns runs there, with just what it needs to make the
        // tap device, and never in the user's own. bubblewrap nests a second user namespace
        // in the first when it sets up /dev, so the owner is asked of the network namespace
        // itself; slirp4netns is then told to join the one it is in, which it skips.
        const QByteArray path = "/proc/" + QByteArray::number(sandboxPid) + "/ns/net";
        const int network = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
        const int owner = network >= 0 ? ::ioctl(network, NS_GET_USERNS) : -1;
        const int error = errno;
        if (network >= 0)
            ::close(network);
        if (owner < 0) {
            ::close(readyEnds[1]);
            fail(QStringLiteral("cannot reach the sandbox's user namespace: %1")
                     .arg(QString::fromLocal8Bit(::strerror(error))));
            return;
        }
        spec.passedDescriptors << owner;
        wrapper << QStringLiteral("--userns") << QString::number(owner)
                << QStringLiteral("--cap-add") << QStringLiteral("CAP_SYS_ADMIN")
                << QStringLiteral("--cap-add") << QStringLiteral("CAP_NET_ADMIN");
        arguments << QStringLiteral("--userns-path=/proc/self/ns/user");
    }
    wrapper << QStringLiteral("--");
    arguments << QString::number(sandboxPid) << QStringLiteral("tap0");
    spec.arguments = arguments;
    spec.sandboxArguments = wrapper;
    spec.killGrace = std::chrono::milliseconds(0);

    auto *runner = new ProcessRunner(this);
    m_runner = runner;
    connect(runner, &ProcessRunner::outputLine, this, [this](const QString &line) {
        if (line.contains(QLatin1String("seccomp is experimental")))
            return;
        m_lastLines.append(line);
        if (m_lastLines.size() > KeptLines)
            m_lastLines.removeFirst();
    });
    connect(runner, &ProcessRunner::finished, this, [this](const ProcessOutcome &outcome) {
        const QString said = m_lastLines.isEmpty()
                                 ? QString()
                                 : QStringLiteral(": ") + m_lastLines.join(QStringLiteral(" / "));
        fail(m_ready ? QStringLiteral("slirp4netns %1 while the sandbox ran%2")
                           .arg(outcome.describe(), said)
                     : QStringLiteral("slirp4netns %1 before the network was up%2")
                           .arg(outcome.describe(), said));
    });
    runner->start(spec);

    m_readyNotifier = new QSocketNotifier(m_readyPipe, QSocketNotifier::Read, this);
    connect(m_readyNotifier, &QSocketNotifier::activated, this, &OutboundNetwork::readReady);
}

void OutboundNetwork::readReady()
{
    char byte = 0;
    const ssize_t received = ::read(m_readyPipe, &byte, 1);
    if (received < 0 && errno == EAGAIN)
        return;
    m_readyNotifier->setEnabled(false);
    m_readyNotifier->deleteLater();
    m_readyNotifier = nullptr;
    closeAndForget(m_readyPipe);
    if (received != 1)
        return; // slirp4netns ended without a word: its runner reports why
    m_ready = true;
    m_deadline.stop();
    // The app runs from now on, with its way out already there.
    const char go = 'g';
    if (::send(m_hold, &go, 1, MSG_NOSIGNAL) != 1) {
        fail(QStringLiteral("the sandbox ended while its network was being connected"));
        return;
    }
    closeAndForget(m_hold);
    Q_EMIT ready();
}

void OutboundNetwork::fail(const QString &reason)
{
    if (m_over)
        return;
    stop();
    Q_EMIT failed(reason);
}

void OutboundNetwork::stop()
{
    m_over = true;
    m_deadline.stop();
    if (m_runner)
        m_runner->kill(); // never launched yet: it never will be

    closeDescriptors();
}

void OutboundNetwork::closeDescriptors()
{
    delete m_infoNotifier;
    m_infoNotifier = nullptr;
    delete m_readyNotifier;
    m_readyNotifier = nullptr;
    delete m_holdNotifier;
    m_holdNotifier = nullptr;
    closeAndForget(m_info);
    closeAndForget(m_hold);
    closeAndForget(m_readyPipe);
}

} // namespace Slipway
