// Soak: slipwayd with ten apps through a seeded, random mix of deployments (good and
// failing), scales, restarts, rollbacks, config changes, crashes of app processes and event
// stream clients coming and going, all under steady HTTP load through the router.
// Five apps are never broken on purpose: not one of their requests may fail. At the end the
// daemon's memory, file descriptors, threads and child processes must be back near where
// they started; their start, peak and end are printed.
//   SOAK_SECONDS (default 60; the full soak is 1800), SOAK_SEED, SOAK_APPS (default 10)

#include "DaemonProcess.h"
#include "HttpLoad.h"
#include "TestSupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QThread>

#include <csignal>
#include <cstdio>
#include <memory>
#include <unistd.h>
#include <vector>

using namespace TestSupport;

namespace {

// The daemon's child processes by name and state ("bwrap S": 12), to say what stayed.
QMap<QString, int> childrenOf(qint64 pid)
{
    QMap<QString, int> children;
    const QStringList processes =
        QDir(QStringLiteral("/proc")).entryList({QStringLiteral("[0-9]*")}, QDir::Dirs);
    for (const QString &process : processes) {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(process));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray text = stat.readAll();
        const QByteArray name =
            text.mid(text.indexOf('(') + 1, text.lastIndexOf(')') - text.indexOf('(') - 1);
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.value(1).toLongLong() == pid)
            ++children[QString::fromUtf8(name + ' ' + fields.value(0))];
    }
    return children;
}

// The daemon's open files by kind ("socket", "pipe", a folder): what it kept.
QString openFilesOf(qint64 pid)
{
    QMap<QString, int> openFiles;
    const QDir fdDir(QStringLiteral("/proc/%1/fd").arg(pid));
    for (const QFileInfo &fd :
         fdDir.entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System)) {
        char link[512] = {};
        const ssize_t length =
            ::readlink(QFile::encodeName(fd.filePath()).constData(), link, sizeof link - 1);
        const QString target = length > 0 ? QString::fromLocal8Bit(link, length) : QString();
        const QString kind = target.section(QLatin1Char(':'), 0, 0);
        ++openFiles[kind.startsWith(QLatin1Char('/')) ? QFileInfo(kind).path() : kind];
    }
    QStringList files;
    for (auto it = openFiles.cbegin(); it != openFiles.cend(); ++it)
        files.append(QStringLiteral("%1 %2").arg(it.value()).arg(it.key()));
    return files.join(QStringLiteral(", "));
}

struct Usage
{
    qint64 rssKb = 0;
    int fds = 0;
    int threads = 0;
    int children = 0;
};

Usage usageOf(qint64 pid)
{
    Usage usage;
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (status.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : status.readAll().split('\n')) {
            if (line.startsWith("VmRSS:"))
                usage.rssKb = line.mid(6).trimmed().split(' ').value(0).toLongLong();
            else if (line.startsWith("Threads:"))
                usage.threads = line.mid(8).trimmed().toInt();
        }
    }
    usage.fds = int(QDir(QStringLiteral("/proc/%1/fd").arg(pid))
                        .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System)
                        .size());
    for (const int count : childrenOf(pid))
        usage.children += count;
    return usage;
}

struct Curve
{
    qint64 start = 0;
    qint64 peak = 0;
    qint64 end = 0;
    void add(qint64 value, bool first)
    {
        if (first)
            start = value;
        peak = qMax(peak, value);
        end = value;
    }
};

QString makeVariant(const QString &root, const QString &name, const QByteArray &procfile)
{
    const QString dir = root + QLatin1Char('/') + name;
    if (!copyTree(dataPath(QStringLiteral("fixtures/behave")), dir))
        return {};
    QFile file(dir + QStringLiteral("/Procfile"));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    file.write(procfile);
    return dir;
}

QJsonObject deployBody(const QString &source)
{
    return {{QStringLiteral("deployment"), QJsonObject{{QStringLiteral("source_url"), source}}}};
}

bool deploymentRunning(DaemonProcess &daemon, const QString &app)
{
    const QJsonArray deployments =
        daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments").arg(app))
            .value(QStringLiteral("deployments"))
            .toArray();
    for (const QJsonValue &value : deployments) {
        const QString status = value.toObject().value(QStringLiteral("status")).toString();
        if (status == QStringLiteral("pending") || status == QStringLiteral("queued") ||
            status == QStringLiteral("building") || status == QStringLiteral("starting"))
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication application(argc, argv);
    const int seconds = qEnvironmentVariableIntValue("SOAK_SECONDS") > 0
                            ? qEnvironmentVariableIntValue("SOAK_SECONDS")
                            : 60;
    const int appCount = qEnvironmentVariableIntValue("SOAK_APPS") > 1
                             ? qEnvironmentVariableIntValue("SOAK_APPS")
                             : 10;
    const quint32 seed = qEnvironmentVariableIsSet("SOAK_SEED")
                             ? qEnvironmentVariable("SOAK_SEED").toUInt()
                             : QRandomGenerator::global()->generate();
    QRandomGenerator random(seed);
    std::printf("soak_setup: %d s, %d apps, SOAK_SEED=%u\n", seconds, appCount, seed);
    std::fflush(stdout);

    QTemporaryDir temp;
    const QByteArray tag = "--tag \"slipway-fixture-$APP\"";
    const QString good = makeVariant(temp.path(), QStringLiteral("good"),
                                     "web: python3 behave.py web " + tag +
                                         "\nworker: python3 "
                                         "behave.py worker " +
                                         tag + "\n");
    const QString neverListens =
        makeVariant(temp.path(), QStringLiteral("never-listens"),
                    "web: BEHAVIOUR=never-listen python3 behave.py web " + tag + "\n");
    const QString crashesAtBoot =
        makeVariant(temp.path(), QStringLiteral("crashes-at-boot"),
                    "web: BEHAVIOUR=crash-at-boot python3 behave.py web " + tag + "\n");
    const QString hookFails = makeVariant(temp.path(), QStringLiteral("hook-fails"),
                                          "web: python3 behave.py web " + tag +
                                              "\npostdeploy: POSTDEPLOY=fail python3 behave.py "
                                              "postdeploy " +
                                              tag + "\n");
    if (good.isEmpty() || neverListens.isEmpty() || crashesAtBoot.isEmpty() ||
        hookFails.isEmpty()) {
        std::fprintf(stderr, "soak: cannot prepare the app variants in %s\n",
                     qPrintable(temp.path()));
        return 1;
    }

    DaemonProcess daemon;
    if (!daemon.start()) {
        std::fprintf(stderr, "soak: slipwayd did not start: %s\n", daemon.output().constData());
        return 1;
    }
    QStringList apps;
    for (int i = 0; i < appCount; ++i) {
        const QString app = QStringLiteral("soak-%1").arg(i);
        apps.append(app);
        int status = 0;
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}}, &status);
        daemon.call(
            "PATCH", QStringLiteral("/v1/apps/%1/settings").arg(app),
            {{QStringLiteral("settings"), QJsonObject{{QStringLiteral("boot_timeout"), 5},
                                                      {QStringLiteral("grace_period"), 3}}}});
        const QJsonObject started = daemon.call(
            "POST", QStringLiteral("/v1/apps/%1/deployments").arg(app), deployBody(good), &status);
        if (status != 201) {
            std::fprintf(stderr, "soak: cannot deploy %s: %s\n", qPrintable(app),
                         QJsonDocument(started).toJson().constData());
            return 1;
        }
    }
    for (const QString &app : std::as_const(apps)) {
        QElapsedTimer waited;
        waited.start();
        while (deploymentRunning(daemon, app) && waited.elapsed() < 180000)
            QThread::msleep(200);
    }
    const quint16 routerPort = daemon.routerPort();
    // The first half is protected; the second half may be crashed on purpose.
    const int protectedCount = appCount / 2;

    const auto makeLoads = [&] {
        std::vector<std::unique_ptr<HttpLoad>> made;
        for (const QString &app : std::as_const(apps)) {
            HttpLoad::Options options;
            options.port = routerPort;
            options.host = (app + QStringLiteral(".localhost")).toUtf8();
            options.clients = 2;
            options.newConnectionEvery = 3;
            made.push_back(std::make_unique<HttpLoad>(options));
        }
        return made;
    };
    Curve rss, fds, threads, children;
    const auto sample = [&](bool first) {
        const Usage usage = usageOf(daemon.pid());
        rss.add(usage.rssKb, first);
        fds.add(usage.fds, first);
        threads.add(usage.threads, first);
        children.add(usage.children, first);
    };
    // Start and end are measured alike: quiet, after every app has had traffic (so the
    // router's access logs are open, as they stay while apps are used), once the router's
    // idle upstream connections have passed their 30 s limit and old containers their grace
    // period. Under load the count of open connections swings by dozens from one moment to
    // the next.
    {
        auto warmUp = makeLoads();
        for (auto &load : warmUp)
            load->start();
        QThread::msleep(3000);
        for (auto &load : warmUp)
            load->stop();
    }
    QThread::msleep(35000);
    sample(true);
    const QString filesAtStart = openFilesOf(daemon.pid());
    std::vector<std::unique_ptr<HttpLoad>> loads = makeLoads();
    for (auto &load : loads)
        load->start();

    QMap<QString, int> actions;
    std::vector<std::unique_ptr<QProcess>> streams;
    QElapsedTimer clock;
    clock.start();
    qint64 nextSample = 0;
    while (clock.elapsed() < qint64(seconds) * 1000) {
        if (clock.elapsed() >= nextSample) {
            sample(false);
            nextSample += 1000;
        }
        const int index = int(random.bounded(appCount));
        const QString app = apps.at(index);
        const bool breakable = index >= protectedCount;
        const int pick = int(random.bounded(100));
        int status = 0;
        if (pick < 8) {
            // An event-stream client comes, another goes.
            auto stream = std::make_unique<QProcess>();
            stream->start(QStringLiteral("curl"),
                          {QStringLiteral("-sN"), QStringLiteral("--unix-socket"),
                           daemon.socketPath(), QStringLiteral("http://slipway/v1/events")});
            stream->setStandardOutputFile(QProcess::nullDevice());
            streams.push_back(std::move(stream));
            if (streams.size() > 4) {
                streams.front()->kill();
                streams.front()->waitForFinished(2000);
                streams.erase(streams.begin());
            }
            ++actions[QStringLiteral("event-clients")];
        } else if (pick < 14 && breakable) {
            // An app process crashes.
            const QList<qint64> processes =
                processesWithMarker(QStringLiteral("slipway-fixture-%1").arg(app).toUtf8());
            if (!processes.isEmpty()) {
                ::kill(pid_t(processes.at(int(random.bounded(processes.size())))), SIGKILL);
                ++actions[QStringLiteral("crashes")];
            }
        } else if (deploymentRunning(daemon, app)) {
            // One rollout at a time per app keeps the queue short.
        } else if (pick < 40) {
            daemon.call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(app),
                        deployBody(good), &status);
            ++actions[QStringLiteral("deploys")];
        } else if (pick < 55) {
            const QString failing =
                QList<QString>{neverListens, crashesAtBoot, hookFails}.at(int(random.bounded(3)));
            daemon.call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(app),
                        deployBody(failing), &status);
            ++actions[QStringLiteral("failed-deploys")];
        } else if (pick < 65) {
            daemon.call(
                "POST", QStringLiteral("/v1/apps/%1/scale").arg(app),
                {{QStringLiteral("containers"),
                  QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("web")},
                                         {QStringLiteral("amount"), 1 + int(random.bounded(3))}}}}},
                &status);
            ++actions[QStringLiteral("scales")];
        } else if (pick < 75) {
            daemon.call("POST", QStringLiteral("/v1/apps/%1/restart").arg(app), {}, &status);
            ++actions[QStringLiteral("restarts")];
        } else if (pick < 85) {
            const QJsonArray releases =
                daemon.call("GET", QStringLiteral("/v1/apps/%1/releases").arg(app))
                    .value(QStringLiteral("releases"))
                    .toArray();
            if (releases.size() > 1) {
                const int version = releases.at(int(random.bounded(releases.size())))
                                        .toObject()
                                        .value(QStringLiteral("version"))
                                        .toInt();
                daemon.call("POST", QStringLiteral("/v1/apps/%1/rollback").arg(app),
                            {{QStringLiteral("version"), version}}, &status);
                ++actions[QStringLiteral("rollbacks")];
            }
        } else {
            daemon.call("POST", QStringLiteral("/v1/apps/%1/variables").arg(app),
                        {{QStringLiteral("variables"),
                          QJsonArray{QJsonObject{
                              {QStringLiteral("name"), QStringLiteral("SOAK_STEP")},
                              {QStringLiteral("value"), QString::number(clock.elapsed())}}}}},
                        &status);
            ++actions[QStringLiteral("config-changes")];
        }
        QThread::msleep(100 + random.bounded(400));
    }

    // Quiet again: the same formation as at the start, no rollout running, no stream.
    for (auto &stream : streams) {
        stream->kill();
        stream->waitForFinished(2000);
    }
    streams.clear();
    // A scale asked for while a deployment is still queued may not be the last word: asked
    // again until each app runs one web container.
    const auto webContainers = [&](const QString &app) {
        int count = 0;
        const QJsonArray containers =
            daemon.call("GET", QStringLiteral("/v1/apps/%1/containers").arg(app))
                .value(QStringLiteral("containers"))
                .toArray();
        for (const QJsonValue &container : containers)
            count += container.toObject().value(QStringLiteral("type")).toString() ==
                             QStringLiteral("web")
                         ? 1
                         : 0;
        return count;
    };
    for (const QString &app : std::as_const(apps)) {
        QElapsedTimer waited;
        waited.start();
        for (;;) {
            while (deploymentRunning(daemon, app) && waited.elapsed() < 120000)
                QThread::msleep(200);
            if (webContainers(app) <= 1 || waited.elapsed() >= 120000)
                break;
            daemon.call("POST", QStringLiteral("/v1/apps/%1/scale").arg(app),
                        {{QStringLiteral("containers"),
                          QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("web")},
                                                 {QStringLiteral("amount"), 1}}}}});
            QThread::msleep(500);
        }
    }
    for (auto &load : loads)
        load->stop();
    QElapsedTimer settling;
    settling.start();
    for (;;) {
        QThread::msleep(1000);
        const Usage now = usageOf(daemon.pid());
        // Given every chance to settle back to where it started; judged with a margin below.
        const bool settled = now.fds <= fds.start && now.children <= children.start;
        if ((settled && settling.elapsed() >= 35000) || settling.elapsed() >= 90000)
            break;
    }
    sample(false);

    qint64 protectedRequests = 0, protectedFailures = 0, brokenRequests = 0, brokenFailures = 0;
    QStringList problems;
    for (int i = 0; i < appCount; ++i) {
        const HttpLoad::Totals totals = loads.at(std::size_t(i))->totals();
        const qint64 failed = totals.requests - totals.ok;
        if (i < protectedCount) {
            protectedRequests += totals.requests;
            protectedFailures += failed;
            if (failed > 0)
                problems += totals.problems.mid(0, 3);
        } else {
            brokenRequests += totals.requests;
            brokenFailures += failed;
        }
    }
    QStringList done;
    for (auto it = actions.cbegin(); it != actions.cend(); ++it)
        done.append(QStringLiteral("%1 %2").arg(it.value()).arg(it.key()));
    std::printf("soak_actions: %s\n", qPrintable(done.join(QStringLiteral(", "))));
    std::printf("soak_protected_requests: %lld, failed %lld\n", protectedRequests,
                protectedFailures);
    std::printf("soak_broken_requests: %lld, failed %lld (apps crashed on purpose)\n",
                brokenRequests, brokenFailures);
    std::printf("soak_rss_kb: start %lld, peak %lld, end %lld\n", rss.start, rss.peak, rss.end);
    std::printf("soak_fds: start %lld, peak %lld, end %lld\n", fds.start, fds.peak, fds.end);
    std::printf("soak_threads: start %lld, peak %lld, end %lld\n", threads.start, threads.peak,
                threads.end);
    std::printf("soak_children: start %lld, peak %lld, end %lld\n", children.start, children.peak,
                children.end);
    const QMap<QString, int> left = childrenOf(daemon.pid());
    QStringList kinds;
    for (auto it = left.cbegin(); it != left.cend(); ++it)
        kinds.append(QStringLiteral("%1 %2").arg(it.value()).arg(it.key()));
    std::printf("soak_children_at_end: %s\n", qPrintable(kinds.join(QStringLiteral(", "))));
    std::printf("soak_fds_at_start: %s\n", qPrintable(filesAtStart));
    std::printf("soak_fds_at_end: %s\n", qPrintable(openFilesOf(daemon.pid())));
    for (const QString &problem : std::as_const(problems))
        std::printf("soak_problem: %s\n", qPrintable(problem));

    bool ok = true;
    const auto require = [&ok](bool condition, const char *what) {
        if (!condition) {
            std::printf("soak_failed: %s\n", what);
            ok = false;
        }
    };
    require(protectedRequests > 0, "no request reached the protected apps");
    require(protectedFailures == 0, "requests to apps never broken on purpose failed");
    // In a short run the allocator's warm-up (arenas of the router's and the API's threads,
    // kept after use) outweighs any leak, so memory is judged on the long runs only.
    if (seconds >= 600)
        require(rss.end <= rss.start + qMax<qint64>(64 * 1024, rss.start / 2),
                "the daemon's memory did not come back near where it started");
    else
        std::printf("soak_rss_check: judged only on runs of 10 minutes or more\n");
    require(fds.end <= fds.start + 8, "the daemon kept file descriptors");
    require(threads.end <= threads.start + 4, "the daemon kept threads");
    require(children.end <= children.start, "the daemon kept child processes");
    if (const int hold = qEnvironmentVariableIntValue("SOAK_HOLD_SECONDS"); hold > 0) {
        // For a look at what the daemon kept (ls -l /proc/PID/fd) before it stops.
        std::printf("soak_holding: slipwayd pid %lld for %d s\n", qint64(daemon.pid()), hold);
        std::fflush(stdout);
        QThread::sleep(hold);
    }
    daemon.terminate();
    std::fflush(stdout);
    return ok ? 0 : 1;
}
