// The build log's line store: the line index across text blocks, partial lines, sections
// and their durations (live with an injected clock, and from given offsets), snapshots,
// and search counts, synchronous and on the worker thread.

#include "log/LogSearch.h"
#include "log/LogStore.h"
#include "log/OffThread.h"

#include <QBuffer>
#include <QEventLoop>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>

using namespace Slipway;

namespace {

QByteArray numberedLines(int count, const QByteArray &prefix = "line ")
{
    QByteArray log;
    for (int i = 0; i < count; ++i)
        log += prefix + QByteArray::number(i) + '\n';
    return log;
}

// Occurrences counted the plain way, to check the scanner against.
qsizetype naiveCount(const LogStore &store, const QString &needle, Qt::CaseSensitivity cs)
{
    qsizetype count = 0;
    for (qsizetype line = 0; line < store.lineCount(); ++line) {
        const QString text = store.lineText(line);
        for (qsizetype at = text.indexOf(needle, 0, cs); at >= 0;
             at = text.indexOf(needle, at + needle.size(), cs))
            ++count;
    }
    return count;
}

} // namespace

class TestLogStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void linesAndPartialLine()
    {
        LogStore store;
        QCOMPARE(store.lineCount(), 0);
        QCOMPARE(store.displayLineCount(), 0);
        store.appendData("first\nsecond\nthi");
        QCOMPARE(store.lineCount(), 2);
        QVERIFY(store.hasPartialLine());
        QCOMPARE(store.displayLineCount(), 3);
        QCOMPARE(store.lineText(2), QStringLiteral("thi"));
        store.appendData("rd\n");
        QCOMPARE(store.lineCount(), 3);
        QVERIFY(!store.hasPartialLine());
        QCOMPARE(store.lineText(0), QStringLiteral("first"));
        QCOMPARE(store.lineText(1), QStringLiteral("second"));
        QCOMPARE(store.lineText(2), QStringLiteral("third"));
        store.appendData("\n\n");
        QCOMPARE(store.lineCount(), 5);
        QCOMPARE(store.lineText(4), QString());
        store.appendData("last");
        store.finish();
        QCOMPARE(store.lineCount(), 6);
        QCOMPARE(store.lineText(5), QStringLiteral("last"));
        QCOMPARE(store.text(1, 2), QStringLiteral("second\nthird"));
    }

    void partialLineShowsTheLatestProgress()
    {
        LogStore store;
        store.appendData("\x1b[32mDownloading 10%\r");
        QCOMPARE(store.lineText(store.lineCount()), QStringLiteral("Downloading 10%"));
        store.appendData("Downloading 80%\r");
        QCOMPARE(store.lineText(store.lineCount()), QStringLiteral("Downloading 80%"));
        QCOMPARE(store.spans(store.lineCount()).size(), size_t(1));
        // Styles carried by a partial line are not committed twice.
        store.appendData("\n\x1b[0mplain\n");
        QCOMPARE(store.lineCount(), 2);
        QVERIFY(store.spans(1).empty());
    }

    void escapeOnlyPartialLineIsNotShown()
    {
        LogStore store;
        store.appendData("done\n\x1b[0m");
        QVERIFY(!store.hasPartialLine());
        QCOMPARE(store.displayLineCount(), 1);
    }

    void indexAcrossBlocks()
    {
        // About 12 MB: several 4 MB blocks, and one line larger than a block.
        LogStore store;
        const QByteArray big(5 * 1024 * 1024, 'x');
        for (int i = 0; i < 200000; ++i) {
            store.appendData(
                QByteArray("row " + QByteArray::number(i) + " some build output text\n"));
            if (i == 100000)
                store.appendData(QByteArray(big + '\n'));
        }
        QCOMPARE(store.lineCount(), 200001);
        QCOMPARE(store.lineText(0), QStringLiteral("row 0 some build output text"));
        QCOMPARE(store.lineText(100000), QStringLiteral("row 100000 some build output text"));
        QCOMPARE(store.lineUtf8(100001).size(), big.size());
        QCOMPARE(store.lineText(100002), QStringLiteral("row 100001 some build output text"));
        QCOMPARE(store.lineText(200000), QStringLiteral("row 199999 some build output text"));
        QCOMPARE(store.lineText(100001, 10), QStringLiteral("xxxxxxxxxx"));
        QCOMPARE(store.widestLineColumns(), int(big.size()));
    }

    void endlessLineIsBroken()
    {
        LogStore store;
        const QByteArray piece(1024 * 1024, 'y');
        for (int i = 0; i < 9; ++i)
            store.appendData(piece);
        QCOMPARE(store.lineCount(), 1);
        QCOMPARE(store.lineUtf8(0).size(), LogStore::MaxLineBytes);
        QVERIFY(store.hasPartialLine());
    }

    void compactMemory()
    {
        LogStore store;
        const QByteArray line = "\x1b[32m       added\x1b[0m 1234 packages from 987 contributors "
                                "and audited 2345 packages in 12.3s\n";
        for (int i = 0; i < 100000; ++i)
            store.appendData(line);
        const qsizetype text = 100000 * qsizetype(AnsiParser::stripped(line).size());
        // The text plus a few dozen bytes per line (index, flags, spans), with room for the
        // blocks' and arrays' spare capacity.
        QVERIFY2(store.memoryUse() < text * 2 + 100000 * 48,
                 qPrintable(QString::number(store.memoryUse())));
    }

    void sections()
    {
        LogStore store;
        store.appendData("preamble\n"
                         "-----> Fetching source\n"
                         "       done\n"
                         "\x1b[1m-----> Installing dependencies\x1b[0m\n"
                         "       npm install\n"
                         "       added 3\n"
                         "------> not a header\n"
                         "-----> Build succeeded!\n");
        QCOMPARE(store.sectionCount(), 3);
        QCOMPARE(store.section(0).headerLine, 1);
        QCOMPARE(store.section(0).title, QStringLiteral("Fetching source"));
        QCOMPARE(store.section(1).title, QStringLiteral("Installing dependencies"));
        QCOMPARE(store.section(1).headerLine, 3);
        QCOMPARE(store.section(2).headerLine, 7);
        QCOMPARE(store.sectionOfLine(0), -1);
        QCOMPARE(store.sectionOfLine(2), 0);
        QCOMPARE(store.sectionOfLine(6), 1);
        QCOMPARE(store.sectionOfHeader(3), 1);
        QCOMPARE(store.sectionOfHeader(4), -1);
        QCOMPARE(store.sectionLastLine(0), 2);
        QCOMPARE(store.sectionLastLine(1), 6);
        QCOMPARE(store.sectionLastLine(2), 7);
        store.appendData("tail\n");
        QCOMPARE(store.sectionLastLine(2), 8);
    }

    void liveDurationsWithInjectedClock()
    {
        qint64 now = 1000;
        LogStore store;
        store.setClock([&now] { return now; });
        store.appendData("-----> Fetching\n");
        now = 2500;
        store.appendData("       fetched\n-----> Compiling\n");
        now = 4000;
        store.appendData("       compiled 12 files\n");
        QCOMPARE(store.section(0).startMs, 1000);
        QCOMPARE(store.section(1).startMs, 2500);
        QCOMPARE(store.sectionDuration(0), std::optional<qint64>(1500));
        // The last section runs: it counts up to now.
        QVERIFY(store.isSectionRunning(1));
        QVERIFY(!store.isSectionRunning(0));
        QCOMPARE(store.sectionDuration(1), std::optional<qint64>(1500));
        now = 7000;
        QCOMPARE(store.sectionDuration(1), std::optional<qint64>(4500));
        store.finish();
        now = 9000;
        QVERIFY(!store.isSectionRunning(1));
        QCOMPARE(store.sectionDuration(1), std::optional<qint64>(4500));
    }

    void givenOffsetsForAPastLog()
    {
        LogStore store;
        store.setLive(false);
        // A start may come before its line, as timeline events can.
        store.setSectionStart(3, 2100);
        store.appendData("preamble\n-----> Fetching\n       ok\n-----> Building\n       ok\n");
        store.finish();
        QCOMPARE(store.section(0).startMs, -1);
        QCOMPARE(store.section(1).startMs, 2100);
        QCOMPARE(store.sectionDuration(0), std::optional<qint64>());
        QCOMPARE(store.sectionDuration(1), std::optional<qint64>()); // the log's end is unknown yet
        store.setSectionStart(1, 100);
        store.setLogEnd(9100);
        QCOMPARE(store.sectionDuration(0), std::optional<qint64>(2000));
        QCOMPARE(store.sectionDuration(1), std::optional<qint64>(7000));
        QVERIFY(!store.isSectionRunning(1));
    }

    void givenOffsetsWinOverArrival()
    {
        qint64 now = 50000;
        LogStore store;
        store.setClock([&now] { return now; });
        store.appendData("-----> Fetching\n");
        QCOMPARE(store.section(0).startMs, 50000);
        store.setSectionStart(0, 120);
        QCOMPARE(store.section(0).startMs, 120);
        QCOMPARE(store.sectionDuration(0), std::optional<qint64>(now - 120));
    }

    void clearStartsOver()
    {
        LogStore store;
        store.setLive(false);
        store.appendData("-----> A\n\x1b[31mred");
        store.setLogEnd(5);
        store.clear();
        QCOMPARE(store.lineCount(), 0);
        QCOMPARE(store.displayLineCount(), 0);
        QCOMPARE(store.sectionCount(), 0);
        QVERIFY(store.isLive());
        QCOMPARE(store.logEnd(), -1);
        // No style leaks from the previous log.
        store.appendData("plain\n");
        QVERIFY(store.spans(0).empty());
    }

    void searchCounts()
    {
        LogStore store;
        store.appendData("npm WARN deprecated\n"
                         "warn warn WARN\n"
                         "nothing here\n"
                         "café WARN ✓ warn\n"
                         "\x1b[33mWA\x1b[0mRN split by colour\n");
        store.finish();
        const LogSnapshot snapshot = store.snapshot();
        const std::vector<LogMatch> insensitive =
            snapshot.search(QStringLiteral("warn"), Qt::CaseInsensitive);
        QCOMPARE(insensitive.size(), size_t(7));
        QCOMPARE(insensitive[0], (LogMatch{0, 4, 4}));
        QCOMPARE(insensitive[1], (LogMatch{1, 0, 4}));
        QCOMPARE(insensitive[3], (LogMatch{1, 10, 4}));
        // Columns count UTF-16 units: "café " is five, "✓" one.
        QCOMPARE(insensitive[4], (LogMatch{3, 5, 4}));
        QCOMPARE(insensitive[5], (LogMatch{3, 12, 4}));
        // Colours are not part of the text.
        QCOMPARE(insensitive[6], (LogMatch{4, 0, 4}));
        const std::vector<LogMatch> sensitive =
            snapshot.search(QStringLiteral("WARN"), Qt::CaseSensitive);
        QCOMPARE(sensitive.size(), size_t(4));
        // Non-ASCII needles, folded by Qt.
        QCOMPARE(snapshot.search(QStringLiteral("CAFÉ"), Qt::CaseInsensitive).size(), size_t(1));
        QCOMPARE(snapshot.search(QStringLiteral("CAFÉ"), Qt::CaseSensitive).size(), size_t(0));
        QCOMPARE(snapshot.search(QStringLiteral("✓ w"), Qt::CaseSensitive),
                 (std::vector<LogMatch>{{3, 10, 3}}));
        // Never across lines.
        QCOMPARE(snapshot.search(QStringLiteral("deprecated\nwarn"), Qt::CaseInsensitive).size(),
                 size_t(0));
        QCOMPARE(snapshot.search(QStringLiteral("deprecatedwarn"), Qt::CaseInsensitive).size(),
                 size_t(0));
        QCOMPARE(snapshot.search(QString(), Qt::CaseInsensitive).size(), size_t(0));
    }

    void searchFromALineAndAcrossBlocks()
    {
        LogStore store;
        for (int i = 0; i < 300000; ++i)
            store.appendData(i % 7 == 0
                                 ? QByteArray("       Compiling module Needle " +
                                              QByteArray::number(i) + " needle\n")
                                 : QByteArray("       plain line " + QByteArray::number(i) + '\n'));
        const std::vector<LogMatch> all =
            store.snapshot().search(QStringLiteral("needle"), Qt::CaseInsensitive);
        QCOMPARE(qsizetype(all.size()),
                 naiveCount(store, QStringLiteral("needle"), Qt::CaseInsensitive));
        for (const LogMatch &match : all) {
            QCOMPARE(match.line % 7, 0u);
            QCOMPARE(store.lineText(match.line).mid(match.column, match.length).toLower(),
                     QStringLiteral("needle"));
        }
        const std::vector<LogMatch> tail =
            store.snapshot(250000).search(QStringLiteral("needle"), Qt::CaseInsensitive);
        QVERIFY(!tail.empty());
        QVERIFY(tail.front().line >= 250000);
        QCOMPARE(tail.back(), all.back());
    }

    void searchStopsWhenCancelled()
    {
        LogStore store;
        for (int i = 0; i < 100000; ++i)
            store.appendData("needle in a haystack\n");
        std::atomic_bool cancel(true);
        QVERIFY(
            store.snapshot().search(QStringLiteral("needle"), Qt::CaseInsensitive, &cancel).size() <
            100000);
    }

    void snapshotIsStableWhileTheLogGrows()
    {
        LogStore store;
        store.appendData("one\ntwo\nthr");
        const LogSnapshot snapshot = store.snapshot(0, true);
        store.appendData("ee\nfour\n");
        QCOMPARE(snapshot.endLine(), 2);
        QCOMPARE(snapshot.toUtf8(), QByteArray("one\ntwo\nthr"));
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        QString error;
        QVERIFY(store.snapshot(0, true).writeTo(&buffer, &error));
        QCOMPARE(buffer.data(), QByteArray("one\ntwo\nthree\nfour\n"));
    }

    void asyncSearchFollowsTheLog()
    {
        LogStore store;
        store.appendData(numberedLines(50000, "step "));
        LogSearch search(&store);
        QSignalSpy searching(&search, &LogSearch::searchingChanged);
        search.setPattern(QStringLiteral("STEP 1"));
        QVERIFY(search.isSearching());
        QTRY_VERIFY(!search.isSearching());
        // "step 1", "step 10".."step 19", "step 100".., "step 1000".., "step 10000"..
        QCOMPARE(qsizetype(search.matches().size()), 1 + 10 + 100 + 1000 + 10000);
        QCOMPARE(searching.count(), 2);

        // Lines appended later are searched too.
        store.appendData("step 1 again\nand step 1 once more\n");
        search.linesAppended();
        QTRY_COMPARE(qsizetype(search.matches().size()), 11113);
        QCOMPARE(search.matches().back().line, 50001u);
        QCOMPARE(search.firstMatchFrom(50000), 11111);

        // A new pattern starts over; an empty one clears.
        search.setPattern(QStringLiteral("again"));
        QTRY_COMPARE(search.matches().size(), size_t(1));
        search.setPattern(QString());
        QVERIFY(search.matches().empty());
        QVERIFY(!search.isSearching());
    }

    // A worker may let go of its promise only after the main thread took the result, while
    // `then` still runs (a search that starts the next one): each run must still reach `then`
    // exactly once, with its own result. Work whose captures are slow to destroy holds the
    // promise that long. Delivered in a real event loop, as in the console.
    void offThreadDeliversEachResultOnce()
    {
        struct SlowToLetGo
        {
            ~SlowToLetGo() { QThread::msleep(30); }
        };
        QObject context;
        std::vector<int> delivered;
        constexpr int Runs = 6;
        for (int run = 0; run < Runs; ++run)
            runOffThread(
                &context, [run, slow = std::make_shared<SlowToLetGo>()] { return run; },
                [&delivered](int value) {
                    delivered.push_back(value);
                    QThread::msleep(60);
                });
        QEventLoop loop;
        QTimer settle;
        settle.setSingleShot(true);
        QObject::connect(&settle, &QTimer::timeout, &loop, &QEventLoop::quit);
        QTimer poll;
        // Once all came, a second delivery would still be on its way: wait a little longer.
        QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
            if (int(delivered.size()) >= Runs && !settle.isActive())
                settle.start(500);
        });
        poll.start(20);
        QTimer::singleShot(20000, &loop, &QEventLoop::quit);
        loop.exec();
        QCOMPARE(int(delivered.size()), Runs);
        std::sort(delivered.begin(), delivered.end());
        for (int run = 0; run < Runs; ++run)
            QCOMPARE(delivered[size_t(run)], run);
    }

    void asyncSearchDropsStaleResults()
    {
        LogStore store;
        for (int i = 0; i < 200000; ++i)
            store.appendData("alpha beta gamma\n");
        LogSearch search(&store);
        search.setPattern(QStringLiteral("alpha"));
        search.setPattern(QStringLiteral("gamma"), Qt::CaseSensitive);
        QTRY_VERIFY(!search.isSearching());
        QCOMPARE(search.matches().size(), size_t(200000));
        QCOMPARE(search.matches().front().column, 11u);
        // The store is cleared under a running search: nothing old comes back.
        search.setPattern(QStringLiteral("beta"));
        store.clear();
        search.storeCleared();
        QTRY_VERIFY(!search.isSearching());
        QVERIFY(search.matches().empty());
    }
};

QTEST_GUILESS_MAIN(TestLogStore)
#include "tst_logstore.moc"
