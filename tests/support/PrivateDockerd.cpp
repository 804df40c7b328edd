#include "PrivateDockerd.h"

#include "TestSupport.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Slipway;

namespace {

// Engines of this process that are running, and whether Swarm's bridge was there before the
// first one started (then it is someone else's and stays).
int g_running = 0;
bool g_bridgeWasThere = false;

bool bridgeExists()
{
    return QFileInfo::exists(QStringLiteral("/sys/class/net/docker_gwbridge"));
}

// Whether any dockerd runs on the machine (another test's, the system's).
bool anyDockerdRunning()
{
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        QFile comm(QStringLiteral("/proc/%1/comm").arg(entry));
        if (comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == "dockerd")
            return true;
    }
    return false;
}

// Mount points under `folder`, deepest first (from /proc/self/mountinfo, whose fifth field is
// the mount point with spaces and such escaped in octal).
QStringList mountsUnder(const QString &folder)
{
    QStringList found;
    QFile mountinfo(QStringLiteral("/proc/self/mountinfo"));
    if (!mountinfo.open(QIODevice::ReadOnly))
        return found;
    const QByteArray prefix = QFile::encodeName(folder);
    for (const QByteArray &line : mountinfo.readAll().split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        if (fields.size() < 5)
            continue;
        QByteArray point = fields[4];
        point.replace("\\040", " ")
            .replace("\\011", "\t")
            .replace("\\012", "\n")
            .replace("\\134", "\\");
        if (point == prefix || point.startsWith(QByteArray(prefix + '/')))
            found.append(QFile::decodeName(point));
    }
    std::sort(found.begin(), found.end(),
              [](const QString &a, const QString &b) { return a.size() > b.size(); });
    return found;
}

// A test killed outright leaves its engine's folder behind (its dockerd stops by itself, see
// PR_SET_PDEATHSIG below): folders of engines that are gone are cleared before a new one
// starts. A folder without a live dockerd for two minutes counts as gone.
void clearAbandonedFolders()
{
    const QFileInfoList folders = QDir(QStringLiteral("/tmp"))
                                      .entryInfoList({QStringLiteral("slipway-dockerd-*")},
                                                     QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QFileInfo &folder : folders) {
        if (folder.lastModified().secsTo(QDateTime::currentDateTime()) < 120)
            continue;
        QFile pidFile(folder.filePath() + QStringLiteral("/dockerd.pid"));
        if (pidFile.open(QIODevice::ReadOnly)) {
            const pid_t pid = pid_t(pidFile.readAll().trimmed().toLongLong());
            if (pid > 0 && ::kill(pid, 0) == 0)
                continue;
        }
        if (!TestSupport::processesWithMarker(QFile::encodeName(folder.filePath())).isEmpty())
            continue;
        for (const QString &point : mountsUnder(folder.filePath()))
            ::umount2(QFile::encodeName(point).constData(), MNT_DETACH);
        QDir(folder.filePath()).removeRecursively();
    }
}

bool pingOnce(DockerClient &client)
{
    auto answer = awaitDocker<void>(
        [&](QObject *context, auto done) { return client.ping(context, done); }, 5000);
    return answer.has_value();
}

} // namespace

PrivateDockerd::PrivateDockerd(const QStringList &extraArguments)
{
    const QString dockerd = QStandardPaths::findExecutable(
        QStringLiteral("dockerd"), {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/bin"),
                                    QStringLiteral("/usr/local/bin")});
    if (dockerd.isEmpty()) {
        m_skipReason = QStringLiteral("dockerd is not installed (apt-get install docker.io, or "
                                      "packaging/setup-debian.sh)");
        return;
    }
    if (::geteuid() != 0) {
        m_skipReason = QStringLiteral("a private dockerd needs root (mounts, namespaces, cgroups)");
        return;
    }
    clearAbandonedFolders();
    if (!m_folder.isValid()) {
        m_skipReason = QStringLiteral("cannot make a temporary folder for dockerd");
        return;
    }
    const QString root = m_folder.path();
    QDir().mkpath(root + QStringLiteral("/data"));
    QDir().mkpath(root + QStringLiteral("/exec"));
    // An empty configuration, so the machine's /etc/docker/daemon.json plays no part.
    QFile config(root + QStringLiteral("/daemon.json"));
    if (!config.open(QIODevice::WriteOnly) || config.write("{}\n") != 3) {
        m_skipReason = QStringLiteral("cannot write %1").arg(config.fileName());
        return;
    }
    config.close();

    if (g_running == 0)
        g_bridgeWasThere = bridgeExists();
    ++g_running;
    m_process.setProgram(dockerd);
    m_process.setArguments(
        QStringList{QStringLiteral("--config-file"), config.fileName(),
                    QStringLiteral("--data-root"), root + QStringLiteral("/data"),
                    QStringLiteral("--exec-root"), root + QStringLiteral("/exec"),
                    QStringLiteral("--pidfile"), root + QStringLiteral("/dockerd.pid"),
                    QStringLiteral("-H"), QStringLiteral("unix://") + socketPath(),
                    QStringLiteral("--iptables=false"), QStringLiteral("--bridge=none"),
                    QStringLiteral("--log-level=warn")} +
        extraArguments);
    // Should the test die without cleaning up (a crash, Qt Test's watchdog), dockerd is told
    // to stop all the same.
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    m_process.setStandardOutputFile(root + QStringLiteral("/dockerd.log"));
    m_process.setStandardErrorFile(root + QStringLiteral("/dockerd.log"), QIODevice::Append);
    m_process.start();
    if (!m_process.waitForStarted(10000)) {
        m_skipReason = QStringLiteral("dockerd did not start: %1").arg(m_process.errorString());
        return;
    }

    DockerClient client(endpoint());
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 60000) {
        if (m_process.state() != QProcess::Running) {
            m_skipReason = QStringLiteral("dockerd stopped at once (exit %1); its last lines:\n%2")
                               .arg(m_process.exitCode())
                               .arg(logTail());
            stop();
            return;
        }
        if (QFileInfo::exists(socketPath()) && pingOnce(client)) {
            m_ready = true;
            return;
        }
        QThread::msleep(200);
    }
    m_skipReason =
        QStringLiteral("dockerd did not answer within 60 s; its last lines:\n%1").arg(logTail());
    stop();
}

PrivateDockerd::~PrivateDockerd()
{
    stop();
}

QString PrivateDockerd::socketPath() const
{
    return m_folder.path() + QStringLiteral("/docker.sock");
}

DockerEndpoint PrivateDockerd::endpoint() const
{
    return *DockerEndpoint::parse(QStringLiteral("unix://") + socketPath());
}

QString PrivateDockerd::logTail(int lines) const
{
    QFile log(m_folder.path() + QStringLiteral("/dockerd.log"));
    if (!log.open(QIODevice::ReadOnly))
        return {};
    const QList<QByteArray> all = log.readAll().split('\n');
    return QString::fromUtf8(all.mid(std::max<qsizetype>(0, all.size() - lines)).join('\n'));
}

void PrivateDockerd::stop()
{
    if (m_stopped || !m_folder.isValid())
        return;
    m_stopped = true;
    if (m_process.state() != QProcess::NotRunning) {
        // dockerd stops its containers (their own grace periods) and its containerd.
        m_process.terminate();
        if (!m_process.waitForFinished(30000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    // What a killed dockerd leaves: its containerd and the containers' shims, which all
    // name the folder on their command line.
    const QByteArray marker = QFile::encodeName(m_folder.path());
    for (int round = 0; round < 20; ++round) {
        const QList<qint64> left = TestSupport::processesWithMarker(marker);
        if (left.isEmpty())
            break;
        for (qint64 pid : left)
            ::kill(pid_t(pid), SIGKILL);
        QThread::msleep(100);
    }
    for (const QString &point : mountsUnder(m_folder.path()))
        ::umount2(QFile::encodeName(point).constData(), MNT_DETACH);
    --g_running;
    // Swarm makes this bridge on the host and leaves it; the last engine takes it away
    // unless it was there before or another engine (another test's) may be using it.
    if (g_running == 0 && !g_bridgeWasThere && bridgeExists() && !anyDockerdRunning())
        TestSupport::run(QStringLiteral("ip"), {QStringLiteral("link"), QStringLiteral("delete"),
                                                QStringLiteral("docker_gwbridge")});
}

Result<QString> PrivateDockerd::makeBusyboxImage(DockerClient &client, const QString &workFolder)
{
    // busybox-static's: linked statically, so the image needs no libc.
    const QString busybox = QStringLiteral("/bin/busybox");
    if (!QFileInfo(busybox).isExecutable())
        return failure(
            QStringLiteral("%1 is missing: apt-get install busybox-static").arg(busybox));
    const QString rootfs = workFolder + QStringLiteral("/busybox-rootfs");
    for (const char *folder : {"bin", "etc", "tmp", "proc", "sys", "dev", "app"})
        QDir().mkpath(rootfs + u'/' + QLatin1String(folder));
    ::chmod(QFile::encodeName(rootfs + QStringLiteral("/tmp")).constData(), 01777);
    if (!QFile::copy(busybox, rootfs + QStringLiteral("/bin/busybox")))
        return failure(QStringLiteral("cannot copy %1 into %2").arg(busybox, rootfs));
    QByteArray applets;
    if (TestSupport::run(busybox, {QStringLiteral("--list")}, {}, &applets) != 0)
        return failure(QStringLiteral("%1 --list failed").arg(busybox));
    for (const QByteArray &applet : applets.split('\n')) {
        const QString name = QString::fromUtf8(applet.trimmed());
        if (!name.isEmpty() && name != u"busybox")
            QFile::link(QStringLiteral("busybox"), rootfs + QStringLiteral("/bin/") + name);
    }
    QFile passwd(rootfs + QStringLiteral("/etc/passwd"));
    QFile group(rootfs + QStringLiteral("/etc/group"));
    if (!passwd.open(QIODevice::WriteOnly) || !group.open(QIODevice::WriteOnly))
        return failure(QStringLiteral("cannot write the test image's /etc"));
    passwd.write("root:x:0:0:root:/root:/bin/sh\nslug:x:10000:10000:slug:/app:/bin/sh\n"
                 "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
    group.write("root:x:0:\nslug:x:10000:\nnogroup:x:65534:\n");
    passwd.close();
    group.close();
    const QString tarball = workFolder + QStringLiteral("/busybox-rootfs.tar");
    if (TestSupport::run(QStringLiteral("tar"),
                         {QStringLiteral("-C"), rootfs, QStringLiteral("-cf"), tarball,
                          QStringLiteral(".")}) != 0)
        return failure(QStringLiteral("cannot make %1 with tar").arg(tarball));
    const QString tag = QString::fromLatin1(BusyboxImage);
    auto imported = awaitDocker<QString>(
        [&](QObject *context, auto done) {
            return client.importImage(tarball, tag.section(u':', 0, 0), tag.section(u':', 1), {},
                                      context, {}, done);
        },
        120000);
    if (!imported)
        return std::unexpected(imported.error());
    return tag;
}
