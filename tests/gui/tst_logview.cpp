// The build log view and its pane, as real widgets (offscreen): following the end,
// folding steps, search with next/previous, selection and copy without escape codes,
// saving, a past log loaded whole, and the event loop kept responsive under a flood of
// lines.

#include "log/LogPane.h"
#include "log/LogSearch.h"
#include "log/LogView.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStyle>
#include <QStyleFactory>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QWheelEvent>

#include <memory>

using namespace Slipway;

namespace {

QByteArray numberedLines(int first, int count)
{
    QByteArray log;
    for (int i = first; i < first + count; ++i)
        log += "\x1b[36m       line\x1b[0m " + QByteArray::number(i) + '\n';
    return log;
}

// A preamble line, then `sections` steps of `linesPerSection` detail lines each.
QByteArray sectionedLog(int sections, int linesPerSection)
{
    QByteArray log = "Fetching source\n";
    for (int s = 0; s < sections; ++s) {
        log += "\x1b[1m-----> Step " + QByteArray::number(s) + "\x1b[0m\n";
        for (int i = 0; i < linesPerSection; ++i)
            log += "       detail " + QByteArray::number(s) + "." + QByteArray::number(i) + '\n';
    }
    return log;
}

void wheelUp(LogView &view)
{
    const QPointF at(view.viewport()->width() / 2.0, view.viewport()->height() / 2.0);
    QWheelEvent event(at, view.viewport()->mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view.viewport(), &event);
}

QPalette darkPalette()
{
    QPalette palette;
    palette.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x31));
    palette.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    palette.setColor(QPalette::Base, QColor(0x1e, 0x1f, 0x22));
    palette.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2b));
    palette.setColor(QPalette::Text, QColor(0xdf, 0xe1, 0xe5));
    palette.setColor(QPalette::Button, QColor(0x3c, 0x3f, 0x41));
    palette.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
    palette.setColor(QPalette::Highlight, QColor(0x2f, 0x65, 0xca));
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::PlaceholderText, QColor(0x8c, 0x8f, 0x94));
    return palette;
}

} // namespace

class TestLogView : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<LogView> m_view;

    void waitLoaded(LogView &view) { QTRY_VERIFY_WITH_TIMEOUT(!view.isLoading(), 60000); }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    }

    void init()
    {
        m_view = std::make_unique<LogView>();
        m_view->resize(900, 400);
        m_view->show();
        m_view->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_view.get()));
    }

    void cleanup() { m_view.reset(); }

    void followPausesWhenScrolledUpAndResumesAtTheBottom()
    {
        LogView &view = *m_view;
        QSignalSpy following(&view, &LogView::followingChanged);
        view.appendData(numberedLines(0, 2000));
        waitLoaded(view);
        QCOMPARE(view.store().lineCount(), 2000);
        QScrollBar *vertical = view.verticalScrollBar();
        QVERIFY(vertical->maximum() > 0);
        QVERIFY(view.isFollowing());
        QCOMPARE(vertical->value(), vertical->maximum());
        QVERIFY(!view.lineRect(1999).isEmpty());

        auto *jump = view.findChild<QToolButton *>(QStringLiteral("jumpToEndButton"));
        QVERIFY(jump);
        QVERIFY(!jump->isVisible());

        wheelUp(view);
        QVERIFY(!view.isFollowing());
        QCOMPARE(following.count(), 1);
        QCOMPARE(following.last().first().toBool(), false);
        QVERIFY(jump->isVisible());
        QVERIFY(!jump->accessibleName().isEmpty());
        const int pausedAt = vertical->value();
        QVERIFY(pausedAt < vertical->maximum());

        // New lines do not move a paused view; the affordance counts them.
        view.appendData(numberedLines(2000, 500));
        waitLoaded(view);
        QCOMPARE(vertical->value(), pausedAt);
        QVERIFY2(jump->text().contains(QStringLiteral("500")), qPrintable(jump->text()));

        // Scrolling back to the bottom resumes.
        vertical->setValue(vertical->maximum());
        QVERIFY(view.isFollowing());
        QVERIFY(!jump->isVisible());
        view.appendData(numberedLines(2500, 100));
        waitLoaded(view);
        QCOMPARE(vertical->value(), vertical->maximum());
        QVERIFY(!view.lineRect(2599).isEmpty());

        // End resumes.
        vertical->setValue(10);
        QVERIFY(!view.isFollowing());
        QTest::keyClick(&view, Qt::Key_End);
        QVERIFY(view.isFollowing());
        QCOMPARE(vertical->value(), vertical->maximum());

        // So does the affordance.
        vertical->setValue(0);
        QVERIFY(!view.isFollowing());
        QTRY_VERIFY(jump->isVisible());
        QTest::mouseClick(jump, Qt::LeftButton);
        QVERIFY(view.isFollowing());
        QCOMPARE(vertical->value(), vertical->maximum());
    }

    void collapseHidesLines()
    {
        LogView &view = *m_view;
        view.appendData(sectionedLog(3, 100));
        waitLoaded(view);
        QCOMPARE(view.store().sectionCount(), 3);
        const qsizetype total = view.store().lineCount();
        QCOMPARE(total, 1 + 3 * 101);
        view.verticalScrollBar()->setValue(0);

        const QRect arrow = view.sectionArrowRect(0);
        QVERIFY(!arrow.isEmpty());
        QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, arrow.center());
        QVERIFY(view.isSectionCollapsed(0));
        QCOMPARE(view.rowCount(), total - 100);
        QVERIFY(!view.isLineVisible(2));
        QVERIFY(view.lineRect(2).isEmpty());
        // The next header sits right under the folded one.
        QCOMPARE(view.lineRect(102).top(), view.lineRect(1).bottom() + 1);

        QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, view.sectionArrowRect(0).center());
        QVERIFY(!view.isSectionCollapsed(0));
        QCOMPARE(view.rowCount(), total);

        // From the keyboard: Space folds the step the caret is in and the caret moves up to
        // its header.
        view.setSelection({150, 3}, {150, 3});
        QTest::keyClick(&view, Qt::Key_Space);
        QVERIFY(view.isSectionCollapsed(1));
        QCOMPARE(view.caret().line, 102);
        QTest::keyClick(&view, Qt::Key_Return);
        QVERIFY(!view.isSectionCollapsed(1));
        // Alt+Down goes to the next step's header.
        QTest::keyClick(&view, Qt::Key_Down, Qt::AltModifier);
        QCOMPARE(view.caret().line, 203);

        view.collapseAll();
        QCOMPARE(view.rowCount(), 1 + 3);
        for (qsizetype s = 0; s < 3; ++s)
            QVERIFY(view.isSectionCollapsed(s));
        view.expandAll();
        QCOMPARE(view.rowCount(), total);
        // The same from the keyboard.
        QTest::keyClick(&view, Qt::Key_BracketLeft, Qt::ControlModifier);
        QCOMPARE(view.rowCount(), 1 + 3);
        QTest::keyClick(&view, Qt::Key_BracketRight, Qt::ControlModifier);
        QCOMPARE(view.rowCount(), total);

        // Lines arriving in a folded last step stay folded.
        view.setSectionCollapsed(2, true);
        view.appendData("       more detail\n       and more\n");
        waitLoaded(view);
        QCOMPARE(view.rowCount(), total + 2 - 102);
    }

    void searchMovesThroughMatches()
    {
        LogView &view = *m_view;
        QByteArray log = numberedLines(0, 100);
        log += "found a \x1b[31mNeedle\x1b[0m here\n"; // line 100
        log += sectionedLog(1, 50);                    // lines 101..152
        log += "needle and needle again\n";            // line 153
        log += numberedLines(154, 2000);
        log += "last needle\n"; // line 2154
        view.appendData(log);
        waitLoaded(view);
        QSignalSpy changed(&view, &LogView::matchesChanged);

        view.setSearchText(QStringLiteral("NEEDLE"));
        QTRY_COMPARE(view.matchCount(), 4);
        QVERIFY(!view.isSearching());
        // The first match from the top of the view: the view was at the end, where the
        // last one is.
        QCOMPARE(view.currentMatch(), 3);
        QVERIFY(!view.lineRect(2154).isEmpty());
        QCOMPARE(changed.last().at(0).value<qsizetype>(), 3);
        QCOMPARE(changed.last().at(1).value<qsizetype>(), 4);

        // Next wraps around to the first, far up: the view goes there and stops following.
        view.findNext();
        QCOMPARE(view.currentMatch(), 0);
        QVERIFY(!view.lineRect(100).isEmpty());
        QVERIFY(!view.isFollowing());
        view.findNext();
        QCOMPARE(view.currentMatch(), 1);
        QVERIFY(!view.lineRect(153).isEmpty());
        view.findNext();
        QCOMPARE(view.currentMatch(), 2);
        view.findNext();
        QCOMPARE(view.currentMatch(), 3);
        QVERIFY(!view.lineRect(2154).isEmpty());
        view.findNext();
        QCOMPARE(view.currentMatch(), 0);
        view.findPrevious();
        QCOMPARE(view.currentMatch(), 3);
        view.findPrevious();
        QCOMPARE(view.currentMatch(), 2);

        // New lines are searched as they come.
        view.appendData("another needle\n");
        QTRY_COMPARE(view.matchCount(), 5);
        QCOMPARE(view.currentMatch(), 2);

        // A match in a folded step unfolds it.
        view.setSearchText(QStringLiteral("detail 0.25"));
        QTRY_COMPARE(view.matchCount(), 1);
        view.setSectionCollapsed(0, true);
        QVERIFY(!view.isLineVisible(128));
        view.findNext();
        QVERIFY(!view.isSectionCollapsed(0));
        QVERIFY(!view.lineRect(128).isEmpty());

        view.setSearchText(QString());
        QCOMPARE(view.matchCount(), 0);
        QCOMPARE(view.currentMatch(), -1);
    }

    void paneSearchFromTheKeyboard()
    {
        LogPane pane;
        pane.resize(1000, 500);
        pane.show();
        pane.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&pane));
        QByteArray log = numberedLines(0, 300);
        log += "needle one\n" + numberedLines(301, 300) + "needle two needle three\n" +
               numberedLines(602, 300) + "NEEDLE four\n";
        pane.setText(log);
        waitLoaded(*pane.view());
        pane.view()->verticalScrollBar()->setValue(0);

        auto *field = pane.findChild<QLineEdit *>(QStringLiteral("searchField"));
        auto *label = pane.findChild<QLabel *>(QStringLiteral("matchCountLabel"));
        QVERIFY(field && label);
        pane.view()->setFocus();
        QTest::keyClick(pane.view(), Qt::Key_F, Qt::ControlModifier);
        QTRY_VERIFY(field->hasFocus());
        QTest::keyClicks(field, QStringLiteral("needle"));
        QTest::keyClick(field, Qt::Key_Return);
        QTRY_COMPARE(label->text(), QStringLiteral("1 of 4"));
        QTest::keyClick(field, Qt::Key_F3);
        QCOMPARE(label->text(), QStringLiteral("2 of 4"));
        QTest::keyClick(field, Qt::Key_Return);
        QCOMPARE(label->text(), QStringLiteral("3 of 4"));
        QTest::keyClick(field, Qt::Key_Return, Qt::ShiftModifier);
        QCOMPARE(label->text(), QStringLiteral("2 of 4"));
        QTest::keyClick(field, Qt::Key_F3, Qt::ShiftModifier);
        QCOMPARE(label->text(), QStringLiteral("1 of 4"));
        QTest::mouseClick(pane.findChild<QToolButton *>(QStringLiteral("findNextButton")),
                          Qt::LeftButton);
        QCOMPARE(label->text(), QStringLiteral("2 of 4"));

        // Match case.
        QTest::mouseClick(pane.findChild<QToolButton *>(QStringLiteral("matchCaseButton")),
                          Qt::LeftButton);
        QTRY_VERIFY2(label->text().endsWith(QStringLiteral(" of 3")), qPrintable(label->text()));

        // Typing searches by itself after a pause.
        field->setFocus();
        field->selectAll();
        QTest::keyClicks(field, QStringLiteral("absent words"));
        QTRY_COMPARE(label->text(), QStringLiteral("No matches"));

        // Escape leaves the search.
        QTest::keyClick(field, Qt::Key_Escape);
        QVERIFY(field->text().isEmpty());
        QCOMPARE(pane.view()->matchCount(), 0);
        QVERIFY(label->text().isEmpty());
        QTRY_VERIFY(pane.view()->hasFocus());
    }

    void paneControlsAreNamedAndWork()
    {
        LogPane pane;
        pane.resize(1000, 500);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        pane.setText(sectionedLog(4, 20));
        waitLoaded(*pane.view());
        for (const char *name :
             {"searchField", "findPreviousButton", "findNextButton", "matchCaseButton",
              "matchCountLabel", "followButton", "collapseAllButton", "expandAllButton",
              "copyAllButton", "saveButton", "logView", "jumpToEndButton"}) {
            auto *widget = pane.findChild<QWidget *>(QLatin1String(name));
            QVERIFY2(widget, name);
            QVERIFY2(!widget->accessibleName().isEmpty(), name);
        }
        QTest::mouseClick(pane.findChild<QToolButton *>(QStringLiteral("collapseAllButton")),
                          Qt::LeftButton);
        QCOMPARE(pane.view()->rowCount(), 1 + 4);
        QTest::mouseClick(pane.findChild<QToolButton *>(QStringLiteral("expandAllButton")),
                          Qt::LeftButton);
        QCOMPARE(pane.view()->rowCount(), pane.view()->store().lineCount());

        auto *follow = pane.findChild<QToolButton *>(QStringLiteral("followButton"));
        pane.view()->verticalScrollBar()->setValue(0);
        QVERIFY(!follow->isChecked());
        QTest::mouseClick(follow, Qt::LeftButton);
        QVERIFY(pane.view()->isFollowing());
        QVERIFY(follow->isChecked());

        QGuiApplication::clipboard()->clear();
        QTest::mouseClick(pane.findChild<QToolButton *>(QStringLiteral("copyAllButton")),
                          Qt::LeftButton);
        const QString copied = QGuiApplication::clipboard()->text();
        QVERIFY(copied.startsWith(QStringLiteral("Fetching source\n-----> Step 0\n")));
        QVERIFY(!copied.contains(QLatin1Char('\x1b')));
    }

    void selectionCopiesPlainText()
    {
        LogView &view = *m_view;
        view.appendData("\x1b[31mred\x1b[0m text\n\x1b[1;32mgreen\x1b[0m line\nthird\n");
        waitLoaded(view);

        // Drag with the mouse from "text" on the first line into the second.
        QTest::mousePress(view.viewport(), Qt::LeftButton, {}, view.pointFor({0, 4}));
        QTest::mouseMove(view.viewport(), view.pointFor({1, 5}));
        QTest::mouseRelease(view.viewport(), Qt::LeftButton, {}, view.pointFor({1, 5}));
        QVERIFY(view.hasSelection());
        QCOMPARE(view.selectedText(), QStringLiteral("text\ngreen"));
        QGuiApplication::clipboard()->clear();
        QTest::keyClick(&view, Qt::Key_C, Qt::ControlModifier);
        QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("text\ngreen"));

        // Shift and the arrows extend it.
        QTest::keyClick(&view, Qt::Key_Down, Qt::ShiftModifier);
        QTest::keyClick(&view, Qt::Key_Left, Qt::ShiftModifier);
        QCOMPARE(view.selectedText(), QStringLiteral("text\ngreen line\nthir"));

        // A double click takes a word.
        QTest::mouseDClick(view.viewport(), Qt::LeftButton, {}, view.pointFor({1, 8}));
        QCOMPARE(view.selectedText(), QStringLiteral("line"));

        // The line numbers select whole lines.
        const QRect first = view.lineRect(0);
        const QRect second = view.lineRect(1);
        QTest::mousePress(view.viewport(), Qt::LeftButton, {},
                          QPoint(first.left() + first.height() + 5, first.center().y()));
        QTest::mouseMove(view.viewport(), QPoint(40, second.center().y()));
        QTest::mouseRelease(view.viewport(), Qt::LeftButton, {}, QPoint(40, second.center().y()));
        QCOMPARE(view.selectedText(), QStringLiteral("red text\ngreen line"));

        QTest::keyClick(&view, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClick(&view, Qt::Key_C, Qt::ControlModifier);
        QCOMPARE(QGuiApplication::clipboard()->text(),
                 QStringLiteral("red text\ngreen line\nthird"));
    }

    void saveWritesThePlainLog()
    {
        LogView &view = *m_view;
        view.appendData("\x1b[1m-----> Build\x1b[0m\n       \x1b[32mok\x1b[0m\nno newline yet");
        waitLoaded(view);
        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        const QString path = folder.filePath(QStringLiteral("build.log"));
        QSignalSpy finished(&view, &LogView::saveFinished);
        view.saveToFile(path);
        QTRY_COMPARE(finished.count(), 1);
        QCOMPARE(finished.first().at(0).toString(), path);
        QCOMPARE(finished.first().at(1).toString(), QString());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("-----> Build\n       ok\nno newline yet"));
    }

    void saveFailureIsShownInPlainWords()
    {
        LogView &view = *m_view;
        view.appendData("some output\n");
        waitLoaded(view);
        QTemporaryDir folder;
        const QString path = folder.filePath(QStringLiteral("missing/folder/build.log"));
        QSignalSpy finished(&view, &LogView::saveFinished);
        view.saveToFile(path);
        QTRY_COMPARE(finished.count(), 1);
        const QString error = finished.first().at(1).toString();
        QVERIFY(!error.isEmpty());
        QVERIFY2(error.contains(QDir::toNativeSeparators(path)), qPrintable(error));
        QVERIFY2(error.startsWith(QStringLiteral("Could not")), qPrintable(error));
        QMessageBox *box = nullptr;
        QTRY_VERIFY((box = view.findChild<QMessageBox *>(QStringLiteral("saveErrorMessage"))));
        QTRY_VERIFY(box->isVisible());
        QCOMPARE(box->text(), error);
        box->close();
    }

    void pastLogLoadsAcrossEventLoopTurns()
    {
        LogView &view = *m_view;
        QByteArray log;
        for (int i = 0; i < 200000; ++i)
            log += i % 5000 == 0
                       ? QByteArray("-----> Step " + QByteArray::number(i / 5000) + '\n')
                       : QByteArray("\x1b[90m" + QByteArray::number(i) +
                                    "\x1b[0m remote: Compressing objects: 100% (12/12)\n");
        QSignalSpy loading(&view, &LogView::loadingChanged);
        view.setText(log);
        // Nothing is parsed inside the call: the GUI thread returns at once.
        QVERIFY(view.isLoading());
        QCOMPARE(view.store().lineCount(), 0);
        waitLoaded(view);
        QCOMPARE(view.store().lineCount(), 200000);
        QVERIFY(!view.store().isLive());
        QVERIFY(view.store().isFinished());
        QCOMPARE(view.store().sectionCount(), 40);
        QCOMPARE(loading.first().first().toBool(), true);
        QCOMPARE(loading.last().first().toBool(), false);

        // Times for a past log come from the timeline and the deployment's end.
        view.setSectionStart(0, 0);
        view.setSectionStart(5000, 1200);
        view.setLogEnd(60000);
        QCOMPARE(view.store().sectionDuration(0), std::optional<qint64>(1200));
        QCOMPARE(view.store().sectionDuration(39), std::optional<qint64>());

        view.clear();
        QCOMPARE(view.store().lineCount(), 0);
        QVERIFY(view.store().isLive());
        QVERIFY(!view.isLoading());
    }

    void stepStartsAreArrivalTimes()
    {
        LogView &view = *m_view;
        qint64 now = 1000;
        view.setClock([&now] { return now; });
        view.appendData("-----> Fetching\n");
        now = 3000;
        view.appendData("       ok\n-----> Building\n");
        // Parsed later than it arrived: the times stay those of the arrival.
        now = 9000;
        waitLoaded(view);
        QCOMPARE(view.store().section(0).startMs, 1000);
        QCOMPARE(view.store().section(1).startMs, 3000);
        QCOMPARE(view.store().sectionDuration(0), std::optional<qint64>(2000));
        QVERIFY(view.store().isSectionRunning(1));
        QCOMPARE(view.store().sectionDuration(1), std::optional<qint64>(6000));
        view.finish();
        waitLoaded(view);
        now = 20000;
        QCOMPARE(view.store().sectionDuration(1), std::optional<qint64>(6000));
    }

    void partialLineIsShown()
    {
        LogView &view = *m_view;
        view.appendData("done\nDownloading 10%\r");
        waitLoaded(view);
        QCOMPARE(view.store().displayLineCount(), 2);
        QCOMPARE(view.store().lineText(1), QStringLiteral("Downloading 10%"));
        view.appendData("Downloading 100%\r");
        waitLoaded(view);
        QCOMPARE(view.store().lineText(1), QStringLiteral("Downloading 100%"));
        view.finish();
        waitLoaded(view);
        QCOMPARE(view.store().lineCount(), 2);
    }

    void veryLongLineStaysFluid()
    {
        LogView &view = *m_view;
        QByteArray minified;
        while (minified.size() < 1024 * 1024)
            minified += "function(a,b){return a.concat(b)};";
        view.appendData("before\n" + minified + "\nafter\n");
        waitLoaded(view);
        QElapsedTimer timer;
        timer.start();
        const QPixmap shot = view.grab();
        QVERIFY(!shot.isNull());
        QVERIFY2(timer.elapsed() < 5000, "painting a 1 MB line must not freeze the view");
        QVERIFY(view.horizontalScrollBar()->maximum() > 100000);
        view.horizontalScrollBar()->setValue(view.horizontalScrollBar()->maximum());
        QVERIFY(!view.grab().isNull());
        view.setSelection({1, 0}, {1, view.store().lineLength(1)});
        QCOMPARE(view.selectedText().size(), minified.size());
        view.setSearchText(QStringLiteral("concat"));
        // Searching a 1 MB line runs off the GUI thread; slow builds (sanitizers) need longer.
        QTRY_COMPARE_WITH_TIMEOUT(view.matchCount(), minified.size() / 34, 60000);
    }

    void floodKeepsTheEventLoopResponsive()
    {
        LogView &view = *m_view;
        QByteArray log;
        for (int i = 0; i < 100000; ++i)
            log += "\x1b[32m       added\x1b[0m package-" + QByteArray::number(i) +
                   " \x1b[2m(from registry)\x1b[0m in " + QByteArray::number(i % 997) + "ms\n";
        QElapsedTimer clock;
        qint64 last = 0;
        qint64 longestGap = 0;
        QTimer tick;
        tick.setInterval(10);
        connect(&tick, &QTimer::timeout, this, [&] {
            const qint64 now = clock.elapsed();
            longestGap = qMax(longestGap, now - last);
            last = now;
        });
        clock.start();
        tick.start();
        view.appendData(log);
        waitLoaded(view);
        tick.stop();
        QCOMPARE(view.store().lineCount(), 100000);
        // A generous bound for a shared machine; slices are a few milliseconds.
        QVERIFY2(longestGap < 1000, qPrintable(QString::number(longestGap)));
    }

    void followsThePalette()
    {
        LogPane pane;
        pane.resize(1000, 420);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QByteArray log = "Fetching source\n\x1b[1m-----> Installing dependencies\x1b[0m\n";
        log += "       \x1b[30;43m WARN \x1b[0m deprecated \x1b[33mrequest@2.88\x1b[0m\n";
        log += "       \x1b[31merror\x1b[0m \x1b[1mnot bold\x1b[0m \x1b[2mdim\x1b[0m "
               "\x1b[4munderline\x1b[0m \x1b[3mitalic\x1b[0m\n";
        log += "       \x1b[38;5;208m256 orange\x1b[0m \x1b[38;2;120;200;255mtruecolor\x1b[0m\n";
        log += "-----> Building\n       ok\n";
        pane.setText(log);
        waitLoaded(*pane.view());
        pane.view()->setSectionStart(1, 0);
        pane.view()->setSectionStart(5, 12300);
        pane.view()->setLogEnd(75000);
        pane.view()->setSearchText(QStringLiteral("deprecated"));
        QTRY_COMPARE(pane.view()->matchCount(), 1);

        const QString shots = qEnvironmentVariable("SLIPWAY_SCREENSHOT_DIR");
        for (const bool dark : {false, true}) {
            const QPalette palette =
                dark ? darkPalette() : QApplication::style()->standardPalette();
            pane.setPalette(palette);
            QApplication::processEvents();
            const QImage image = pane.view()->viewport()->grab().toImage();
            // The text area takes the palette's base colour (far right of a plain line).
            const QRect plain = pane.view()->lineRect(0);
            const QColor base = image.pixelColor(QPoint(plain.right() - 4, plain.center().y()) *
                                                 image.devicePixelRatio());
            QCOMPARE(base.rgb(), palette.color(QPalette::Base).rgb());
            // Section headers stand out from it.
            const QRect header = pane.view()->lineRect(1);
            const QColor band = image.pixelColor(QPoint(header.center().x(), header.top() + 1) *
                                                 image.devicePixelRatio());
            QVERIFY(band.rgb() != base.rgb());
            if (!shots.isEmpty())
                pane.grab().save(QDir(shots).filePath(dark ? QStringLiteral("logpane-dark.png")
                                                           : QStringLiteral("logpane-light.png")));
        }
    }

    // Pictures of the pane in its states for a person to look at (set SLIPWAY_SCREENSHOT_DIR):
    // a running step counting up, a folded step, following paused, a cut long line.
    void screenshotsOfStates()
    {
        const QString shots = qEnvironmentVariable("SLIPWAY_SCREENSHOT_DIR");
        if (shots.isEmpty())
            QSKIP("SLIPWAY_SCREENSHOT_DIR is not set");
        qint64 now = 0;
        LogPane pane;
        pane.resize(1000, 420);
        pane.view()->setClock([&now] { return now; });
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        pane.appendData("\x1b[1m-----> Fetching source\x1b[0m\n       12 files\n");
        now = 1800;
        QByteArray log = "-----> Installing dependencies\n";
        for (int i = 0; i < 40; ++i)
            log += "       \x1b[32madded\x1b[39m package-" + QByteArray::number(i) + "\n";
        pane.appendData(log);
        waitLoaded(*pane.view());
        now = 64000;
        QByteArray tail = "\x1b[1m-----> Building\x1b[0m\n";
        QByteArray minified = "       ";
        while (minified.size() < 200000)
            minified += "!function(e){return e.map(function(t){return t*2})}(window);";
        tail += minified + "\n       \x1b[31merror\x1b[39m TS2345 in src/app.ts:12\n";
        for (int i = 0; i < 30; ++i)
            tail += "       \x1b[2mwebpack\x1b[22m compiled chunk " + QByteArray::number(i) +
                    " \x1b[1m\x1b[33m" + QByteArray::number(i * 17) + " KiB\x1b[39m\x1b[22m\n";
        pane.appendData(tail);
        waitLoaded(*pane.view());
        now = 95000;
        pane.view()->setSectionCollapsed(1, true);
        pane.view()->verticalScrollBar()->setValue(0);
        pane.appendData("       more output\nDownloading 45% \x1b[38;5;70m━━━━━━━━━━━━━\x1b[0m\r");
        waitLoaded(*pane.view());
        pane.view()->setSearchText(QStringLiteral("chunk 1"));
        QTRY_VERIFY(pane.view()->matchCount() > 0);
        pane.view()->verticalScrollBar()->setValue(0);
        for (const bool dark : {false, true}) {
            pane.setPalette(dark ? darkPalette() : QApplication::style()->standardPalette());
            QApplication::processEvents();
            pane.grab().save(QDir(shots).filePath(dark ? QStringLiteral("states-dark.png")
                                                       : QStringLiteral("states-light.png")));
        }
    }
};

QTEST_MAIN(TestLogView)
#include "tst_logview.moc"
