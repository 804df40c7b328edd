#pragma once

// Deployments as the daemon records them, for the rollout view's tests: the timeline events
// with the texts core/rollout/Rollout.cpp and AppInstance.cpp write, the `data` of the
// timeline contract, probes every 100 ms, and the deployment log with the containers' own
// lines. Each scenario is one deployment the view must be able to tell.

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QStringList>

#include <algorithm>
#include <optional>

namespace RolloutFixtures {

inline QDateTime createdAt()
{
    return QDateTime(QDate(2026, 12, 4), QTime(10, 0, 0, 0), Qt::UTC);
}

struct Deployment
{
    QJsonObject json;
    QStringList log;
    qint64 end = 0; // offset of the last event
};

// Collects events and log lines in the order the engine produces them.
class Writer
{
public:
    explicit Writer(bool withData = true)
        : m_withData(withData)
    {}

    void event(qint64 offset, const QString &kind, const QString &container, const QString &text,
               const QJsonObject &data = {})
    {
        QJsonObject event{
            {QStringLiteral("time"), createdAt().addMSecs(offset).toString(Qt::ISODateWithMs)},
            {QStringLiteral("offset_ms"), double(offset)},
            {QStringLiteral("kind"), kind},
            {QStringLiteral("container"),
             container.isEmpty() ? QJsonValue() : QJsonValue(container)},
            {QStringLiteral("text"), text},
            {QStringLiteral("data"), m_withData ? data : QJsonObject()},
        };
        m_events.append({offset, m_sequence++, event});
    }

    // A "-----> " line: in the log and, with the timeline contract, as a log-section event.
    void section(qint64 offset, const QString &title)
    {
        if (m_withData)
            event(offset, QStringLiteral("log-section"), {}, title,
                  {{QStringLiteral("line"), int(m_log.size())}, {QStringLiteral("title"), title}});
        m_log.append(QStringLiteral("-----> ") + title);
    }
    void line(const QString &text) { m_log.append(text); }
    void output(const QString &container, const QString &text)
    {
        m_log.append(QStringLiteral("       %1: %2").arg(container, text));
    }
    void status(qint64 offset, const QString &status)
    {
        section(offset, QStringLiteral("Deployment ") + status);
    }
    void fail(qint64 offset, const QString &status, const QString &error, const QString &step)
    {
        m_log.append(QStringLiteral(" !     ") + error);
        event(offset, QStringLiteral("failed"), {}, error,
              {{QStringLiteral("status"), status}, {QStringLiteral("step"), step}});
        this->status(offset, status);
    }

    // The events in offset order (equal offsets keep the order they were written in).
    QJsonArray timeline() const
    {
        QList<Item> sorted = m_events;
        std::stable_sort(sorted.begin(), sorted.end(), [](const Item &a, const Item &b) {
            return a.offset < b.offset || (a.offset == b.offset && a.sequence < b.sequence);
        });
        QJsonArray array;
        for (const Item &item : sorted)
            array.append(item.event);
        return array;
    }

    Deployment deployment(const QString &id, const QString &trigger, const QString &status,
                          const QString &error, int release, std::optional<int> previous,
                          qint64 finishedOffset) const
    {
        Deployment result;
        result.json = {
            {QStringLiteral("id"), id},
            {QStringLiteral("app"), QStringLiteral("shop")},
            {QStringLiteral("trigger"), trigger},
            {QStringLiteral("source"),
             QStringLiteral("https://git.example.com/acme/shop.git#main")},
            {QStringLiteral("status"), status},
            {QStringLiteral("error"), error.isEmpty() ? QJsonValue() : QJsonValue(error)},
            {QStringLiteral("release_version"), release > 0 ? QJsonValue(release) : QJsonValue()},
            {QStringLiteral("created_at"), createdAt().toString(Qt::ISODateWithMs)},
            {QStringLiteral("finished_at"),
             finishedOffset >= 0
                 ? QJsonValue(createdAt().addMSecs(finishedOffset).toString(Qt::ISODateWithMs))
                 : QJsonValue()},
            {QStringLiteral("timeline"), timeline()},
        };
        if (m_withData) {
            result.json.insert(QStringLiteral("waiting_for"), QJsonValue());
            result.json.insert(QStringLiteral("previous_release"),
                               previous ? QJsonValue(*previous) : QJsonValue());
        }
        result.log = m_log;
        for (const Item &item : m_events)
            result.end = std::max(result.end, item.offset);
        return result;
    }

    bool withData() const { return m_withData; }

private:
    struct Item
    {
        qint64 offset;
        int sequence;
        QJsonObject event;
    };
    QList<Item> m_events;
    QStringList m_log;
    int m_sequence = 0;
    bool m_withData;
};

struct NewContainer
{
    QString name;
    QString type;
    int index;
    int port; // 0: not probed
    qint64 pid;
    QString runtime = {}; // empty: a timeline from before runtimes were named
    QString host = {};
    QString node = {};
};

inline NewContainer web(int index, int port, qint64 pid)
{
    return {QStringLiteral("web-%1").arg(index), QStringLiteral("web"), index, port, pid};
}

// Fetch, detect, compile, compress: the build of a Node.js app, `seconds` long.
inline qint64 build(Writer &w, int release, qint64 compileMs = 17400)
{
    w.status(1, QStringLiteral("building"));
    w.section(3, QStringLiteral("Cloning https://git.example.com/acme/shop.git (main)"));
    w.event(812, QStringLiteral("source-fetched"), {}, QStringLiteral("source fetched (47.1 KB)"),
            {{QStringLiteral("bytes"), 48213}});
    w.section(818, QStringLiteral("Buildpacks chosen by auto-detection"));
    w.event(821, QStringLiteral("buildpack-detected"), {},
            QStringLiteral("buildpacks Node.js (nodejs), chosen by auto-detection"),
            {{QStringLiteral("buildpack"), QStringLiteral("nodejs")},
             {QStringLiteral("name"), QStringLiteral("Node.js")}});
    w.section(840, QStringLiteral("Node.js app detected (buildpack nodejs)"));
    w.section(845, QStringLiteral("Running buildpack 1 of 1: nodejs"));
    w.line(QStringLiteral("       Installing node 20.11.0"));
    w.line(QStringLiteral("       added 212 packages in 9s"));
    const qint64 compiled = 845 + compileMs;
    w.section(compiled, QStringLiteral("Discovering process types"));
    w.line(QStringLiteral("       Procfile declares types -> web, worker"));
    w.section(compiled + 60, QStringLiteral("Compressing slug"));
    w.line(QStringLiteral("       Done: 18.3 MB"));
    w.event(compiled + 1750, QStringLiteral("slug-built"), {},
            QStringLiteral("slug built: 18.3 MB"), {{QStringLiteral("bytes"), 19136512}});
    w.status(compiled + 1755, QStringLiteral("pushing"));
    w.event(compiled + 1757, QStringLiteral("release-created"), {},
            QStringLiteral("release v%1 created (slug 18.3 MB)").arg(release),
            {{QStringLiteral("release"), release}});
    return compiled + 2210; // the slug is unpacked, the rollout can begin
}

// Step 1 and the start of step 2, as Rollout::startContainers() and waitReady() run them.
inline void startRollout(Writer &w, qint64 t, int release, std::optional<int> previous,
                         const QList<NewContainer> &containers, qint64 bootTimeoutMs = 60000)
{
    w.status(t - 5, QStringLiteral("starting"));
    QJsonArray listed;
    QJsonArray probed;
    for (const NewContainer &c : containers) {
        listed.append(
            QJsonObject{{QStringLiteral("name"), c.name},
                        {QStringLiteral("type"), c.type},
                        {QStringLiteral("index"), c.index},
                        {QStringLiteral("port"), c.port ? QJsonValue(c.port) : QJsonValue()},
                        {QStringLiteral("probed"), c.port != 0}});
        if (c.port)
            probed.append(c.name);
    }
    if (w.withData())
        w.event(
            t, QStringLiteral("step-started"), {},
            QStringLiteral("step 1 of 4: starting %1 container(s) of release v%2")
                .arg(containers.size())
                .arg(release),
            {{QStringLiteral("step"), QStringLiteral("start")},
             {QStringLiteral("release"), release},
             {QStringLiteral("previous_release"), previous ? QJsonValue(*previous) : QJsonValue()},
             {QStringLiteral("containers"), listed}});
    w.section(t, QStringLiteral("Starting release v%1").arg(release));
    if (w.withData())
        w.event(t + 1, QStringLiteral("step-started"), {},
                QStringLiteral("step 2 of 4: waiting for %1 container(s) to accept connections")
                    .arg(probed.size()),
                {{QStringLiteral("step"), QStringLiteral("wait-ready")},
                 {QStringLiteral("boot_timeout_ms"), double(bootTimeoutMs)},
                 {QStringLiteral("probe_interval_ms"), 100},
                 {QStringLiteral("containers"), probed}});
    w.section(t + 1,
              QStringLiteral("Waiting for %1 container%2 to accept connections (boot timeout %3 s)")
                  .arg(probed.size())
                  .arg(probed.size() == 1 ? QString() : QStringLiteral("s"))
                  .arg(bootTimeoutMs / 1000));
}

inline void started(Writer &w, qint64 t, const NewContainer &c, int release)
{
    QString where = c.port ? QStringLiteral(" on port %1").arg(c.port) : QString();
    if (!c.node.isEmpty())
        where += QStringLiteral(" on node %1").arg(c.node);
    QJsonObject data{{QStringLiteral("type"), c.type},
                     {QStringLiteral("index"), c.index},
                     {QStringLiteral("port"), c.port ? QJsonValue(c.port) : QJsonValue()},
                     {QStringLiteral("pid"), double(c.pid)},
                     {QStringLiteral("release"), release},
                     {QStringLiteral("isolated"), true}};
    if (!c.runtime.isEmpty()) {
        data.insert(QStringLiteral("runtime"), c.runtime);
        data.insert(QStringLiteral("host"), c.host);
        data.insert(QStringLiteral("node"), c.node.isEmpty() ? QJsonValue() : QJsonValue(c.node));
    }
    w.event(t, QStringLiteral("container-started"), c.name,
            QStringLiteral("%1 started%2 (pid %3)").arg(c.name, where).arg(c.pid), data);
}

// The ReadinessProbe of one container: a probe at once, then every 100 ms; `failures`
// refused connects, then (when `ready`) one accepted. Returns the offset of the last probe.
inline qint64 probe(Writer &w, const NewContainer &c, qint64 startedAt, int failures, bool ready)
{
    qint64 t = startedAt;
    for (int n = 1; n <= failures; ++n) {
        t = startedAt + (n - 1) * 100;
        w.event(t, QStringLiteral("container-probed"), c.name,
                QStringLiteral("%1 probe %2 on port %3").arg(c.name).arg(n).arg(c.port),
                {{QStringLiteral("probes"), n}, {QStringLiteral("port"), c.port}});
    }
    if (!ready)
        return t;
    const int probes = failures + 1;
    const qint64 elapsed = failures * 100 + 1;
    t = startedAt + failures * 100;
    w.event(t, QStringLiteral("container-ready"), c.name,
            QStringLiteral("%1 ready after %2 probe%3 (%4 ms) on port %5")
                .arg(c.name)
                .arg(probes)
                .arg(probes == 1 ? QString() : QStringLiteral("s"))
                .arg(elapsed)
                .arg(c.port),
            {{QStringLiteral("probes"), probes},
             {QStringLiteral("elapsed_ms"), double(elapsed)},
             {QStringLiteral("port"), c.port}});
    return t;
}

inline void postdeploySkipped(Writer &w, qint64 t)
{
    if (w.withData())
        w.event(t, QStringLiteral("step-started"), {},
                QStringLiteral("step 3 of 4: no postdeploy hook"),
                {{QStringLiteral("step"), QStringLiteral("postdeploy")},
                 {QStringLiteral("skipped"), true},
                 {QStringLiteral("command"), QJsonValue()},
                 {QStringLiteral("time_limit_ms"), 1200000}});
}

inline void hookStarted(Writer &w, qint64 t, const QString &command)
{
    if (w.withData())
        w.event(t, QStringLiteral("step-started"), {},
                QStringLiteral("step 3 of 4: postdeploy hook"),
                {{QStringLiteral("step"), QStringLiteral("postdeploy")},
                 {QStringLiteral("skipped"), false},
                 {QStringLiteral("command"), command},
                 {QStringLiteral("time_limit_ms"), 1200000}});
    w.section(t + 1, QStringLiteral("Running the postdeploy hook: %1").arg(command));
    w.event(t + 1, QStringLiteral("hook-started"), QStringLiteral("postdeploy-1"),
            QStringLiteral("postdeploy started: %1").arg(command),
            {{QStringLiteral("command"), command}, {QStringLiteral("time_limit_ms"), 1200000}});
}

inline void hookFinished(Writer &w, qint64 t, int exitStatus)
{
    w.event(t, QStringLiteral("hook-finished"), QStringLiteral("postdeploy-1"),
            QStringLiteral("postdeploy exited with status %1").arg(exitStatus),
            {{QStringLiteral("exit_status"), exitStatus},
             {QStringLiteral("signal"), QJsonValue()},
             {QStringLiteral("timed_out"), false}});
}

// Step 4 and the start of the old containers' retirement (AppInstance::rollOut).
inline void route(Writer &w, qint64 t, std::optional<int> from, int to,
                  const QList<NewContainer> &serving, const QStringList &old, qint64 graceMs)
{
    const QJsonValue fromJson = from ? QJsonValue(*from) : QJsonValue();
    if (w.withData())
        w.event(t, QStringLiteral("step-started"), {},
                QStringLiteral("step 4 of 4: routing traffic to v%1").arg(to),
                {{QStringLiteral("step"), QStringLiteral("route")},
                 {QStringLiteral("from_release"), fromJson},
                 {QStringLiteral("to_release"), to}});
    QStringList names;
    QJsonArray routed;
    for (const NewContainer &c : serving) {
        if (!c.port)
            continue;
        names.append(QStringLiteral("%1 (port %2)").arg(c.name).arg(c.port));
        routed.append(c.name);
    }
    w.event(t + 1, QStringLiteral("traffic-routed"), {},
            QStringLiteral("traffic routed to %1").arg(names.join(QStringLiteral(", "))),
            {{QStringLiteral("from_release"), fromJson},
             {QStringLiteral("to_release"), to},
             {QStringLiteral("containers"), routed}});
    w.status(t + 1, QStringLiteral("success"));
    if (w.withData())
        w.event(t + 1, QStringLiteral("step-started"), {},
                old.isEmpty() ? QStringLiteral("no old container to stop")
                              : QStringLiteral("stopping %1 old container(s)").arg(old.size()),
                {{QStringLiteral("step"), QStringLiteral("stop-old")},
                 {QStringLiteral("release"), fromJson},
                 {QStringLiteral("grace_period_ms"), double(graceMs)},
                 {QStringLiteral("containers"), QJsonArray::fromStringList(old)}});
}

inline void stopping(Writer &w, qint64 t, const QString &which, const QString &name, int release,
                     qint64 graceMs)
{
    if (w.withData())
        w.event(t, which + QStringLiteral("-container-stopping"), name,
                QStringLiteral("%1 %2 (v%3): SIGTERM sent, %4 s to exit")
                    .arg(which, name)
                    .arg(release)
                    .arg(graceMs / 1000),
                {{QStringLiteral("release"), release},
                 {QStringLiteral("signal"), QStringLiteral("SIGTERM")},
                 {QStringLiteral("grace_period_ms"), double(graceMs)}});
}

// How ContainerExit::describe() puts it, with the contract's data.
inline void stopped(Writer &w, qint64 t, const QString &which, const QString &name, int release,
                    std::optional<int> exitStatus, const QString &signal, bool killed,
                    qint64 stopMs)
{
    QString how;
    if (killed)
        how = QStringLiteral("killed with SIGKILL after the grace period (%1 ms), SIGTERM was "
                             "ignored")
                  .arg(stopMs);
    else if (exitStatus)
        how = QStringLiteral("exited with status %1 after SIGTERM in %2 ms")
                  .arg(*exitStatus)
                  .arg(stopMs);
    else
        how = QStringLiteral("killed by %1 after SIGTERM in %2 ms").arg(signal).arg(stopMs);
    w.event(t, which + QStringLiteral("-container-stopped"), name,
            QStringLiteral("%1 %2 (v%3) stopped: %4").arg(which, name).arg(release).arg(how),
            {{QStringLiteral("release"), release},
             {QStringLiteral("exit_status"), exitStatus ? QJsonValue(*exitStatus) : QJsonValue()},
             {QStringLiteral("signal"), signal.isEmpty() ? QJsonValue() : QJsonValue(signal)},
             {QStringLiteral("killed"), killed},
             {QStringLiteral("stop_ms"), double(stopMs)}});
}

// ---- the scenarios -------------------------------------------------------------------

// The app's first deployment from source, web=2: build 20 s, both ready, no hook.
inline Deployment firstDeploySuccess()
{
    Writer w;
    const qint64 t = build(w, 1);
    const NewContainer web1 = web(1, 5001, 48211);
    const NewContainer web2 = web(2, 5002, 48214);
    startRollout(w, t, 1, std::nullopt, {web1, web2});
    started(w, t + 8, web1, 1);
    started(w, t + 11, web2, 1);
    w.output(web1.name, QStringLiteral("> shop@1.4.0 start"));
    w.output(web2.name, QStringLiteral("> shop@1.4.0 start"));
    w.output(web1.name, QStringLiteral("> node server.js"));
    w.output(web2.name, QStringLiteral("> node server.js"));
    const qint64 ready1 = probe(w, web1, t + 8, 4, true);
    w.output(web1.name, QStringLiteral("shop listening on port 5001"));
    const qint64 ready2 = probe(w, web2, t + 11, 7, true);
    w.output(web2.name, QStringLiteral("shop listening on port 5002"));
    const qint64 after = std::max(ready1, ready2) + 1;
    postdeploySkipped(w, after);
    route(w, after + 1, std::nullopt, 1, {web1, web2}, {}, 30000);
    return w.deployment(QStringLiteral("d1-7a3f"), QStringLiteral("source"),
                        QStringLiteral("success"), {}, 1, std::nullopt, after + 2);
}

// v1 on a two-node Swarm: web-1 on the manager, web-2 on the worker.
inline Deployment swarmDeploySuccess()
{
    Writer w;
    const qint64 t = build(w, 1);
    NewContainer web1 = web(1, 41001, 0);
    web1.runtime = QStringLiteral("swarm");
    web1.host = QStringLiteral("10.0.0.5");
    web1.node = QStringLiteral("manager-1");
    NewContainer web2 = web(2, 41002, 0);
    web2.runtime = QStringLiteral("swarm");
    web2.host = QStringLiteral("10.0.0.6");
    web2.node = QStringLiteral("worker-1");
    startRollout(w, t, 1, std::nullopt, {web1, web2});
    started(w, t + 400, web1, 1);
    started(w, t + 450, web2, 1);
    const qint64 ready1 = probe(w, web1, t + 400, 2, true);
    const qint64 ready2 = probe(w, web2, t + 450, 2, true);
    const qint64 after = std::max(ready1, ready2) + 1;
    postdeploySkipped(w, after);
    route(w, after + 1, std::nullopt, 1, {web1, web2}, {}, 30000);
    return w.deployment(QStringLiteral("d1-5w4r"), QStringLiteral("source"),
                        QStringLiteral("success"), {}, 1, std::nullopt, after + 2);
}

// v1 -> v2 with a postdeploy hook; the old web-1 exits at once on SIGTERM.
inline Deployment redeploySuccess()
{
    Writer w;
    const qint64 t = build(w, 2, 11800);
    const NewContainer web1 = web(1, 5003, 51022);
    startRollout(w, t, 2, 1, {web1});
    started(w, t + 7, web1, 2);
    w.output(web1.name, QStringLiteral("> shop@1.5.0 start"));
    const qint64 ready = probe(w, web1, t + 7, 2, true);
    w.output(web1.name, QStringLiteral("shop listening on port 5003"));
    const qint64 hook = ready + 1;
    hookStarted(w, hook, QStringLiteral("bin/migrate"));
    w.output(QStringLiteral("postdeploy-1"),
             QStringLiteral("Migrating to AddSkuToProducts (20261204)"));
    w.output(QStringLiteral("postdeploy-1"),
             QStringLiteral("== AddSkuToProducts: migrated (0.0412s)"));
    const qint64 hookEnd = hook + 2311;
    hookFinished(w, hookEnd, 0);
    route(w, hookEnd + 2, 1, 2, {web1}, {QStringLiteral("web-1")}, 30000);
    stopping(w, hookEnd + 4, QStringLiteral("old"), QStringLiteral("web-1"), 1, 30000);
    stopped(w, hookEnd + 22, QStringLiteral("old"), QStringLiteral("web-1"), 1, 0, {}, false, 18);
    return w.deployment(QStringLiteral("d2-91bc"), QStringLiteral("source"),
                        QStringLiteral("success"), {}, 2, 1, hookEnd + 3);
}

// The offset of the first event of `kind`; -1 when there is none.
inline qint64 offsetOf(const Deployment &deployment, const QString &kind)
{
    for (const QJsonValue &value : deployment.json.value(QStringLiteral("timeline")).toArray()) {
        if (value.toObject().value(QStringLiteral("kind")).toString() == kind)
            return qint64(value.toObject().value(QStringLiteral("offset_ms")).toDouble());
    }
    return -1;
}

// v1 -> v2 where the old web-1 still has 3 requests in flight at the switch: the router sends
// it nothing new, waits 1.2 s for them (the app's drain limit is 30 s), then SIGTERM.
inline Deployment drainedRedeploy()
{
    Writer w;
    const qint64 t = build(w, 2, 11800);
    const NewContainer web1 = web(1, 5003, 51022);
    startRollout(w, t, 2, 1, {web1});
    started(w, t + 7, web1, 2);
    const qint64 ready = probe(w, web1, t + 7, 2, true);
    postdeploySkipped(w, ready + 1);
    route(w, ready + 2, 1, 2, {web1}, {QStringLiteral("web-1")}, 30000);
    w.event(ready + 3, QStringLiteral("old-container-draining"), QStringLiteral("web-1"),
            QStringLiteral("old web-1 (v1) draining: 3 requests in flight, at most 30 s"),
            {{QStringLiteral("release"), 1},
             {QStringLiteral("in_flight"), 3},
             {QStringLiteral("drain_limit_ms"), 30000}});
    w.event(ready + 1203, QStringLiteral("old-container-stopping"), QStringLiteral("web-1"),
            QStringLiteral("old web-1 (v1) sent SIGTERM, 30 s to stop"),
            {{QStringLiteral("release"), 1},
             {QStringLiteral("signal"), QStringLiteral("SIGTERM")},
             {QStringLiteral("grace_period_ms"), 30000},
             {QStringLiteral("drain_ms"), 1200},
             {QStringLiteral("waited_requests"), 3},
             {QStringLiteral("requests_left"), 0}});
    stopped(w, ready + 1215, QStringLiteral("old"), QStringLiteral("web-1"), 1, 0, {}, false, 12);
    return w.deployment(QStringLiteral("d2-d7a1"), QStringLiteral("source"),
                        QStringLiteral("success"), {}, 2, 1, ready + 3);
}

// A config change (v2 -> v3, same slug: no build) with web=1 and worker=1; the old worker
// ignores SIGTERM and is killed after the app's 10 s grace period.
inline Deployment killedAfterGrace()
{
    Writer w;
    w.status(1, QStringLiteral("pushing"));
    w.event(4, QStringLiteral("release-created"), {},
            QStringLiteral("release v3 created (slug 18.3 MB)"), {{QStringLiteral("release"), 3}});
    const qint64 t = 420;
    const NewContainer web1 = web(1, 5004, 52010);
    const NewContainer worker1{QStringLiteral("worker-1"), QStringLiteral("worker"), 1, 0, 52011};
    startRollout(w, t, 3, 2, {web1, worker1});
    started(w, t + 6, web1, 3);
    started(w, t + 9, worker1, 3);
    w.output(worker1.name, QStringLiteral("worker polling the jobs queue"));
    probe(w, web1, t + 6, 3, true);
    w.output(web1.name, QStringLiteral("shop listening on port 5004"));
    const qint64 after = t + 6 + 300 + 1;
    postdeploySkipped(w, after);
    route(w, after + 1, 2, 3, {web1, worker1},
          {QStringLiteral("web-1"), QStringLiteral("worker-1")}, 10000);
    stopping(w, after + 3, QStringLiteral("old"), QStringLiteral("web-1"), 2, 10000);
    stopping(w, after + 3, QStringLiteral("old"), QStringLiteral("worker-1"), 2, 10000);
    stopped(w, after + 28, QStringLiteral("old"), QStringLiteral("web-1"), 2, 0, {}, false, 25);
    stopped(w, after + 10004, QStringLiteral("old"), QStringLiteral("worker-1"), 2, std::nullopt,
            QStringLiteral("SIGKILL"), true, 10001);
    return w.deployment(QStringLiteral("d3-c04e"), QStringLiteral("config-change"),
                        QStringLiteral("success"), {}, 3, 2, after + 2);
}

// v3 -> v4 with web=2: web-2 cannot find a module and exits 1 while web-1 is probed.
inline Deployment crashedError()
{
    Writer w;
    const qint64 t = build(w, 4, 9800);
    const NewContainer web1 = web(1, 5005, 53100);
    const NewContainer web2 = web(2, 5006, 53103);
    startRollout(w, t, 4, 3, {web1, web2});
    started(w, t + 8, web1, 4);
    started(w, t + 10, web2, 4);
    const QStringList crash = {
        QStringLiteral("> shop@1.6.0 start"),
        QStringLiteral("> node server.js"),
        QStringLiteral("node:internal/modules/cjs/loader:1147"),
        QStringLiteral("  throw err;"),
        QStringLiteral("Error: Cannot find module 'express'"),
        QStringLiteral("Require stack:"),
        QStringLiteral("- /app/server.js"),
        QStringLiteral("Node.js v20.11.0"),
    };
    for (const QString &text : crash)
        w.output(web2.name, text);
    w.output(web1.name, QStringLiteral("> shop@1.6.0 start"));
    const qint64 crashAt = t + 10 + 1190;
    probe(w, web1, t + 8, 12, false);
    probe(w, web2, t + 10, 12, false);
    w.event(crashAt, QStringLiteral("container-crashed"), web2.name,
            QStringLiteral("web-2 exited with status 1 before the traffic switch"),
            {{QStringLiteral("exit_status"), 1},
             {QStringLiteral("signal"), QJsonValue()},
             {QStringLiteral("how"), QStringLiteral("exited with status 1")}});
    w.section(crashAt, QStringLiteral("Last lines of web-2:"));
    for (const QString &text : crash)
        w.output(web2.name, text);
    stopping(w, crashAt, QStringLiteral("new"), web1.name, 4, 30000);
    stopped(w, crashAt, QStringLiteral("new"), web2.name, 4, 1, {}, false, 0);
    const QString error =
        QStringLiteral("web-2 exited with status 1 while booting; its last lines are in the "
                       "deployment log");
    w.fail(crashAt, QStringLiteral("crashed-error"), error, QStringLiteral("wait-ready"));
    stopped(w, crashAt + 7, QStringLiteral("new"), web1.name, 4, std::nullopt,
            QStringLiteral("SIGTERM"), false, 7);
    return w.deployment(QStringLiteral("d4-5e21"), QStringLiteral("source"),
                        QStringLiteral("crashed-error"), error, 4, 3, crashAt);
}

// v4 -> v5: web-1 listens on 8080 instead of $PORT; 600 refused probes, then the 60 s
// boot timeout.
inline Deployment timeoutError()
{
    Writer w;
    const qint64 t = build(w, 5, 9400);
    const NewContainer web1 = web(1, 5007, 54000);
    startRollout(w, t, 5, 4, {web1});
    started(w, t + 9, web1, 5);
    w.output(web1.name, QStringLiteral("> shop@1.7.0 start"));
    w.output(web1.name, QStringLiteral("shop listening on port 8080"));
    probe(w, web1, t + 9, 600, false);
    const qint64 timeout = t + 1 + 60000;
    stopping(w, timeout, QStringLiteral("new"), web1.name, 5, 30000);
    const QString error =
        QStringLiteral("web-1 did not accept connections on its PORT within the boot timeout of "
                       "60 s (port 5007 after 600 probes); make the app listen on $PORT, or raise "
                       "the boot timeout");
    w.fail(timeout, QStringLiteral("timeout-error"), error, QStringLiteral("wait-ready"));
    stopped(w, timeout + 4, QStringLiteral("new"), web1.name, 5, std::nullopt,
            QStringLiteral("SIGTERM"), false, 4);
    return w.deployment(QStringLiteral("d5-0b7d"), QStringLiteral("source"),
                        QStringLiteral("timeout-error"), error, 5, 4, timeout);
}

// v5 -> v6: web-1 is ready, the migration in the postdeploy hook exits 1.
inline Deployment hookError()
{
    Writer w;
    const qint64 t = build(w, 6, 10100);
    const NewContainer web1 = web(1, 5008, 55300);
    startRollout(w, t, 6, 5, {web1});
    started(w, t + 7, web1, 6);
    w.output(web1.name, QStringLiteral("shop listening on port 5008"));
    const qint64 ready = probe(w, web1, t + 7, 3, true);
    const qint64 hook = ready + 1;
    hookStarted(w, hook, QStringLiteral("bin/rails db:migrate"));
    w.output(QStringLiteral("postdeploy-1"),
             QStringLiteral("== 20261204 AddIndexToOrders: migrating"));
    w.output(QStringLiteral("postdeploy-1"), QStringLiteral("-- add_index(:orders, :customer_id)"));
    w.output(QStringLiteral("postdeploy-1"),
             QStringLiteral("PG::DuplicateTable: ERROR: relation \"index_orders_on_customer_id\" "
                            "already exists"));
    w.output(QStringLiteral("postdeploy-1"), QStringLiteral("rails aborted!"));
    const qint64 hookEnd = hook + 4210;
    hookFinished(w, hookEnd, 1);
    stopping(w, hookEnd, QStringLiteral("new"), web1.name, 6, 30000);
    const QString error = QStringLiteral(
        "the postdeploy hook exited with status 1; the release was not put in service");
    w.fail(hookEnd, QStringLiteral("hook-error"), error, QStringLiteral("postdeploy"));
    stopped(w, hookEnd + 9, QStringLiteral("new"), web1.name, 6, 0, {}, false, 9);
    return w.deployment(QStringLiteral("d6-44a0"), QStringLiteral("source"),
                        QStringLiteral("hook-error"), error, 6, 5, hookEnd);
}

// Cancelled 8 s into the build of v7; v6 keeps serving.
inline Deployment abortedBuilding()
{
    Writer w;
    w.status(1, QStringLiteral("building"));
    w.section(3, QStringLiteral("Cloning https://git.example.com/acme/shop.git (main)"));
    w.event(790, QStringLiteral("source-fetched"), {}, QStringLiteral("source fetched (47.1 KB)"),
            {{QStringLiteral("bytes"), 48213}});
    w.section(800, QStringLiteral("Buildpacks chosen by auto-detection"));
    w.event(803, QStringLiteral("buildpack-detected"), {},
            QStringLiteral("buildpacks Node.js (nodejs), chosen by auto-detection"),
            {{QStringLiteral("buildpack"), QStringLiteral("nodejs")},
             {QStringLiteral("name"), QStringLiteral("Node.js")}});
    w.section(810, QStringLiteral("Running buildpack 1 of 1: nodejs"));
    w.line(QStringLiteral("       Installing node 20.11.0"));
    const QString error = QStringLiteral("the build was cancelled");
    w.fail(8120, QStringLiteral("aborted"), error, QStringLiteral("build"));
    return w.deployment(QStringLiteral("d7-e812"), QStringLiteral("source"),
                        QStringLiteral("aborted"), error, 0, 6, 8120);
}

// A deployment recorded before the timeline had `data` (v7 -> v8, web=2): `data: {}`
// everywhere, no step-started, stopping or log-section events, no previous_release.
inline Deployment legacyWithoutData()
{
    Writer w(false);
    w.line(QStringLiteral("-----> Deployment building"));
    w.line(QStringLiteral("-----> Cloning https://git.example.com/acme/shop.git (main)"));
    w.event(640, QStringLiteral("source-fetched"), {}, QStringLiteral("source fetched (46.9 KB)"));
    w.event(652, QStringLiteral("buildpack-detected"), {},
            QStringLiteral("buildpacks Node.js (nodejs), chosen by auto-detection"));
    w.event(14210, QStringLiteral("slug-built"), {}, QStringLiteral("slug built: 18.2 MB"));
    w.event(14216, QStringLiteral("release-created"), {},
            QStringLiteral("release v8 created (slug 18.2 MB)"));
    const qint64 t = 14630;
    const NewContainer web1 = web(1, 5011, 60001);
    const NewContainer web2 = web(2, 5012, 60004);
    startRollout(w, t, 8, 7, {web1, web2});
    started(w, t + 9, web1, 8);
    started(w, t + 12, web2, 8);
    w.output(web1.name, QStringLiteral("shop listening on port 5011"));
    w.output(web2.name, QStringLiteral("shop listening on port 5012"));
    // The engine of then reported every probe, the accepted one too.
    const qint64 ready1 = probe(w, web1, t + 9, 6, false) + 100;
    w.event(ready1, QStringLiteral("container-probed"), web1.name,
            QStringLiteral("web-1 probe 7 on port 5011"));
    w.event(ready1, QStringLiteral("container-ready"), web1.name,
            QStringLiteral("web-1 ready after 7 probes (601 ms) on port 5011"));
    const qint64 ready2 = probe(w, web2, t + 12, 4, false) + 100;
    w.event(ready2, QStringLiteral("container-probed"), web2.name,
            QStringLiteral("web-2 probe 5 on port 5012"));
    w.event(ready2, QStringLiteral("container-ready"), web2.name,
            QStringLiteral("web-2 ready after 5 probes (401 ms) on port 5012"));
    const qint64 routed = std::max(ready1, ready2) + 2;
    w.event(routed, QStringLiteral("traffic-routed"), {},
            QStringLiteral("traffic routed to web-1 (port 5011), web-2 (port 5012)"));
    w.line(QStringLiteral("-----> Deployment success"));
    stopped(w, routed + 12, QStringLiteral("old"), QStringLiteral("web-1"), 7, 0, {}, false, 12);
    stopped(w, routed + 30001, QStringLiteral("old"), QStringLiteral("web-2"), 7, std::nullopt, {},
            true, 30000);
    return w.deployment(QStringLiteral("d8-aa10"), QStringLiteral("source"),
                        QStringLiteral("success"), {}, 8, std::nullopt, routed);
}

// v9 -> v10 of a busier app: web=12 and worker=2, each web container ready a little later
// than the one before; the old ones stop one after the other, the last worker is killed.
inline Deployment manyContainers()
{
    Writer w;
    const qint64 t = build(w, 10, 15200);
    QList<NewContainer> containers;
    for (int i = 1; i <= 12; ++i)
        containers.append(web(i, 5100 + i, 61000 + i * 3));
    containers.append({QStringLiteral("worker-1"), QStringLiteral("worker"), 1, 0, 61100});
    containers.append({QStringLiteral("worker-2"), QStringLiteral("worker"), 2, 0, 61103});
    startRollout(w, t, 10, 9, containers);
    qint64 lastReady = t;
    for (int i = 0; i < containers.size(); ++i) {
        const NewContainer &c = containers.at(i);
        const qint64 at = t + 8 + i * 2;
        started(w, at, c, 10);
        w.output(c.name, c.port ? QStringLiteral("shop listening on port %1").arg(c.port)
                                : QStringLiteral("worker polling the jobs queue"));
        if (c.port)
            lastReady = std::max(lastReady, probe(w, c, at, 3 + i * 2, true));
    }
    const qint64 after = lastReady + 1;
    postdeploySkipped(w, after);
    QStringList old;
    for (const NewContainer &c : std::as_const(containers))
        old.append(c.name);
    route(w, after + 1, 9, 10, containers, old, 30000);
    for (int i = 0; i < old.size(); ++i)
        stopping(w, after + 3, QStringLiteral("old"), old.at(i), 9, 30000);
    for (int i = 0; i < old.size(); ++i) {
        if (old.at(i) == QLatin1String("worker-2"))
            stopped(w, after + 3 + 30001, QStringLiteral("old"), old.at(i), 9, std::nullopt,
                    QStringLiteral("SIGKILL"), true, 30001);
        else
            stopped(w, after + 3 + 10 + i * 37, QStringLiteral("old"), old.at(i), 9, 0, {}, false,
                    10 + i * 37);
    }
    return w.deployment(QStringLiteral("d10-3c9a"), QStringLiteral("source"),
                        QStringLiteral("success"), {}, 10, 9, after + 2);
}

// Only what had happened by `offset`, as a live view receives it: the events until then,
// status `starting` (or the status then), no finished_at, created `offset` ms ago.
inline Deployment liveAt(const Deployment &finished, qint64 offset, const QString &status)
{
    Deployment live = finished;
    QJsonArray events;
    bool released = false; // the API names the release once it is made
    for (const QJsonValue &value : finished.json.value(QStringLiteral("timeline")).toArray()) {
        if (value.toObject().value(QStringLiteral("offset_ms")).toDouble() > offset)
            continue;
        events.append(value);
        released = released || value.toObject().value(QStringLiteral("kind")).toString() ==
                                   QLatin1String("release-created");
    }
    if (!released)
        live.json.insert(QStringLiteral("release_version"), QJsonValue());
    live.json.insert(QStringLiteral("timeline"), events);
    live.json.insert(QStringLiteral("status"), status);
    live.json.insert(QStringLiteral("error"), QJsonValue());
    live.json.insert(QStringLiteral("finished_at"), QJsonValue());
    live.json.insert(QStringLiteral("created_at"),
                     QDateTime::currentDateTimeUtc().addMSecs(-offset).toString(Qt::ISODateWithMs));
    live.end = offset;
    return live;
}

} // namespace RolloutFixtures
