// The rollout view as a user meets it, offscreen: every state renders at the widths the
// console uses, in a light and a dark palette; tiles exist per container and show their
// output on click and Enter; the scrubber replays a finished deployment.
//
// With SLIPWAY_ROLLOUT_SCREENSHOTS=/some/folder the rendered panes are also saved there as
// PNG files, to look at.

#include "RolloutFixtures.h"
#include "rollout/RolloutPane.h"
#include "rollout/RolloutScrubber.h"
#include "rollout/RolloutView.h"

#include <QAccessible>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLayout>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QScrollBar>
#include <QSet>
#include <QSlider>
#include <QStyle>
#include <QStyleFactory>
#include <QToolButton>
#include <QToolTip>
#include <QtTest>

#include <memory>

using namespace Slipway;
using namespace RolloutFixtures;
using StepKind = RolloutState::StepKind;

namespace {

QPalette lightPalette()
{
    // The style only lends its palette: a style made here per call was never deleted.
    const std::unique_ptr<QStyle> fusion(QStyleFactory::create(QStringLiteral("Fusion")));
    return fusion->standardPalette();
}

QPalette darkPalette()
{
    QPalette palette;
    const QColor window(0x2b, 0x2d, 0x30);
    const QColor base(0x1e, 0x1f, 0x22);
    const QColor text(0xe4, 0xe6, 0xeb);
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::AlternateBase, window);
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::Button, QColor(0x3c, 0x3f, 0x41));
    palette.setColor(QPalette::ButtonText, text);
    palette.setColor(QPalette::Highlight, QColor(0x3d, 0x8e, 0xe6));
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::ToolTipBase, base);
    palette.setColor(QPalette::ToolTipText, text);
    palette.setColor(QPalette::PlaceholderText, QColor(0x8a, 0x8d, 0x91));
    return palette;
}

// A picture is "not blank" when it has many colours and much of it differs from the window.
bool looksPainted(const QImage &image, const QColor &window)
{
    if (image.isNull())
        return false;
    QSet<QRgb> colours;
    qint64 painted = 0;
    qint64 total = 0;
    for (int y = 0; y < image.height(); y += 2) {
        for (int x = 0; x < image.width(); x += 2) {
            const QRgb pixel = image.pixel(x, y);
            colours.insert(pixel);
            if (qAbs(qGray(pixel) - qGray(window.rgb())) > 12)
                ++painted;
            ++total;
        }
    }
    return colours.size() > 20 && painted * 50 > total; // more than 2 % of it drawn on
}

void loadInto(RolloutPane &pane, const Deployment &deployment)
{
    QString error;
    QVERIFY2(pane.setDeployment(deployment.json, &error), qPrintable(error));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    pane.setLog(deployment.log);
}

// Sizes the pane so its whole view shows, as the screenshots want it.
void fitHeight(RolloutPane &pane, int width)
{
    pane.resize(width, 900);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    auto *scroll = pane.findChild<QScrollArea *>(QStringLiteral("rolloutScrollArea"));
    // Twice: the scroll bar that showed at the first height goes away at the second.
    for (int round = 0; round < 3; ++round) {
        pane.layout()->activate();
        QCoreApplication::processEvents();
        const int chrome = pane.height() - scroll->viewport()->height();
        const int needed = pane.view()->heightForWidth(scroll->width()) + chrome;
        pane.resize(width, needed);
    }
    pane.layout()->activate();
    QCoreApplication::processEvents();
}

struct Scene
{
    QString name;
    Deployment deployment;
    qint64 offset; // -1: the finished deployment at its end; otherwise live at that moment
    QString status;
};

QList<Scene> scenes()
{
    Deployment queued;
    queued.json = {{QStringLiteral("id"), QStringLiteral("d11-0001")},
                   {QStringLiteral("status"), QStringLiteral("queued")},
                   {QStringLiteral("waiting_for"), QStringLiteral("d10-3c9a")},
                   {QStringLiteral("previous_release"), 10},
                   {QStringLiteral("created_at"),
                    QDateTime::currentDateTimeUtc().addSecs(-4).toString(Qt::ISODateWithMs)},
                   {QStringLiteral("timeline"), QJsonArray()}};
    const Deployment many = manyContainers();
    return {
        {QStringLiteral("01-queued"), queued, -2, {}},
        {QStringLiteral("02-building"), firstDeploySuccess(), 5000, QStringLiteral("building")},
        {QStringLiteral("03-probing"), firstDeploySuccess(), 20700, QStringLiteral("starting")},
        {QStringLiteral("04-many-probing"), many, 19755, QStringLiteral("starting")},
        {QStringLiteral("05-hook-running"), redeploySuccess(), 16000, QStringLiteral("starting")},
        {QStringLiteral("06-draining"), killedAfterGrace(), 5730, QStringLiteral("success")},
        {QStringLiteral("07-timeout-live"), timeoutError(), 70000, QStringLiteral("starting")},
        {QStringLiteral("08-first-success"), firstDeploySuccess(), -1, {}},
        {QStringLiteral("09-redeploy-success"), redeploySuccess(), -1, {}},
        {QStringLiteral("10-killed"), killedAfterGrace(), -1, {}},
        {QStringLiteral("11-crashed"), crashedError(), -1, {}},
        {QStringLiteral("12-timeout"), timeoutError(), -1, {}},
        {QStringLiteral("13-hook-error"), hookError(), -1, {}},
        {QStringLiteral("14-aborted"), abortedBuilding(), -1, {}},
        {QStringLiteral("15-without-data"), legacyWithoutData(), -1, {}},
        {QStringLiteral("16-many-end"), many, -1, {}},
        {QStringLiteral("17-swarm-success"), swarmDeploySuccess(), -1, {}},
        {QStringLiteral("18-finishing-requests"), drainedRedeploy(),
         offsetOf(drainedRedeploy(), QStringLiteral("traffic-routed")) + 600,
         QStringLiteral("success")},
    };
}

void show(RolloutPane &pane, const Scene &scene)
{
    if (scene.offset == -2)
        loadInto(pane, scene.deployment);
    else if (scene.offset >= 0)
        loadInto(pane, liveAt(scene.deployment, scene.offset, scene.status));
    else
        loadInto(pane, scene.deployment);
}

} // namespace

class TestRolloutView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void rendersEveryState_data();
    void rendersEveryState();
    void tilesForEachContainer();
    void clickShowsOutput();
    void keyboardReachesTiles();
    void tooltipShowsLastLines();
    void statusHeader();
    void accessibleDescription();
    void scrubberReplays();
    void liveDeploymentCountsDown();
};

void TestRolloutView::initTestCase()
{
    QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
}

void TestRolloutView::rendersEveryState_data()
{
    QTest::addColumn<int>("scene");
    QTest::addColumn<int>("width");
    QTest::addColumn<bool>("dark");
    const QList<Scene> all = scenes();
    for (int i = 0; i < all.size(); ++i) {
        for (int width : {700, 900, 1400, 1600}) {
            for (bool dark : {false, true}) {
                QTest::addRow("%s-%d-%s", qPrintable(all.at(i).name), width,
                              dark ? "dark" : "light")
                    << i << width << dark;
            }
        }
    }
}

void TestRolloutView::rendersEveryState()
{
    QFETCH(int, scene);
    QFETCH(int, width);
    QFETCH(bool, dark);
    const Scene current = scenes().at(scene);
    RolloutPane pane;
    pane.setPalette(dark ? darkPalette() : lightPalette());
    show(pane, current);
    fitHeight(pane, width);
    // Its height follows its width: given that height, everything shows without scrolling.
    auto *scroll = pane.findChild<QScrollArea *>(QStringLiteral("rolloutScrollArea"));
    QVERIFY(!scroll->verticalScrollBar()->isVisible());
    QCOMPARE(pane.view()->height(), pane.view()->heightForWidth(pane.view()->width()));
    const QImage image = pane.grab().toImage();
    QVERIFY(!image.isNull());
    QVERIFY(looksPainted(image, pane.palette().color(QPalette::Window)));
    // The view itself fits its width: no tile beyond the right edge.
    RolloutView *view = pane.view();
    for (const QString &name : view->itemNames()) {
        const QRect rect = view->itemRect(name);
        QVERIFY2(rect.isValid(), qPrintable(name));
        QVERIFY2(rect.right() < view->width(), qPrintable(name));
    }
    const QString folder = qEnvironmentVariable("SLIPWAY_ROLLOUT_SCREENSHOTS");
    if (!folder.isEmpty()) {
        QDir().mkpath(folder);
        image.save(QStringLiteral("%1/%2-%3-%4.png")
                       .arg(folder, current.name)
                       .arg(width)
                       .arg(dark ? QStringLiteral("dark") : QStringLiteral("light")));
    }
}

void TestRolloutView::tilesForEachContainer()
{
    RolloutPane pane;
    loadInto(pane, manyContainers());
    pane.scrubber()->setPosition(19755);
    fitHeight(pane, 900);
    RolloutView *view = pane.view();
    const QStringList names = view->itemNames();
    QCOMPARE(names.size(), 14);
    QCOMPARE(names.first(), QStringLiteral("web-1"));
    QCOMPARE(names.last(), QStringLiteral("worker-2"));
    QList<QRect> rects;
    for (const QString &name : names) {
        const QRect rect = view->itemRect(name);
        QVERIFY(rect.isValid());
        for (const QRect &other : std::as_const(rects))
            QVERIFY2(!rect.intersects(other), qPrintable(name));
        rects.append(rect);
    }
    // Fourteen tiles do not fit one row at 900 px: they wrap.
    QVERIFY(rects.last().top() > rects.first().top());
    QCOMPARE(rects.at(1).top(), rects.first().top());
    // Once traffic moved, the old containers get their own tiles too.
    QVERIFY(!view->itemRect(QStringLiteral("old:web-12")).isValid());
    pane.scrubber()->setPosition(pane.scrubber()->duration());
    QCOMPARE(pane.state().oldContainers.size(), 14);
    QVERIFY(view->itemRect(QStringLiteral("old:web-12")).isValid());
    QVERIFY(view->itemRect(QStringLiteral("old:web-12")).top() > rects.last().bottom());

    // Wider: more per row, so fewer rows.
    fitHeight(pane, 1600);
    const int wideRows = view->itemRect(QStringLiteral("worker-2")).top();
    QVERIFY(wideRows < rects.last().top());
}

void TestRolloutView::clickShowsOutput()
{
    RolloutPane pane;
    loadInto(pane, crashedError());
    fitHeight(pane, 1000);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    auto *details = pane.findChild<QWidget *>(QStringLiteral("rolloutDetails"));
    auto *output = pane.findChild<QPlainTextEdit *>(QStringLiteral("rolloutOutput"));
    QVERIFY(details && output);
    QVERIFY(!details->isVisible());

    QSignalSpy activated(&pane, &RolloutPane::itemActivated);
    RolloutView *view = pane.view();
    QTest::mouseClick(view, Qt::LeftButton, {}, view->itemRect(QStringLiteral("web-2")).center());
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.first().first().toString(), QStringLiteral("web-2"));
    QTRY_VERIFY(details->isVisible());
    QVERIFY(output->toPlainText().contains(QStringLiteral("Error: Cannot find module 'express'")));
    auto *title = pane.findChild<QLabel *>(QStringLiteral("rolloutDetailsTitle"));
    QVERIFY(title->text().startsWith(QStringLiteral("web-2")));

    // The failure panel names the same container.
    QCOMPARE(pane.state().failure.container, QStringLiteral("web-2"));

    auto *close = pane.findChild<QToolButton *>(QStringLiteral("rolloutDetailsClose"));
    QTest::mouseClick(close, Qt::LeftButton);
    QVERIFY(!details->isVisible());

    // A click beside the tiles activates nothing.
    QTest::mouseClick(view, Qt::LeftButton, {}, QPoint(2, 2));
    QCOMPARE(activated.size(), 1);
}

void TestRolloutView::keyboardReachesTiles()
{
    RolloutPane pane;
    loadInto(pane, redeploySuccess());
    fitHeight(pane, 1000);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    RolloutView *view = pane.view();
    QCOMPARE(view->itemNames(),
             (QStringList{QStringLiteral("web-1"), QStringLiteral("postdeploy-1")}));

    view->setFocus(Qt::TabFocusReason);
    QTRY_VERIFY(view->hasFocus());
    QCOMPARE(view->currentItem(), QStringLiteral("web-1"));
    QTest::keyClick(view, Qt::Key_Right);
    QCOMPARE(view->currentItem(), QStringLiteral("postdeploy-1"));
    QTest::keyClick(view, Qt::Key_Left);
    QCOMPARE(view->currentItem(), QStringLiteral("web-1"));

    // Tab walks the items before it leaves the view.
    QTest::keyClick(view, Qt::Key_Tab);
    QVERIFY(view->hasFocus());
    QCOMPARE(view->currentItem(), QStringLiteral("postdeploy-1"));

    QTest::keyClick(view, Qt::Key_Return);
    auto *output = pane.findChild<QPlainTextEdit *>(QStringLiteral("rolloutOutput"));
    QTRY_VERIFY(output->isVisible());
    QVERIFY(output->toPlainText().contains(QStringLiteral("AddSkuToProducts: migrated")));
    QCOMPARE(pane.shownOutput(), QStringLiteral("postdeploy-1"));

    QTest::keyClick(view, Qt::Key_Home);
    QTest::keyClick(view, Qt::Key_Enter);
    QCOMPARE(pane.shownOutput(), QStringLiteral("web-1"));
    QVERIFY(output->toPlainText().contains(QStringLiteral("shop listening on port 5003")));
}

void TestRolloutView::tooltipShowsLastLines()
{
    RolloutPane pane;
    loadInto(pane, crashedError());
    fitHeight(pane, 1000);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    RolloutView *view = pane.view();
    const QPoint at = view->itemRect(QStringLiteral("web-2")).center();
    QHelpEvent help(QEvent::ToolTip, at, view->mapToGlobal(at));
    QApplication::sendEvent(view, &help);
    QTRY_VERIFY(QToolTip::isVisible());
    QVERIFY2(QToolTip::text().contains(QStringLiteral("Cannot find module")),
             qPrintable(QToolTip::text()));
    QVERIFY(QToolTip::text().contains(QStringLiteral("exited with status 1")));
    QToolTip::hideText();
}

void TestRolloutView::statusHeader()
{
    RolloutPane pane;
    pane.setPalette(darkPalette());
    loadInto(pane, timeoutError());
    auto *status = pane.findChild<QLabel *>(QStringLiteral("rolloutStatus"));
    QVERIFY(status);
    QCOMPARE(status->text(), QStringLiteral("timeout-error"));
    QCOMPARE(status->palette().color(QPalette::WindowText),
             StatusStyle::color(StatusFamily::Bad, pane.palette()));
    auto *elapsed = pane.findChild<QLabel *>(QStringLiteral("rolloutElapsed"));
    QVERIFY2(elapsed->text().startsWith(QStringLiteral("took 1 min 12 s")),
             qPrintable(elapsed->text()));

    // Replayed from its start, the header says what it was then.
    pane.scrubber()->setPosition(5000);
    QCOMPARE(status->text(), QStringLiteral("building"));
    QCOMPARE(status->palette().color(QPalette::WindowText),
             StatusStyle::color(StatusFamily::Active, pane.palette()));
}

void TestRolloutView::accessibleDescription()
{
    RolloutPane pane;
    loadInto(pane, firstDeploySuccess());
    pane.scrubber()->setPosition(20700);
    RolloutView *view = pane.view();
    QCOMPARE(view->accessibleName(), QStringLiteral("Rollout"));
    QVERIFY2(view->accessibleDescription().startsWith(
                 QStringLiteral("Step 2 of 4, wait until ready: web-1 probing (3 probes)")),
             qPrintable(view->accessibleDescription()));
    QVERIFY(
        view->accessibleDescription().contains(QStringLiteral("60 s left of the boot timeout")));
    // Every control the tests and assistive tools reach has a name.
    for (const char *name :
         {"rolloutPane", "rolloutView", "rolloutStatus", "rolloutRelease", "rolloutElapsed",
          "rolloutScrubber", "rolloutPlayButton", "rolloutScrubberSlider", "rolloutSpeedBox",
          "rolloutOutput", "rolloutDetailsClose"}) {
        QVERIFY2(pane.objectName() == QLatin1String(name) ||
                     pane.findChild<QWidget *>(QLatin1String(name)),
                 name);
    }
}

void TestRolloutView::scrubberReplays()
{
    RolloutPane pane;
    const Deployment fixture = redeploySuccess();
    loadInto(pane, fixture);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    QVERIFY(pane.isReplay());
    RolloutScrubber *scrubber = pane.scrubber();
    QVERIFY(scrubber->isVisible());
    QCOMPARE(scrubber->duration(), fixture.end);
    // It opens on the final picture.
    QCOMPARE(scrubber->position(), fixture.end);
    QCOMPARE(pane.state().status, QStringLiteral("success"));
    QCOMPARE(pane.state().oldContainers.first().state, QStringLiteral("exited"));

    auto *slider = pane.findChild<QSlider *>(QStringLiteral("rolloutScrubberSlider"));
    slider->setValue(0);
    QCOMPARE(scrubber->position(), 0);
    QCOMPARE(pane.state().offsetMs, 0);
    QCOMPARE(pane.state().status, QStringLiteral("queued"));
    QVERIFY(pane.state().tiles.isEmpty());
    QCOMPARE(pane.state().step(StepKind::Build).state, RolloutState::StepState::Running);

    slider->setValue(16000);
    QCOMPARE(pane.state().hook.state, QStringLiteral("running"));
    QCOMPARE(pane.state().traffic.servingRelease, 1);

    slider->setValue(slider->maximum());
    QCOMPARE(pane.state().status, QStringLiteral("success"));
    QCOMPARE(pane.state().traffic.servingRelease, 2);
    QCOMPARE(pane.state().currentStep, -1);

    // Play from the start, fast: the position and the picture move on.
    slider->setValue(0);
    scrubber->setSpeed(30);
    QCOMPARE(pane.findChild<QComboBox *>(QStringLiteral("rolloutSpeedBox"))->currentText(),
             QStringLiteral("30×"));
    auto *play = pane.findChild<QToolButton *>(QStringLiteral("rolloutPlayButton"));
    QTest::mouseClick(play, Qt::LeftButton);
    QVERIFY(scrubber->isPlaying());
    QTRY_VERIFY(scrubber->position() > 3000);
    QTRY_COMPARE(pane.state().status, QStringLiteral("building"));
    QTest::mouseClick(play, Qt::LeftButton);
    QVERIFY(!scrubber->isPlaying());
    const qint64 paused = scrubber->position();
    QTest::qWait(150);
    QCOMPARE(scrubber->position(), paused);

    // The moments worth a look are marked; a click on one jumps there.
    QStringList labels;
    for (const RolloutScrubber::Mark &mark : scrubber->marks())
        labels.append(mark.label);
    QCOMPARE(labels, (QStringList{QStringLiteral("rollout"), QStringLiteral("all ready"),
                                  QStringLiteral("hook"), QStringLiteral("switch"),
                                  QStringLiteral("drained")}));
    const int switchMark = int(labels.indexOf(QStringLiteral("switch")));
    QTest::mouseClick(scrubber, Qt::LeftButton, {}, scrubber->markPosition(switchMark));
    QCOMPARE(scrubber->position(), scrubber->marks().at(switchMark).offsetMs);
    QCOMPARE(pane.state().traffic.happened, true);
    QCOMPARE(pane.state().traffic.servingRelease, 2);

    // Played to the end, it stops there; playing again starts over.
    slider->setValue(int(fixture.end) - 200);
    scrubber->play();
    QTRY_VERIFY(!scrubber->isPlaying());
    QCOMPARE(scrubber->position(), fixture.end);
    scrubber->play();
    QVERIFY(scrubber->position() < 2000);
    scrubber->pause();
}

void TestRolloutView::liveDeploymentCountsDown()
{
    RolloutPane pane;
    const Deployment fixture = firstDeploySuccess();
    loadInto(pane, liveAt(fixture, 20700, QStringLiteral("starting")));
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    QVERIFY(!pane.isReplay());
    QVERIFY(!pane.scrubber()->isVisible());
    QCOMPARE(pane.state().currentStep, int(StepKind::WaitReady));
    const qint64 before = pane.state().bootTimeout.remainingMs;
    QVERIFY(before <= 60000 - 244);
    // The live view follows the clock while the boot timeout runs down.
    QTRY_VERIFY(pane.state().bootTimeout.remainingMs < before);
    auto *elapsed = pane.findChild<QLabel *>(QStringLiteral("rolloutElapsed"));
    QVERIFY2(elapsed->text().startsWith(QStringLiteral("running for")),
             qPrintable(elapsed->text()));

    // The rest arrives from /v1/events; the deployment ends and becomes a replay.
    for (const QJsonValue &value : fixture.json.value(QStringLiteral("timeline")).toArray())
        QVERIFY(pane.appendEvent(value.toObject()));
    pane.setStatus(QStringLiteral("success"));
    QTRY_VERIFY(pane.isReplay());
    QVERIFY(pane.scrubber()->isVisible());
    QCOMPARE(pane.state().status, QStringLiteral("success"));
    QCOMPARE(pane.state().traffic.servingRelease, 1);

    QString error;
    QVERIFY(!pane.appendEvent({{QStringLiteral("kind"), QStringLiteral("note")}}, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(pane.findChild<QLabel *>(QStringLiteral("rolloutProblem"))->isVisible());
}

QTEST_MAIN(TestRolloutView)
#include "tst_rolloutview.moc"
