// The rollout view's state, computed from timelines written as the engine writes them:
// step states and durations, tiles, countdowns, the traffic switch, the old containers and
// the failure, at several moments of each deployment.

#include "RolloutFixtures.h"
#include "rollout/RolloutTimeline.h"

#include <QtTest>

using namespace Slipway;
using namespace RolloutFixtures;
using StepKind = RolloutState::StepKind;
using StepState = RolloutState::StepState;

Q_DECLARE_METATYPE(Slipway::RolloutState::StepState)

namespace {

RolloutTimeline load(const Deployment &deployment)
{
    RolloutTimeline timeline;
    QString error;
    const bool loaded = timeline.setDeployment(deployment.json, &error);
    if (!loaded || !error.isEmpty())
        qWarning("fixture rejected: %s", qPrintable(error));
    timeline.setLog(deployment.log);
    return timeline;
}

QList<StepState> states(const RolloutState &state)
{
    QList<StepState> result;
    for (const RolloutState::Step &step : state.steps)
        result.append(step.state);
    return result;
}

} // namespace

class TestRolloutState : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstDeployBuildPhase();
    void firstDeployProbing();
    void firstDeployEnd();
    void swarmTilesNameTheirNode();
    void redeployHookAndDraining();
    void oldContainerKilledAfterGrace();
    void drainingAfterSuccess();
    void routerFinishesRequestsBeforeSigterm();
    void crashedError();
    void timeoutErrorCountdown();
    void hookError();
    void abortedDuringBuild();
    void withoutData();
    void liveEventsGiveTheSamePicture();
    void liveStatusAheadOfEvents();
    void rejectsMalformedEvents();
    void summaryInWords();
    void durationsReadWell();
};

void TestRolloutState::firstDeployBuildPhase()
{
    const RolloutTimeline timeline = load(firstDeploySuccess());
    QVERIFY(timeline.isFinished());
    QCOMPARE(timeline.endOffset(), 21169);

    RolloutState state = timeline.snapshotAt(0);
    QCOMPARE(state.status, QStringLiteral("queued"));
    QCOMPARE(state.step(StepKind::Build).state, StepState::Running);
    QCOMPARE(state.step(StepKind::Build).detail, QStringLiteral("queued"));
    QCOMPARE(state.currentStep, 0);

    state = timeline.snapshotAt(5000);
    QCOMPARE(state.status, QStringLiteral("building"));
    QCOMPARE(state.statusFamily, StatusFamily::Active);
    QCOMPARE(state.step(StepKind::Build).state, StepState::Running);
    QCOMPARE(state.step(StepKind::Build).detail, QStringLiteral("building · Node.js"));
    QCOMPARE(state.step(StepKind::Build).durationMs, 5000);
    for (int i = 1; i < state.steps.size(); ++i)
        QCOMPARE(state.steps.at(i).state, StepState::Pending);
    QVERIFY(state.tiles.isEmpty());
    QVERIFY(!state.failure.failed);
    QVERIFY(!state.traffic.servingRelease); // a first deployment: nothing serves yet

    state = timeline.snapshotAt(20001);
    QCOMPARE(state.status, QStringLiteral("pushing"));
    QCOMPARE(state.step(StepKind::Build).detail, QStringLiteral("pushing"));
    QCOMPARE(state.release, 1);
}

void TestRolloutState::firstDeployProbing()
{
    const RolloutTimeline timeline = load(firstDeploySuccess());
    RolloutState state = timeline.snapshotAt(20700);
    QCOMPARE(state.status, QStringLiteral("starting"));
    QCOMPARE(state.step(StepKind::Build).state, StepState::Done);
    QCOMPARE(state.step(StepKind::Build).durationMs, 20455);
    QVERIFY(state.step(StepKind::Build).detail.startsWith(QStringLiteral("Node.js · 18.")));
    QCOMPARE(state.step(StepKind::Start).state, StepState::Done);
    QCOMPARE(state.step(StepKind::Start).durationMs, 1);
    QCOMPARE(state.step(StepKind::Start).detail, QStringLiteral("2 of 2 started"));
    QCOMPARE(state.step(StepKind::WaitReady).state, StepState::Running);
    QCOMPARE(state.step(StepKind::WaitReady).durationMs, 244);
    QCOMPARE(state.step(StepKind::WaitReady).detail, QStringLiteral("0 of 2 ready"));
    QCOMPARE(state.currentStep, int(StepKind::WaitReady));
    QCOMPARE(state.step(StepKind::Postdeploy).state, StepState::Pending);

    QCOMPARE(state.tiles.size(), 2);
    const RolloutState::Tile *web1 = state.tile(QStringLiteral("web-1"));
    QVERIFY(web1);
    QCOMPARE(web1->type, QStringLiteral("web"));
    QCOMPARE(web1->index, 1);
    QCOMPARE(web1->port, 5001);
    QCOMPARE(web1->pid, 48211);
    QCOMPARE(web1->state, QStringLiteral("probing"));
    QCOMPARE(web1->family, StatusFamily::Active);
    QCOMPARE(web1->probes, 3);
    QCOMPARE(state.tile(QStringLiteral("web-2"))->probes, 3);

    QVERIFY(state.bootTimeout.known);
    QVERIFY(state.bootTimeout.running);
    QCOMPARE(state.bootTimeout.totalMs, 60000);
    QCOMPARE(state.bootTimeout.remainingMs, 60000 - 244);
    QCOMPARE(state.probeIntervalMs, 100);

    state = timeline.snapshotAt(21000);
    web1 = state.tile(QStringLiteral("web-1"));
    QCOMPARE(web1->state, QStringLiteral("ready"));
    QCOMPARE(web1->family, StatusFamily::Good);
    QCOMPARE(web1->probes, 5);
    QCOMPARE(web1->timeToReadyMs, 401);
    QCOMPARE(state.tile(QStringLiteral("web-2"))->state, QStringLiteral("probing"));
    QCOMPARE(state.tile(QStringLiteral("web-2"))->probes, 6);
    QCOMPARE(state.step(StepKind::WaitReady).detail, QStringLiteral("1 of 2 ready"));

    // The moment before the switch: nothing routed yet.
    state = timeline.snapshotAt(21168);
    QCOMPARE(state.step(StepKind::Postdeploy).state, StepState::Skipped);
    QCOMPARE(state.step(StepKind::Route).state, StepState::Running);
    QVERIFY(!state.traffic.happened);
    QVERIFY(!state.traffic.servingRelease);
    QCOMPARE(state.tile(QStringLiteral("web-2"))->state, QStringLiteral("ready"));
}

void TestRolloutState::swarmTilesNameTheirNode()
{
    const RolloutTimeline timeline = load(swarmDeploySuccess());
    const RolloutState state = timeline.snapshotAt(timeline.durationMs());
    QCOMPARE(state.tiles.size(), 2);
    const RolloutState::Tile *web1 = state.tile(QStringLiteral("web-1"));
    const RolloutState::Tile *web2 = state.tile(QStringLiteral("web-2"));
    QVERIFY(web1 && web2);
    QCOMPARE(web1->runtime, QStringLiteral("swarm"));
    QCOMPARE(web1->node, QStringLiteral("manager-1"));
    QCOMPARE(web1->host, QStringLiteral("10.0.0.5"));
    QCOMPARE(web2->node, QStringLiteral("worker-1"));
    QCOMPARE(web2->port, 41002);
    QCOMPARE(web2->state, QStringLiteral("serving"));
    // A timeline from before runtimes were named: nothing made up.
    const RolloutState older = load(firstDeploySuccess()).snapshotAt(30000);
    QVERIFY(older.tile(QStringLiteral("web-1"))->runtime.isEmpty());
    QVERIFY(older.tile(QStringLiteral("web-1"))->node.isEmpty());
}

void TestRolloutState::firstDeployEnd()
{
    const RolloutTimeline timeline = load(firstDeploySuccess());
    const RolloutState state = timeline.snapshotAt(timeline.endOffset());
    QCOMPARE(state.status, QStringLiteral("success"));
    QCOMPARE(state.statusFamily, StatusFamily::Good);
    QVERIFY(state.finished);
    QCOMPARE(states(state),
             (QList<StepState>{StepState::Done, StepState::Done, StepState::Done,
                               StepState::Skipped, StepState::Done, StepState::Done}));
    QCOMPARE(state.currentStep, -1);
    QCOMPARE(state.step(StepKind::WaitReady).durationMs, 711);
    QCOMPARE(state.step(StepKind::Route).durationMs, 1);
    QCOMPARE(state.step(StepKind::StopOld).detail, QStringLiteral("none to stop"));
    QCOMPARE(state.step(StepKind::Postdeploy).detail, QStringLiteral("no hook"));
    QCOMPARE(state.hook.state, QStringLiteral("skipped"));

    QVERIFY(state.traffic.happened);
    QCOMPARE(state.traffic.atMs, 21169);
    QCOMPARE(state.traffic.time, createdAt().addMSecs(21169));
    QVERIFY(!state.traffic.fromRelease);
    QCOMPARE(state.traffic.toRelease, 1);
    QCOMPARE(state.traffic.servingRelease, 1);
    QCOMPARE(state.traffic.containers,
             (QStringList{QStringLiteral("web-1"), QStringLiteral("web-2")}));
    for (const RolloutState::Tile &tile : state.tiles)
        QCOMPARE(tile.state, QStringLiteral("serving"));
    QVERIFY(!state.bootTimeout.running);
    QCOMPARE(state.bootTimeout.remainingMs, 60000 - 711);
    QVERIFY(state.oldContainers.isEmpty());
    QVERIFY(!state.failure.failed);

    // The containers' own lines come from the deployment log.
    QCOMPARE(state.tile(QStringLiteral("web-1"))->lastLines.last(),
             QStringLiteral("shop listening on port 5001"));
    QCOMPARE(state.tile(QStringLiteral("web-2"))->lastLines.size(), 3);
}

void TestRolloutState::redeployHookAndDraining()
{
    const RolloutTimeline timeline = load(redeploySuccess());

    RolloutState state = timeline.snapshotAt(16000);
    QCOMPARE(state.status, QStringLiteral("starting"));
    QCOMPARE(state.step(StepKind::Postdeploy).state, StepState::Running);
    QCOMPARE(state.currentStep, int(StepKind::Postdeploy));
    QCOMPARE(state.hook.state, QStringLiteral("running"));
    QCOMPARE(state.hook.command, QStringLiteral("bin/migrate"));
    QVERIFY(state.hook.timeLimit.running);
    QCOMPARE(state.hook.timeLimit.remainingMs, 1200000 - (16000 - 15064));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->state, QStringLiteral("ready"));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->probes, 3);
    QVERIFY(!state.traffic.happened);
    QCOMPARE(state.traffic.fromRelease, 1);
    QCOMPARE(state.traffic.servingRelease, 1);
    QCOMPARE(state.previousRelease, 1);

    // The switch: success, the old container still takes its SIGTERM.
    state = timeline.snapshotAt(17377);
    QCOMPARE(state.status, QStringLiteral("success"));
    QCOMPARE(state.step(StepKind::Route).state, StepState::Done);
    QCOMPARE(state.step(StepKind::StopOld).state, StepState::Running);
    QCOMPARE(state.currentStep, int(StepKind::StopOld));
    QCOMPARE(state.traffic.servingRelease, 2);
    QCOMPARE(state.oldContainers.size(), 1);
    QCOMPARE(state.oldContainers.first().state, QStringLiteral("serving"));

    state = timeline.snapshotAt(17390);
    const RolloutState::OldContainer *old = state.oldContainer(QStringLiteral("web-1"));
    QVERIFY(old);
    QCOMPARE(old->state, QStringLiteral("draining"));
    QCOMPARE(old->release, 1);
    QCOMPARE(old->sigtermMs, 17378);
    QVERIFY(old->grace.running);
    QCOMPARE(old->grace.remainingMs, 30000 - 12);

    state = timeline.snapshotAt(timeline.endOffset());
    old = state.oldContainer(QStringLiteral("web-1"));
    QCOMPARE(old->state, QStringLiteral("exited"));
    QCOMPARE(old->family, StatusFamily::Ended);
    QCOMPARE(old->exitStatus, 0);
    QVERIFY(!old->killed);
    QCOMPARE(old->stopMs, 18);
    QCOMPARE(old->outcome, QStringLiteral("exited with status 0 after SIGTERM in 18 ms"));
    QVERIFY(!old->grace.running);
    QCOMPARE(state.step(StepKind::StopOld).state, StepState::Done);
    QCOMPARE(state.step(StepKind::StopOld).durationMs, 19);
    QCOMPARE(state.step(StepKind::StopOld).detail, QStringLiteral("1 of 1 stopped"));
    QCOMPARE(state.step(StepKind::Postdeploy).state, StepState::Done);
    QCOMPARE(state.step(StepKind::Postdeploy).durationMs, 2313);
    QCOMPARE(state.hook.state, QStringLiteral("succeeded"));
    QCOMPARE(state.hook.exitStatus, 0);
    QCOMPARE(state.hook.lastLines.last(),
             QStringLiteral("== AddSkuToProducts: migrated (0.0412s)"));
    QCOMPARE(state.currentStep, -1);
    QCOMPARE(state.tile(QStringLiteral("web-1"))->state, QStringLiteral("serving"));
}

void TestRolloutState::oldContainerKilledAfterGrace()
{
    const RolloutTimeline timeline = load(killedAfterGrace());
    RolloutState state = timeline.snapshotAt(600);
    // A config change: the same slug, no build.
    QCOMPARE(state.step(StepKind::Build).state, StepState::Done);
    QCOMPARE(state.step(StepKind::Build).detail, QStringLiteral("pushed"));
    const RolloutState::Tile *worker = state.tile(QStringLiteral("worker-1"));
    QVERIFY(worker);
    QVERIFY(!worker->probed);
    QCOMPARE(worker->state, QStringLiteral("running"));
    QCOMPARE(worker->port, 0);
    QCOMPARE(state.step(StepKind::WaitReady).detail, QStringLiteral("0 of 1 ready"));

    state = timeline.snapshotAt(5730);
    QCOMPARE(state.tile(QStringLiteral("worker-1"))->state, QStringLiteral("running"));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->state, QStringLiteral("serving"));
    QCOMPARE(state.oldGracePeriodMs, 10000);
    QCOMPARE(state.oldContainer(QStringLiteral("web-1"))->state, QStringLiteral("exited"));
    const RolloutState::OldContainer *old = state.oldContainer(QStringLiteral("worker-1"));
    QCOMPARE(old->state, QStringLiteral("draining"));
    QCOMPARE(old->family, StatusFamily::Active);
    QCOMPARE(old->grace.remainingMs, 5000);
    QCOMPARE(state.step(StepKind::StopOld).state, StepState::Running);
    QCOMPARE(state.step(StepKind::StopOld).detail, QStringLiteral("1 of 2 stopped"));

    state = timeline.snapshotAt(timeline.endOffset());
    old = state.oldContainer(QStringLiteral("worker-1"));
    QCOMPARE(old->state, QStringLiteral("killed"));
    QCOMPARE(old->family, StatusFamily::Bad);
    QVERIFY(old->killed);
    QVERIFY(!old->exitStatus);
    QCOMPARE(old->outcome, QStringLiteral("killed with SIGKILL after the 10 s grace period"));
    QCOMPARE(old->grace.remainingMs, 0);
    QCOMPARE(state.oldContainer(QStringLiteral("web-1"))->outcome,
             QStringLiteral("exited with status 0 after SIGTERM in 25 ms"));
    QCOMPARE(state.step(StepKind::StopOld).state, StepState::Done);
    QCOMPARE(state.step(StepKind::StopOld).durationMs, 10731 - 729);
    QCOMPARE(state.status, QStringLiteral("success"));
}

void TestRolloutState::drainingAfterSuccess()
{
    // Live, a few seconds after `success`: the old worker still has its grace period.
    const Deployment fixture = killedAfterGrace();
    RolloutTimeline timeline = load(liveAt(fixture, 5730, QStringLiteral("success")));
    QVERIFY(timeline.isFinished());
    QCOMPARE(timeline.durationMs(), 729); // no finished_at: the switch ended it
    RolloutState state = timeline.snapshotAt(5730);
    QCOMPARE(state.status, QStringLiteral("success"));
    QCOMPARE(state.step(StepKind::StopOld).state, StepState::Running);
    QCOMPARE(state.currentStep, int(StepKind::StopOld));
    QCOMPARE(state.oldContainer(QStringLiteral("worker-1"))->grace.remainingMs, 5000);

    // Long past its grace period with no end recorded: the step is over all the same.
    state = timeline.snapshotAt(730 + 10000 + 6000);
    QCOMPARE(state.step(StepKind::StopOld).state, StepState::Done);
    QCOMPARE(state.currentStep, -1);
    QCOMPARE(state.oldContainer(QStringLiteral("worker-1"))->grace.remainingMs, 0);
}

void TestRolloutState::routerFinishesRequestsBeforeSigterm()
{
    const RolloutTimeline timeline = load(drainedRedeploy());
    const qint64 routed = offsetOf(drainedRedeploy(), QStringLiteral("traffic-routed"));
    QVERIFY(routed > 0);
    // After the switch, before SIGTERM: the router waits for its 3 requests.
    RolloutState state = timeline.snapshotAt(routed + 600);
    const RolloutState::OldContainer *old = state.oldContainer(QStringLiteral("web-1"));
    QVERIFY(old);
    QCOMPARE(old->state, QStringLiteral("finishing"));
    QCOMPARE(old->family, StatusFamily::Active);
    QCOMPARE(old->inFlight, 3);
    QCOMPARE(old->drainLimitMs, 30000);
    QCOMPARE(old->sigtermMs, -1);
    // SIGTERM once they were done: how long that took is kept.
    state = timeline.snapshotAt(routed + 1205);
    old = state.oldContainer(QStringLiteral("web-1"));
    QCOMPARE(old->state, QStringLiteral("draining"));
    QCOMPARE(old->drainMs, 1200);
    QCOMPARE(old->waitedRequests, 3);
    state = timeline.snapshotAt(timeline.endOffset());
    QCOMPARE(state.oldContainer(QStringLiteral("web-1"))->state, QStringLiteral("exited"));
}

void TestRolloutState::crashedError()
{
    const RolloutTimeline timeline = load(RolloutFixtures::crashedError());
    RolloutState state = timeline.snapshotAt(14000);
    QCOMPARE(state.status, QStringLiteral("starting"));
    QVERIFY(!state.failure.failed);
    QCOMPARE(state.tile(QStringLiteral("web-2"))->state, QStringLiteral("probing"));
    QCOMPARE(state.tile(QStringLiteral("web-2"))->probes, 12);

    // Between the failure and web-1's end: web-1 gets its SIGTERM.
    state = timeline.snapshotAt(14058);
    QCOMPARE(state.status, QStringLiteral("crashed-error"));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->state, QStringLiteral("stopping"));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->grace.remainingMs, 30000 - 3);

    state = timeline.snapshotAt(timeline.endOffset());
    QCOMPARE(state.status, QStringLiteral("crashed-error"));
    QCOMPARE(state.statusFamily, StatusFamily::Bad);
    QVERIFY(state.failure.failed);
    QCOMPARE(state.failure.stepKey, QStringLiteral("wait-ready"));
    QCOMPARE(state.failure.stepIndex, int(StepKind::WaitReady));
    QCOMPARE(state.currentStep, int(StepKind::WaitReady));
    QCOMPARE(state.failure.reason,
             QStringLiteral("web-2 exited with status 1 while booting; its last lines are in the "
                            "deployment log"));
    QCOMPARE(state.failure.atMs, 14055);
    QCOMPARE(state.failure.container, QStringLiteral("web-2"));
    QCOMPARE(state.failure.lastLines.size(), 8); // the crash report replaces, not repeats
    QVERIFY(
        state.failure.lastLines.contains(QStringLiteral("Error: Cannot find module 'express'")));
    QCOMPARE(states(state),
             (QList<StepState>{StepState::Done, StepState::Done, StepState::Failed,
                               StepState::NotRun, StepState::NotRun, StepState::NotRun}));
    QCOMPARE(state.step(StepKind::WaitReady).durationMs, 14055 - 12856);
    QCOMPARE(state.tile(QStringLiteral("web-2"))->state, QStringLiteral("crashed"));
    QCOMPARE(state.tile(QStringLiteral("web-2"))->family, StatusFamily::Bad);
    QCOMPARE(state.tile(QStringLiteral("web-2"))->outcome, QStringLiteral("exited with status 1"));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->state, QStringLiteral("stopped"));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->stop, QStringLiteral("ended by SIGTERM in 7 ms"));
    QVERIFY(!state.traffic.happened);
    QCOMPARE(state.traffic.servingRelease, 3);
    QVERIFY(!state.bootTimeout.running);
    QVERIFY(state.oldContainers.isEmpty());
}

void TestRolloutState::timeoutErrorCountdown()
{
    const RolloutTimeline timeline = load(timeoutError());
    RolloutState state = timeline.snapshotAt(12456 + 30000);
    QVERIFY(state.bootTimeout.running);
    QCOMPARE(state.bootTimeout.remainingMs, 30000);
    QCOMPARE(state.tile(QStringLiteral("web-1"))->probes, 300);
    QCOMPARE(state.tile(QStringLiteral("web-1"))->state, QStringLiteral("probing"));

    state = timeline.snapshotAt(72455);
    QVERIFY(state.bootTimeout.running);
    QCOMPARE(state.bootTimeout.remainingMs, 1);
    QCOMPARE(RolloutState::remaining(state.bootTimeout.remainingMs), QStringLiteral("1 s"));
    QVERIFY(!state.failure.failed);

    state = timeline.snapshotAt(timeline.endOffset());
    QCOMPARE(state.status, QStringLiteral("timeout-error"));
    QVERIFY(!state.bootTimeout.running);
    QCOMPARE(state.bootTimeout.remainingMs, 0);
    QCOMPARE(state.failure.stepIndex, int(StepKind::WaitReady));
    QCOMPARE(state.step(StepKind::WaitReady).state, StepState::Failed);
    QCOMPARE(state.step(StepKind::WaitReady).durationMs, 60000);
    const RolloutState::Tile *web1 = state.tile(QStringLiteral("web-1"));
    QCOMPARE(web1->state, QStringLiteral("timed out"));
    QCOMPARE(web1->family, StatusFamily::Bad);
    QCOMPARE(web1->probes, 600);
    QCOMPARE(web1->outcome, QStringLiteral("no answer after 600 probes"));
    QCOMPARE(web1->stop, QStringLiteral("ended by SIGTERM in 4 ms"));
    QCOMPARE(state.failure.container, QStringLiteral("web-1"));
    QCOMPARE(state.failure.lastLines.last(), QStringLiteral("shop listening on port 8080"));
    QVERIFY(state.failure.reason.contains(QStringLiteral("boot timeout of 60 s")));
    QCOMPARE(state.traffic.servingRelease, 4);
}

void TestRolloutState::hookError()
{
    const RolloutTimeline timeline = load(RolloutFixtures::hookError());
    RolloutState state = timeline.snapshotAt(15000);
    QCOMPARE(state.hook.state, QStringLiteral("running"));
    QCOMPARE(state.hook.family, StatusFamily::Active);
    QCOMPARE(state.tile(QStringLiteral("web-1"))->state, QStringLiteral("ready"));

    state = timeline.snapshotAt(timeline.endOffset());
    QCOMPARE(state.status, QStringLiteral("hook-error"));
    QCOMPARE(state.hook.state, QStringLiteral("failed"));
    QCOMPARE(state.hook.family, StatusFamily::Bad);
    QCOMPARE(state.hook.exitStatus, 1);
    QCOMPARE(state.hook.command, QStringLiteral("bin/rails db:migrate"));
    QVERIFY(!state.hook.timeLimit.running);
    QCOMPARE(state.hook.finishedMs - state.hook.startedMs, 4209);
    QCOMPARE(state.failure.stepKey, QStringLiteral("postdeploy"));
    QCOMPARE(states(state),
             (QList<StepState>{StepState::Done, StepState::Done, StepState::Done, StepState::Failed,
                               StepState::NotRun, StepState::NotRun}));
    QCOMPARE(state.step(StepKind::Postdeploy).durationMs, 4210);
    QCOMPARE(state.failure.container, QStringLiteral("postdeploy-1"));
    QCOMPARE(state.failure.lastLines.last(), QStringLiteral("rails aborted!"));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->state, QStringLiteral("stopped"));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->stop,
             QStringLiteral("exited with status 0 after SIGTERM in 9 ms"));
    QCOMPARE(state.traffic.servingRelease, 5);
}

void TestRolloutState::abortedDuringBuild()
{
    const RolloutTimeline timeline = load(abortedBuilding());
    RolloutState state = timeline.snapshotAt(4000);
    QCOMPARE(state.status, QStringLiteral("building"));
    QCOMPARE(state.step(StepKind::Build).state, StepState::Running);

    state = timeline.snapshotAt(timeline.endOffset());
    QCOMPARE(state.status, QStringLiteral("aborted"));
    QCOMPARE(state.statusFamily, StatusFamily::Ended);
    QVERIFY(state.failure.failed);
    QCOMPARE(state.failure.stepIndex, int(StepKind::Build));
    QCOMPARE(state.failure.reason, QStringLiteral("the build was cancelled"));
    QCOMPARE(state.step(StepKind::Build).state, StepState::Failed);
    QCOMPARE(state.step(StepKind::Build).durationMs, 8120);
    QCOMPARE(state.step(StepKind::Build).detail, QStringLiteral("aborted while building"));
    for (int i = 1; i < state.steps.size(); ++i)
        QCOMPARE(state.steps.at(i).state, StepState::NotRun);
    QVERIFY(state.tiles.isEmpty());
    QVERIFY(state.failure.container.isEmpty());
    QCOMPARE(state.traffic.servingRelease, 6);
    QVERIFY(state.summary().contains(QStringLiteral("Release v6 keeps serving")));
}

void TestRolloutState::withoutData()
{
    const RolloutTimeline timeline = load(legacyWithoutData());
    RolloutState state = timeline.snapshotAt(7000);
    QCOMPARE(state.status, QStringLiteral("building"));

    state = timeline.snapshotAt(15000);
    QCOMPARE(state.status, QStringLiteral("starting"));
    QCOMPARE(state.release, 8);
    QCOMPARE(state.step(StepKind::Start).state, StepState::Done);
    QCOMPARE(state.step(StepKind::Start).startedMs, 14639);
    QCOMPARE(state.step(StepKind::WaitReady).state, StepState::Running);
    QCOMPARE(state.currentStep, int(StepKind::WaitReady));
    const RolloutState::Tile *web1 = state.tile(QStringLiteral("web-1"));
    QVERIFY(web1);
    QCOMPARE(web1->state, QStringLiteral("probing"));
    QCOMPARE(web1->probes, 4);
    QCOMPARE(web1->port, 5011);
    QCOMPARE(web1->pid, 60001);
    // The boot timeout comes from the log line "Waiting for … (boot timeout 60 s)".
    QVERIFY(state.bootTimeout.known);
    QCOMPARE(state.bootTimeout.totalMs, 60000);
    QCOMPARE(state.bootTimeout.remainingMs, 60000 - (15000 - 14642));

    state = timeline.snapshotAt(15100);
    QCOMPARE(state.tile(QStringLiteral("web-2"))->state, QStringLiteral("ready"));
    QCOMPARE(state.tile(QStringLiteral("web-2"))->timeToReadyMs, 401);
    QCOMPARE(state.tile(QStringLiteral("web-2"))->probes, 5);

    // After the switch, web-2 of v7 ignores SIGTERM: its end, 30 s later, says when it began.
    state = timeline.snapshotAt(16000);
    QCOMPARE(state.status, QStringLiteral("success"));
    QCOMPARE(state.traffic.fromRelease, 7);
    QCOMPARE(state.traffic.toRelease, 8);
    QCOMPARE(state.oldContainer(QStringLiteral("web-1"))->state, QStringLiteral("exited"));
    QCOMPARE(state.oldContainer(QStringLiteral("web-2"))->state, QStringLiteral("draining"));
    QCOMPARE(state.oldContainer(QStringLiteral("web-2"))->grace.remainingMs,
             30000 - (16000 - 15242));
    QCOMPARE(state.step(StepKind::StopOld).state, StepState::Running);

    state = timeline.snapshotAt(timeline.endOffset());
    QCOMPARE(states(state),
             (QList<StepState>{StepState::Done, StepState::Done, StepState::Done,
                               StepState::Skipped, StepState::Done, StepState::Done}));
    QCOMPARE(state.previousRelease, 7);
    QCOMPARE(state.traffic.atMs, 15241);
    QCOMPARE(state.traffic.containers,
             (QStringList{QStringLiteral("web-1"), QStringLiteral("web-2")}));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->state, QStringLiteral("serving"));
    QCOMPARE(state.tile(QStringLiteral("web-1"))->timeToReadyMs, 601);
    const RolloutState::OldContainer *old1 = state.oldContainer(QStringLiteral("web-1"));
    QCOMPARE(old1->release, 7);
    QCOMPARE(old1->exitStatus, 0);
    QCOMPARE(old1->stopMs, 12);
    const RolloutState::OldContainer *old2 = state.oldContainer(QStringLiteral("web-2"));
    QCOMPARE(old2->state, QStringLiteral("killed"));
    QCOMPARE(old2->stopMs, 30000);
    QCOMPARE(old2->outcome, QStringLiteral("killed with SIGKILL after the 30 s grace period"));
    QCOMPARE(state.step(StepKind::StopOld).durationMs, 45242 - 15241);
    QCOMPARE(state.tile(QStringLiteral("web-2"))->lastLines,
             QStringList{QStringLiteral("shop listening on port 5012")});
}

void TestRolloutState::liveEventsGiveTheSamePicture()
{
    const Deployment fixture = redeploySuccess();
    const RolloutTimeline whole = load(fixture);

    RolloutTimeline live;
    QJsonObject start = fixture.json;
    start.remove(QStringLiteral("timeline"));
    start.insert(QStringLiteral("status"), QStringLiteral("queued"));
    start.insert(QStringLiteral("finished_at"), QJsonValue());
    QVERIFY(live.setDeployment(start));
    const QJsonArray events = fixture.json.value(QStringLiteral("timeline")).toArray();
    for (const QJsonValue &value : events)
        QVERIFY(live.appendEvent(value.toObject()));
    // The stream and a fetched timeline may overlap: nothing counts twice.
    QCOMPARE(live.appendEvents(events), 0);
    QCOMPARE(live.eventCount(), whole.eventCount());
    live.setLog(fixture.log);
    live.setStatus(QStringLiteral("success"));
    QVERIFY(live.isFinished());

    for (qint64 offset : {0, 5000, 15000, 16000, 17390}) {
        const RolloutState a = live.snapshotAt(offset);
        const RolloutState b = whole.snapshotAt(offset);
        QCOMPARE(a.summary(), b.summary());
        QCOMPARE(states(a), states(b));
        QCOMPARE(a.tiles.size(), b.tiles.size());
    }
}

void TestRolloutState::liveStatusAheadOfEvents()
{
    RolloutTimeline timeline;
    QVERIFY(timeline.setDeployment({{QStringLiteral("id"), QStringLiteral("d9")},
                                    {QStringLiteral("status"), QStringLiteral("queued")},
                                    {QStringLiteral("waiting_for"), QStringLiteral("d8-aa10")},
                                    {QStringLiteral("previous_release"), 8}}));
    RolloutState state = timeline.snapshotAt(1500);
    QCOMPARE(state.status, QStringLiteral("queued"));
    QCOMPARE(state.waitingFor, QStringLiteral("d8-aa10"));
    QVERIFY(state.summary().contains(QStringLiteral("d8-aa10")));
    QCOMPARE(state.traffic.servingRelease, 8);

    // /v1/events said `building` before any timeline event came.
    timeline.setStatus(QStringLiteral("building"));
    state = timeline.snapshotAt(1600);
    QCOMPARE(state.status, QStringLiteral("building"));
    QCOMPARE(state.step(StepKind::Build).state, StepState::Running);
    QCOMPARE(state.step(StepKind::Build).detail, QStringLiteral("building"));
}

void TestRolloutState::rejectsMalformedEvents()
{
    RolloutTimeline timeline;
    QString error;
    QVERIFY(!timeline.setDeployment({{QStringLiteral("id"), QStringLiteral("x")}}, &error));
    QVERIFY(error.contains(QStringLiteral("status")));

    QVERIFY(!timeline.appendEvent({{QStringLiteral("kind"), QStringLiteral("container-ready")}},
                                  &error));
    QVERIFY(error.contains(QStringLiteral("offset_ms")));
    QVERIFY(!timeline.appendEvent({{QStringLiteral("offset_ms"), 12}}, &error));
    QVERIFY(error.contains(QStringLiteral("kind")));
    QCOMPARE(timeline.eventCount(), 0);

    // Kinds the view does not know yet are kept and ignored.
    QVERIFY(timeline.appendEvent({{QStringLiteral("kind"), QStringLiteral("future-kind")},
                                  {QStringLiteral("offset_ms"), 12},
                                  {QStringLiteral("data"), QJsonObject()}}));
    QCOMPARE(timeline.snapshotAt(20).status, QStringLiteral("queued"));
}

void TestRolloutState::summaryInWords()
{
    const RolloutTimeline first = load(firstDeploySuccess());
    const QString probing = first.snapshotAt(20700).summary();
    QVERIFY2(probing.startsWith(QStringLiteral("Step 2 of 4, wait until ready: web-1 probing "
                                               "(3 probes), web-2 probing (3 probes), 60 s left "
                                               "of the boot timeout")),
             qPrintable(probing));
    const QString done = first.snapshotAt(first.endOffset()).summary();
    QVERIFY2(done.startsWith(QStringLiteral("Success: release v1 serves the traffic")),
             qPrintable(done));

    const RolloutTimeline crashed = load(RolloutFixtures::crashedError());
    const QString failed = crashed.snapshotAt(crashed.endOffset()).summary();
    QVERIFY2(failed.startsWith(QStringLiteral("crashed-error at step 2 of 4, wait until ready: "
                                              "web-2 exited with status 1")),
             qPrintable(failed));
    QVERIFY(failed.contains(QStringLiteral("Release v3 keeps serving")));

    const RolloutTimeline draining = load(killedAfterGrace());
    const QString stopping = draining.snapshotAt(5730).summary();
    QVERIFY2(stopping.contains(QStringLiteral("worker-1 (v2) got SIGTERM, 5 s left of its grace "
                                              "period")),
             qPrintable(stopping));
}

void TestRolloutState::durationsReadWell()
{
    QCOMPARE(RolloutState::duration(312), QStringLiteral("312 ms"));
    QCOMPARE(RolloutState::duration(4210), QStringLiteral("4.2 s"));
    QCOMPARE(RolloutState::duration(42000), QStringLiteral("42 s"));
    QCOMPARE(RolloutState::duration(60000), QStringLiteral("60 s"));
    QCOMPARE(RolloutState::duration(72000), QStringLiteral("1 min 12 s"));
    QCOMPARE(RolloutState::duration(1200000), QStringLiteral("20 min"));
    QCOMPARE(RolloutState::remaining(0), QStringLiteral("0 s"));
    QCOMPARE(RolloutState::remaining(41001), QStringLiteral("42 s"));
    QCOMPARE(RolloutState::remaining(1199064), QStringLiteral("20 min"));
    QCOMPARE(RolloutState::remaining(1190001), QStringLiteral("19 min 51 s"));
}

QTEST_GUILESS_MAIN(TestRolloutState)
#include "tst_rolloutstate.moc"
