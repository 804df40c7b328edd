// Rollout figures, with the real engine, router and containers of the behaviour fixture:
//  - readiness detection: from the moment the app listens to the moment the router
//    routes to it (goal < 150 ms at the default 100 ms probe interval);
//  - engine overhead of a whole rollout for an app that boots at once, build excluded
//    (goal < 300 ms);
//  - container start: from the rollout's start to the app listening, with the container's
//    outbound network (slirp4netns) and without it (`network=none`);
//  - zero downtime: failed requests under wrk load during 20 consecutive redeploys
//    (goal 0), and the longest gap a client saw without a response.

#include "EngineFixture.h"
#include "TestSupport.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "router/Router.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTextStream>
#include <QtTest>

#include <algorithm>
#include <csignal>

using namespace Slipway;
using namespace TestSupport;

namespace {

QTextStream out(stdout);

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0.0 : values.at(values.size() / 2);
}

double maximum(const QList<double> &values)
{
    return values.isEmpty() ? 0.0 : *std::max_element(values.begin(), values.end());
}

// The fixture without its postdeploy hook: the overhead is the engine's, not a hook's.
QString plainFixture(EngineFixture &fixture)
{
    const QString dir = fixture.path(QStringLiteral("plain-app"));
    copyTree(fixture.fixtureSource(), dir);
    QFile procfile(dir + QStringLiteral("/Procfile"));
    procfile.open(QIODevice::WriteOnly | QIODevice::Truncate);
    procfile.write("web: python3 behave.py web --tag \"slipway-fixture-$APP\"\n");
    return dir;
}

QDateTime eventTime(Deployment *deployment, TimelineEvent::Kind kind)
{
    for (const TimelineEvent &event : deployment->timeline()) {
        if (event.kind == kind)
            return event.time;
    }
    return {};
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    EngineFixture fixture;
    Engine &engine = fixture.engine();
    const QString name = QStringLiteral("bench");
    engine.createApp(name);
    Deployment *first = *engine.deploySource(name, *SourceSpec::parse(plainFixture(fixture)));
    if (!EngineFixture::waitFinished(first) || first->status() != DeploymentStatus::Success) {
        out << "could not deploy the fixture: " << EngineFixture::describe(first) << '\n';
        return 1;
    }

    // --- readiness detection and overhead, over config-change rollouts ----------------
    QList<double> detection;
    QList<double> overhead;
    QList<double> startWith;    // rollout start → app listening, outbound network on
    QList<double> startWithout; // the same with network=none
    const int rounds = 10;
    for (int i = 0; i < 2 * rounds; ++i) {
        // The second half runs without an outbound network, for the container start figure.
        const bool outbound = i < rounds;
        AppSettings settings = engine.app(name)->settings();
        settings.outboundNetwork = outbound;
        engine.setSettings(name, settings);
        QDateTime listening;
        QObject context;
        QObject::connect(
            engine.app(name), &AppInstance::containerLog, &context, [&](const LogLine &line) {
                if (!listening.isValid() && line.text.startsWith(QStringLiteral("listening on")))
                    listening = line.time;
            });
        Deployment *deployment =
            *engine.changeConfig(name, {{QStringLiteral("ROUND"), QString::number(i)}});
        QElapsedTimer total;
        total.start();
        QDateTime starting;
        QObject::connect(deployment, &Deployment::statusChanged, &context,
                         [&](DeploymentStatus status) {
                             if (status == DeploymentStatus::Starting)
                                 starting = QDateTime::currentDateTimeUtc();
                         });
        EngineFixture::waitFinished(deployment);
        if (deployment->status() != DeploymentStatus::Success) {
            out << "rollout failed: " << EngineFixture::describe(deployment) << '\n';
            return 1;
        }
        const QDateTime routed = eventTime(deployment, TimelineEvent::Kind::TrafficRouted);
        const QDateTime started = eventTime(deployment, TimelineEvent::Kind::ContainerStarted);
        if (!listening.isValid() || !routed.isValid() || !started.isValid() || !starting.isValid())
            continue;
        (outbound ? startWith : startWithout).append(double(starting.msecsTo(listening)));
        if (!outbound)
            continue;
        detection.append(double(listening.msecsTo(routed)));
        // The rollout's own time: Starting → routed, less the app's boot (start → listening).
        overhead.append(double(starting.msecsTo(routed) - started.msecsTo(listening)));
    }
    out << QStringLiteral(
               "readiness_detection: listening → routed median %1 ms, max %2 ms over %3 rollouts "
               "(probe interval 100 ms; goal < 150 ms)\n")
               .arg(median(detection), 0, 'f', 0)
               .arg(maximum(detection), 0, 'f', 0)
               .arg(detection.size());
    out << QStringLiteral(
               "rollout_overhead: engine time of a rollout without the app's boot, median %1 ms, "
               "max %2 ms (goal < 300 ms)\n")
               .arg(median(overhead), 0, 'f', 0)
               .arg(maximum(overhead), 0, 'f', 0);
    out << QStringLiteral("container_start: rollout start → app listening, median %1 ms with an "
                          "outbound network, %2 ms with network=none (%3 ms for the network)\n")
               .arg(median(startWith), 0, 'f', 0)
               .arg(median(startWithout), 0, 'f', 0)
               .arg(median(startWith) - median(startWithout), 0, 'f', 0);
    out.flush();
    AppSettings settings = engine.app(name)->settings();
    settings.outboundNetwork = true;
    engine.setSettings(name, settings);

    // --- zero downtime under load ------------------------------------------------------
    const int redeploys = 20;
    QProcess wrk;
    wrk.setProcessChannelMode(QProcess::MergedChannels);
    wrk.start(QStringLiteral("wrk"),
              {QStringLiteral("-t2"), QStringLiteral("-c16"), QStringLiteral("-d120s"),
               QStringLiteral("-H"), QStringLiteral("Host: %1.localhost").arg(name),
               QStringLiteral("http://127.0.0.1:%1/").arg(fixture.routerPort())});
    if (!wrk.waitForStarted(5000)) {
        out << "zero_downtime: wrk is not installed\n";
        return 1;
    }
    // A client of our own measures the longest gap between two answers.
    QNetworkAccessManager manager;
    QElapsedTimer clock;
    clock.start();
    qint64 lastAnswer = 0;
    qint64 longestGap = 0;
    int ownFailures = 0;
    int ownRequests = 0;
    bool stop = false;
    std::function<void()> ask = [&] {
        if (stop)
            return;
        QNetworkRequest request(
            QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(fixture.routerPort())));
        request.setRawHeader("Host", name.toUtf8() + ".localhost");
        QNetworkReply *reply = manager.get(request);
        QObject::connect(reply, &QNetworkReply::finished, reply, [&, reply] {
            reply->deleteLater();
            ++ownRequests;
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200) {
                const qint64 now = clock.elapsed();
                if (lastAnswer > 0)
                    longestGap = qMax(longestGap, now - lastAnswer);
                lastAnswer = now;
            } else {
                ++ownFailures;
            }
            ask();
        });
    };
    QTest::qWait(1000);
    ask();
    int succeeded = 0;
    for (int i = 0; i < redeploys; ++i) {
        Deployment *deployment =
            *engine.changeConfig(name, {{QStringLiteral("LOAD_ROUND"), QString::number(i)}});
        EngineFixture::waitFinished(deployment);
        succeeded += deployment->status() == DeploymentStatus::Success ? 1 : 0;
    }
    QTest::qWait(1000);
    stop = true;
    ::kill(pid_t(wrk.processId()), SIGINT);
    wrk.waitForFinished(10000);
    const QString report = QString::fromUtf8(wrk.readAll());
    const QRegularExpressionMatch requests =
        QRegularExpression(QStringLiteral("(\\d+) requests in")).match(report);
    const QRegularExpressionMatch non2xx =
        QRegularExpression(QStringLiteral("Non-2xx or 3xx responses: (\\d+)")).match(report);
    const QRegularExpressionMatch socketErrors =
        QRegularExpression(
            QStringLiteral(
                "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)"))
            .match(report);
    if (qEnvironmentVariableIsSet("BENCH_ROLLOUT_VERBOSE"))
        out << report << '\n';
    int errors = non2xx.hasMatch() ? non2xx.captured(1).toInt() : 0;
    if (socketErrors.hasMatch()) {
        for (int group = 1; group <= 4; ++group)
            errors += socketErrors.captured(group).toInt();
    }
    out << QStringLiteral("zero_downtime: %1 of %2 redeploys under wrk load (16 connections): %3 "
                          "requests, %4 failed "
                          "(goal 0); own client %5 requests, %6 failed, longest gap without a "
                          "response %7 ms\n")
               .arg(succeeded)
               .arg(redeploys)
               .arg(requests.hasMatch() ? requests.captured(1) : QStringLiteral("?"))
               .arg(errors)
               .arg(ownRequests)
               .arg(ownFailures)
               .arg(longestGap);
    out.flush();
    fixture.shutdown();
    return 0;
}
