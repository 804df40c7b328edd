// slipctl as a client of slipwayd, tested as a black box: the real binary run with QProcess
// in a temporary HOME, checked only on what a user or a script sees (exit status, stdout,
// stderr, and the app answering through the router).
//
// Argument checks run with SLIPWAY_NO_AUTOSTART=1 and --socket on a dead path, so nothing
// here ever reaches the user's own daemon. The full-life tests start a daemon of their own
// (slipctl starts it on demand) and are skipped when slipwayd is not built.

#include "TestSupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QUrl>
#include <QtTest>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace TestSupport;

namespace {

struct CliResult
{
    int exitCode = -1; // -1: crashed or timed out
    QByteArray out;
    QByteArray err;

    QString describe() const
    {
        return QStringLiteral("exit %1\n--- stdout\n%2\n--- stderr\n%3")
            .arg(exitCode)
            .arg(QString::fromUtf8(out.right(6000)), QString::fromUtf8(err.right(6000)));
    }
};

// The slipwayd slipctl is to start (empty when there is none).
QString slipwaydProgram()
{
    const QFileInfo binary(TestSupport::slipwaydBinary());
    return binary.isExecutable() ? binary.canonicalFilePath() : QString();
}

QJsonObject jsonObject(const QByteArray &text)
{
    return QJsonDocument::fromJson(text).object();
}

} // namespace

class TestSlipctlClient : public QObject
{
    Q_OBJECT

private:
    QString m_slipctl;
    QString m_slipwayd;
    std::unique_ptr<QTemporaryDir> m_temp;
    QProcessEnvironment m_environment;
    QString m_deadSocket;
    QString m_daemonSocket; // set once a life test has started a daemon
    QStringList m_apps;     // the life tests' apps, whose processes must all be gone

    QString tempPath(const QString &relative) const { return m_temp->filePath(relative); }

    CliResult slipctl(const QStringList &arguments, int timeoutMs = 60000,
                      const QProcessEnvironment &environment = {},
                      const QByteArray &input = {}) const
    {
        QProcess process;
        process.setProgram(m_slipctl);
        process.setArguments(arguments);
        process.setProcessEnvironment(environment.isEmpty() ? m_environment : environment);
        process.setWorkingDirectory(tempPath(QStringLiteral("cwd")));
        process.start();
        if (!input.isEmpty())
            process.write(input);
        process.closeWriteChannel();
        CliResult result;
        if (!process.waitForFinished(timeoutMs)) {
            process.kill();
            process.waitForFinished(5000);
        } else if (process.exitStatus() == QProcess::NormalExit) {
            result.exitCode = process.exitCode();
        }
        result.out = process.readAllStandardOutput();
        result.err = process.readAllStandardError();
        return result;
    }

    // Never a daemon: a dead socket and no start on demand.
    CliResult offline(const QStringList &arguments) const
    {
        return slipctl(QStringList{QStringLiteral("--socket"), m_deadSocket} + arguments, 15000);
    }

    // With the test's own daemon, started on demand by the first call.
    CliResult daemon(const QStringList &arguments, int timeoutMs = 60000,
                     const QByteArray &input = {}) const
    {
        QProcessEnvironment environment = m_environment;
        environment.remove(QStringLiteral("SLIPWAY_NO_AUTOSTART"));
        return slipctl(QStringList{QStringLiteral("--socket"), m_daemonSocket,
                                   QStringLiteral("--data-dir"),
                                   tempPath(QStringLiteral("daemon-data"))} +
                           arguments,
                       timeoutMs, environment, input);
    }

    void stopDaemon()
    {
        if (m_daemonSocket.isEmpty())
            return;
        // The daemon is found by its --socket argument, unique to this test.
        const QByteArray marker = m_daemonSocket.toUtf8();
        for (qint64 pid : processesWithMarker(marker))
            ::kill(pid_t(pid), SIGTERM);
        QElapsedTimer clock;
        clock.start();
        while (!processesWithMarker(marker).isEmpty() && clock.elapsed() < 30000)
            QThread::msleep(100);
        for (qint64 pid : processesWithMarker(marker))
            ::kill(pid_t(pid), SIGKILL);
        m_daemonSocket.clear();
    }

    // What the daemon did not stop: the fixture's processes carry "slipway-fixture-<app>".
    void killFixtureProcesses()
    {
        for (const QString &app : std::as_const(m_apps)) {
            for (qint64 pid : processesWithMarker(QByteArray("slipway-fixture-") + app.toUtf8()))
                ::kill(pid_t(pid), SIGKILL);
        }
        m_apps.clear();
    }

    QString fixtureCopy(const QString &name) const
    {
        const QString target = tempPath(QStringLiteral("sources/") + name);
        if (!copyTree(dataPath(QStringLiteral("fixtures/behave")), target))
            return {};
        return target;
    }

    // GET through the router the way a browser reaching the app's URL does, with curl.
    QByteArray throughRouter(const QString &url, const QString &path) const
    {
        const QUrl parsed(url);
        QByteArray output;
        run(QStringLiteral("curl"),
            {QStringLiteral("-sS"), QStringLiteral("--max-time"), QStringLiteral("10"),
             QStringLiteral("-H"),
             QStringLiteral("Host: %1:%2").arg(parsed.host()).arg(parsed.port()),
             QStringLiteral("http://127.0.0.1:%1%2").arg(parsed.port()).arg(path)},
            {}, &output, 15000);
        return output;
    }

    // Polls `ps --json` until `count` containers of `type` are ready (bounded).
    bool waitForReady(const QString &app, const QString &type, int count,
                      int timeoutMs = 60000) const
    {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < timeoutMs) {
            const CliResult ps = daemon(
                {QStringLiteral("--app"), app, QStringLiteral("--json"), QStringLiteral("ps")});
            int ready = 0;
            for (const QJsonValue &value :
                 jsonObject(ps.out).value(QStringLiteral("containers")).toArray()) {
                const QJsonObject container = value.toObject();
                if (container.value(QStringLiteral("type")).toString() == type &&
                    container.value(QStringLiteral("state")).toString() == QLatin1String("ready"))
                    ++ready;
            }
            if (ready == count)
                return true;
            QThread::msleep(250);
        }
        return false;
    }

    // Why the full-life tests cannot run here; empty when they can.
    QString whyNoDaemon() const
    {
        if (m_slipwayd.isEmpty())
            return QStringLiteral(
                "slipwayd is not built next to slipctl; the full-life tests need it");
        if (QStandardPaths::findExecutable(QStringLiteral("curl")).isEmpty())
            return QStringLiteral("curl is not installed");
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_slipctl = TestSupport::slipctlBinary();
        QVERIFY2(!m_slipctl.isEmpty(), "set SLIPCTL to the slipctl binary (ctest does)");
        QVERIFY2(QFileInfo(m_slipctl).isExecutable(), qPrintable(m_slipctl));
        m_slipwayd = slipwaydProgram();
    }

    void init()
    {
        m_temp = std::make_unique<QTemporaryDir>();
        QVERIFY(m_temp->isValid());
        for (const QString &folder :
             {QStringLiteral("home"), QStringLiteral("xdg-cache"), QStringLiteral("xdg-data"),
              QStringLiteral("xdg-config"), QStringLiteral("xdg-state"), QStringLiteral("run"),
              QStringLiteral("tmp"), QStringLiteral("cwd")})
            QVERIFY(QDir().mkpath(tempPath(folder)));
        QFile::setPermissions(tempPath(QStringLiteral("run")),
                              QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        m_environment = QProcessEnvironment::systemEnvironment();
        for (const QString &name :
             {QStringLiteral("SLIPWAY_APP"), QStringLiteral("SLIPWAY_SOCKET"),
              QStringLiteral("SLIPWAY_DATA_DIR"), QStringLiteral("DBUS_SESSION_BUS_ADDRESS")})
            m_environment.remove(name);
        m_environment.insert(QStringLiteral("HOME"), tempPath(QStringLiteral("home")));
        m_environment.insert(QStringLiteral("XDG_CACHE_HOME"),
                             tempPath(QStringLiteral("xdg-cache")));
        m_environment.insert(QStringLiteral("XDG_DATA_HOME"), tempPath(QStringLiteral("xdg-data")));
        m_environment.insert(QStringLiteral("XDG_CONFIG_HOME"),
                             tempPath(QStringLiteral("xdg-config")));
        m_environment.insert(QStringLiteral("XDG_STATE_HOME"),
                             tempPath(QStringLiteral("xdg-state")));
        m_environment.insert(QStringLiteral("XDG_RUNTIME_DIR"), tempPath(QStringLiteral("run")));
        m_environment.insert(QStringLiteral("TMPDIR"), tempPath(QStringLiteral("tmp")));
        m_environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
        m_environment.insert(QStringLiteral("SLIPWAY_NO_AUTOSTART"), QStringLiteral("1"));
        m_deadSocket = tempPath(QStringLiteral("nobody/slipwayd.sock"));
    }

    void cleanup()
    {
        stopDaemon();
        killFixtureProcesses();
        m_temp.reset();
    }

    // ---- without a daemon

    void listsEveryCommand()
    {
        for (const QStringList &arguments :
             {QStringList{QStringLiteral("help")}, QStringList{QStringLiteral("--help")}}) {
            const CliResult result = offline(arguments);
            QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
            QVERIFY(result.err.isEmpty());
            for (const char *command : {"create APP",
                                        "apps",
                                        "destroy APP",
                                        "deploy SOURCE",
                                        "deployments",
                                        "deployment-follow",
                                        "deployment-cancel",
                                        "deployment-delete-cache",
                                        "ps",
                                        "scale",
                                        "restart",
                                        "run -- COMMAND",
                                        "logs",
                                        "env",
                                        "env-set",
                                        "env-unset",
                                        "releases",
                                        "rollback VERSION",
                                        "buildpacks",
                                        "buildpacks-set",
                                        "buildpacks-detect SOURCE",
                                        "settings",
                                        "settings-set",
                                        "url",
                                        "git-remote",
                                        "status",
                                        "shutdown",
                                        "git-credentials",
                                        "git-credentials-set HOST USERNAME",
                                        "git-credentials-unset HOST",
                                        "build SOURCE --slug OUT.tgz",
                                        "--socket PATH",
                                        "--app NAME",
                                        "--json",
                                        "--data-dir DIR"})
                QVERIFY2(result.out.contains(command), command);
        }
    }

    void explainsEachCommand_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("create") << QStringLiteral("create") << QStringLiteral("APP");
        QTest::newRow("apps") << QStringLiteral("apps") << QStringLiteral("apps");
        QTest::newRow("destroy") << QStringLiteral("destroy") << QStringLiteral("--force");
        QTest::newRow("delete (alias)") << QStringLiteral("delete") << QStringLiteral("destroy");
        QTest::newRow("deploy") << QStringLiteral("deploy") << QStringLiteral("--no-follow");
        QTest::newRow("deployments")
            << QStringLiteral("deployments") << QStringLiteral("deployments");
        QTest::newRow("deployment-follow")
            << QStringLiteral("deployment-follow") << QStringLiteral("[ID]");
        QTest::newRow("deployment-cancel")
            << QStringLiteral("deployment-cancel") << QStringLiteral("[ID]");
        QTest::newRow("deployment-delete-cache")
            << QStringLiteral("deployment-delete-cache") << QStringLiteral("cache");
        QTest::newRow("ps") << QStringLiteral("ps") << QStringLiteral("containers");
        QTest::newRow("scale") << QStringLiteral("scale") << QStringLiteral("TYPE=AMOUNT");
        QTest::newRow("restart") << QStringLiteral("restart") << QStringLiteral("--no-wait");
        QTest::newRow("run") << QStringLiteral("run") << QStringLiteral("exit status");
        QTest::newRow("logs") << QStringLiteral("logs") << QStringLiteral("--follow");
        QTest::newRow("env") << QStringLiteral("env") << QStringLiteral("--reveal");
        QTest::newRow("env-set") << QStringLiteral("env-set") << QStringLiteral("--secret");
        QTest::newRow("env-unset") << QStringLiteral("env-unset") << QStringLiteral("NAME");
        QTest::newRow("releases") << QStringLiteral("releases") << QStringLiteral("releases");
        QTest::newRow("rollback") << QStringLiteral("rollback") << QStringLiteral("VERSION");
        QTest::newRow("buildpacks") << QStringLiteral("buildpacks") << QStringLiteral("buildpacks");
        QTest::newRow("buildpacks-set")
            << QStringLiteral("buildpacks-set") << QStringLiteral("--index");
        QTest::newRow("buildpacks-detect")
            << QStringLiteral("buildpacks-detect") << QStringLiteral("SOURCE");
        QTest::newRow("settings") << QStringLiteral("settings") << QStringLiteral("settings");
        QTest::newRow("settings-set")
            << QStringLiteral("settings-set") << QStringLiteral("probe_interval_ms");
        QTest::newRow("url") << QStringLiteral("url") << QStringLiteral("router");
        QTest::newRow("git-remote") << QStringLiteral("git-remote") << QStringLiteral("git");
        QTest::newRow("status") << QStringLiteral("status") << QStringLiteral("daemon");
    }

    void explainsEachCommand()
    {
        QFETCH(QString, command);
        QFETCH(QString, mentions);
        for (const QStringList &arguments : {QStringList{command, QStringLiteral("--help")},
                                             QStringList{QStringLiteral("help"), command}}) {
            const CliResult result = offline(arguments);
            QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
            QVERIFY2(result.out.startsWith("Usage: slipctl "), result.out.constData());
            QVERIFY2(QString::fromUtf8(result.out).contains(mentions), result.out.constData());
            QVERIFY(result.err.isEmpty());
        }
    }

    void rejectsUsageErrors_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        const QString app = QStringLiteral("--app=shop");
        QTest::newRow("no command") << QStringList{} << QStringLiteral("give a command");
        QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")}
                                         << QStringLiteral("unknown command 'frobnicate'");
        QTest::newRow("unknown global option")
            << QStringList{QStringLiteral("--frobnicate"), QStringLiteral("apps")}
            << QStringLiteral("unknown option '--frobnicate'");
        QTest::newRow("global option without value")
            << QStringList{QStringLiteral("--app")} << QStringLiteral("--app needs a value");
        QTest::newRow("unknown command option")
            << QStringList{app, QStringLiteral("ps"), QStringLiteral("--frobnicate")}
            << QStringLiteral("frobnicate");
        QTest::newRow("no app") << QStringList{QStringLiteral("ps")}
                                << QStringLiteral("no app given");
        QTest::newRow("extra argument")
            << QStringList{app, QStringLiteral("ps"), QStringLiteral("web")}
            << QStringLiteral("takes no arguments");
        QTest::newRow("create without a name")
            << QStringList{QStringLiteral("create")} << QStringLiteral("name");
        QTest::newRow("destroy without a name")
            << QStringList{QStringLiteral("destroy")} << QStringLiteral("name the app");
        QTest::newRow("deploy without a source") << QStringList{app, QStringLiteral("deploy")}
                                                 << QStringLiteral("'deploy' needs SOURCE");
        QTest::newRow("deploy two sources")
            << QStringList{app, QStringLiteral("deploy"), QStringLiteral("a"), QStringLiteral("b")}
            << QStringLiteral("'deploy' takes SOURCE");
        QTest::newRow("deploy a missing folder")
            << QStringList{app, QStringLiteral("deploy"), QStringLiteral("@TEMP@/no-such-app")}
            << QStringLiteral("does not exist");
        QTest::newRow("deploy an archive at a ref")
            << QStringList{app, QStringLiteral("deploy"), QStringLiteral("@TEMP@/app.tar.gz"),
                           QStringLiteral("--ref"), QStringLiteral("v1")}
            << QStringLiteral("drop --ref");
        QTest::newRow("run without a command")
            << QStringList{app, QStringLiteral("run")} << QStringLiteral("'run' needs");
        QTest::newRow("logs -n not a number")
            << QStringList{app, QStringLiteral("logs"), QStringLiteral("-n"),
                           QStringLiteral("many")}
            << QStringLiteral("-n takes a number of lines");
        QTest::newRow("rollback not a version")
            << QStringList{app, QStringLiteral("rollback"), QStringLiteral("latest")}
            << QStringLiteral("not a release version");
        QTest::newRow("rollback v0")
            << QStringList{app, QStringLiteral("rollback"), QStringLiteral("v0")}
            << QStringLiteral("not a release version");
        QTest::newRow("buildpacks-set nothing")
            << QStringList{app, QStringLiteral("buildpacks-set")}
            << QStringLiteral("give the buildpacks");
        QTest::newRow("buildpacks-set --index 0")
            << QStringList{app, QStringLiteral("buildpacks-set"), QStringLiteral("--index"),
                           QStringLiteral("0"), QStringLiteral("nodejs")}
            << QStringLiteral("--index takes a position from 1");
        QTest::newRow("buildpacks-set --clear with refs")
            << QStringList{app, QStringLiteral("buildpacks-set"), QStringLiteral("--clear"),
                           QStringLiteral("nodejs")}
            << QStringLiteral("--clear takes no buildpacks");
        QTest::newRow("settings-set unknown key")
            << QStringList{app, QStringLiteral("settings-set"), QStringLiteral("colour=blue")}
            << QStringLiteral("unknown setting 'colour'; keys: boot_timeout");
        QTest::newRow("settings-set not a number")
            << QStringList{app, QStringLiteral("settings-set"), QStringLiteral("boot_timeout=soon")}
            << QStringLiteral("boot_timeout takes a whole number");
        QTest::newRow("settings-set not an assignment")
            << QStringList{app, QStringLiteral("settings-set"), QStringLiteral("grace_period")}
            << QStringLiteral("not KEY=VALUE");
        QTest::newRow("git-credentials-set a URL")
            << QStringList{QStringLiteral("git-credentials-set"),
                           QStringLiteral("https://github.com"), QStringLiteral("me")}
            << QStringLiteral("is not a host");
        QTest::newRow("git-credentials-set without a username")
            << QStringList{QStringLiteral("git-credentials-set"), QStringLiteral("github.com")}
            << QStringLiteral("'git-credentials-set' needs");
        QTest::newRow("git-credentials-set with a password argument")
            << QStringList{QStringLiteral("git-credentials-set"), QStringLiteral("github.com"),
                           QStringLiteral("me"), QStringLiteral("hunter2")}
            << QStringLiteral("'git-credentials-set' takes");
        QTest::newRow("git-credentials-unset bad host")
            << QStringList{QStringLiteral("git-credentials-unset"), QStringLiteral("a/b")}
            << QStringLiteral("is not a host");
        QTest::newRow("env-unset bad name")
            << QStringList{app, QStringLiteral("env-unset"), QStringLiteral("9LIVES")}
            << QStringLiteral("start with a letter");
    }

    void rejectsUsageErrors()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        QFile archive(tempPath(QStringLiteral("app.tar.gz")));
        QVERIFY(archive.open(QIODevice::WriteOnly));
        archive.close();
        arguments.replaceInStrings(QStringLiteral("@TEMP@"), m_temp->path());

        const CliResult result = offline(arguments);
        QVERIFY2(result.exitCode == 2, qPrintable(result.describe()));
        QVERIFY2(result.err.startsWith("slipctl: "), qPrintable(result.describe()));
        QVERIFY2(QString::fromUtf8(result.err).contains(message), qPrintable(result.describe()));
        QVERIFY2(result.out.isEmpty(), qPrintable(result.describe()));
    }

    void reportsNoDaemon_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("apps") << QStringList{QStringLiteral("apps")};
        QTest::newRow("status") << QStringList{QStringLiteral("status")};
        QTest::newRow("create") << QStringList{QStringLiteral("create"), QStringLiteral("shop")};
        QTest::newRow("ps") << QStringList{QStringLiteral("--app"), QStringLiteral("shop"),
                                           QStringLiteral("ps")};
        QTest::newRow("scale") << QStringList{QStringLiteral("-a"), QStringLiteral("shop"),
                                              QStringLiteral("scale"), QStringLiteral("web=2")};
        QTest::newRow("env-set") << QStringList{QStringLiteral("--app"), QStringLiteral("shop"),
                                                QStringLiteral("env-set"), QStringLiteral("A=1")};
        QTest::newRow("deploy") << QStringList{QStringLiteral("--app"), QStringLiteral("shop"),
                                               QStringLiteral("deploy"),
                                               QStringLiteral("@FIXTURE@")};
        QTest::newRow("run") << QStringList{QStringLiteral("--app"), QStringLiteral("shop"),
                                            QStringLiteral("run"), QStringLiteral("--"),
                                            QStringLiteral("true")};
        QTest::newRow("logs -f") << QStringList{QStringLiteral("--app"), QStringLiteral("shop"),
                                                QStringLiteral("logs"), QStringLiteral("-f")};
    }

    void reportsNoDaemon()
    {
        QFETCH(QStringList, arguments);
        arguments.replaceInStrings(QStringLiteral("@FIXTURE@"),
                                   dataPath(QStringLiteral("fixtures/behave")));
        // A socket file nobody listens on, as a crashed daemon leaves it, and no file at all.
        QVERIFY(QDir().mkpath(QFileInfo(m_deadSocket).path()));
        const QString stale = tempPath(QStringLiteral("nobody/stale.sock"));
        QFile staleFile(stale);
        QVERIFY(staleFile.open(QIODevice::WriteOnly));
        staleFile.close();

        for (const QString &socket : {m_deadSocket, stale}) {
            QElapsedTimer clock;
            clock.start();
            const CliResult result =
                slipctl(QStringList{QStringLiteral("--socket"), socket} + arguments, 15000);
            QVERIFY2(result.exitCode == 1, qPrintable(result.describe()));
            QVERIFY2(result.out.isEmpty(), qPrintable(result.describe()));
            const QString error = QString::fromUtf8(result.err);
            QVERIFY2(error.startsWith(QStringLiteral("slipctl: no daemon answers on ") + socket),
                     qPrintable(error));
            QVERIFY2(error.contains(QLatin1String("slipwayd --socket")), qPrintable(error));
            QCOMPARE(error.count(u'\n'), 1); // one line
            QVERIFY2(clock.elapsed() < 5000, "no daemon must be reported at once");
        }
        QVERIFY(!QFileInfo::exists(m_deadSocket)); // nothing was started on it
    }

    void findsTheSocket()
    {
        // --socket, then $SLIPWAY_SOCKET, then $XDG_RUNTIME_DIR/slipway/slipwayd.sock.
        QProcessEnvironment environment = m_environment;
        const QString fromEnvironment = tempPath(QStringLiteral("env/slipwayd.sock"));
        environment.insert(QStringLiteral("SLIPWAY_SOCKET"), fromEnvironment);
        CliResult result = slipctl({QStringLiteral("apps")}, 15000, environment);
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.err.contains(fromEnvironment.toUtf8()), result.err.constData());

        result = slipctl({QStringLiteral("--socket"), m_deadSocket, QStringLiteral("apps")}, 15000,
                         environment);
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.err.contains(m_deadSocket.toUtf8()), result.err.constData());

        environment.remove(QStringLiteral("SLIPWAY_SOCKET"));
        result = slipctl({QStringLiteral("apps")}, 15000, environment);
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(
            result.err.contains(tempPath(QStringLiteral("run/slipway/slipwayd.sock")).toUtf8()),
            result.err.constData());
    }

    void takesTheAppFromEverywhere()
    {
        // $SLIPWAY_APP, --app before the command and -a after it all name the app: the
        // command goes on to reach the daemon (and finds none) instead of a usage error.
        QProcessEnvironment environment = m_environment;
        environment.insert(QStringLiteral("SLIPWAY_APP"), QStringLiteral("shop"));
        CliResult result = slipctl({QStringLiteral("--socket"), m_deadSocket, QStringLiteral("ps")},
                                   15000, environment);
        QVERIFY2(result.exitCode == 1, qPrintable(result.describe()));
        result = offline({QStringLiteral("ps"), QStringLiteral("-a"), QStringLiteral("shop")});
        QVERIFY2(result.exitCode == 1, qPrintable(result.describe()));
        result = offline({QStringLiteral("-a"), QStringLiteral("shop"), QStringLiteral("ps")});
        QVERIFY2(result.exitCode == 1, qPrintable(result.describe()));

        // destroy never takes the app from the environment alone.
        result = slipctl({QStringLiteral("--socket"), m_deadSocket, QStringLiteral("destroy")},
                         15000, environment);
        QVERIFY2(result.exitCode == 2, qPrintable(result.describe()));
    }

    void validatesScale_data()
    {
        QTest::addColumn<QStringList>("amounts");
        QTest::addColumn<QString>("message");
        QTest::newRow("no amount") << QStringList{} << QStringLiteral("'scale' needs TYPE=AMOUNT");
        QTest::newRow("no equals sign")
            << QStringList{QStringLiteral("web")}
            << QStringLiteral("'web' is not TYPE=AMOUNT; write for example web=2");
        QTest::newRow("amount missing")
            << QStringList{QStringLiteral("web=")}
            << QStringLiteral("the amount must be a whole number, 0 or more");
        QTest::newRow("negative amount")
            << QStringList{QStringLiteral("web=-1")}
            << QStringLiteral("the amount must be a whole number, 0 or more");
        QTest::newRow("amount in words")
            << QStringList{QStringLiteral("web=two")}
            << QStringLiteral("the amount must be a whole number, 0 or more");
        QTest::newRow("fraction") << QStringList{QStringLiteral("web=1.5")}
                                  << QStringLiteral("the amount must be a whole number, 0 or more");
        QTest::newRow("type missing")
            << QStringList{QStringLiteral("=2")} << QStringLiteral("process type name is empty");
        QTest::newRow("type with a space") << QStringList{QStringLiteral("my web=2")}
                                           << QStringLiteral("may only contain letters");
        QTest::newRow("second one wrong")
            << QStringList{QStringLiteral("web=2"), QStringLiteral("worker")}
            << QStringLiteral("'worker' is not TYPE=AMOUNT");
        QTest::newRow("type twice") << QStringList{QStringLiteral("web=1"), QStringLiteral("web=2")}
                                    << QStringLiteral("'web' is given more than once");
    }

    void validatesScale()
    {
        QFETCH(QStringList, amounts);
        QFETCH(QString, message);
        const CliResult result = offline(
            QStringList{QStringLiteral("--app"), QStringLiteral("shop"), QStringLiteral("scale")} +
            amounts);
        QVERIFY2(result.exitCode == 2, qPrintable(result.describe()));
        QVERIFY2(result.err.startsWith("slipctl: "), qPrintable(result.describe()));
        QVERIFY2(QString::fromUtf8(result.err).contains(message), qPrintable(result.describe()));
        QVERIFY2(result.err.contains("Usage: slipctl [--app NAME] scale TYPE=AMOUNT..."),
                 qPrintable(result.describe()));
        QVERIFY(result.out.isEmpty());
    }

    void validatesEnvSet_data()
    {
        QTest::addColumn<QStringList>("assignments");
        QTest::addColumn<QString>("message");
        const QString rule =
            QStringLiteral("names use only letters, digits and '_', start with a letter and are at "
                           "most 64 characters");
        QTest::newRow("nothing") << QStringList{} << QStringLiteral("'env-set' needs NAME=value");
        QTest::newRow("no equals sign") << QStringList{QStringLiteral("NODE_ENV")}
                                        << QStringLiteral("is not an assignment; write NAME=value");
        QTest::newRow("no name") << QStringList{QStringLiteral("=production")}
                                 << QStringLiteral("has no name before '='; write NAME=value");
        QTest::newRow("leading digit") << QStringList{QStringLiteral("1PASSWORD=x")} << rule;
        QTest::newRow("leading underscore") << QStringList{QStringLiteral("_HIDDEN=x")} << rule;
        QTest::newRow("dash") << QStringList{QStringLiteral("NODE-ENV=production")} << rule;
        QTest::newRow("space") << QStringList{QStringLiteral("NODE ENV=production")} << rule;
        QTest::newRow("65 characters")
            << QStringList{QString(65, u'A') + QStringLiteral("=x")} << rule;
        QTest::newRow("value too long")
            << QStringList{QStringLiteral("BIG=") + QString(32769, u'x')}
            << QStringLiteral("values are at most 32,768 characters");
        QTest::newRow("second one wrong")
            << QStringList{QStringLiteral("GOOD=1"), QStringLiteral("BAD-ONE=2")} << rule;
        QTest::newRow("set twice") << QStringList{QStringLiteral("A=1"), QStringLiteral("A=2")}
                                   << QStringLiteral("A is set more than once");
    }

    void validatesEnvSet()
    {
        QFETCH(QStringList, assignments);
        QFETCH(QString, message);
        const CliResult result =
            offline(QStringList{QStringLiteral("--app"), QStringLiteral("shop"),
                                QStringLiteral("env-set")} +
                    assignments);
        QVERIFY2(result.exitCode == 2, qPrintable(result.describe()));
        QVERIFY2(result.err.startsWith("slipctl: "), qPrintable(result.describe()));
        QVERIFY2(QString::fromUtf8(result.err).contains(message), qPrintable(result.describe()));
        QVERIFY(result.out.isEmpty());
    }

    void acceptsValidEnvSet()
    {
        // Empty values, '=' inside values and the longest allowed name pass the local
        // checks: the command gets as far as looking for the daemon.
        const CliResult result =
            offline({QStringLiteral("--app"), QStringLiteral("shop"), QStringLiteral("env-set"),
                     QStringLiteral("EMPTY="), QStringLiteral("URL=postgres://u:p@h/db?a=b"),
                     QString(64, u'N') + QStringLiteral("=x"), QStringLiteral("--secret")});
        QVERIFY2(result.exitCode == 1, qPrintable(result.describe()));
        QVERIFY2(result.err.contains("no daemon answers"), qPrintable(result.describe()));
    }

    // ---- with a daemon of the test's own

    void fullLife()
    {
        if (const QString why = whyNoDaemon(); !why.isEmpty())
            QSKIP(qPrintable(why));
        m_daemonSocket = tempPath(QStringLiteral("run/slipwayd.sock"));
        const QString app = QStringLiteral("life-%1").arg(QCoreApplication::applicationPid());
        const QString source = fixtureCopy(QStringLiteral("behave"));
        QVERIFY(!source.isEmpty());
        m_apps.append(app);
        const QStringList onApp{QStringLiteral("--app"), app};

        // The first command starts the daemon on demand.
        CliResult result = daemon({QStringLiteral("create"), app});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        QVERIFY2(result.err.contains("Starting slipwayd"), qPrintable(result.describe()));
        QVERIFY2(result.out.contains(app.toUtf8()), qPrintable(result.describe()));
        QVERIFY(QFileInfo::exists(tempPath(QStringLiteral("daemon-data/slipwayd.log"))));

        result = daemon({QStringLiteral("create"), app});
        QVERIFY2(result.exitCode == 1, qPrintable(result.describe())); // 409: it exists
        QVERIFY2(!result.err.contains("Starting slipwayd"), qPrintable(result.describe()));

        result = daemon({QStringLiteral("apps")});
        QVERIFY2(result.exitCode == 0 && result.out.startsWith("NAME") &&
                     result.out.contains(app.toUtf8()),
                 qPrintable(result.describe()));

        result = daemon(onApp +
                        QStringList{QStringLiteral("env-set"), QStringLiteral("GREETING=hello")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));

        // A folder is sent as its absolute path; the log is followed to the end.
        result = daemon(onApp + QStringList{QStringLiteral("deploy"), source}, 240000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        QVERIFY2(result.out.contains("-----> Deployment v1 success in "),
                 qPrintable(result.describe()));

        // Detection says which rule chooses and what a build would run.
        result = daemon(onApp + QStringList{QStringLiteral("buildpacks-detect"), source}, 120000);
        QVERIFY2(result.exitCode == 0 && result.out.contains("Selection: auto-detection") &&
                     result.out.contains("Would run: procfile"),
                 qPrintable(result.describe()));

        result = daemon(onApp + QStringList{QStringLiteral("url")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        const QString url = QString::fromUtf8(result.out).trimmed();
        QVERIFY2(url.startsWith(QStringLiteral("http://%1.localhost:").arg(app)) &&
                     url.endsWith(u'/'),
                 qPrintable(url));
        QByteArray page = throughRouter(url, QStringLiteral("/"));
        QVERIFY2(page.contains("version=v1") &&
                     page.contains(QByteArray(QByteArray("app=") + app.toUtf8())),
                 page.constData());

        result = daemon(onApp + QStringList{QStringLiteral("ps")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        QVERIFY2(result.out.startsWith("NAME") && result.out.contains("RESTARTS") &&
                     result.out.contains("RUNTIME") && result.out.contains("web-1") &&
                     result.out.contains(" local "),
                 qPrintable(result.describe()));

        result =
            daemon(onApp + QStringList{QStringLiteral("scale"), QStringLiteral("web=2")}, 120000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        QVERIFY(waitForReady(app, QStringLiteral("web"), 2));

        result = daemon(onApp + QStringList{QStringLiteral("restart")}, 180000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        QVERIFY2(result.out.contains(" success"), qPrintable(result.describe()));

        // The command's exit status is slipctl's; its output comes through line by line.
        result = daemon(onApp + QStringList{QStringLiteral("run"), QStringLiteral("--"),
                                            QStringLiteral("sh"), QStringLiteral("-c"),
                                            QStringLiteral("echo said $GREETING; exit 7")},
                        120000);
        QVERIFY2(result.exitCode == 7, qPrintable(result.describe()));
        QVERIFY2(result.out.contains("said hello"), qPrintable(result.describe()));
        result = daemon(onApp + QStringList{QStringLiteral("run"), QStringLiteral("true")}, 120000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));

        // A config change on a running app rolls out a new release and waits for it.
        result = daemon(
            onApp + QStringList{QStringLiteral("env-set"), QStringLiteral("GREETING=bonjour")},
            180000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        QVERIFY2(result.out.contains("deployment "), qPrintable(result.describe()));
        page = throughRouter(url, QStringLiteral("/env"));
        QCOMPARE(jsonObject(page).value(QStringLiteral("GREETING")).toString(),
                 QStringLiteral("bonjour"));

        result = daemon(onApp + QStringList{QStringLiteral("env")});
        QVERIFY2(result.exitCode == 0 && result.out.contains("GREETING=bonjour"),
                 qPrintable(result.describe()));

        result = daemon(onApp + QStringList{QStringLiteral("releases")});
        QVERIFY2(result.exitCode == 0 && result.out.contains("v1") && result.out.contains("v2"),
                 qPrintable(result.describe()));

        result =
            daemon(onApp + QStringList{QStringLiteral("rollback"), QStringLiteral("v1")}, 180000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        page = throughRouter(url, QStringLiteral("/env"));
        QCOMPARE(jsonObject(page).value(QStringLiteral("GREETING")).toString(),
                 QStringLiteral("hello"));

        result = daemon(onApp + QStringList{QStringLiteral("logs"), QStringLiteral("-n"),
                                            QStringLiteral("200")});
        QVERIFY2(result.exitCode == 0 && result.out.contains("web-1"),
                 qPrintable(result.describe()));

        result = daemon(onApp + QStringList{QStringLiteral("deployments")});
        QVERIFY2(result.exitCode == 0 && result.out.startsWith("ID") &&
                     result.out.contains("success"),
                 qPrintable(result.describe()));

        // The drain limit of old containers is a setting like the others, and bounded.
        result = daemon(onApp + QStringList{QStringLiteral("settings-set"),
                                            QStringLiteral("drain_limit=7200")});
        QVERIFY2(result.exitCode != 0 &&
                     result.err.contains("drain_limit must be a number from 0 to 3600"),
                 qPrintable(result.describe()));
        result = daemon(
            onApp + QStringList{QStringLiteral("settings-set"), QStringLiteral("drain_limit=5")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        result = daemon(onApp + QStringList{QStringLiteral("--json"), QStringLiteral("settings")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        const QJsonObject settings =
            jsonObject(result.out).value(QStringLiteral("settings")).toObject();
        QCOMPARE(settings.value(QStringLiteral("router_name")).toString(), app);
        QCOMPARE(settings.value(QStringLiteral("drain_limit")).toDouble(), 5.0);
        QCOMPARE(jsonObject(result.out)
                     .value(QStringLiteral("settings"))
                     .toObject()
                     .value(QStringLiteral("router_name"))
                     .toString(),
                 app);
        // Outbound network on by default, as on Heroku; off on request; nothing else.
        QCOMPARE(jsonObject(result.out)
                     .value(QStringLiteral("settings"))
                     .toObject()
                     .value(QStringLiteral("network"))
                     .toString(),
                 QStringLiteral("outbound"));
        result = daemon(onApp + QStringList{QStringLiteral("settings-set"),
                                            QStringLiteral("network=sideways")});
        QVERIFY2(result.exitCode != 0 && result.err.contains("\"outbound\"") &&
                     result.err.contains("\"none\""),
                 qPrintable(result.describe()));
        result =
            daemon(onApp + QStringList{QStringLiteral("--json"), QStringLiteral("settings-set"),
                                       QStringLiteral("network=none")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        QCOMPARE(jsonObject(result.out)
                     .value(QStringLiteral("settings"))
                     .toObject()
                     .value(QStringLiteral("network"))
                     .toString(),
                 QStringLiteral("none"));

        result = daemon({QStringLiteral("destroy"), app, QStringLiteral("--force")}, 120000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        result = daemon({QStringLiteral("--json"), QStringLiteral("apps")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        QVERIFY2(!result.out.contains(QStringLiteral("\"%1\"").arg(app).toUtf8()),
                 qPrintable(result.describe()));
        result = daemon(onApp + QStringList{QStringLiteral("ps")});
        QVERIFY2(result.exitCode == 1 && result.err.startsWith("slipctl: "),
                 qPrintable(result.describe()));
    }

    void gitCredentials()
    {
        if (const QString why = whyNoDaemon(); !why.isEmpty())
            QSKIP(qPrintable(why));
        m_daemonSocket = tempPath(QStringLiteral("run/slipwayd.sock"));
        const QByteArray token = "tok-" + QByteArray::number(QCoreApplication::applicationPid());

        // The password comes from stdin; one trailing line break is not part of it.
        CliResult result =
            daemon({QStringLiteral("git-credentials-set"), QStringLiteral("Git.Example.com:8443"),
                    QStringLiteral("x-access-token")},
                   60000, token + '\n');
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        QVERIFY2(result.out.contains("git.example.com:8443"), qPrintable(result.describe()));
        QVERIFY(!result.out.contains(token) && !result.err.contains(token));

        result = daemon({QStringLiteral("git-credentials")});
        QVERIFY2(result.exitCode == 0 && result.out.startsWith("HOST"),
                 qPrintable(result.describe()));
        QVERIFY2(result.out.contains("git.example.com:8443") &&
                     result.out.contains("x-access-token") && result.out.contains("yes"),
                 qPrintable(result.describe()));
        QVERIFY(!result.out.contains(token));

        result = daemon({QStringLiteral("--json"), QStringLiteral("git-credentials")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        const QJsonObject listed = jsonObject(result.out)
                                       .value(QStringLiteral("git_credentials"))
                                       .toArray()
                                       .first()
                                       .toObject();
        QCOMPARE(listed.value(QStringLiteral("host")).toString(),
                 QStringLiteral("git.example.com:8443"));
        QVERIFY(!listed.value(QStringLiteral("password")).toString().toUtf8().contains(token));

        // Nothing typed, nothing kept.
        result = daemon({QStringLiteral("git-credentials-set"), QStringLiteral("github.com"),
                         QStringLiteral("me")});
        QVERIFY2(result.exitCode == 1 && result.err.contains("no password was given"),
                 qPrintable(result.describe()));

        result = daemon(
            {QStringLiteral("git-credentials-unset"), QStringLiteral("git.example.com:8443")});
        QVERIFY2(result.exitCode == 0 && result.out.contains("removed"),
                 qPrintable(result.describe()));
        result = daemon(
            {QStringLiteral("git-credentials-unset"), QStringLiteral("git.example.com:8443")});
        QVERIFY2(result.exitCode == 1 && result.err.contains("no git login is kept"),
                 qPrintable(result.describe()));
        result = daemon({QStringLiteral("--json"), QStringLiteral("git-credentials")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        QCOMPARE(jsonObject(result.out).value(QStringLiteral("git_credentials")).toArray().size(),
                 0);
    }

    void failedDeployExitsNonZero()
    {
        if (const QString why = whyNoDaemon(); !why.isEmpty())
            QSKIP(qPrintable(why));
        m_daemonSocket = tempPath(QStringLiteral("run/slipwayd.sock"));
        const QString app = QStringLiteral("crash-%1").arg(QCoreApplication::applicationPid());
        const QString source = fixtureCopy(QStringLiteral("crashing"));
        QVERIFY(!source.isEmpty());
        m_apps.append(app);
        const QStringList onApp{QStringLiteral("--app"), app};

        CliResult result = daemon({QStringLiteral("create"), app});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        result = daemon(onApp + QStringList{QStringLiteral("env-set"),
                                            QStringLiteral("BEHAVIOUR=crash-at-boot")});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        result = daemon(onApp + QStringList{QStringLiteral("deploy"), source}, 240000);
        QVERIFY2(result.exitCode == 1, qPrintable(result.describe()));
        QVERIFY2(result.out.contains("-----> Deployment ") && result.out.contains("crashed-error"),
                 qPrintable(result.describe()));
        QVERIFY2(result.err.startsWith("slipctl: "), qPrintable(result.describe()));

        result = daemon(onApp +
                        QStringList{QStringLiteral("--json"), QStringLiteral("deployment-follow")});
        QVERIFY2(result.exitCode == 1, qPrintable(result.describe()));
        QCOMPARE(jsonObject(result.out)
                     .value(QStringLiteral("deployment"))
                     .toObject()
                     .value(QStringLiteral("status"))
                     .toString(),
                 QStringLiteral("crashed-error"));

        result = daemon({QStringLiteral("destroy"), app, QStringLiteral("--force")}, 120000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
    }

    void shutdownStopsTheDaemonAndItsContainers()
    {
        if (const QString why = whyNoDaemon(); !why.isEmpty())
            QSKIP(qPrintable(why));
        m_daemonSocket = tempPath(QStringLiteral("run/slipwayd.sock"));
        const QString app = QStringLiteral("halt-%1").arg(QCoreApplication::applicationPid());
        const QString source = fixtureCopy(QStringLiteral("halt"));
        QVERIFY(!source.isEmpty());
        m_apps.append(app);
        CliResult result = daemon({QStringLiteral("create"), app});
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        result = daemon({QStringLiteral("--app"), app, QStringLiteral("deploy"), source}, 240000);
        QVERIFY2(result.exitCode == 0, qPrintable(result.describe()));
        const QByteArray fixtureMarker = QByteArray("slipway-fixture-") + app.toUtf8();
        QVERIFY(!processesWithMarker(fixtureMarker).isEmpty());

        result = daemon({QStringLiteral("shutdown")}, 240000);
        QVERIFY2(result.exitCode == 0 && result.out.contains("slipwayd stopped"),
                 qPrintable(result.describe()));
        // Nothing of it is left: not the daemon, not the app's containers.
        QVERIFY(processesWithMarker(m_daemonSocket.toUtf8()).isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(fixtureMarker).isEmpty(), 10000);

        // Stopping what does not run starts nothing.
        result = daemon({QStringLiteral("shutdown")});
        QVERIFY2(result.exitCode == 0 && result.out.contains("nothing to stop") &&
                     !result.err.contains("Starting slipwayd"),
                 qPrintable(result.describe()));
        QVERIFY(processesWithMarker(m_daemonSocket.toUtf8()).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSlipctlClient)
#include "tst_slipctl_client.moc"
