#pragma once

#include "style/StatusStyle.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Slipway {

// What the rollout view shows at one moment of a deployment: plain values computed by
// RolloutTimeline::snapshotAt() from the timeline, so a test can check every part of the
// picture without a widget. Offsets are milliseconds since the deployment was created; -1
// means "not known" or "not yet".
struct RolloutState
{
    enum class StepKind { Build, Start, WaitReady, Postdeploy, Route, StopOld };
    enum class StepState { Pending, Running, Done, Skipped, Failed, NotRun };

    struct Step
    {
        StepKind kind = StepKind::Build;
        QString key;   // the `step` of the timeline's data: "build", "start", "wait-ready", ...
        QString title; // "Wait until ready"
        StepState state = StepState::Pending;
        qint64 startedMs = -1;
        qint64 durationMs = -1; // once ended; while running, the time so far
        QString detail;         // "building", "Node.js", "2 of 2 ready", "no hook"
    };

    // A time limit running down: the boot timeout, a hook's limit, a grace period.
    struct Countdown
    {
        bool known = false;   // the limit and its start are known
        bool running = false; // it counts down at this moment
        qint64 totalMs = 0;
        qint64 remainingMs = 0;
    };

    // One new container of the release being rolled out.
    struct Tile
    {
        QString name; // web-1
        QString type; // web
        int index = 0;
        int port = 0; // 0: none (not a web/tcp type) or not known
        qint64 pid = 0;
        int release = 0;
        bool probed = true;   // web and tcp containers are probed; others are not
        bool isolated = true; // false: a plain process group, said loudly
        QString runtime;      // local, docker, swarm; empty in timelines from before runtimes
        QString host;         // where its PORT is reached
        QString node;         // the Swarm node it runs on; empty elsewhere
        // starting, probing, ready, serving, running, crashed, timed out, stopping, stopped
        QString state;
        StatusFamily family = StatusFamily::Waiting;
        int probes = 0;
        qint64 startedMs = -1;
        qint64 readyMs = -1;
        qint64 timeToReadyMs = -1; // from its start to the successful probe
        QString outcome;           // why it failed: "exited with status 1", "no answer after …"
        QString stop;              // how it was stopped: "ended by SIGTERM in 7 ms"
        Countdown grace;           // SIGTERM sent after a failed rollout
        QStringList lastLines;     // its own output, from the deployment log
    };

    // The postdeploy one-off.
    struct Hook
    {
        bool expected = false; // the postdeploy step says a hook runs (or one started)
        QString state;         // waiting, skipped, running, succeeded, failed, timed out
        StatusFamily family = StatusFamily::Waiting;
        QString command;
        qint64 startedMs = -1;
        qint64 finishedMs = -1;
        std::optional<int> exitStatus;
        QString signal;
        bool timedOut = false;
        Countdown timeLimit;
        QStringList lastLines;
    };

    // Which release the router sends the app's requests to, before and after the switch.
    struct TrafficSwitch
    {
        std::optional<int> fromRelease; // empty: nothing served before (first deployment)
        int toRelease = 0;
        bool happened = false;
        qint64 atMs = -1;
        QDateTime time; // when it happened, UTC
        QStringList containers;
        // The release the router serves at this moment; empty: none yet.
        std::optional<int> servingRelease;
    };

    // A container of the previous release, retired after the switch.
    struct OldContainer
    {
        QString name;
        int release = 0;
        // serving; finishing (the router sends it nothing new and waits for the requests in
        // flight before SIGTERM); draining (SIGTERM sent, its grace period running); exited,
        // killed
        QString state;
        StatusFamily family = StatusFamily::Good;
        qint64 finishingMs = -1;  // when the router stopped sending it requests
        int inFlight = -1;        // requests it still had then; -1: not said
        qint64 drainLimitMs = -1; // how long the router waits for them at most
        qint64 drainMs = -1;      // how long it waited, once SIGTERM went out
        int waitedRequests = -1;  // how many of them finished meanwhile
        qint64 sigtermMs = -1;
        qint64 stoppedMs = -1;
        Countdown grace;
        std::optional<int> exitStatus;
        QString signal;
        bool killed = false;
        qint64 stopMs = -1; // from SIGTERM to its end
        QString outcome;    // "exited with status 0 after SIGTERM in 14 ms"
    };

    struct Failure
    {
        bool failed = false;
        QString status; // crashed-error, timeout-error, hook-error, build-error, aborted
        QString stepKey;
        int stepIndex = -1; // into `steps`
        QString reason;     // the deployment's `error`, one sentence
        qint64 atMs = -1;
        QString container; // the guilty one, when there is one
        QStringList lastLines;
    };

    qint64 offsetMs = 0;
    QString status; // the deployment status at this moment (product.md §5 words)
    StatusFamily statusFamily = StatusFamily::Waiting;
    bool finished = false; // the status is a final one
    QString waitingFor;    // a queued deployment's predecessor
    int release = 0;
    std::optional<int> previousRelease;

    QList<Step> steps; // build, start, wait-ready, postdeploy, route, stop-old
    int currentStep = -1;
    Countdown bootTimeout;
    qint64 probeIntervalMs = -1;
    QList<Tile> tiles;
    Hook hook;
    TrafficSwitch traffic;
    QList<OldContainer> oldContainers;
    qint64 oldGracePeriodMs = -1;
    Failure failure;

    const Tile *tile(const QString &name) const;
    const OldContainer *oldContainer(const QString &name) const;
    const Step &step(StepKind kind) const { return steps.at(int(kind)); }

    // The picture in words, for the accessible description and tooltips:
    // "Step 2 of 4, wait until ready: web-1 probing (12 probes), 48 s left of the boot timeout".
    QString summary() const;

    // "312 ms", "4.2 s", "1 min 12 s".
    static QString duration(qint64 milliseconds);
    // "48 s", "1 min 5 s": a countdown rounds up, so it reads 0 only once it ran out.
    static QString remaining(qint64 milliseconds);
    static QString stepStateName(StepState state);
};

} // namespace Slipway
