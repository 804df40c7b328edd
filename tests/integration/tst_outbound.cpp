// A container's way out to the network, seen from inside it, with the real engine, sandbox,
// slirp4netns and router: it reaches a host outside over TCP and UDP and resolves names
// through the host's resolver; it never reaches the host's loopback services, the router,
// another container, or the API's TLS port; `network=none` keeps it to its loopback; and
// no slirp4netns outlives its container or a killed daemon.
//
// This machine has no way out, so the test makes its own world: run as root, it enters
// private network and mount namespaces before anything else, where an "outside" host
// (tests/data/fixtures/outside_host.py in a network namespace of its own, joined by a veth
// pair, at 198.51.100.2, a documentation address) and a resolver on the test's loopback
// (dnsmasq, named in a private /etc/resolv.conf) stand for the internet and the host's
// resolvers. Nothing of it is seen outside the test's namespaces, and it all ends with the
// test. Then it runs itself again as a throwaway ordinary user, in the same world.

#include "DaemonProcess.h"
#include "EngineFixture.h"
#include "MountChurn.h"
#include "TestSupport.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "runtime/Container.h"
#include "runtime/OutboundNetwork.h"
#include "source/SourceSpec.h"
#include "util/Sandbox.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

#include <cerrno>
#include <cstring>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace Slipway;
using namespace TestSupport;

namespace {

constexpr const char *WorldVariable = "SLIPWAY_TEST_OUTSIDE_WORLD";
const QString OutsideAddress = QStringLiteral("198.51.100.2");
const QString HostAddress = QStringLiteral("198.51.100.1"); // this machine, on the veth
const QString OutsideName = QStringLiteral("outside.slipway.test");

// Set by main() when this process made the world, before Qt started any thread.
bool g_madeWorld = false;
QString g_worldProblem;

// Private network and mount namespaces for this process and everything it starts. Only
// root can, and only here: later, other threads would stay behind in the host's.
void enterPrivateWorld()
{
    if (::geteuid() != 0 || qEnvironmentVariableIsSet(WorldVariable))
        return;
    if (::unshare(CLONE_NEWNS | CLONE_NEWNET) != 0) {
        g_worldProblem = QStringLiteral("cannot make private namespaces here: %1")
                             .arg(QString::fromLocal8Bit(::strerror(errno)));
        return;
    }
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        g_worldProblem = QStringLiteral("cannot make the mounts private: %1")
                             .arg(QString::fromLocal8Bit(::strerror(errno)));
        return;
    }
    g_madeWorld = true;
    qputenv(WorldVariable, "1"); // the rerun as an ordinary user lives in it too
}

ino_t networkNamespaceOf(const QByteArray &process)
{
    struct stat info
    {
    };
    const QByteArray path = "/proc/" + process + "/ns/net";
    if (::stat(path.constData(), &info) != 0)
        return 0;
    return info.st_ino;
}

// slirp4netns processes whose host side is this test's network namespace: other users of
// this machine may run their own.
QStringList slirpProcessesHereListed();

int slirpProcessesHere()
{
    return int(slirpProcessesHereListed().size());
}

// The same, one "pid (parent pid): arguments" for each.
QStringList slirpProcessesHereListed()
{
    const ino_t here = networkNamespaceOf("self");
    QStringList found;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool isNumber = false;
        entry.toLongLong(&isNumber);
        if (!isNumber)
            continue;
        QFile comm(QStringLiteral("/proc/%1/comm").arg(entry));
        if (!comm.open(QIODevice::ReadOnly) || comm.readAll().trimmed() != "slirp4netns")
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(entry));
        if (stat.open(QIODevice::ReadOnly)) {
            const QByteArray line = stat.readAll();
            const qsizetype close = line.lastIndexOf(')');
            if (close > 0 && line.size() > close + 2 && line.at(close + 2) == 'Z')
                continue; // a zombie holds nothing
        }
        if (networkNamespaceOf(entry.toLatin1()) != here)
            continue;
        QFile command(QStringLiteral("/proc/%1/cmdline").arg(entry));
        QFile status(QStringLiteral("/proc/%1/status").arg(entry));
        QByteArray parent;
        if (status.open(QIODevice::ReadOnly)) {
            for (const QByteArray &field : status.readAll().split('\n'))
                if (field.startsWith("PPid:"))
                    parent = field.mid(5).trimmed();
        }
        const QByteArray arguments =
            command.open(QIODevice::ReadOnly) ? command.readAll() : QByteArray();
        // The sandbox it serves: its pid comes before the tap device's name.
        const QList<QByteArray> words = arguments.split('\0');
        QFile served(QStringLiteral("/proc/%1/cmdline")
                         .arg(words.size() > 2 ? QString::fromLatin1(words.at(words.size() - 3))
                                               : QString()));
        found << QStringLiteral("%1 (%2): %3 serving %4")
                     .arg(entry, QString::fromLatin1(parent),
                          QString::fromLocal8Bit(QByteArray(arguments).replace('\0', ' ')),
                          served.open(QIODevice::ReadOnly)
                              ? QString::fromLocal8Bit(served.readAll().replace('\0', ' '))
                              : QStringLiteral("(gone)"));
    }
    return found;
}

// A bash line that tries a TCP connection and prints TAG when it gets one.
QString tryConnect(const QString &address, quint16 port, const QString &tag)
{
    return QStringLiteral("timeout 5 bash -c 'exec 3<>/dev/tcp/%1/%2' 2>/dev/null && echo %3; ")
        .arg(address)
        .arg(port)
        .arg(tag);
}

// An executable script, readable by the sandbox's user.
bool writeScript(const QString &path, const QByteArray &text)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(text) == text.size() &&
           file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                               QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther |
                               QFile::ExeOther);
}

// Set in the test's own rerun that puts a slirp4netns which fails on demand first in PATH:
// the file whose content says how it fails ("fail" or "hang"; absent, it does not).
// slirp4netns is found once per process, hence the rerun.
constexpr const char *BreakVariable = "SLIPWAY_TEST_BREAK_SLIRP";
constexpr const char *HangMarker = "slipway-test-slirp-hang";

// Processes of the hanging slirp4netns stand-in, in this test's network namespace.
int hangingStandIns()
{
    int count = 0;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(entry));
        if (cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().startsWith(HangMarker))
            ++count;
    }
    return count;
}

} // namespace

class TestOutbound : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<EngineFixture> m_fixture;
    QTemporaryDir m_temp;
    bool m_world = false; // the outside host and resolver are there
    QProcess m_outside;
    QProcess m_resolver;

    static bool command(const QString &program, const QStringList &arguments, QString *problem)
    {
        QByteArray output;
        if (run(program, arguments, {}, &output, 30000) == 0)
            return true;
        *problem = QStringLiteral("%1 %2: %3")
                       .arg(program, arguments.join(QLatin1Char(' ')), QString::fromUtf8(output));
        return false;
    }

    // The veth pair, the outside host, the resolver, /etc/resolv.conf and a /dev/net/tun
    // an ordinary user may open, as on a Debian desktop.
    QString makeWorld()
    {
        QString problem;
        if (!command(u"ip"_s, {u"link"_s, u"set"_s, u"lo"_s, u"up"_s}, &problem))
            return problem;
        m_outside.setProgram(u"unshare"_s);
        m_outside.setArguments(
            {u"--net"_s, u"--"_s, u"python3"_s, dataPath(u"fixtures/outside_host.py"_s)});
        m_outside.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_outside.start();
        if (!m_outside.waitForReadyRead(10000) || !m_outside.readLine().startsWith("ready"))
            return u"the outside host did not start"_s;
        const QString outside = QString::number(m_outside.processId());
        const QString outsideNetwork = u"--net=/proc/%1/ns/net"_s.arg(outside);
        const QList<QPair<QString, QStringList>> steps = {
            {u"ip"_s,
             {u"link"_s, u"add"_s, u"slw-host"_s, u"type"_s, u"veth"_s, u"peer"_s, u"name"_s,
              u"slw-out"_s, u"netns"_s, outside}},
            {u"ip"_s, {u"addr"_s, u"add"_s, HostAddress + u"/24"_s, u"dev"_s, u"slw-host"_s}},
            {u"ip"_s, {u"link"_s, u"set"_s, u"slw-host"_s, u"up"_s}},
            {u"nsenter"_s,
             {outsideNetwork, u"ip"_s, u"addr"_s, u"add"_s, OutsideAddress + u"/24"_s, u"dev"_s,
              u"slw-out"_s}},
            {u"nsenter"_s, {outsideNetwork, u"ip"_s, u"link"_s, u"set"_s, u"slw-out"_s, u"up"_s}},
        };
        for (const auto &[program, arguments] : steps) {
            if (!command(program, arguments, &problem))
                return problem;
        }

        // The host's resolver: on its loopback, as systemd-resolved's is.
        const QString resolvConf = m_temp.filePath(u"resolv.conf"_s);
        QFile resolv(resolvConf);
        if (!resolv.open(QIODevice::WriteOnly) ||
            resolv.write("nameserver 127.0.0.1\nsearch slipway.test\n") <= 0)
            return u"cannot write %1"_s.arg(resolvConf);
        resolv.close();
        if (!command(u"mount"_s, {u"--bind"_s, resolvConf, u"/etc/resolv.conf"_s}, &problem))
            return problem;
        const QString dnsmasq =
            QStandardPaths::findExecutable(u"dnsmasq"_s, {u"/usr/sbin"_s, u"/sbin"_s});
        if (dnsmasq.isEmpty())
            return u"dnsmasq is not installed (packaging/setup-debian.sh installs dnsmasq-base)"_s;
        m_resolver.setProcessChannelMode(QProcess::ForwardedChannels);
        m_resolver.start(dnsmasq, {u"--keep-in-foreground"_s, u"--no-resolv"_s, u"--no-hosts"_s,
                                   u"--conf-file=/dev/null"_s, u"--bind-interfaces"_s,
                                   u"--listen-address=127.0.0.1"_s, u"--port=53"_s,
                                   u"--address=/%1/%2"_s.arg(OutsideName, OutsideAddress),
                                   u"--user=root"_s, u"--pid-file="_s});
        if (!m_resolver.waitForStarted(5000))
            return u"dnsmasq did not start: %1"_s.arg(m_resolver.errorString());
        QByteArray resolved;
        for (int attempt = 0; attempt < 50 && !resolved.contains(OutsideAddress.toLatin1());
             ++attempt) {
            run(u"getent"_s, {u"hosts"_s, OutsideName}, {}, &resolved, 5000);
            if (!resolved.contains(OutsideAddress.toLatin1()))
                QThread::msleep(100);
        }
        if (!resolved.contains(OutsideAddress.toLatin1()))
            return u"the test's resolver does not answer: %1"_s.arg(QString::fromUtf8(resolved));

        // Debian's udev lets every user open /dev/net/tun; some machines keep it to root.
        const QString devices = m_temp.filePath(u"dev"_s);
        const QString tun = devices + u"/tun"_s;
        if (!QDir().mkpath(devices) ||
            !command(u"mount"_s, {u"-t"_s, u"tmpfs"_s, u"-o"_s, u"mode=0755"_s, u"none"_s, devices},
                     &problem) ||
            !command(u"mknod"_s, {u"-m"_s, u"0666"_s, tun, u"c"_s, u"10"_s, u"200"_s}, &problem) ||
            !command(u"mount"_s, {u"--bind"_s, tun, u"/dev/net/tun"_s}, &problem))
            return problem;
        return {};
    }

    // A folder with a slirp4netns that runs the real one unless told to fail or hang, open
    // to the ordinary user of the rerun (who writes how it fails in flags/).
    QString brokenSlirpFolder()
    {
        const QString folder = m_temp.filePath(QStringLiteral("standin"));
        const QString real = QStandardPaths::findExecutable(QStringLiteral("slirp4netns"));
        if (real.isEmpty() || !QDir().mkpath(folder + QStringLiteral("/flags")))
            return {};
        const QByteArray how = QFile::encodeName(folder + QStringLiteral("/flags/how"));
        // No redirection to /dev/null: slirp4netns' own sandbox has it read-only.
        const QByteArray script = "#!/bin/bash\n"
                                  "how=\nif [ -r '" +
                                  how + "' ]; then how=$(<'" + how +
                                  "'); fi\n"
                                  "if [ \"$how\" = fail ]; then\n"
                                  "  echo 'slirp4netns stand-in: broken on purpose' >&2; exit 1\n"
                                  "elif [ \"$how\" = hang ]; then\n"
                                  "  exec -a " +
                                  QByteArray(HangMarker) +
                                  " sleep 600\n"
                                  "fi\n"
                                  "exec '" +
                                  real.toUtf8() + "' \"$@\"\n";
        if (!writeScript(folder + QStringLiteral("/slirp4netns"), script))
            return {};
        // The temporary folder is the test's own; the rerun's user needs a way down.
        for (const QString &open : {m_temp.path(), folder})
            QFile::setPermissions(open,
                                  QFile::permissions(open) | QFile::ExeOther | QFile::ReadOther);
        ::chmod(QFile::encodeName(folder + QStringLiteral("/flags")).constData(), 0777);
        return folder;
    }

    void requireWorld()
    {
        if (!OutboundNetwork::isAvailable())
            QSKIP(qPrintable(OutboundNetwork::unavailableReason()));
        if (!m_world)
            QSKIP(qPrintable(
                QStringLiteral("needs the test's own outside host, which only root "
                               "can make (network namespaces and a veth pair)") +
                (g_worldProblem.isEmpty() ? QString() : QStringLiteral(": ") + g_worldProblem)));
    }

    QString runInContainer(const QString &app, const QString &script)
    {
        Result<Container *> run = m_fixture->engine().run(app, script, this);
        if (!run)
            return QStringLiteral("run failed: ") + run.error().message;
        QStringList lines;
        connect(*run, &Container::logLine, this,
                [&lines](const LogLine &line) { lines.append(line.text); });
        (*run)->start();
        QElapsedTimer clock;
        clock.start();
        while ((*run)->state() != Container::State::Exited && clock.elapsed() < 60000)
            QTest::qWait(20);
        return lines.join(QLatin1Char('\n'));
    }

    void deploy(const QString &app, bool outbound = true)
    {
        m_fixture->engine().createApp(app);
        AppSettings settings = m_fixture->engine().app(app)->settings();
        settings.outboundNetwork = outbound;
        QVERIFY(m_fixture->engine().setSettings(app, settings));
        Deployment *deployment = m_fixture->deployFixture(app);
        QVERIFY2(deployment && deployment->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(deployment)));
    }

    // Deploys the fixture app with a buildpack whose bin/compile is `compile`; its log.
    QString deployWithCompile(const QString &app, const QByteArray &compile,
                              Deployment **deployment = nullptr)
    {
        const QString buildpack = m_fixture->path(app + QStringLiteral("-buildpack"));
        if (!QDir().mkpath(buildpack + QStringLiteral("/bin")) ||
            !writeScript(buildpack + QStringLiteral("/bin/detect"), "#!/bin/sh\necho probe\n") ||
            !writeScript(buildpack + QStringLiteral("/bin/release"),
                         "#!/bin/sh\necho '---'\necho 'default_process_types:'\n"
                         "echo '  web: python3 -m http.server $PORT'\n") ||
            !writeScript(buildpack + QStringLiteral("/bin/compile"), compile))
            return QStringLiteral("cannot write the buildpack");
        m_fixture->engine().createApp(app);
        if (!m_fixture->engine().changeConfig(app, {{QStringLiteral("BUILDPACK_URL"), buildpack}}))
            return QStringLiteral("cannot choose the buildpack");
        Result<Deployment *> started =
            m_fixture->engine().deploySource(app, *SourceSpec::parse(m_fixture->fixtureSource()));
        if (!started)
            return QStringLiteral("deploy failed: ") + started.error().message;
        EngineFixture::waitFinished(*started);
        if (deployment)
            *deployment = *started;
        return EngineFixture::describe(*started);
    }

    // The fixture app, deployed through a daemon's API; its deployment's final status.
    static QString deployThroughDaemon(DaemonProcess &daemon, const QString &app)
    {
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}});
        int status = 0;
        const QJsonObject answer =
            daemon.call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(app),
                        {{QStringLiteral("deployment"),
                          QJsonObject{{QStringLiteral("source_url"),
                                       dataPath(QStringLiteral("fixtures/behave"))}}}},
                        &status);
        if (status != 201)
            return QStringLiteral("HTTP %1 %2")
                .arg(status)
                .arg(QString::fromUtf8(QJsonDocument(answer).toJson()));
        return daemon.waitDeployment(app, answer.value(QStringLiteral("deployment"))
                                              .toObject()
                                              .value(QStringLiteral("id"))
                                              .toString());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_temp.isValid());
        if (!Sandbox::isAvailable())
            QSKIP(qPrintable(QStringLiteral("no isolation on this machine: ") +
                             Sandbox::unavailableReason()));
        if (g_madeWorld) {
            const QString problem = makeWorld();
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
        m_world = qEnvironmentVariableIsSet(WorldVariable) && g_worldProblem.isEmpty();
    }

    void cleanupTestCase()
    {
        if (g_madeWorld) {
            // Only this test's mounts; the temporary folder goes after them.
            for (const QString &target :
                 {QStringLiteral("/dev/net/tun"), m_temp.filePath(QStringLiteral("dev")),
                  QStringLiteral("/etc/resolv.conf")})
                ::umount2(QFile::encodeName(target).constData(), MNT_DETACH);
        }
        for (QProcess *process : {&m_outside, &m_resolver}) {
            if (process->state() == QProcess::NotRunning)
                continue;
            process->closeWriteChannel();
            process->terminate();
            if (!process->waitForFinished(5000)) {
                process->kill();
                process->waitForFinished(5000);
            }
        }
    }

    void init() { m_fixture = std::make_unique<EngineFixture>(); }
    void cleanup() { m_fixture.reset(); }

    void reachesAHostOutside()
    {
        requireWorld();
        deploy(QStringLiteral("caller"));
        const QString text = runInContainer(
            QStringLiteral("caller"),
            QStringLiteral(
                "timeout 5 bash -c 'exec 3<>/dev/tcp/%1/80; cat <&3'; "
                "python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                "s.settimeout(5); s.sendto(b\"ping\", (\"%1\", 7)); print(s.recv(100).decode())'; "
                "echo done")
                .arg(OutsideAddress));
        QVERIFY2(text.contains(QStringLiteral("done")), qPrintable(text));
        // The connection left from this machine's own address: through slirp4netns.
        QVERIFY2(text.contains(QStringLiteral("outside-host saw ") + HostAddress),
                 qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("outside-host echo: ping")), qPrintable(text));
    }

    void resolvesNamesThroughTheHostsResolver()
    {
        requireWorld();
        deploy(QStringLiteral("resolver"));
        const QString text = runInContainer(
            QStringLiteral("resolver"),
            QStringLiteral("cat /etc/resolv.conf; getent hosts %1; getent hosts outside; "
                           "timeout 5 bash -c 'exec 3<>/dev/tcp/%1/80; cat <&3'; echo done")
                .arg(OutsideName));
        QVERIFY2(text.contains(QStringLiteral("done")), qPrintable(text));
        // The forwarder, which asks the host's resolver (on the host's loopback, which the
        // container itself never reaches); the host's search domain kept.
        QVERIFY2(text.contains(QStringLiteral("nameserver ") +
                               QLatin1String(OutboundNetwork::ResolverAddress)),
                 qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("nameserver 127.0.0.1")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("search slipway.test")), qPrintable(text));
        const QRegularExpression resolved(QStringLiteral("^198\\.51\\.100\\.2\\s+%1$")
                                              .arg(QRegularExpression::escape(OutsideName)),
                                          QRegularExpression::MultilineOption);
        QCOMPARE(text.count(resolved), 2); // by its full name and through the search domain
        QVERIFY2(text.contains(QStringLiteral("outside-host saw ") + HostAddress),
                 qPrintable(text));
    }

    void resolvesThroughALinkedConfiguration()
    {
        // systemd-resolved's layout: /etc/resolv.conf a link to a file under /run, which no
        // sandbox sees. Only the test that made the world may change its /etc and /run.
        requireWorld();
        if (!g_madeWorld)
            QSKIP("only the process that made the test's world can change its /etc");
        const QString etc = m_temp.filePath(QStringLiteral("etc"));
        QString problem;
        QVERIFY(QDir().mkpath(etc));
        QVERIFY2(command(QStringLiteral("cp"),
                         {QStringLiteral("-a"), QStringLiteral("/etc/."), etc}, &problem),
                 qPrintable(problem));
        QFile::remove(etc + QStringLiteral("/resolv.conf"));
        QVERIFY(QFile::link(QStringLiteral("../run/systemd/resolve/stub-resolv.conf"),
                            etc + QStringLiteral("/resolv.conf")));
        QVERIFY2(command(QStringLiteral("mount"),
                         {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("none"),
                          QStringLiteral("/run")},
                         &problem),
                 qPrintable(problem));
        const auto restore = qScopeGuard([] {
            ::umount2("/etc", MNT_DETACH);
            ::umount2("/run", MNT_DETACH);
        });
        QVERIFY(QDir().mkpath(QStringLiteral("/run/systemd/resolve")));
        QFile stub(QStringLiteral("/run/systemd/resolve/stub-resolv.conf"));
        QVERIFY(stub.open(QIODevice::WriteOnly) &&
                stub.write("nameserver 127.0.0.1\nsearch slipway.test\n") > 0);
        stub.close();
        QVERIFY2(command(QStringLiteral("mount"),
                         {QStringLiteral("--bind"), etc, QStringLiteral("/etc")}, &problem),
                 qPrintable(problem));
        QCOMPARE(Sandbox::resolverPath(), QStringLiteral("/run/systemd/resolve/stub-resolv.conf"));

        deploy(QStringLiteral("linked"));
        const QString text =
            runInContainer(QStringLiteral("linked"),
                           QStringLiteral("cat /etc/resolv.conf; getent hosts outside; echo done"));
        QVERIFY2(text.contains(QStringLiteral("done")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("nameserver ") +
                               QLatin1String(OutboundNetwork::ResolverAddress)),
                 qPrintable(text));
        QVERIFY2(text.contains(OutsideAddress + QStringLiteral(" ")), qPrintable(text));
    }

    void hostAndOtherContainersStayOut()
    {
        // A service of the host on loopback (as the router, the API's TLS port or a database
        // are), the router, and another app's port: none is reachable, by any address a
        // container could try: its own loopback, slirp4netns' gateway and resolver
        // addresses, and the host's own address on its network.
        QTcpServer hostService;
        QVERIFY(hostService.listen(QHostAddress::LocalHost));
        deploy(QStringLiteral("netone"));
        deploy(QStringLiteral("nettwo"));
        const QList<ContainerStatus> others =
            m_fixture->engine().app(QStringLiteral("nettwo"))->containerStatuses();
        QVERIFY(!others.isEmpty() && others.first().port != 0);
        const quint16 otherPort = others.first().port;
        QStringList addresses = {QStringLiteral("127.0.0.1"),
                                 QLatin1String(OutboundNetwork::GatewayAddress),
                                 QLatin1String(OutboundNetwork::ResolverAddress)};
        if (m_world)
            addresses << HostAddress;
        QString script;
        for (const QString &address : std::as_const(addresses)) {
            for (const quint16 port :
                 {hostService.serverPort(), m_fixture->routerPort(), otherPort})
                script += tryConnect(address, port,
                                     QStringLiteral("REACHED-%1:%2").arg(address).arg(port));
        }
        // The way out is there, for this container too.
        if (m_world)
            script += tryConnect(OutsideAddress, 80, QStringLiteral("outside-ok"));
        script += QStringLiteral("echo done");
        const QString text = runInContainer(QStringLiteral("netone"), script);
        QVERIFY2(text.contains(QStringLiteral("done")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("REACHED")), qPrintable(text));
        if (m_world)
            QVERIFY2(text.contains(QStringLiteral("outside-ok")), qPrintable(text));
        QCoreApplication::processEvents();
        QVERIFY(!hostService.hasPendingConnections());
        // From the host, the container's port is not on loopback either: only the router
        // reaches it, and still does.
        QTcpSocket direct;
        direct.connectToHost(QHostAddress::LocalHost, otherPort);
        QVERIFY(!direct.waitForConnected(2000));
        const HttpResponse routed = routedGet(m_fixture->routerPort(), QStringLiteral("nettwo"));
        QCOMPARE(routed.status, 200);
    }

    void networkNoneKeepsOnlyTheLoopback()
    {
        deploy(QStringLiteral("hermit"), false);
        QString script = QStringLiteral("cat /proc/net/dev; ");
        if (m_world)
            script += tryConnect(OutsideAddress, 80, QStringLiteral("REACHED-outside"));
        script += QStringLiteral("echo done");
        const QString text = runInContainer(QStringLiteral("hermit"), script);
        QVERIFY2(text.contains(QStringLiteral("done")) && text.contains(QStringLiteral("lo:")),
                 qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("tap0")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("REACHED")), qPrintable(text));
        // It still serves through the router.
        QCOMPARE(routedGet(m_fixture->routerPort(), QStringLiteral("hermit")).status, 200);
    }

    void buildReachesTheOutsideButNotTheHost()
    {
        // A build fetches its dependencies through a slirp4netns of its own, as a container
        // does: the outside is there, by address and by name; the host's loopback services,
        // the router and the apps' ports are not.
        requireWorld();
        QTcpServer hostService;
        QVERIFY(hostService.listen(QHostAddress::LocalHost));
        deploy(QStringLiteral("running"));
        const QList<ContainerStatus> others =
            m_fixture->engine().app(QStringLiteral("running"))->containerStatuses();
        QVERIFY(!others.isEmpty() && others.first().port != 0);
        QString script = QStringLiteral("#!/bin/bash\ncat /etc/resolv.conf\n");
        for (const QString &address : QStringList{
                 QStringLiteral("127.0.0.1"), QLatin1String(OutboundNetwork::GatewayAddress),
                 QLatin1String(OutboundNetwork::ResolverAddress), HostAddress}) {
            for (const quint16 port :
                 {hostService.serverPort(), m_fixture->routerPort(), others.first().port})
                script += tryConnect(address, port,
                                     QStringLiteral("REACHED-%1:%2").arg(address).arg(port)) +
                          QLatin1Char('\n');
        }
        script += QStringLiteral("timeout 5 bash -c 'exec 3<>/dev/tcp/%1/80; cat <&3'\n"
                                 "getent hosts %2\n"
                                 "echo build-done\n")
                      .arg(OutsideAddress, OutsideName);
        Deployment *deployment = nullptr;
        const QString log =
            deployWithCompile(QStringLiteral("fetcher"), script.toUtf8(), &deployment);
        QVERIFY2(deployment && deployment->status() == DeploymentStatus::Success, qPrintable(log));
        QVERIFY2(log.contains(QStringLiteral("build-done")), qPrintable(log));
        QVERIFY2(!log.contains(QStringLiteral("REACHED")), qPrintable(log));
        QVERIFY2(log.contains(QStringLiteral("outside-host saw ") + HostAddress), qPrintable(log));
        QVERIFY2(log.contains(OutsideAddress + QStringLiteral(" ")), qPrintable(log));
        QVERIFY2(log.contains(QStringLiteral("nameserver ") +
                              QLatin1String(OutboundNetwork::ResolverAddress)),
                 qPrintable(log));
        QCoreApplication::processEvents();
        QVERIFY(!hostService.hasPendingConnections());
        // Nothing of the build's network outlives it: the app's web-1 has the only one.
        QTRY_COMPARE_WITH_TIMEOUT(slirpProcessesHere(), 2, 30000); // running's and fetcher's
    }

    void networkSetupFailureIsReported()
    {
        // When slirp4netns fails or never answers, the build or container says why, in its
        // log, within the setup limit: nothing hangs, and nothing of it stays behind.
        requireWorld();
        const QString breakFile = qEnvironmentVariable(BreakVariable);
        if (breakFile.isEmpty()) {
            QByteArray output;
            QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
            const QString standIn = brokenSlirpFolder();
            QVERIFY(!standIn.isEmpty());
            environment.insert(QStringLiteral("PATH"),
                               standIn + QLatin1Char(':') + environment.value(u"PATH"_s));
            environment.insert(QLatin1String(BreakVariable),
                               standIn + QStringLiteral("/flags/how"));
            const int code = run(QCoreApplication::applicationFilePath(),
                                 {QStringLiteral("networkSetupFailureIsReported")}, {}, &output,
                                 300000, environment);
            QVERIFY2(code == 0 && !output.contains("SKIP"), output.constData());
            return;
        }
        QVERIFY2(OutboundNetwork::isAvailable(), qPrintable(OutboundNetwork::unavailableReason()));
        const auto breakAs = [&breakFile](const QByteArray &how) {
            QFile file(breakFile);
            return file.open(QIODevice::WriteOnly) && file.write(how) == how.size();
        };
        QFile::remove(breakFile);
        deploy(QStringLiteral("fragile"));

        // A container: it never runs, its log and its exit say why.
        QVERIFY(breakAs("fail"));
        Result<Container *> oneOff = m_fixture->engine().run(QStringLiteral("fragile"),
                                                             QStringLiteral("echo APP-RAN"), this);
        QVERIFY(oneOff);
        QStringList lines;
        connect(*oneOff, &Container::logLine, this,
                [&lines](const LogLine &line) { lines.append(line.text); });
        (*oneOff)->start();
        QTRY_VERIFY_WITH_TIMEOUT((*oneOff)->state() == Container::State::Exited, 60000);
        const QString said = lines.join(QLatin1Char('\n'));
        QVERIFY2(!said.contains(QStringLiteral("APP-RAN")), qPrintable(said));
        QVERIFY2(said.contains(QStringLiteral("broken on purpose")), qPrintable(said));
        const ProcessOutcome &outcome = (*oneOff)->exit().outcome;
        QCOMPARE(outcome.kind, ProcessOutcome::Kind::FailedToStart);
        QVERIFY2(outcome.errorString.contains(
                     QStringLiteral("its outbound network could not be set up")) &&
                     outcome.errorString.contains(QStringLiteral("broken on purpose")),
                 qPrintable(outcome.errorString));
        delete *oneOff;

        // A deployment: its build fails, and its log says why.
        Deployment *deployment = nullptr;
        QString log =
            deployWithCompile(QStringLiteral("failing"), "#!/bin/sh\necho COMPILED\n", &deployment);
        QVERIFY2(deployment && deployment->status() == DeploymentStatus::BuildError,
                 qPrintable(log));
        QVERIFY2(log.contains(QStringLiteral("the build's outbound network could not be set up")) &&
                     log.contains(QStringLiteral("broken on purpose")),
                 qPrintable(log));
        QVERIFY2(!log.contains(QStringLiteral("COMPILED")), qPrintable(log));

        // A slirp4netns that never answers is given up on after the setup limit, and ended.
        QVERIFY(breakAs("hang"));
        QElapsedTimer clock;
        clock.start();
        log =
            deployWithCompile(QStringLiteral("waiting"), "#!/bin/sh\necho COMPILED\n", &deployment);
        QVERIFY2(deployment && deployment->status() == DeploymentStatus::BuildError,
                 qPrintable(log));
        QVERIFY2(log.contains(QStringLiteral("did not connect the sandbox to the network within")),
                 qPrintable(log));
        QVERIFY2(!log.contains(QStringLiteral("COMPILED")), qPrintable(log));
        QVERIFY2(clock.elapsed() < 90000, qPrintable(log)); // the limit, not a test's timeout
        QTRY_COMPARE_WITH_TIMEOUT(hangingStandIns(), 0, 10000);
        QFile::remove(breakFile);
    }

    // On a host where mounts propagate and Docker mounts and unmounts its overlays all the
    // time, slirp4netns' own sandbox must still come up at every start: binding the whole
    // host there failed now and then when a mount went away during the setup.
    void startsWhileHostMountsComeAndGo()
    {
        requireWorld();
        deploy(QStringLiteral("churned"));
        TestSupport::MountChurn churn(m_temp.filePath(QStringLiteral("churn")));
        if (!churn.problem().isEmpty())
            QSKIP(qPrintable(churn.problem()));
        constexpr int Runs = 40;
        for (int run = 1; run <= Runs; ++run) {
            const QString text = runInContainer(
                QStringLiteral("churned"), QStringLiteral("grep -c tap0 /proc/net/dev; echo ran"));
            QVERIFY2(text.startsWith(QStringLiteral("1\nran")),
                     qPrintable(QStringLiteral("run %1 of %2, with %3 mounts come and gone: %4")
                                    .arg(run)
                                    .arg(Runs)
                                    .arg(churn.mounts())
                                    .arg(text)));
        }
        QVERIFY2(churn.mounts() > 0, "no mount came and went: the churn did not run");
    }

    void networkEndsWithItsContainer()
    {
        requireWorld();
        QCOMPARE(slirpProcessesHere(), 0);
        deploy(QStringLiteral("brief"));
        // One for web-1, none for the finished postdeploy hook.
        QTRY_COMPARE_WITH_TIMEOUT(slirpProcessesHere(), 1, 30000);
        // A one-off container has its own while it runs, and takes it along when it ends.
        Result<Container *> oneOff =
            m_fixture->engine().run(QStringLiteral("brief"), QStringLiteral("sleep 30"), this);
        QVERIFY(oneOff);
        // Should the test fail half-way, the next one still starts with none.
        const auto endOneOff = qScopeGuard([container = *oneOff] { delete container; });
        (*oneOff)->start();
        QStringList seen;
        QElapsedTimer waited;
        waited.start();
        while ((seen = slirpProcessesHereListed()).size() != 2 && waited.elapsed() < 30000)
            QTest::qWait(50);
        QVERIFY2(seen.size() == 2, qPrintable(seen.join(QStringLiteral("\n"))));
        (*oneOff)->stop(std::chrono::milliseconds(0));
        QTRY_VERIFY_WITH_TIMEOUT((*oneOff)->state() == Container::State::Exited, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(slirpProcessesHere(), 1, 30000);
        m_fixture->shutdown();
        QTRY_COMPARE_WITH_TIMEOUT(slirpProcessesHere(), 0, 30000);
    }

    void killedDaemonLeavesNoNetworkBehind()
    {
        requireWorld();
        QCOMPARE(slirpProcessesHere(), 0);
        const QString data = m_temp.filePath(QStringLiteral("daemon-data"));
        {
            DaemonProcess daemon(data);
            QVERIFY2(daemon.start(), daemon.output().constData());
            QCOMPARE(deployThroughDaemon(daemon, QStringLiteral("crashy")),
                     QStringLiteral("success"));
            QTRY_COMPARE_WITH_TIMEOUT(slirpProcessesHere(), 1, 30000);
            daemon.killHard();
            QTRY_COMPARE_WITH_TIMEOUT(slirpProcessesHere(), 0, 30000);
        }
        // The next daemon brings the app back, with a network of its own again, and takes
        // it down with it.
        DaemonProcess again(data);
        QVERIFY2(again.start(), again.output().constData());
        QTRY_COMPARE_WITH_TIMEOUT(routedGet(again.routerPort(), QStringLiteral("crashy")).status,
                                  200, 30000);
        QCOMPARE(slirpProcessesHere(), 1);
        again.terminate();
        QTRY_COMPARE_WITH_TIMEOUT(slirpProcessesHere(), 0, 30000);
    }

    void apiTurnsAwayAContainerOnItsTlsPort()
    {
        // A TLS port on the host's own address, which a container's traffic reaches through
        // slirp4netns: the daemon must see that it comes from a container.
        requireWorld();
        const QString cert = m_temp.filePath(QStringLiteral("cert.pem"));
        const QString key = m_temp.filePath(QStringLiteral("key.pem"));
        QCOMPARE(run(QStringLiteral("openssl"),
                     {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                      QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-subj"),
                      QStringLiteral("/CN=localhost"), QStringLiteral("-days"), QStringLiteral("1"),
                      QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert}),
                 0);
        const quint16 port = freePort();
        const QString url = QStringLiteral("https://%1:%2/v1/apps").arg(HostAddress).arg(port);
        DaemonProcess daemon;
        QVERIFY2(
            daemon.start({QStringLiteral("--listen"),
                          QStringLiteral("%1:%2").arg(HostAddress).arg(port),
                          QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"), key}),
            daemon.output().constData());
        QCOMPARE(deployThroughDaemon(daemon, QStringLiteral("knocker")), QStringLiteral("success"));
        const QStringList curl = {QStringLiteral("-sk"),          QStringLiteral("-o"),
                                  QStringLiteral("/dev/null"),    QStringLiteral("-w"),
                                  QStringLiteral("%{http_code}"), url};
        // From the host, a tokenless call gets its 401...
        QByteArray output;
        run(QStringLiteral("curl"), curl, {}, &output);
        QCOMPARE(output, QByteArray("401"));
        // ...from a container, the connection is closed first.
        const QJsonObject body{
            {QStringLiteral("command"),
             QStringLiteral("echo code=$(curl %1); echo done").arg(curl.join(QLatin1Char(' ')))}};
        output.clear();
        QCOMPARE(run(QStringLiteral("curl"),
                     {QStringLiteral("-sN"), QStringLiteral("--unix-socket"), daemon.socketPath(),
                      QStringLiteral("-X"), QStringLiteral("POST"),
                      QStringLiteral("http://slipway/v1/apps/knocker/run"), QStringLiteral("-d"),
                      QString::fromUtf8(QJsonDocument(body).toJson(QJsonDocument::Compact))},
                     {}, &output, 60000),
                 0);
        QVERIFY2(output.contains("done"), output.constData());
        QVERIFY2(output.contains("code=") && !output.contains("code=401"), output.constData());
        QTRY_VERIFY2_WITH_TIMEOUT(daemon.output().contains("inside a container or build"),
                                  daemon.output().constData(), 5000);
        daemon.terminate();
    }

    void withoutTunContainersKeepTheirLoopback()
    {
        // Where slirp4netns cannot make its tap device, containers still start, with their
        // loopback only, and both their log and the daemon's status say why.
        if (OutboundNetwork::isAvailable())
            QSKIP("this user may open /dev/net/tun; holdsForAnOrdinaryUserToo runs this part as "
                  "one who may not");
        m_fixture->engine().createApp(QStringLiteral("tunless"));
        Deployment *deployment = m_fixture->deployFixture(QStringLiteral("tunless"));
        const QString log = EngineFixture::describe(deployment);
        QVERIFY2(deployment && deployment->status() == DeploymentStatus::Success, qPrintable(log));
        QVERIFY2(log.contains(QStringLiteral("no outbound network: /dev/net/tun")),
                 qPrintable(log));
        const QString text = runInContainer(QStringLiteral("tunless"),
                                            QStringLiteral("cat /proc/net/dev; echo done"));
        QVERIFY2(text.contains(QStringLiteral("done")) && !text.contains(QStringLiteral("tap0")),
                 qPrintable(text));
        QCOMPARE(routedGet(m_fixture->routerPort(), QStringLiteral("tunless")).status, 200);

        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        const QJsonObject status = daemon.call("GET", QStringLiteral("/v1/status"));
        QCOMPARE(status.value(QStringLiteral("outbound_network")).toBool(true), false);
        QVERIFY2(status.value(QStringLiteral("outbound_network_note"))
                     .toString()
                     .contains(QStringLiteral("/dev/net/tun")),
                 QJsonDocument(status).toJson().constData());
        daemon.terminate();
    }

    void holdsForAnOrdinaryUserToo()
    {
        if (::geteuid() != 0 || runningAsRerun())
            QSKIP("already running as an ordinary user");
        QByteArray output;
        const int code =
            rerunAsOrdinaryUser({QStringLiteral("reachesAHostOutside"),
                                 QStringLiteral("resolvesNamesThroughTheHostsResolver"),
                                 QStringLiteral("hostAndOtherContainersStayOut"),
                                 QStringLiteral("networkNoneKeepsOnlyTheLoopback"),
                                 QStringLiteral("buildReachesTheOutsideButNotTheHost"),
                                 QStringLiteral("networkEndsWithItsContainer"),
                                 QStringLiteral("killedDaemonLeavesNoNetworkBehind"),
                                 QStringLiteral("apiTurnsAwayAContainerOnItsTlsPort")},
                                &output);
        if (code == Unreachable)
            QSKIP("an ordinary user cannot reach this build or source folder (a parent folder "
                  "is private); build under a folder others may enter to run this part");
        QVERIFY2(code == 0, output.constData());
        // Every part ran, none was skipped for want of the world or the tun device.
        QVERIFY2(!output.contains("SKIP"), output.constData());

        // A slirp4netns that fails or hangs, under an ordinary user's daemon.
        const QString standIn = brokenSlirpFolder();
        QVERIFY(!standIn.isEmpty());
        const QByteArray path = qgetenv("PATH");
        qputenv("PATH", QFile::encodeName(standIn) + ':' + path);
        qputenv(BreakVariable, QFile::encodeName(standIn + QStringLiteral("/flags/how")));
        output.clear();
        const int broken =
            rerunAsOrdinaryUser({QStringLiteral("networkSetupFailureIsReported")}, &output);
        qputenv("PATH", path);
        qunsetenv(BreakVariable);
        QVERIFY2(broken == 0 && !output.contains("SKIP"), output.constData());

        // Once more with a /dev/net/tun only root may open, as some machines have it.
        if (!g_madeWorld)
            return;
        const QString closed = m_temp.filePath(QStringLiteral("dev/tun-closed"));
        QString problem;
        QVERIFY2(command(QStringLiteral("mknod"),
                         {QStringLiteral("-m"), QStringLiteral("0600"), closed, QStringLiteral("c"),
                          QStringLiteral("10"), QStringLiteral("200")},
                         &problem) &&
                     command(QStringLiteral("mount"),
                             {QStringLiteral("--bind"), closed, QStringLiteral("/dev/net/tun")},
                             &problem),
                 qPrintable(problem));
        const auto reopen = qScopeGuard([] { ::umount2("/dev/net/tun", MNT_DETACH); });
        output.clear();
        QVERIFY2(rerunAsOrdinaryUser({QStringLiteral("withoutTunContainersKeepTheirLoopback")},
                                     &output) == 0,
                 output.constData());
        QVERIFY2(!output.contains("SKIP"), output.constData());
    }
};

int main(int argc, char **argv)
{
    enterPrivateWorld(); // before QCoreApplication: no thread may exist yet
    QCoreApplication app(argc, argv);
    TestOutbound test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_outbound.moc"
