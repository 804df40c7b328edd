// Rollout time per runtime, for an app that boots at once (the behaviour fixture without its
// hook): from the deployment's start step to traffic routed to the new container, config
// change rollouts (no build), the median of several, local, docker and swarm alternating in
// the same run (the private engine is also a one-node Swarm manager). Goals: under 1.5 s on
// docker and 3 s on swarm; the local runtime's figure is printed beside them.

#include "EngineFixture.h"
#include "PrivateDockerd.h"
#include "TestSupport.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"

#include <QCoreApplication>
#include <QFile>
#include <QStandardPaths>
#include <QTextStream>

#include <algorithm>

using namespace Slipway;
using namespace Qt::StringLiterals;

namespace {

QTextStream out(stdout);

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0.0 : values.at(values.size() / 2);
}

QDateTime eventTime(Deployment *deployment, TimelineEvent::Kind kind)
{
    for (const TimelineEvent &event : deployment->timeline()) {
        if (event.kind == kind)
            return event.time;
    }
    return {};
}

QString instantBootApp(EngineFixture &fixture)
{
    const QString dir = fixture.path(u"instant"_s);
    TestSupport::copyTree(fixture.fixtureSource(), dir);
    QFile procfile(dir + u"/Procfile"_s);
    procfile.open(QIODevice::WriteOnly | QIODevice::Truncate);
    procfile.write("web: python3 behave.py web\n");
    return dir;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication application(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    PrivateDockerd dockerd;
    if (!dockerd.isReady()) {
        out << "runtime_rollout: skipped, no private Docker engine here: " << dockerd.skipReason()
            << '\n';
        return 0;
    }
    {
        DockerClient client(dockerd.endpoint());
        const Result<QString> node = awaitDocker<QString>([&](QObject *c, auto done) {
            return client.initSwarm({u"127.0.0.2:2377"_s, u"127.0.0.2"_s, {}, 0}, c, done);
        });
        if (!node) {
            out << "runtime_rollout: cannot make the engine a Swarm manager: "
                << node.error().message << '\n';
            return 1;
        }
    }
    EngineFixture fixture;
    Engine &engine = fixture.engine();
    const QString source = instantBootApp(fixture);
    const QStringList runtimes = {u"local"_s, u"docker"_s, u"swarm"_s};
    for (const QString &runtime : runtimes) {
        AppSettings settings;
        settings.runtime = runtime;
        settings.dockerHost = u"unix://"_s + dockerd.socketPath();
        engine.createApp(runtime, settings);
        // The first docker deployment imports the stack image: not part of the figure.
        Deployment *first = *engine.deploySource(runtime, *SourceSpec::parse(source));
        if (!EngineFixture::waitFinished(first, 1800000) ||
            first->status() != DeploymentStatus::Success) {
            out << "could not deploy on " << runtime << ": " << EngineFixture::describe(first)
                << '\n';
            return 1;
        }
    }

    QMap<QString, QList<double>> rollout; // start step → routed
    const int rounds = 7;
    for (int round = 0; round < rounds; ++round) {
        for (const QString &runtime : runtimes) {
            Deployment *deployment =
                *engine.changeConfig(runtime, {{u"ROUND"_s, QString::number(round)}});
            if (!EngineFixture::waitFinished(deployment, 120000) ||
                deployment->status() != DeploymentStatus::Success) {
                out << "rollout failed on " << runtime << ": "
                    << EngineFixture::describe(deployment) << '\n';
                return 1;
            }
            QDateTime start;
            for (const TimelineEvent &event : deployment->timeline()) {
                if (event.kind == TimelineEvent::Kind::StepStarted &&
                    event.data.value(u"step"_s).toString() == u"start"_s)
                    start = event.time;
            }
            const QDateTime routed = eventTime(deployment, TimelineEvent::Kind::TrafficRouted);
            if (start.isValid() && routed.isValid())
                rollout[runtime].append(double(start.msecsTo(routed)));
        }
    }
    const double local = median(rollout.value(u"local"_s));
    const double docker = median(rollout.value(u"docker"_s));
    const double swarm = median(rollout.value(u"swarm"_s));
    out << u"runtime_rollout: start → traffic routed, instant-boot app, median of %1 rollouts "
           "each: local %2 ms, docker %3 ms (docker/local %4×; goal < 1500 ms), swarm %5 ms "
           "(swarm/local %6×; goal < 3000 ms)\n"_s.arg(rounds)
               .arg(local, 0, 'f', 0)
               .arg(docker, 0, 'f', 0)
               .arg(local > 0 ? docker / local : 0.0, 0, 'f', 2)
               .arg(swarm, 0, 'f', 0)
               .arg(local > 0 ? swarm / local : 0.0, 0, 'f', 2);
    out.flush();
    fixture.shutdown();
    return 0;
}
