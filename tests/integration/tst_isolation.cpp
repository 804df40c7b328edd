// What a container and a build can reach, seen from inside them, with the real engine,
// sandbox and router: only the stack, their own folders and a private /tmp; no capability,
// no privilege, a system call filter; a network namespace of their own. Run as root, the
// whole test runs a second time as a throwaway ordinary user.

#include "EngineFixture.h"
#include "TestSupport.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "runtime/Container.h"
#include "util/Sandbox.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

#include <unistd.h>

using namespace Slipway;
using namespace TestSupport;

class TestIsolation : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<EngineFixture> m_fixture;

    // Runs `command` in a one-off container of `app` and returns what it printed.
    QString runInContainer(const QString &app, const QString &command)
    {
        Result<Container *> run = m_fixture->engine().run(app, command, this);
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

    void deploy(const QString &app)
    {
        Deployment *deployment = m_fixture->deployFixture(app);
        QVERIFY2(deployment && deployment->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(deployment)));
    }

    static QString reachable(const QString &path)
    {
        return QStringLiteral("test -e '%1' && echo 'SEEN %1'; ").arg(path);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        if (!Sandbox::isAvailable())
            QSKIP(qPrintable(QStringLiteral("no isolation on this machine: ") +
                             Sandbox::unavailableReason()));
    }

    void init() { m_fixture = std::make_unique<EngineFixture>(); }
    void cleanup() { m_fixture.reset(); }

    void containerSeesOnlyTheStackAndItsApp()
    {
        deploy(QStringLiteral("seer"));
        deploy(QStringLiteral("other"));
        QStringList hidden = {QDir::homePath(),
                              QStringLiteral("/root"),
                              QStringLiteral("/home"),
                              QStringLiteral("/run/user"),
                              QStringLiteral("/run/dbus"),
                              QStringLiteral("/var/lib"),
                              QStringLiteral("/srv"),
                              QStringLiteral("/sys/kernel"),
                              m_fixture->path(QStringLiteral("data")),
                              m_fixture->path(QStringLiteral("data/containers/other"))};
        const QString runtimeDirectory = qEnvironmentVariable("XDG_RUNTIME_DIR");
        if (!runtimeDirectory.isEmpty())
            hidden << runtimeDirectory;
        QString script;
        for (const QString &path : std::as_const(hidden))
            script += reachable(path);
        script += QStringLiteral("test -x /usr/bin/bash && echo stack-ok; "
                                 "test -r /etc/passwd && echo etc-ok; "
                                 "echo x > /app/written && echo app-ok; "
                                 "echo x > /tmp/written && echo tmp-ok; "
                                 "echo x > /usr/written 2>/dev/null && echo WROTE-usr; "
                                 "echo x > /etc/written 2>/dev/null && echo WROTE-etc; "
                                 "env | grep -q DBUS_SESSION && echo SEEN-bus; "
                                 "echo done");
        const QString text = runInContainer(QStringLiteral("seer"), script);
        QVERIFY2(text.contains(QStringLiteral("done")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("SEEN")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("WROTE")), qPrintable(text));
        for (const char *expected : {"stack-ok", "etc-ok", "app-ok", "tmp-ok"})
            QVERIFY2(text.contains(QLatin1String(expected)), qPrintable(text));
    }

    void containerHasNoPrivilege()
    {
        deploy(QStringLiteral("plain"));
        const QString text = runInContainer(
            QStringLiteral("plain"),
            QStringLiteral(
                "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; "
                "echo uid=$(id -u); "
                "mount -t tmpfs none /tmp 2>/dev/null && echo MOUNTED; "
                "mount -o remount,rw / 2>/dev/null && echo REMOUNTED; "
                "unshare -U true 2>/dev/null && echo UNSHARED; "
                // Tracing the sandbox's init, adding a key: both refused.
                "python3 -c 'import ctypes; c = ctypes.CDLL(None, use_errno=True); "
                "print(\"ptrace\", c.ptrace(16, 1, 0, 0), ctypes.get_errno()); "
                "print(\"add_key\", c.syscall(248, b\"user\", b\"k\", b\"v\", 1, -2), "
                "ctypes.get_errno())'; "
                "echo done"));
        QVERIFY2(text.contains(QStringLiteral("done")), qPrintable(text));
        for (const char *field : {"CapEff:\t0000000000000000", "CapPrm:\t0000000000000000",
                                  "CapBnd:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2"})
            QVERIFY2(text.contains(QLatin1String(field)), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("uid=0\n")), qPrintable(text));
        for (const char *escaped : {"MOUNTED", "REMOUNTED", "UNSHARED"})
            QVERIFY2(!text.contains(QLatin1String(escaped)), qPrintable(text));
        // -1 with EPERM (1): refused by the system call filter.
        QVERIFY2(text.contains(QStringLiteral("ptrace -1 1\n")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("add_key -1 1\n")), qPrintable(text));
    }

    void containerHasItsOwnNetwork()
    {
        // A service of the host on loopback, the router and another app's port: none is
        // reachable from inside; the app still answers through the router.
        QTcpServer hostService;
        QVERIFY(hostService.listen(QHostAddress::LocalHost));
        deploy(QStringLiteral("netone"));
        deploy(QStringLiteral("nettwo"));
        const QList<ContainerStatus> others =
            m_fixture->engine().app(QStringLiteral("nettwo"))->containerStatuses();
        QVERIFY(!others.isEmpty() && others.first().port != 0);
        const quint16 otherPort = others.first().port;
        QString script;
        for (const quint16 port : {hostService.serverPort(), m_fixture->routerPort(), otherPort})
            script += QStringLiteral("(exec 3<>/dev/tcp/127.0.0.1/%1) 2>/dev/null && echo "
                                     "REACHED-%1; ")
                          .arg(port);
        script += QStringLiteral("echo done");
        const QString text = runInContainer(QStringLiteral("netone"), script);
        QVERIFY2(text.contains(QStringLiteral("done")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("REACHED")), qPrintable(text));
        // From the host, the container's port is not on loopback either: only the router
        // reaches it.
        QTcpSocket direct;
        direct.connectToHost(QHostAddress::LocalHost, otherPort);
        QVERIFY(!direct.waitForConnected(2000));
        const HttpResponse routed = routedGet(m_fixture->routerPort(), QStringLiteral("nettwo"));
        QCOMPARE(routed.status, 200);
    }

    void buildWritesOnlyItsOwnFolders()
    {
        // A buildpack that tries to leave its sandbox.
        const QString buildpack = m_fixture->path(QStringLiteral("escaping-buildpack"));
        const QString outside = m_fixture->path(QStringLiteral("outside"));
        QVERIFY(QDir().mkpath(buildpack + QStringLiteral("/bin")));
        QVERIFY(QDir().mkpath(outside));
        const auto write = [](const QString &path, const QByteArray &text) {
            QFile file(path);
            return file.open(QIODevice::WriteOnly) && file.write(text) == text.size() &&
                   file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                       QFile::ReadOther | QFile::ExeOther | QFile::ReadGroup |
                                       QFile::ExeGroup);
        };
        QVERIFY(write(buildpack + QStringLiteral("/bin/detect"), "#!/bin/sh\necho escaping\n"));
        QVERIFY(write(buildpack + QStringLiteral("/bin/release"),
                      "#!/bin/sh\necho '---'\necho 'default_process_types:'\n"
                      "echo '  web: sleep 1000'\n"));
        const QByteArray compile = "#!/bin/bash\n"
                                   "echo x > \"$1/built\" && echo build-ok\n"
                                   "echo x > \"$2/cached\" && echo cache-ok\n"
                                   "echo x > '" +
                                   outside.toUtf8() +
                                   "/escaped' 2>/dev/null && echo WROTE-outside\n"
                                   "test -e '" +
                                   QDir::homePath().toUtf8() +
                                   "' && echo SEEN-home\n"
                                   "test -e /root && echo SEEN-root\n"
                                   "test -e /run/user && echo SEEN-run-user\n"
                                   "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status\n"
                                   "echo uid=$(id -u)\n";
        QVERIFY(write(buildpack + QStringLiteral("/bin/compile"), compile));
        const QString app = QStringLiteral("builder");
        m_fixture->engine().createApp(app);
        QVERIFY(
            m_fixture->engine().changeConfig(app, {{QStringLiteral("BUILDPACK_URL"), buildpack}}));
        Result<Deployment *> deployment =
            m_fixture->engine().deploySource(app, *SourceSpec::parse(m_fixture->fixtureSource()));
        QVERIFY(deployment);
        QVERIFY(EngineFixture::waitFinished(*deployment));
        const QString log = EngineFixture::describe(*deployment);
        QVERIFY2(log.contains(QStringLiteral("build-ok")) &&
                     log.contains(QStringLiteral("cache-ok")),
                 qPrintable(log));
        for (const char *escaped : {"WROTE-outside", "SEEN-home", "SEEN-root", "SEEN-run-user"})
            QVERIFY2(!log.contains(QLatin1String(escaped)), qPrintable(log));
        for (const char *field : {"CapEff:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2"})
            QVERIFY2(log.contains(QLatin1String(field)), qPrintable(log));
        QVERIFY2(!log.contains(QStringLiteral("uid=0\n")), qPrintable(log));
        QVERIFY(!QFile::exists(outside + QStringLiteral("/escaped")));
    }

    void holdsForAnOrdinaryUserToo()
    {
        if (::geteuid() != 0)
            QSKIP("already running as an ordinary user");
        QByteArray output;
        const int code = rerunAsOrdinaryUser({QStringLiteral("containerSeesOnlyTheStackAndItsApp"),
                                              QStringLiteral("containerHasNoPrivilege"),
                                              QStringLiteral("containerHasItsOwnNetwork"),
                                              QStringLiteral("buildWritesOnlyItsOwnFolders")},
                                             &output);
        if (code == Unreachable)
            QSKIP("an ordinary user cannot reach this build or source folder (a parent folder "
                  "is private); build under a folder others may enter to run this part");
        QVERIFY2(code == 0, output.constData());
    }
};

QTEST_GUILESS_MAIN(TestIsolation)
#include "tst_isolation.moc"
