// slipwayd at rest: resident memory with 20 apps of 2 web containers each (goal < 60 MB),
// and the CPU it uses while idle over 60 s (goal < 1 % of a core).

#include "DaemonProcess.h"
#include "TestSupport.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTextStream>
#include <QtTest>

#include <unistd.h>

namespace {

qint64 residentKilobytes(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

// utime + stime of a process, in clock ticks.
qint64 cpuTicks(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray line = stat.readAll();
    const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    return fields.value(11).toLongLong() + fields.value(12).toLongLong();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    const int apps = argc > 1 ? QByteArray(argv[1]).toInt() : 20;
    const int idleSeconds = argc > 2 ? QByteArray(argv[2]).toInt() : 60;
    DaemonProcess daemon;
    if (!daemon.start()) {
        out << "could not start slipwayd: " << daemon.output() << '\n';
        return 1;
    }
    const qint64 emptyRss = residentKilobytes(daemon.pid());
    const QString fixture = TestSupport::dataPath(QStringLiteral("fixtures/behave"));
    for (int i = 0; i < apps; ++i) {
        const QString name = QStringLiteral("idle-%1").arg(i);
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), name}}}});
        daemon.call("POST", QStringLiteral("/v1/apps/%1/scale").arg(name),
                    {{QStringLiteral("containers"),
                      QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("web")},
                                             {QStringLiteral("amount"), 2}}}}});
        const QString id = daemon
                               .call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(name),
                                     {{QStringLiteral("deployment"),
                                       QJsonObject{{QStringLiteral("source_url"), fixture}}}})
                               .value(QStringLiteral("deployment"))
                               .toObject()
                               .value(QStringLiteral("id"))
                               .toString();
        if (daemon.waitDeployment(name, id) != QLatin1String("success")) {
            out << "deployment of " << name << " failed\n";
            return 1;
        }
    }
    int containers = 0;
    for (int i = 0; i < apps; ++i)
        containers += daemon.call("GET", QStringLiteral("/v1/apps/idle-%1/containers").arg(i))
                          .value(QStringLiteral("containers"))
                          .toArray()
                          .size();
    QTest::qWait(2000);
    const qint64 rss = residentKilobytes(daemon.pid());
    const qint64 before = cpuTicks(daemon.pid());
    QTest::qWait(idleSeconds * 1000);
    const qint64 after = cpuTicks(daemon.pid());
    const double cpuPercent =
        100.0 * double(after - before) / double(::sysconf(_SC_CLK_TCK)) / double(idleSeconds);
    out << QStringLiteral("daemon_memory: %1 MB resident with %2 apps and %3 containers (empty "
                          "daemon %4 MB; goal < 60 MB)\n")
               .arg(double(rss) / 1024.0, 0, 'f', 1)
               .arg(apps)
               .arg(containers)
               .arg(double(emptyRss) / 1024.0, 0, 'f', 1);
    out << QStringLiteral("daemon_idle_cpu: %1 % of a core over %2 s idle (goal < 1 %)\n")
               .arg(cpuPercent, 0, 'f', 2)
               .arg(idleSeconds);
    out.flush();
    daemon.terminate();
    return 0;
}
