// Progress of long fetches: what git's progress meter says in bytes, the throttle that keeps
// reports to one per interval, and the line splitting that lets a program's '\r'-redrawn
// meter through as lines.

#include "git/GitProgress.h"
#include "util/ProcessRunner.h"
#include "util/ProgressThrottle.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace Slipway;

class TestFetchProgress : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void gitProgressLines_data();
    void gitProgressLines();
    void gitMeterLinesAreRecognised();
    void throttleDeliversFirstAtOnceThenLatestPerInterval();
    void throttleDropsPendingOnFinish();
    void carriageReturnEndsLinesWhenAsked();
};

void TestFetchProgress::gitProgressLines_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<bool>("parsed");
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<int>("objects");
    QTest::addColumn<int>("total");

    QTest::newRow("mebibytes") << QStringLiteral(
                                      "Receiving objects:  45% (450/1000), 1.20 MiB | 300.00 KiB/s")
                               << true << qint64(1.20 * 1024 * 1024) << 450 << 1000;
    QTest::newRow("done")
        << QStringLiteral("Receiving objects: 100% (1000/1000), 2.50 MiB | 1.00 MiB/s, done.")
        << true << qint64(2.5 * 1024 * 1024) << 1000 << 1000;
    QTest::newRow("kibibytes") << QStringLiteral(
                                      "Receiving objects:   3% (3/100), 12.00 KiB | 11.00 KiB/s")
                               << true << qint64(12 * 1024) << 3 << 100;
    QTest::newRow("bytes") << QStringLiteral("Receiving objects: 100% (3/3), 512 bytes | 512.00 "
                                             "KiB/s, done.")
                           << true << qint64(512) << 3 << 3;
    QTest::newRow("one byte") << QStringLiteral("Receiving objects: 100% (1/1), 1 byte, done.")
                              << true << qint64(1) << 1 << 1;
    QTest::newRow("gibibytes") << QStringLiteral(
                                      "Receiving objects:  99% (99/100), 1.50 GiB | 20.00 MiB/s")
                               << true << qint64(1.5 * 1024 * 1024 * 1024) << 99 << 100;
    QTest::newRow("no bytes yet") << QStringLiteral("Receiving objects:   1% (10/1000)") << false
                                  << qint64(0) << 0 << 0;
    QTest::newRow("counting") << QStringLiteral("remote: Counting objects: 100% (3/3), done.")
                              << false << qint64(0) << 0 << 0;
    QTest::newRow("resolving") << QStringLiteral("Resolving deltas: 100% (2/2), done.") << false
                               << qint64(0) << 0 << 0;
    QTest::newRow("fatal") << QStringLiteral("fatal: repository 'x' not found") << false
                           << qint64(0) << 0 << 0;
}

void TestFetchProgress::gitProgressLines()
{
    QFETCH(QString, line);
    QFETCH(bool, parsed);
    QFETCH(qint64, bytes);
    QFETCH(int, objects);
    QFETCH(int, total);
    const std::optional<GitProgress> progress = GitProgress::parse(line);
    QCOMPARE(progress.has_value(), parsed);
    if (!parsed)
        return;
    QCOMPARE(progress->bytes, bytes);
    QCOMPARE(progress->objects, objects);
    QCOMPARE(progress->totalObjects, total);
}

void TestFetchProgress::gitMeterLinesAreRecognised()
{
    for (const char *line :
         {"Receiving objects:  45% (450/1000), 1.20 MiB | 300.00 KiB/s",
          "remote: Counting objects: 100% (3/3), done.", "remote: Compressing objects:  50% (1/2)",
          "Resolving deltas: 100% (2/2), done.", "Updating files:  10% (100/1000)"})
        QVERIFY2(GitProgress::isProgressLine(QString::fromLatin1(line)), line);
    for (const char *line :
         {"fatal: could not read Username for 'https://x': terminal prompts disabled",
          "Cloning into 'source'...", "warning: redirecting to https://x/", ""})
        QVERIFY2(!GitProgress::isProgressLine(QString::fromLatin1(line)), line);
}

void TestFetchProgress::throttleDeliversFirstAtOnceThenLatestPerInterval()
{
    ProgressThrottle throttle(std::chrono::milliseconds(200));
    QSignalSpy spy(&throttle, &ProgressThrottle::progress);
    QElapsedTimer clock;
    clock.start();
    QList<qint64> deliveredAt;
    connect(&throttle, &ProgressThrottle::progress, this,
            [&deliveredAt, &clock] { deliveredAt.append(clock.elapsed()); });

    // A burst: the first goes out at once, the rest wait for the interval.
    for (int i = 1; i <= 50; ++i)
        throttle.report(QStringLiteral("fetch-source"), QStringLiteral("http://x/a.tgz"), i * 100,
                        5000);
    QCOMPARE(spy.size(), 1);
    QCOMPARE(spy.at(0).at(2).toLongLong(), 100);
    QCOMPARE(spy.at(0).at(3).toLongLong(), 5000);
    QCOMPARE(spy.at(0).at(0).toString(), QStringLiteral("fetch-source"));
    QCOMPARE(spy.at(0).at(1).toString(), QStringLiteral("http://x/a.tgz"));

    // Then only the latest of the burst, once the interval is over.
    QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 2, 5000);
    QCOMPARE(spy.at(1).at(2).toLongLong(), 5000);
    QTest::qWait(300);
    QCOMPARE(spy.size(), 2);
    QVERIFY(deliveredAt.at(1) - deliveredAt.at(0) >= 200);

    // A steady trickle over about a second yields a few reports, never closer than the
    // interval; an unknown total stays unknown.
    spy.clear();
    deliveredAt.clear();
    QElapsedTimer trickle;
    trickle.start();
    for (int i = 0; i < 50; ++i) {
        throttle.report(QStringLiteral("fetch-buildpack"), QStringLiteral("nodejs"), i, -7);
        QTest::qWait(20);
    }
    QTest::qWait(300);
    // However slow this machine is, never more than one per interval.
    const qint64 allowed = trickle.elapsed() / 200 + 1;
    QVERIFY2(spy.size() >= 2 && spy.size() <= allowed,
             qPrintable(QStringLiteral("%1 of at most %2").arg(spy.size()).arg(allowed)));
    for (qsizetype i = 1; i < deliveredAt.size(); ++i)
        QVERIFY2(deliveredAt.at(i) - deliveredAt.at(i - 1) >= 200,
                 qPrintable(QString::number(deliveredAt.at(i) - deliveredAt.at(i - 1))));
    QCOMPARE(spy.constLast().at(2).toLongLong(), 49);
    for (const QList<QVariant> &arguments : std::as_const(spy))
        QCOMPARE(arguments.at(3).toLongLong(), -1);
}

void TestFetchProgress::throttleDropsPendingOnFinish()
{
    ProgressThrottle throttle(std::chrono::milliseconds(100));
    QSignalSpy spy(&throttle, &ProgressThrottle::progress);
    throttle.report(QStringLiteral("fetch-source"), QStringLiteral("x"), 1, 10);
    throttle.report(QStringLiteral("fetch-source"), QStringLiteral("x"), 5, 10);
    throttle.finish();
    QTest::qWait(300);
    QCOMPARE(spy.size(), 1);
    QCOMPARE(spy.at(0).at(2).toLongLong(), 1);
}

void TestFetchProgress::carriageReturnEndsLinesWhenAsked()
{
    // A meter redrawn with '\r', a line ended with "\r\n", and a last line without an end.
    const QString script =
        QStringLiteral("printf 'meter 1%%\\rmeter 50%%\\rmeter 100%%, done.\\nnext\\r\\nlast' >&2");
    for (const bool split : {true, false}) {
        ProcessRunner runner;
        ProcessRunner::Spec spec;
        spec.program = QStringLiteral("bash");
        spec.arguments = {QStringLiteral("-c"), script};
        spec.ownPidNamespace = false;
        spec.carriageReturnEndsLine = split;
        QStringList lines;
        connect(&runner, &ProcessRunner::outputLine, this,
                [&lines](const QString &line, ProcessRunner::Channel) { lines.append(line); });
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        runner.start(spec);
        QVERIFY(finished.wait(10000));
        if (split)
            QCOMPARE(lines, (QStringList{QStringLiteral("meter 1%"), QStringLiteral("meter 50%"),
                                         QStringLiteral("meter 100%, done."),
                                         QStringLiteral("next"), QStringLiteral("last")}));
        else
            QCOMPARE(lines, (QStringList{QStringLiteral("meter 1%\rmeter 50%\rmeter 100%, done."),
                                         QStringLiteral("next"), QStringLiteral("last")}));
    }
}

QTEST_GUILESS_MAIN(TestFetchProgress)
#include "tst_fetchprogress.moc"
