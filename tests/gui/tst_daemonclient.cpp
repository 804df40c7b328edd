#include "client/ByteStream.h"
#include "client/DaemonClient.h"
#include "client/UploadJob.h"

#include "DaemonProcess.h"
#include "TestSupport.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <optional>

using namespace Slipway;

// The console's door to the engine, against a real slipwayd: answers come back on the GUI
// thread, a stopped daemon never freezes it, a lost daemon is found again.
class TestDaemonClient : public QObject
{
    Q_OBJECT

    // The longest gap between ticks of a 10 ms timer while `wait` runs.
    static qint64 longestStall(const std::function<bool()> &done, int timeoutMs)
    {
        QElapsedTimer clock;
        clock.start();
        qint64 last = 0, longest = 0;
        QTimer tick;
        QObject::connect(&tick, &QTimer::timeout, &tick, [&] {
            longest = qMax(longest, clock.elapsed() - last);
            last = clock.elapsed();
        });
        tick.start(10);
        while (!done() && clock.elapsed() < timeoutMs)
            QTest::qWait(5);
        return longest;
    }

    static DaemonEndpoint endpointOf(const DaemonProcess &daemon)
    {
        DaemonEndpoint endpoint;
        endpoint.socketPath = daemon.socketPath();
        endpoint.dataDirectory = daemon.dataDirectory();
        endpoint.autostart = false;
        return endpoint;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY2(QFileInfo(DaemonProcess::binary()).isExecutable(), "SLIPWAYD is not set");
    }

    void answersArriveOnTheGuiThread()
    {
        DaemonProcess daemon;
        QVERIFY(daemon.start());
        DaemonClient client(endpointOf(daemon));
        QSignalSpy online(&client, &DaemonClient::resynced);
        client.open();
        QVERIFY(online.wait(20000));
        QCOMPARE(client.state(), DaemonClient::State::Online);
        QTRY_VERIFY(client.routerPort() > 0);

        bool answered = false;
        QThread *thread = nullptr;
        client.send("POST", QStringLiteral("/v1/apps"),
                    QJsonObject{{QStringLiteral("app"),
                                 QJsonObject{{QStringLiteral("name"), QStringLiteral("shop")}}}},
                    this, [&](const ApiResult &result) {
                        answered = true;
                        thread = QThread::currentThread();
                        QCOMPARE(result.status, 201);
                    });
        QTRY_VERIFY(answered);
        QCOMPARE(thread, qApp->thread());

        ApiResult bad;
        answered = false;
        client.send("POST", QStringLiteral("/v1/apps"),
                    QJsonObject{{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"),
                                                                     QStringLiteral("Bad Name")}}}},
                    this, [&](const ApiResult &result) {
                        bad = result;
                        answered = true;
                    });
        QTRY_VERIFY(answered);
        QVERIFY(bad.reached);
        QCOMPARE(bad.status, 422);
        QVERIFY2(bad.message().contains(QStringLiteral("lowercase")), qPrintable(bad.message()));

        // A receiver that is gone by the time of the answer hears nothing (and nothing breaks).
        auto *gone = new QObject;
        bool heard = false;
        client.get(QStringLiteral("/v1/apps"), gone, [&](const ApiResult &) { heard = true; });
        delete gone;
        QTest::qWait(300);
        QVERIFY(!heard);
    }

    void aStoppedDaemonNeverFreezesTheWindow()
    {
        DaemonProcess daemon;
        QVERIFY(daemon.start());
        DaemonClient client(endpointOf(daemon));
        QSignalSpy online(&client, &DaemonClient::resynced);
        client.open();
        QVERIFY(online.wait(20000));

        // The daemon stops answering (SIGSTOP): the call waits on a worker thread, the event
        // loop keeps turning, and the call ends with a plain reason at its timeout.
        ::kill(pid_t(daemon.pid()), SIGSTOP);
        bool answered = false;
        ApiResult result;
        client.get(
            QStringLiteral("/v1/apps"), this,
            [&](const ApiResult &answer) {
                result = answer;
                answered = true;
            },
            1500);
        const qint64 stall = longestStall([&] { return answered; }, 20000);
        ::kill(pid_t(daemon.pid()), SIGCONT);
        QVERIFY(answered);
        QVERIFY(!result.reached);
        QVERIFY2(result.message().contains(QStringLiteral("no answer within")),
                 qPrintable(result.message()));
        // Generous: the machine is shared; a blocked GUI thread would stall for 1.5 s.
        QVERIFY2(stall < 1000, qPrintable(QString::number(stall)));
    }

    void aLostDaemonIsFoundAgain()
    {
        DaemonProcess daemon;
        QVERIFY(daemon.start());
        DaemonClient client(endpointOf(daemon));
        QSignalSpy resynced(&client, &DaemonClient::resynced);
        QSignalSpy states(&client, &DaemonClient::stateChanged);
        client.open();
        QVERIFY(resynced.wait(20000));

        daemon.killHard();
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), DaemonClient::State::Offline, 20000);
        QVERIFY(!client.stateReason().isEmpty());

        QVERIFY(daemon.start());
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), DaemonClient::State::Online, 20000);
        QCOMPARE(resynced.count(), 2);
    }

    void startsTheDaemonWhenNoneAnswers()
    {
        QTemporaryDir temp;
        DaemonEndpoint endpoint;
        endpoint.socketPath = temp.filePath(QStringLiteral("run/slipwayd.sock"));
        endpoint.dataDirectory = temp.filePath(QStringLiteral("data"));
        // DaemonLauncher finds slipwayd on PATH, as an installed console would.
        const QByteArray path = qgetenv("PATH");
        qputenv("PATH",
                QFile::encodeName(QFileInfo(DaemonProcess::binary()).absolutePath()) + ':' + path);
        DaemonClient client(endpoint);
        QSignalSpy resynced(&client, &DaemonClient::resynced);
        client.open();
        QVERIFY(resynced.wait(30000));
        qputenv("PATH", path);
        ApiResult stopped;
        client.send("POST", QStringLiteral("/v1/shutdown"), QJsonValue(), this,
                    [&](const ApiResult &result) { stopped = result; });
        QTRY_VERIFY_WITH_TIMEOUT(stopped.reached || !stopped.error.isEmpty(), 30000);
        QVERIFY2(stopped.status == 202, qPrintable(stopped.message()));
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), DaemonClient::State::Offline, 60000);
    }

    void aDaemonThatCannotStartIsExplained()
    {
        QTemporaryDir temp;
        DaemonEndpoint endpoint;
        endpoint.socketPath = temp.filePath(QStringLiteral("run/slipwayd.sock"));
        const QByteArray path = qgetenv("PATH");
        qputenv("PATH", QFile::encodeName(temp.path()));
        DaemonClient client(endpoint);
        client.open();
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), DaemonClient::State::Offline, 20000);
        qputenv("PATH", path);
        QVERIFY2(client.stateReason().contains(QStringLiteral("slipwayd was found neither")),
                 qPrintable(client.stateReason()));
    }

    void uploadsWithProgressAndFollowsTheOutput()
    {
        DaemonProcess daemon;
        QVERIFY(daemon.start());
        int status = 0;
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"),
                      QJsonObject{{QStringLiteral("name"), QStringLiteral("site")}}}},
                    &status);
        QCOMPARE(status, 201);
        DaemonClient client(endpointOf(daemon));
        QSignalSpy resynced(&client, &DaemonClient::resynced);
        QList<QJsonObject> events;
        connect(&client, &DaemonClient::event, this,
                [&](const QJsonObject &event) { events.append(event); });
        client.open();
        QVERIFY(resynced.wait(20000));

        // An archive of the static test app, padded so the upload takes several pieces.
        QTemporaryDir temp;
        QVERIFY(TestSupport::copyTree(TestSupport::dataPath(QStringLiteral("apps/static")),
                                      temp.filePath(QStringLiteral("site"))));
        QFile padding(temp.filePath(QStringLiteral("site/padding.bin")));
        QVERIFY(padding.open(QIODevice::WriteOnly));
        QByteArray noise(4 * 1024 * 1024, Qt::Uninitialized);
        for (qsizetype i = 0; i < noise.size(); ++i)
            noise[i] = char((i * 7919) % 251);
        padding.write(noise);
        padding.close();
        const QString archive = temp.filePath(QStringLiteral("site.tar.gz"));
        QCOMPARE(TestSupport::run(QStringLiteral("tar"),
                                  {QStringLiteral("-czf"), archive, QStringLiteral("-C"),
                                   temp.path(), QStringLiteral("site")}),
                 0);

        UploadJob *job = client.upload(
            QStringLiteral("/v1/apps/site/deployments?filename=site.tar.gz"), archive);
        QSignalSpy progress(job, &UploadJob::progress);
        QSignalSpy finished(job, &UploadJob::finished);
        // Once the daemon has the whole body, the upload can no longer be stopped: cancel
        // says so and the request stands.
        std::optional<bool> lateCancel;
        connect(job, &UploadJob::progress, this, [&, job](qint64 sent, qint64 total) {
            if (sent == total)
                lateCancel = job->cancel();
        });
        QVERIFY(finished.wait(60000));
        const ApiResult result = finished.first().first().value<ApiResult>();
        QVERIFY2(result.ok(), qPrintable(result.message()));
        QCOMPARE(lateCancel, std::optional<bool>(false));
        QVERIFY(progress.count() >= 1);
        QCOMPARE(progress.last().at(0).toLongLong(), QFileInfo(archive).size());
        QCOMPARE(progress.last().at(1).toLongLong(), QFileInfo(archive).size());
        const QString id =
            result.object(QStringLiteral("deployment")).value(QStringLiteral("id")).toString();
        QVERIFY(!id.isEmpty());

        QByteArray log;
        QString ended = QStringLiteral("(running)");
        ByteStream *stream = client.stream(
            QStringLiteral("/v1/apps/site/deployments/%1/output?follow=true").arg(id));
        connect(stream, &ByteStream::received, this,
                [&](const QByteArray &bytes) { log += bytes; });
        connect(stream, &ByteStream::ended, this, [&](const QString &error) { ended = error; });
        QTRY_VERIFY_WITH_TIMEOUT(ended != QStringLiteral("(running)"), 120000);
        QVERIFY2(ended.isEmpty(), qPrintable(ended));
        QVERIFY2(log.contains("-----> "), log.constData());
        // The event stream told of the deployment too.
        QTRY_VERIFY_WITH_TIMEOUT(
            std::any_of(events.cbegin(), events.cend(),
                        [&](const QJsonObject &event) {
                            return event.value(QStringLiteral("type")).toString() ==
                                       QLatin1String("deployment") &&
                                   event.value(QStringLiteral("id")).toString() == id &&
                                   event.value(QStringLiteral("status")).toString() ==
                                       QLatin1String("success");
                        }),
            60000);
    }

    void aCancelledUploadSaysSo()
    {
        DaemonProcess daemon;
        QVERIFY(daemon.start());
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"),
                      QJsonObject{{QStringLiteral("name"), QStringLiteral("big")}}}});
        DaemonClient client(endpointOf(daemon));
        QTemporaryDir temp;
        const QString archive = temp.filePath(QStringLiteral("big.tar.gz"));
        QFile file(archive);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(64 * 1024 * 1024, 'x'));
        file.close();
        UploadJob *job =
            client.upload(QStringLiteral("/v1/apps/big/deployments?filename=big.tar.gz"), archive);
        QSignalSpy finished(job, &UploadJob::finished);
        std::optional<bool> cancelled;
        connect(job, &UploadJob::progress, job, [&, job] {
            if (!cancelled)
                cancelled = job->cancel();
        });
        QVERIFY(finished.wait(60000));
        QCOMPARE(cancelled, std::optional<bool>(true));
        const ApiResult result = finished.first().first().value<ApiResult>();
        QVERIFY(!result.ok());
        QVERIFY2(result.message().contains(QStringLiteral("cancelled")),
                 qPrintable(result.message()));
    }
};

QTEST_MAIN(TestDaemonClient)
#include "tst_daemonclient.moc"
