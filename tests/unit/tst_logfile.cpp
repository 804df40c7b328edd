#include "store/LogFile.h"
#include "store/LogFollower.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>

using namespace Slipway;

namespace {

// "line-0007": 9 characters, 10 bytes with the newline.
QString numbered(int index)
{
    return QStringLiteral("line-%1").arg(index, 4, 10, QLatin1Char('0'));
}

QStringList numberedRange(int from, int to)
{
    QStringList lines;
    for (int index = from; index < to; ++index)
        lines.append(numbered(index));
    return lines;
}

QStringList fileLines(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {QStringLiteral("<missing>")};
    QByteArray data = file.readAll();
    if (data.endsWith('\n'))
        data.chop(1);
    QStringList lines;
    for (const QByteArray &line : data.split('\n'))
        lines.append(QString::fromUtf8(line));
    return lines;
}

void appendRaw(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Append));
    QCOMPARE(file.write(bytes), bytes.size());
}

// The writer process: `tst_logfile --log-writer PATH MAX_BYTES KEEP` reads commands on
// stdin ("line TEXT", "burst COUNT PREFIX", "quit") and answers "done" to each.
int runLogWriter(const QString &path, qint64 maxBytes, int keep)
{
    LogFile log(path, maxBytes, keep);
    QFile input;
    if (!input.open(stdin, QIODevice::ReadOnly))
        return 2;
    for (;;) {
        const QByteArray command = input.readLine().trimmed();
        if (command.isEmpty() || command == "quit")
            return 0;
        if (command.startsWith("line ")) {
            if (!log.append(QString::fromUtf8(command.mid(5))))
                return 3;
        } else if (command.startsWith("burst ")) {
            const QList<QByteArray> words = command.split(' ');
            const int count = words.value(1).toInt();
            for (int index = 0; index < count; ++index) {
                if (!log.append(QString::fromUtf8(words.value(2)) + QLatin1Char('-') +
                                QString::number(index)))
                    return 3;
            }
        }
        std::fputs("done\n", stdout);
        std::fflush(stdout);
    }
}

} // namespace

class TestLogFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void rotationSizes();
    void oversizedLineGetsItsOwnFile();
    void keepCount();
    void keepZeroTruncates();
    void smallerKeepDropsOlderFiles();
    void appendContinuesExistingFile();
    void unicodeAndEmptyLines();
    void tailAcrossRotations();
    void tailLeavesOutLineBeingWritten();
    void followerBacklog();
    void followerWaitsForFile();
    void followerCompletesPartialLine();
    void followerAcrossRotationsInProcess();
    void followerSeesProcessWriterLive();
    void followerKeepsUpWithBurstOfRotations();
    void followerStops();

private:
    QString logPath() const { return m_dir->filePath(QStringLiteral("logs/app.log")); }
    bool startWriter(QProcess &writer, qint64 maxBytes, int keep);
    static bool command(QProcess &writer, const QByteArray &line);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestLogFile::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void TestLogFile::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestLogFile::cleanup()
{
    m_dir.reset();
}

void TestLogFile::rotationSizes()
{
    LogFile log(logPath(), 100, 3);
    for (int index = 0; index < 10; ++index)
        QVERIFY(log.append(numbered(index)));
    // Exactly full, not beyond: no rotation yet.
    QCOMPARE(QFileInfo(logPath()).size(), 100);
    QVERIFY(!QFileInfo::exists(LogFile::rotatedPath(logPath(), 1)));

    QVERIFY(log.append(numbered(10)));
    QCOMPARE(QFileInfo(LogFile::rotatedPath(logPath(), 1)).size(), 100);
    QCOMPARE(QFileInfo(logPath()).size(), 10);
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 1)), numberedRange(0, 10));
    QCOMPARE(fileLines(logPath()), numberedRange(10, 11));

    // Lines of varying length: no file ever goes beyond the limit.
    for (int index = 0; index < 200; ++index)
        QVERIFY(log.append(QString(index % 37, QLatin1Char('x'))));
    for (const QString &path :
         {logPath(), LogFile::rotatedPath(logPath(), 1), LogFile::rotatedPath(logPath(), 2),
          LogFile::rotatedPath(logPath(), 3)}) {
        QVERIFY2(QFileInfo(path).size() > 0, qUtf8Printable(path));
        QVERIFY2(QFileInfo(path).size() <= 100, qUtf8Printable(path));
    }
}

void TestLogFile::oversizedLineGetsItsOwnFile()
{
    LogFile log(logPath(), 50, 3);
    QVERIFY(log.append(numbered(1)));
    const QString big(80, QLatin1Char('B'));
    QVERIFY(log.append(big));
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 1)), QStringList{numbered(1)});
    QCOMPARE(fileLines(logPath()), QStringList{big});
    QCOMPARE(QFileInfo(logPath()).size(), 81);
    QVERIFY(log.append(numbered(2)));
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 2)), QStringList{numbered(1)});
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 1)), QStringList{big});
    QCOMPARE(fileLines(logPath()), QStringList{numbered(2)});
}

void TestLogFile::keepCount()
{
    LogFile log(logPath(), 100, 2);
    for (int index = 0; index < 60; ++index)
        QVERIFY(log.append(numbered(index)));
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 2)), numberedRange(30, 40));
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 1)), numberedRange(40, 50));
    QCOMPARE(fileLines(logPath()), numberedRange(50, 60));
    QVERIFY(!QFileInfo::exists(LogFile::rotatedPath(logPath(), 3)));
    QCOMPARE(QDir(QFileInfo(logPath()).absolutePath()).entryList(QDir::Files).size(), 3);
}

void TestLogFile::keepZeroTruncates()
{
    LogFile log(logPath(), 100, 0);
    for (int index = 0; index < 25; ++index)
        QVERIFY(log.append(numbered(index)));
    QCOMPARE(fileLines(logPath()), numberedRange(20, 25));
    QVERIFY(!QFileInfo::exists(LogFile::rotatedPath(logPath(), 1)));
}

void TestLogFile::smallerKeepDropsOlderFiles()
{
    {
        LogFile log(logPath(), 100, 4);
        for (int index = 0; index < 50; ++index)
            QVERIFY(log.append(numbered(index)));
        QVERIFY(QFileInfo::exists(LogFile::rotatedPath(logPath(), 4)));
    }
    LogFile log(logPath(), 100, 1);
    for (int index = 50; index < 60; ++index)
        QVERIFY(log.append(numbered(index)));
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 1)), numberedRange(40, 50));
    QCOMPARE(fileLines(logPath()), numberedRange(50, 60));
    for (int index = 2; index <= 4; ++index)
        QVERIFY(!QFileInfo::exists(LogFile::rotatedPath(logPath(), index)));
}

void TestLogFile::appendContinuesExistingFile()
{
    {
        LogFile log(logPath(), 100, 3);
        for (int index = 0; index < 9; ++index)
            QVERIFY(log.append(numbered(index)));
    }
    LogFile log(logPath(), 100, 3);
    QVERIFY(log.append(numbered(9)));
    QVERIFY(!QFileInfo::exists(LogFile::rotatedPath(logPath(), 1)));
    QVERIFY(log.append(numbered(10)));
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 1)), numberedRange(0, 10));
    QCOMPARE(fileLines(logPath()), numberedRange(10, 11));
}

void TestLogFile::unicodeAndEmptyLines()
{
    LogFile log(logPath());
    const QStringList lines = {QStringLiteral("-----> Building with nodejs"), QString(),
                               QString::fromUtf8("       détecté ✓ 日本"),
                               QStringLiteral("\x1b[32mgreen\x1b[0m")};
    for (const QString &line : lines)
        QVERIFY(log.append(line));
    QCOMPARE(LogFile::tail(logPath(), 10), lines);
    QCOMPARE(LogFile::tail(logPath(), 2), lines.mid(2));
}

void TestLogFile::tailAcrossRotations()
{
    {
        LogFile log(logPath(), 100, 3);
        for (int index = 0; index < 45; ++index)
            QVERIFY(log.append(numbered(index)));
    }
    // Lines 0-9 were dropped; 10-19 are in .3, 20-29 in .2, 30-39 in .1, 40-44 current.
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 3)), numberedRange(10, 20));
    QCOMPARE(LogFile::tail(logPath(), 3), numberedRange(42, 45));
    QCOMPARE(LogFile::tail(logPath(), 5), numberedRange(40, 45));
    QCOMPARE(LogFile::tail(logPath(), 6), numberedRange(39, 45));
    QCOMPARE(LogFile::tail(logPath(), 25), numberedRange(20, 45));
    QCOMPARE(LogFile::tail(logPath(), 1000), numberedRange(10, 45));
    QVERIFY(LogFile::tail(logPath(), 0).isEmpty());
    QVERIFY(LogFile::tail(m_dir->filePath(QStringLiteral("missing.log")), 10).isEmpty());

    // Large files read back in pieces.
    const QString big = m_dir->filePath(QStringLiteral("big.log"));
    {
        LogFile log(big, 1024 * 1024, 2);
        for (int index = 0; index < 100000; ++index)
            QVERIFY(log.append(numbered(index)));
    }
    QVERIFY(QFileInfo::exists(LogFile::rotatedPath(big, 1)));
    QCOMPARE(LogFile::tail(big, 30000), numberedRange(70000, 100000));
}

void TestLogFile::tailLeavesOutLineBeingWritten()
{
    {
        LogFile log(logPath(), 100, 3);
        for (int index = 0; index < 12; ++index)
            QVERIFY(log.append(numbered(index)));
    }
    appendRaw(logPath(), "half a li");
    QCOMPARE(LogFile::tail(logPath(), 3), numberedRange(9, 12));
    appendRaw(logPath(), "ne\n");
    QCOMPARE(LogFile::tail(logPath(), 2),
             (QStringList{numbered(11), QStringLiteral("half a line")}));
}

void TestLogFile::followerBacklog()
{
    LogFile log(logPath(), 100, 3);
    for (int index = 0; index < 25; ++index)
        QVERIFY(log.append(numbered(index)));

    LogFollower some(logPath());
    QSignalSpy someSpy(&some, &LogFollower::lines);
    some.start(12);
    QCOMPARE(someSpy.size(), 1);
    QCOMPARE(someSpy.at(0).at(0).toStringList(), numberedRange(13, 25));

    LogFollower all(logPath());
    QSignalSpy allSpy(&all, &LogFollower::lines);
    all.start(-1);
    QCOMPARE(allSpy.size(), 1);
    QCOMPARE(allSpy.at(0).at(0).toStringList(), numberedRange(0, 25));

    LogFollower none(logPath());
    QSignalSpy noneSpy(&none, &LogFollower::lines);
    none.start();
    QCOMPARE(noneSpy.size(), 0);

    // Then each sees the new line once.
    QVERIFY(log.append(numbered(25)));
    QTRY_COMPARE(someSpy.size(), 2);
    QTRY_COMPARE(allSpy.size(), 2);
    QTRY_COMPARE(noneSpy.size(), 1);
    QCOMPARE(noneSpy.at(0).at(0).toStringList(), QStringList{numbered(25)});
    QCOMPARE(someSpy.at(1).at(0).toStringList(), QStringList{numbered(25)});
    QTest::qWait(300);
    QCOMPARE(noneSpy.size(), 1);
}

void TestLogFile::followerWaitsForFile()
{
    LogFollower follower(logPath());
    QStringList seen;
    connect(&follower, &LogFollower::lines, this,
            [&seen](const QStringList &lines) { seen += lines; });
    follower.start(10);
    QTest::qWait(100);
    QVERIFY(seen.isEmpty());

    LogFile log(logPath());
    QVERIFY(log.append(QStringLiteral("first")));
    QVERIFY(log.append(QStringLiteral("second")));
    QTRY_COMPARE(seen.size(), 2);
    QCOMPARE(seen, (QStringList{QStringLiteral("first"), QStringLiteral("second")}));
}

void TestLogFile::followerCompletesPartialLine()
{
    {
        LogFile log(logPath());
        QVERIFY(log.append(QStringLiteral("whole")));
    }
    appendRaw(logPath(), "par");
    LogFollower follower(logPath());
    QSignalSpy spy(&follower, &LogFollower::lines);
    follower.start(5);
    QCOMPARE(spy.size(), 1);
    QCOMPARE(spy.at(0).at(0).toStringList(), QStringList{QStringLiteral("whole")});

    QTest::qWait(400);
    QCOMPARE(spy.size(), 1); // a line without its end is not a line yet
    appendRaw(logPath(), "tial");
    QTest::qWait(400);
    QCOMPARE(spy.size(), 1);
    appendRaw(logPath(), "\nnext\n");
    QTRY_COMPARE(spy.size(), 2);
    QCOMPARE(spy.at(1).at(0).toStringList(),
             (QStringList{QStringLiteral("partial"), QStringLiteral("next")}));
}

void TestLogFile::followerAcrossRotationsInProcess()
{
    LogFile log(logPath(), 100, 3);
    LogFollower follower(logPath());
    QStringList seen;
    connect(&follower, &LogFollower::lines, this,
            [&seen](const QStringList &lines) { seen += lines; });
    follower.start();

    // Rotations with the follower reading in between, and several at once.
    int next = 0;
    for (int round = 0; round < 8; ++round) {
        const int count = round % 2 ? 7 : 23;
        for (int index = 0; index < count; ++index)
            QVERIFY(log.append(numbered(next++)));
        QTRY_COMPARE(seen.size(), next);
    }
    QCOMPARE(seen, numberedRange(0, next));
    QTest::qWait(300);
    QCOMPARE(seen.size(), next);
}

bool TestLogFile::startWriter(QProcess &writer, qint64 maxBytes, int keep)
{
    writer.setProgram(QCoreApplication::applicationFilePath());
    writer.setArguments({QStringLiteral("--log-writer"), logPath(), QString::number(maxBytes),
                         QString::number(keep)});
    writer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    writer.start();
    return writer.waitForStarted(10000);
}

bool TestLogFile::command(QProcess &writer, const QByteArray &line)
{
    writer.write(line + '\n');
    QElapsedTimer clock;
    clock.start();
    while (!writer.canReadLine()) {
        if (clock.elapsed() > 10000 || writer.state() != QProcess::Running)
            return false;
        writer.waitForReadyRead(100);
    }
    return writer.readLine() == "done\n";
}

void TestLogFile::followerSeesProcessWriterLive()
{
    LogFollower follower(logPath());
    QStringList seen;
    connect(&follower, &LogFollower::lines, this,
            [&seen](const QStringList &lines) { seen += lines; });
    follower.start();

    QProcess writer;
    QVERIFY(startWriter(writer, 50, 2));
    // "live-000": 9 bytes a line, 5 lines to a file.
    QStringList expected;
    qint64 slowest = 0;
    for (int index = 0; index < 30; ++index) {
        const QString line = QStringLiteral("live-%1").arg(index, 3, 10, QLatin1Char('0'));
        QElapsedTimer clock;
        clock.start();
        QVERIFY(command(writer, "line " + line.toUtf8()));
        expected.append(line);
        // Each line shows up while the writer is still running, on its own.
        QTRY_COMPARE_WITH_TIMEOUT(seen.size(), expected.size(), 10000);
        QCOMPARE(seen.constLast(), line);
        slowest = qMax(slowest, clock.elapsed());
    }
    QCOMPARE(seen, expected);
    QVERIFY2(slowest < 5000, qPrintable(QString::number(slowest)));
    // The writer did rotate along the way.
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 2)), expected.mid(15, 5));
    QCOMPARE(fileLines(LogFile::rotatedPath(logPath(), 1)), expected.mid(20, 5));
    QCOMPARE(fileLines(logPath()), expected.mid(25, 5));

    writer.write("quit\n");
    QVERIFY(writer.waitForFinished(5000));
    QCOMPARE(writer.exitCode(), 0);
    QTest::qWait(300);
    QCOMPARE(seen, expected);
}

void TestLogFile::followerKeepsUpWithBurstOfRotations()
{
    LogFollower follower(logPath());
    QStringList seen;
    connect(&follower, &LogFollower::lines, this,
            [&seen](const QStringList &lines) { seen += lines; });
    follower.start();

    QProcess writer;
    // Enough rotated files kept that a burst cannot drop lines before they are read.
    QVERIFY(startWriter(writer, 200, 200));
    QStringList expected;
    for (int round = 0; round < 3; ++round) {
        const QByteArray prefix = "burst" + QByteArray::number(round);
        QVERIFY(command(writer, "burst 400 " + prefix));
        for (int index = 0; index < 400; ++index)
            expected.append(QString::fromLatin1(prefix) + QLatin1Char('-') +
                            QString::number(index));
        QTRY_COMPARE_WITH_TIMEOUT(seen.size(), expected.size(), 10000);
    }
    QCOMPARE(seen, expected);
    QVERIFY(QFileInfo::exists(LogFile::rotatedPath(logPath(), 50)));
    writer.write("quit\n");
    QVERIFY(writer.waitForFinished(5000));
    QCOMPARE(writer.exitCode(), 0);
}

void TestLogFile::followerStops()
{
    LogFile log(logPath());
    LogFollower follower(logPath());
    QSignalSpy spy(&follower, &LogFollower::lines);
    follower.start();
    QVERIFY(follower.isFollowing());
    QVERIFY(log.append(QStringLiteral("one")));
    QTRY_COMPARE(spy.size(), 1);
    follower.stop();
    QVERIFY(!follower.isFollowing());
    QVERIFY(log.append(QStringLiteral("two")));
    QTest::qWait(500);
    QCOMPARE(spy.size(), 1);
}

int main(int argc, char *argv[])
{
    // The follower tests run this same executable as the process writing the log.
    if (argc == 5 && qstrcmp(argv[1], "--log-writer") == 0)
        return runLogWriter(QString::fromLocal8Bit(argv[2]), QByteArray(argv[3]).toLongLong(),
                            QByteArray(argv[4]).toInt());
    QCoreApplication app(argc, argv);
    TestLogFile test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_logfile.moc"
