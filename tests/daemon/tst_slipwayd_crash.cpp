// slipwayd killed with SIGKILL at random moments while clients write (config vars, apps,
// deployments): each time, the next daemon opens the store, answers, and leaves no
// deployment building, starting or queued; no process of a killed daemon runs on.
// SLIPWAY_CRASH_ROUNDS and SLIPWAY_CRASH_SEED repeat a run.

#include "DaemonProcess.h"
#include "TestSupport.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QtTest>

using namespace TestSupport;

namespace {

QJsonObject deployBody(const QString &source)
{
    return {{QStringLiteral("deployment"), QJsonObject{{QStringLiteral("source_url"), source}}}};
}

// What is left unfinished among `app`'s deployments, or why they cannot be read.
QString unfinished(DaemonProcess &daemon, const QString &app)
{
    int status = 0;
    const QJsonObject answer =
        daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments").arg(app), {}, &status);
    if (status != 200)
        return QStringLiteral("HTTP %1 %2")
            .arg(status)
            .arg(QString::fromUtf8(QJsonDocument(answer).toJson(QJsonDocument::Compact)));
    QStringList left;
    for (const QJsonValue &value : answer.value(QStringLiteral("deployments")).toArray()) {
        const QJsonObject entry = value.toObject();
        const QString state = entry.value(QStringLiteral("status")).toString();
        if (state == QStringLiteral("building") || state == QStringLiteral("starting") ||
            state == QStringLiteral("queued") || state == QStringLiteral("pending"))
            left.append(entry.value(QStringLiteral("id")).toString() + QLatin1Char(' ') + state);
    }
    return left.join(QStringLiteral(", "));
}

// Processes naming `marker` in their command line that do not descend from `daemon`.
QList<qint64> notStartedBy(qint64 daemon, const QByteArray &marker)
{
    const auto parentOf = [](qint64 pid) {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            return qint64(0);
        const QByteArray line = stat.readAll();
        return line.mid(line.lastIndexOf(')') + 2).split(' ').value(1).toLongLong();
    };
    QList<qint64> strangers;
    for (const qint64 pid : processesWithMarker(marker)) {
        qint64 ancestor = pid;
        while (ancestor > 1 && ancestor != daemon)
            ancestor = parentOf(ancestor);
        if (ancestor != daemon)
            strangers.append(pid);
    }
    return strangers;
}

} // namespace

class TestSlipwaydCrash : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_temp;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(DaemonProcess::binary()).isExecutable(), "set SLIPWAYD (ctest does)");
        QVERIFY(m_temp.isValid());
    }

    // What a daemon killed while starting a sandbox can leave: a bubblewrap process of its
    // data folder that nothing will ever end. The next daemon ends it.
    void strayHalfStartedSandboxIsEnded()
    {
        QTemporaryDir folder;
        const QString data = folder.filePath(QStringLiteral("data"));
        const QString ghost = data + QStringLiteral("/containers/ghost/web-1-0123456789ab/app");
        QVERIFY(QDir().mkpath(ghost));
        QProcess stray;
        stray.start(QStringLiteral("bwrap"),
                    {QStringLiteral("--dev-bind"), QStringLiteral("/"), QStringLiteral("/"),
                     QStringLiteral("--unshare-pid"), QStringLiteral("--bind"), ghost,
                     QStringLiteral("/mnt"), QStringLiteral("--"), QStringLiteral("sleep"),
                     QStringLiteral("600")});
        if (!stray.waitForStarted(5000) || stray.waitForFinished(500))
            QSKIP("bubblewrap cannot run here, so no sandbox can be left behind");
        DaemonProcess daemon(data);
        QVERIFY2(daemon.start(), daemon.output().constData());
        QTRY_COMPARE_WITH_TIMEOUT(stray.state(), QProcess::NotRunning, 10000);
        QCOMPARE(stray.exitStatus(), QProcess::CrashExit);
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(ghost.toUtf8()), QList<qint64>(), 10000);
        QVERIFY2(daemon.output().contains("ended a sandbox left half started"),
                 daemon.output().constData());
        daemon.terminate();
    }

    void storeSurvivesKillsDuringWrites()
    {
        const int rounds = qEnvironmentVariableIntValue("SLIPWAY_CRASH_ROUNDS") > 0
                               ? qEnvironmentVariableIntValue("SLIPWAY_CRASH_ROUNDS")
                               : 12;
        const quint32 seed = qEnvironmentVariableIsSet("SLIPWAY_CRASH_SEED")
                                 ? quint32(qEnvironmentVariableIntValue("SLIPWAY_CRASH_SEED"))
                                 : QRandomGenerator::global()->generate();
        qInfo("%d rounds, SLIPWAY_CRASH_SEED=%u", rounds, seed);
        QRandomGenerator random(seed);
        const QString data = m_temp.filePath(QStringLiteral("data"));
        const QString app = QStringLiteral("crashy");
        const QString source = dataPath(QStringLiteral("fixtures/behave"));

        for (int round = 0; round < rounds; ++round) {
            DaemonProcess daemon(data);
            QVERIFY2(daemon.start(), qPrintable(QStringLiteral("round %1: %2")
                                                    .arg(round)
                                                    .arg(QString::fromLocal8Bit(daemon.output()))));
            // What the previous round left is in order.
            if (round > 0)
                QTRY_COMPARE_WITH_TIMEOUT(unfinished(daemon, app), QString(), 60000);
            if (round == 0) {
                int status = 0;
                daemon.call("POST", QStringLiteral("/v1/apps"),
                            {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}},
                            &status);
                QCOMPARE(status, 201);
            }
            int status = 0;
            const QJsonObject apps = daemon.call("GET", QStringLiteral("/v1/apps"), {}, &status);
            QCOMPARE(status, 200);
            QVERIFY(apps.value(QStringLiteral("apps")).toArray().size() >= 1);
            daemon.call("GET", QStringLiteral("/v1/apps/%1/variables").arg(app), {}, &status);
            QCOMPARE(status, 200);

            // Writers: a deployment, config vars one by one, apps created and destroyed.
            daemon.call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(app),
                        deployBody(source), &status);
            QCOMPARE(status, 201);
            QProcess writers;
            writers.setProgram(QStringLiteral("bash"));
            writers.setArguments(
                {QStringLiteral("-c"),
                 QStringLiteral(
                     "S=%1; for i in $(seq 1 400); do "
                     "curl -s -o /dev/null --max-time 5 --unix-socket $S -X POST "
                     "http://slipway/v1/apps/%2/variables "
                     "-d '{\"variables\":[{\"name\":\"ROUND_%3_'$i'\",\"value\":\"v'$i'\"}]}'; "
                     "curl -s -o /dev/null --max-time 5 --unix-socket $S -X POST "
                     "http://slipway/v1/apps -d '{\"app\":{\"name\":\"spare-%3-'$i'\"}}'; "
                     "curl -s -o /dev/null --max-time 5 --unix-socket $S -X DELETE "
                     "http://slipway/v1/apps/spare-%3-'$i'; "
                     "done")
                     .arg(daemon.socketPath(), app)
                     .arg(round)});
            writers.start();
            QVERIFY(writers.waitForStarted());
            QTest::qWait(int(random.bounded(50, 2500)));
            daemon.killHard();
            writers.kill();
            writers.waitForFinished();
        }

        // A last start: the store opens, nothing is left half done, the app serves.
        DaemonProcess last(data);
        QVERIFY2(last.start(), last.output().constData());
        QTRY_COMPARE_WITH_TIMEOUT(unfinished(last, app), QString(), 60000);
        // Nothing a killed daemon started runs on: its sandboxes die with it, and one it was
        // starting when killed (bubblewrap's inner process then waits forever for its outer
        // one) is ended by the next daemon.
        QTRY_COMPARE_WITH_TIMEOUT(notStartedBy(last.pid(), data.toUtf8()), QList<qint64>(), 10000);
        // The writers did write: the kills came in the middle of real work.
        int status = 0;
        const QJsonArray variables =
            last.call("GET", QStringLiteral("/v1/apps/%1/variables").arg(app), {}, &status)
                .value(QStringLiteral("variables"))
                .toArray();
        QCOMPARE(status, 200);
        const QJsonArray deployments =
            last.call("GET", QStringLiteral("/v1/apps/%1/deployments").arg(app), {}, &status)
                .value(QStringLiteral("deployments"))
                .toArray();
        qInfo("after %d kills: %lld config vars, %lld deployments kept", rounds,
              qlonglong(variables.size()), qlonglong(deployments.size()));
        QVERIFY(variables.size() >= rounds / 2);
        QVERIFY(deployments.size() >= rounds);
        last.terminate();
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(data.toUtf8()), QList<qint64>(), 10000);
    }
};

QTEST_GUILESS_MAIN(TestSlipwaydCrash)
#include "tst_slipwayd_crash.moc"
