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

        // Nothing a killed daemon started outlives it: its containers and builds run in
        // sandboxes that die with it, even when the kill came as one was being forked.
        QTRY_COMPARE_WITH_TIMEOUT(processesWithMarker(data.toUtf8()), QList<qint64>(), 10000);

        // A last start: the store opens, nothing is left half done, the app serves.
        DaemonProcess last(data);
        QVERIFY2(last.start(), last.output().constData());
        QTRY_COMPARE_WITH_TIMEOUT(unfinished(last, app), QString(), 60000);
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
    }
};

QTEST_GUILESS_MAIN(TestSlipwaydCrash)
#include "tst_slipwayd_crash.moc"
