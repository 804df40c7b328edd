// Build pipeline figures:
//  - engine overhead: `slipctl build` of an app whose buildpack does nothing, against the
//    cost of just starting the same buildpack scripts by hand (goal: overhead < 150 ms);
//  - nodejs cache: second build of an unchanged app against the first (goal: >= 5x).

#include "TestSupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>

using namespace TestSupport;

namespace {

QTextStream out(stdout);

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0.0 : values.at(values.size() / 2);
}

// Runs slipctl build --json and returns wall time in ms, or -1 on failure.
double timedBuild(const QString &slipctl, const QStringList &arguments,
                  QJsonObject *result = nullptr)
{
    QElapsedTimer timer;
    timer.start();
    QProcess process;
    process.start(slipctl, QStringList{QStringLiteral("build")} + arguments +
                               QStringList{QStringLiteral("--json")});
    process.waitForFinished(600000);
    const double elapsed = double(timer.nsecsElapsed()) / 1e6;
    if (process.exitCode() != 0) {
        out << "build failed: " << process.readAllStandardError() << '\n';
        return -1;
    }
    if (result)
        *result = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
    return elapsed;
}

double timedCommand(const QString &program, const QStringList &arguments)
{
    QElapsedTimer timer;
    timer.start();
    run(program, arguments);
    return double(timer.nsecsElapsed()) / 1e6;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QString slipctl = TestSupport::slipctlBinary();
    QTemporaryDir temp;
    const int rounds = 7;

    // --- engine overhead -----------------------------------------------------------
    const QString noopApp = temp.filePath(QStringLiteral("noop-app"));
    QDir().mkpath(noopApp);
    QFile procfile(noopApp + QStringLiteral("/Procfile"));
    procfile.open(QIODevice::WriteOnly);
    procfile.write("web: ./serve\n");
    procfile.close();
    const QString noop = dataPath(QStringLiteral("buildpacks/noop"));
    QList<double> builds;
    QList<double> scripts;
    for (int i = 0; i < rounds; ++i) {
        const double total = timedBuild(
            slipctl, {noopApp, QStringLiteral("--slug"), temp.filePath(QStringLiteral("noop.tgz")),
                      QStringLiteral("--buildpack"), noop, QStringLiteral("--app"),
                      QStringLiteral("noop-bench"), QStringLiteral("--cache"),
                      temp.filePath(QStringLiteral("noop-cache"))});
        if (total < 0)
            return 1;
        builds.append(total);
        // What the buildpack itself costs: its three scripts started by hand.
        scripts.append(timedCommand(noop + QStringLiteral("/bin/detect"), {noopApp}) +
                       timedCommand(noop + QStringLiteral("/bin/compile"),
                                    {noopApp, temp.path(), temp.path()}) +
                       timedCommand(noop + QStringLiteral("/bin/release"), {noopApp}));
    }
    const double build = median(builds);
    const double script = median(scripts);
    out << QStringLiteral(
               "engine_overhead: slipctl build with a no-op buildpack %1 ms (median of %2), "
               "its scripts alone %3 ms; overhead %4 ms (goal < 150 ms)\n")
               .arg(build, 0, 'f', 1)
               .arg(rounds)
               .arg(script, 0, 'f', 1)
               .arg(build - script, 0, 'f', 1);
    out.flush();

    // --- nodejs second build -------------------------------------------------------
    // A typical small web app: express and its ~60 packages, with a lockfile made before
    // timing starts (from the npm registry).
    const QString nodeApp = temp.filePath(QStringLiteral("node-app"));
    QDir().mkpath(nodeApp);
    QFile packageJson(nodeApp + QStringLiteral("/package.json"));
    packageJson.open(QIODevice::WriteOnly);
    packageJson.write(R"({"name": "bench-app", "version": "1.0.0", "private": true,
  "scripts": {"start": "node server.js"}, "dependencies": {"express": "^4.19.0"}})");
    packageJson.close();
    QFile server(nodeApp + QStringLiteral("/server.js"));
    server.open(QIODevice::WriteOnly);
    server.write(
        "require('express')().get('/', (q, r) => r.send('ok')).listen(process.env.PORT);\n");
    server.close();
    QByteArray npmOutput;
    if (run(QStringLiteral("npm"),
            {QStringLiteral("install"), QStringLiteral("--package-lock-only"),
             QStringLiteral("--no-audit"), QStringLiteral("--no-fund"), QStringLiteral("--cache"),
             temp.filePath(QStringLiteral("lock-npm-cache"))},
            nodeApp, &npmOutput) != 0) {
        out << "nodejs_rebuild: skipped, the npm registry is not reachable: " << npmOutput << '\n';
        return 0;
    }
    const QString cache = temp.filePath(QStringLiteral("node-cache"));
    QJsonObject firstResult;
    QJsonObject secondResult;
    const double first = timedBuild(
        slipctl,
        {nodeApp, QStringLiteral("--slug"), temp.filePath(QStringLiteral("n1.tgz")),
         QStringLiteral("--cache"), cache, QStringLiteral("--app"), QStringLiteral("node-bench")},
        &firstResult);
    const double second = timedBuild(
        slipctl,
        {nodeApp, QStringLiteral("--slug"), temp.filePath(QStringLiteral("n2.tgz")),
         QStringLiteral("--cache"), cache, QStringLiteral("--app"), QStringLiteral("node-bench")},
        &secondResult);
    if (first < 0 || second < 0)
        return 1;
    const double firstCompile = firstResult.value(QStringLiteral("durations_ms"))
                                    .toObject()
                                    .value(QStringLiteral("compile"))
                                    .toDouble();
    const double secondCompile = secondResult.value(QStringLiteral("durations_ms"))
                                     .toObject()
                                     .value(QStringLiteral("compile"))
                                     .toDouble();
    out << QStringLiteral("nodejs_rebuild: first build %1 ms (compile %2 ms), second build %3 ms "
                          "(compile %4 ms); "
                          "whole build %5x faster, compile %6x faster (goal >= 5x)\n")
               .arg(first, 0, 'f', 0)
               .arg(firstCompile, 0, 'f', 0)
               .arg(second, 0, 'f', 0)
               .arg(secondCompile, 0, 'f', 0)
               .arg(first / second, 0, 'f', 1)
               .arg(secondCompile > 0 ? firstCompile / secondCompile : 0.0, 0, 'f', 1);
    out.flush();
    return 0;
}
