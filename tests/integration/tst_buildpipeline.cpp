// The build pipeline end to end with small real buildpacks from tests/data/buildpacks:
// the classic API, buildpack selection, multi-buildpack chaining, caches and every
// failure path.

#include "BuildRunner.h"
#include "PrivateGitServer.h"
#include "TestSupport.h"

#include "build/BuildPipeline.h"
#include "release/Release.h"
#include "util/Sandbox.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

using namespace Slipway;
using namespace TestSupport;

namespace {

QString fixtureBuildpack(const QString &name)
{
    return dataPath(QStringLiteral("buildpacks/") + name);
}

void writeFile(const QString &path, const QByteArray &contents)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(contents);
}

// Lists a slug with the system tar.
QStringList slugEntries(const QString &slugPath)
{
    QByteArray output;
    run(QStringLiteral("tar"), {QStringLiteral("-tzf"), slugPath}, {}, &output);
    QStringList entries;
    for (const QByteArray &line : output.split('\n')) {
        if (!line.isEmpty())
            entries.append(QString::fromUtf8(line));
    }
    return entries;
}

QByteArray slugFile(const QString &slugPath, const QString &entry)
{
    QByteArray output;
    QProcess tar;
    tar.start(QStringLiteral("tar"), {QStringLiteral("-xzOf"), slugPath, entry});
    tar.waitForFinished(30000);
    return tar.readAllStandardOutput();
}

QMap<QString, QString> report(const QString &slugPath)
{
    QMap<QString, QString> values;
    for (const QByteArray &line :
         slugFile(slugPath, QStringLiteral("./env-report.txt")).split('\n')) {
        const qsizetype equals = line.indexOf('=');
        if (equals > 0)
            values.insert(QString::fromUtf8(line.left(equals)),
                          QString::fromUtf8(line.mid(equals + 1)));
    }
    return values;
}

} // namespace

class TestBuildPipeline : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_temp;

    QString makeApp(const QString &name, const QMap<QString, QByteArray> &files)
    {
        const QString dir = m_temp.filePath(name);
        QDir(dir).removeRecursively();
        QDir().mkpath(dir);
        for (auto it = files.cbegin(); it != files.cend(); ++it)
            writeFile(dir + QLatin1Char('/') + it.key(), it.value());
        return dir;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_temp.isValid());
    }

    void multiBuildpackChainsExports()
    {
        BuildRunner runner;
        const QString app = makeApp(QStringLiteral("chain"), {{QStringLiteral("hello.txt"), "hi"}});
        BuildRequest request = runner.request(app, QStringLiteral("chain"));
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("exporter")),
                                 fixtureBuildpack(QStringLiteral("consumer"))};
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        QCOMPARE(outcome.selectionRule, QStringLiteral("the buildpack list set for the app"));
        QCOMPARE(outcome.buildpacks.size(), 2);
        QCOMPARE(outcome.buildpacks.at(0).detectName, QStringLiteral("Exporter"));
        QCOMPARE(outcome.buildpacks.at(1).detectName, QString()); // its detect failed: a warning
        QVERIFY(runner.logText().contains(QStringLiteral("did not detect this app")));

        const Release &release = outcome.release;
        // Process types come from the last buildpack's release only.
        QCOMPARE(release.processTypes().keys(), QStringList{QStringLiteral("web")});
        QVERIFY(release.processTypes()
                    .value(QStringLiteral("web"))
                    .startsWith(QStringLiteral("python3 -m http.server")));
        QCOMPARE(release.configDefaults().value(QStringLiteral("SHARED_DEFAULT")),
                 QStringLiteral("consumer"));
        QCOMPARE(release.configDefaults().value(QStringLiteral("EXPORTER_DEFAULT")),
                 QStringLiteral("from-exporter"));

        QCOMPARE(slugFile(release.slugPath(), QStringLiteral("./greeting.txt")).trimmed(),
                 QByteArray("hello from the first buildpack"));
        QVERIFY(slugFile(release.slugPath(), QStringLiteral("./path.txt"))
                    .startsWith("/opt/exporter-tools/bin:"));
        QCOMPARE(release.slugSize(), QFileInfo(release.slugPath()).size());

        SlugProcess web(release.slugPath(), m_temp.filePath(QStringLiteral("chain-run")),
                        release.processTypes().value(QStringLiteral("web")));
        QVERIFY(web.unpacked());
        const HttpResponse response = web.waitForHttp(30000);
        QVERIFY2(response.status == 200, qPrintable(response.error));
        QVERIFY(response.body.contains("greeting.txt"));
    }

    void classicApiEnvironment()
    {
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("envapp"), {{QStringLiteral("envcheck.txt"), "x"}});
        QVERIFY(gitInitCommit(app));
        const QString head = gitHead(app);
        BuildRequest request = runner.request(app, QStringLiteral("envapp"));
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("envcheck"))};
        request.config.insert(QStringLiteral("MY_VAR"), QStringLiteral("only in ENV_DIR"));
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        const QMap<QString, QString> seen = report(outcome.release.slugPath());
        QCOMPARE(seen.value(QStringLiteral("exported_MY_VAR")), QStringLiteral("<unset>"));
        QCOMPARE(seen.value(QStringLiteral("envdir_MY_VAR")), QStringLiteral("only in ENV_DIR"));
        QCOMPARE(seen.value(QStringLiteral("STACK")), QStringLiteral("debian-12"));
        QCOMPARE(seen.value(QStringLiteral("APP")), QStringLiteral("envapp"));
        QCOMPARE(seen.value(QStringLiteral("SOURCE_VERSION")), head);
        QCOMPARE(outcome.release.sourceVersion(), head);
        // compile runs from the buildpack's own folder: the build's copy of it.
        const QString cwd = seen.value(QStringLiteral("cwd"));
        QVERIFY2(cwd.startsWith(request.workDirectory) &&
                     cwd.endsWith(QStringLiteral("/buildpacks/0")),
                 qPrintable(cwd));
        // .git is not part of the build.
        QVERIFY(!slugEntries(outcome.release.slugPath()).contains(QStringLiteral("./.git/")));
    }

    void scriptsWithoutTheExecutableBitRunAsOnHeroku()
    {
        // A buildpack committed from a file system without the executable bit.
        const QString buildpack = m_temp.filePath(QStringLiteral("no-exec-bit"));
        QDir(buildpack).removeRecursively();
        QVERIFY(QDir().mkpath(buildpack + QStringLiteral("/bin")));
        for (const QString &script :
             {QStringLiteral("detect"), QStringLiteral("compile"), QStringLiteral("release")}) {
            const QString target = buildpack + QStringLiteral("/bin/") + script;
            QVERIFY(QFile::copy(fixtureBuildpack(QStringLiteral("envcheck")) +
                                    QStringLiteral("/bin/") + script,
                                target));
            QVERIFY(QFile::setPermissions(target, QFile::ReadOwner | QFile::WriteOwner |
                                                      QFile::ReadGroup | QFile::ReadOther));
        }
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("noexec"), {{QStringLiteral("envcheck.txt"), "x"}});
        BuildRequest request = runner.request(app, QStringLiteral("noexec"));
        request.appBuildpacks = {buildpack};
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        // bin/detect ran (it named the app), and so did compile and release.
        QCOMPARE(outcome.buildpacks.value(0).detectName, QStringLiteral("Env Check"));
        QCOMPARE(report(outcome.release.slugPath()).value(QStringLiteral("STACK")),
                 QStringLiteral("debian-12"));
        QVERIFY2(runner.logText().contains(
                     QStringLiteral("bin/detect, bin/compile, bin/release were committed without "
                                    "the executable bit")),
                 qPrintable(runner.logText()));
        // Only the build's copy changed.
        QVERIFY(!QFileInfo(buildpack + QStringLiteral("/bin/compile")).isExecutable());
    }

    void testScriptsAreLeftToCi()
    {
        // bin/test-compile and bin/test belong to Heroku CI: a deployment's build never
        // runs them, as on Heroku.
        const QString buildpack = m_temp.filePath(QStringLiteral("with-tests"));
        QDir(buildpack).removeRecursively();
        QVERIFY(copyTree(fixtureBuildpack(QStringLiteral("envcheck")), buildpack));
        for (const QString &script : {QStringLiteral("test-compile"), QStringLiteral("test")}) {
            writeFile(buildpack + QStringLiteral("/bin/") + script,
                      "#!/bin/sh\necho ran > \"$1/" + script.toUtf8() + ".txt\"\n");
            QVERIFY(QFile::setPermissions(buildpack + QStringLiteral("/bin/") + script,
                                          QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        }
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("tested"), {{QStringLiteral("envcheck.txt"), "x"}});
        BuildRequest request = runner.request(app, QStringLiteral("tested"));
        request.appBuildpacks = {buildpack};
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        const QStringList entries = slugEntries(outcome.release.slugPath());
        QVERIFY(!entries.contains(QStringLiteral("./test-compile.txt")));
        QVERIFY(!entries.contains(QStringLiteral("./test.txt")));
        QVERIFY(entries.contains(QStringLiteral("./env-report.txt")));
    }

    void cacheSurvivesBetweenBuilds()
    {
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("cached"), {{QStringLiteral("envcheck.txt"), "x"}});
        BuildRequest first = runner.request(app, QStringLiteral("cached"));
        first.appBuildpacks = {fixtureBuildpack(QStringLiteral("envcheck"))};
        QVERIFY(runner.build(first).succeeded());
        BuildRequest second = runner.request(app, QStringLiteral("cached"));
        second.appBuildpacks = first.appBuildpacks;
        QCOMPARE(second.cacheDirectory, first.cacheDirectory);
        const BuildOutcome outcome = runner.build(second);
        QVERIFY(outcome.succeeded());
        QCOMPARE(report(outcome.release.slugPath()).value(QStringLiteral("cache_count")),
                 QStringLiteral("2"));
    }

    void buildpackUrlFromLocalGitRepositoryAtTag()
    {
        // v1 of the buildpack is tagged; main moves on and breaks. The tag must be used.
        const QString repo = m_temp.filePath(QStringLiteral("bp-repo"));
        QVERIFY(copyTree(fixtureBuildpack(QStringLiteral("envcheck")), repo));
        QVERIFY(gitInitCommit(repo, QStringLiteral("v1")));
        QCOMPARE(run(QStringLiteral("git"),
                     {QStringLiteral("-C"), repo, QStringLiteral("tag"), QStringLiteral("v1")}),
                 0);
        writeFile(repo + QStringLiteral("/bin/compile"),
                  "#!/usr/bin/env bash\necho main is broken >&2\nexit 9\n");
        QCOMPARE(
            run(QStringLiteral("git"),
                {QStringLiteral("-C"), repo, QStringLiteral("-c"), QStringLiteral("user.name=t"),
                 QStringLiteral("-c"), QStringLiteral("user.email=t@t.invalid"),
                 QStringLiteral("commit"), QStringLiteral("-qam"), QStringLiteral("break")}),
            0);

        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("tagged"), {{QStringLiteral("envcheck.txt"), "x"}});
        BuildRequest request = runner.request(app, QStringLiteral("tagged"));
        const QString url = QUrl::fromLocalFile(repo).toString() + QStringLiteral("#v1");
        request.config.insert(QStringLiteral("BUILDPACK_URL"), url);
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("failing"))}; // BUILDPACK_URL wins
        writeFile(app + QStringLiteral("/.buildpacks"),
                  fixtureBuildpack(QStringLiteral("failing")).toUtf8());
        request.config.insert(QStringLiteral("BUILDPACK_NAME"), QStringLiteral("static"));
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        QCOMPARE(outcome.selectionRule, QStringLiteral("the BUILDPACK_URL config var"));
        QVERIFY(runner.logText().contains(
            QStringLiteral("-----> Cloning custom buildpack: '%1'").arg(url)));
        QCOMPARE(outcome.buildpacks.at(0).detectName, QStringLiteral("Env Check"));

        // The clone is cached: with the repository gone, the cached copy still builds.
        QVERIFY(QDir(repo).removeRecursively());
        BuildRequest again = runner.request(app, QStringLiteral("tagged"));
        again.config = request.config;
        const BuildOutcome offline = runner.build(again);
        QVERIFY2(offline.succeeded(), qPrintable(offline.error));
        QVERIFY(runner.logText().contains(QStringLiteral("using the copy cached earlier")));
    }

    void buildpackFromPrivateRepositoryTakesTheLogin()
    {
        const QString repo = m_temp.filePath(QStringLiteral("private-bp"));
        QVERIFY(copyTree(fixtureBuildpack(QStringLiteral("envcheck")), repo));
        QVERIFY(gitInitCommit(repo));
        const QString served = m_temp.filePath(QStringLiteral("private-served"));
        QVERIFY(QDir().mkpath(served));
        QVERIFY(PrivateGitServer::publish(repo, served, QStringLiteral("buildpack")));
        const QByteArray password = "bp-" + QByteArray::number(QCoreApplication::applicationPid());
        PrivateGitServer server(served, "ci:" + password);
        QVERIFY(server.isReady());
        const QString url = server.url(QStringLiteral("buildpack.git"));

        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("private-bp-app"), {{QStringLiteral("envcheck.txt"), "x"}});
        // Without a login the build stops at the buildpack, saying so.
        BuildRequest refused = runner.request(app, QStringLiteral("private-bp-app"));
        refused.appBuildpacks = {url};
        const BuildOutcome failed = runner.build(refused, 120000);
        QCOMPARE(failed.status, BuildOutcome::Status::BuildError);
        QVERIFY2(failed.error.contains(QStringLiteral("cannot fetch the buildpack")),
                 qPrintable(failed.error));

        BuildRequest request = runner.request(app, QStringLiteral("private-bp-app"));
        request.appBuildpacks = {url};
        request.gitLogins.insert(QStringLiteral("127.0.0.1"), {QStringLiteral("ci"), password, {}});
        const BuildOutcome outcome = runner.build(request, 120000);
        QVERIFY2(outcome.succeeded(), qPrintable(outcome.error + u'\n' + runner.logText()));
        QCOMPARE(outcome.buildpacks.at(0).detectName, QStringLiteral("Env Check"));
        QVERIFY(!runner.logText().toUtf8().contains(password));
    }

    void appListWinsOverBuildpacksFile()
    {
        BuildRunner runner;
        const QString app = makeApp(QStringLiteral("listwins"),
                                    {{QStringLiteral("envcheck.txt"), "x"},
                                     {QStringLiteral(".buildpacks"),
                                      fixtureBuildpack(QStringLiteral("failing")).toUtf8()}});
        BuildRequest request = runner.request(app, QStringLiteral("listwins"));
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("envcheck"))};
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(), qPrintable(outcome.error));
        QCOMPARE(outcome.selectionRule, QStringLiteral("the buildpack list set for the app"));
    }

    void buildpacksFileWithCommentsAndCrlf()
    {
        BuildRunner runner;
        const QByteArray file = "# the chain for this app\r\n\r\n" +
                                fixtureBuildpack(QStringLiteral("exporter")).toUtf8() + "\r\n" +
                                fixtureBuildpack(QStringLiteral("consumer")).toUtf8() +
                                "   # reads what the first exported\r\n";
        const QString app =
            makeApp(QStringLiteral("bpfile"), {{QStringLiteral(".buildpacks"), file}});
        BuildRequest request = runner.request(app, QStringLiteral("bpfile"));
        request.config.insert(QStringLiteral("BUILDPACK_NAME"),
                              QStringLiteral("static")); // .buildpacks wins
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        QCOMPARE(outcome.selectionRule, QStringLiteral("the .buildpacks file"));
        QCOMPARE(outcome.buildpacks.size(), 2);
    }

    void buildpackNameChoosesBuiltin()
    {
        BuildRunner runner;
        const QString app = makeApp(QStringLiteral("named"),
                                    {{QStringLiteral("index.html"), "<h1>slipway-named</h1>"},
                                     {QStringLiteral("package.json"), "{}"}});
        BuildRequest request = runner.request(app, QStringLiteral("named"));
        request.config.insert(QStringLiteral("BUILDPACK_NAME"), QStringLiteral("static"));
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        QCOMPARE(outcome.selectionRule, QStringLiteral("the BUILDPACK_NAME config var"));
        QCOMPARE(outcome.buildpacks.at(0).reference, QStringLiteral("static"));
    }

    void unknownBuildpackNameIsRefused()
    {
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("badname"), {{QStringLiteral("index.html"), "x"}});
        BuildRequest request = runner.request(app, QStringLiteral("badname"));
        request.config.insert(QStringLiteral("BUILDPACK_NAME"), QStringLiteral("cobol"));
        const BuildOutcome outcome = runner.build(request);
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(QStringLiteral("cobol")) &&
                     outcome.error.contains(QStringLiteral("nodejs")),
                 qPrintable(outcome.error));
    }

    void autoDetectionTakesFirstAlphabeticalMatch()
    {
        BuildRunner runner;
        // Both nodejs and python would match; nodejs comes first alphabetically.
        const QString app = makeApp(
            QStringLiteral("auto"),
            {{QStringLiteral("package.json"), R"({"name": "auto", "version": "1.0.0"})"},
             {QStringLiteral("requirements.txt"), ""},
             {QStringLiteral("Procfile"), "web: python3 -m http.server $PORT --bind 127.0.0.1\n"}});
        BuildRequest request = runner.request(app, QStringLiteral("auto"));
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        QCOMPARE(outcome.selectionRule, QStringLiteral("auto-detection"));
        QCOMPARE(outcome.buildpacks.size(), 1);
        QCOMPARE(outcome.buildpacks.at(0).reference, QStringLiteral("nodejs"));
    }

    void tarballBuildpackOverLoopbackHttp()
    {
        const QString served = m_temp.filePath(QStringLiteral("served"));
        QDir().mkpath(served);
        QCOMPARE(run(QStringLiteral("tar"),
                     {QStringLiteral("-czf"), served + QStringLiteral("/envcheck.tgz"),
                      QStringLiteral("-C"), dataPath(QStringLiteral("buildpacks")),
                      QStringLiteral("envcheck")}),
                 0);
        StaticHttpServer server(served);
        QVERIFY(server.isReady());
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("tarball"), {{QStringLiteral("envcheck.txt"), "x"}});
        BuildRequest request = runner.request(app, QStringLiteral("tarball"));
        request.appBuildpacks = {server.url(QStringLiteral("envcheck.tgz"))};
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        QVERIFY(runner.logText().contains(QStringLiteral("Downloading custom buildpack")));
        QCOMPARE(outcome.buildpacks.at(0).detectName, QStringLiteral("Env Check"));
        // The download reported its bytes, up to the archive's size.
        const qint64 size = QFileInfo(served + QStringLiteral("/envcheck.tgz")).size();
        QVERIFY(!runner.progress().isEmpty());
        for (const BuildRunner::Progress &progress : runner.progress()) {
            QCOMPARE(progress.phase, QStringLiteral("fetch-buildpack"));
            QCOMPARE(progress.what, server.url(QStringLiteral("envcheck.tgz")));
        }
        QCOMPARE(runner.progress().constLast().bytes, size);
        QCOMPARE(runner.progress().constLast().total, size);
    }

    void gitBuildpackCloneReportsProgress()
    {
        // Large enough (3 MB that do not compress) for git to count the bytes it received.
        const QString repo = m_temp.filePath(QStringLiteral("heavy-bp"));
        QVERIFY(copyTree(fixtureBuildpack(QStringLiteral("envcheck")), repo));
        QFile blob(repo + QStringLiteral("/assets.bin"));
        QVERIFY(blob.open(QIODevice::WriteOnly));
        for (int i = 0; i < 3 * 1024; ++i) {
            QByteArray block(1024, Qt::Uninitialized);
            for (char &byte : block)
                byte = char(QRandomGenerator::global()->generate());
            blob.write(block);
        }
        blob.close();
        QVERIFY(gitInitCommit(repo));
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("heavy-bp-app"), {{QStringLiteral("envcheck.txt"), "x"}});
        BuildRequest request = runner.request(app, QStringLiteral("heavy-bp-app"));
        const QString url = QUrl::fromLocalFile(repo).toString();
        request.appBuildpacks = {url};
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        QVERIFY(!runner.progress().isEmpty());
        qint64 previous = 0;
        for (const BuildRunner::Progress &progress : runner.progress()) {
            QCOMPARE(progress.phase, QStringLiteral("fetch-buildpack"));
            QCOMPARE(progress.what, url);
            QCOMPARE(progress.total, -1); // git does not know it
            QVERIFY(progress.bytes >= previous);
            previous = progress.bytes;
        }
        QVERIFY2(previous >= 2 * 1024 * 1024, qPrintable(QString::number(previous)));
    }

    void noBuildpackDetects()
    {
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("nothing"), {{QStringLiteral("README.txt"), "just text"}});
        const BuildOutcome outcome = runner.build(runner.request(app, QStringLiteral("nothing")));
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(
                     QStringLiteral("tried go, jvm, nodejs, procfile, python, static")),
                 qPrintable(outcome.error));
        QVERIFY(!QFileInfo::exists(runner.request(app).slugPath));
    }

    void compileFailure()
    {
        BuildRunner runner;
        const QString app = makeApp(QStringLiteral("failing"), {{QStringLiteral("a.txt"), "x"}});
        BuildRequest request = runner.request(app, QStringLiteral("failing"));
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("failing"))};
        const BuildOutcome outcome = runner.build(request);
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(QStringLiteral("exited with status 3")),
                 qPrintable(outcome.error));
        QVERIFY(runner.logText().contains(QStringLiteral("Something the app needs is missing")));
        QVERIFY(!QFileInfo::exists(request.slugPath));
        QVERIFY(!QFileInfo::exists(request.workDirectory));
    }

    void compilePastTimeLimitKillsWholeTree()
    {
        BuildRunner runner;
        const QString app = makeApp(QStringLiteral("hang"), {{QStringLiteral("a.txt"), "x"}});
        const QString name = QStringLiteral("hang-%1").arg(QCoreApplication::applicationPid());
        BuildRequest request = runner.request(app, name);
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("hanging"))};
        request.timeout = std::chrono::seconds(3);
        QElapsedTimer timer;
        timer.start();
        const BuildOutcome outcome = runner.build(request, 120000);
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(QStringLiteral("time limit of 3 s")),
                 qPrintable(outcome.error));
        QVERIFY(runner.logText().contains(QStringLiteral("children started")));
        QVERIFY(timer.elapsed() < 60000); // generous: limit 3 s plus the kill grace
        const QByteArray marker = QByteArrayLiteral("hang-marker-") + name.toUtf8();
        QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(marker).isEmpty(), 10000);
    }

    void compileOverMemoryLimitStopsWholeTree()
    {
        // Three processes of 120 MB each: none alone is over 200 MB, together they are.
        BuildRunner runner;
        const QString app = makeApp(QStringLiteral("greedy"), {{QStringLiteral("a.txt"), "x"}});
        const QString name = QStringLiteral("greedy-%1").arg(QCoreApplication::applicationPid());
        BuildRequest request = runner.request(app, name);
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("greedy"))};
        request.config.insert(QStringLiteral("GREEDY_PROCESSES"), QStringLiteral("3"));
        request.config.insert(QStringLiteral("GREEDY_MB"), QStringLiteral("120"));
        request.config.insert(QStringLiteral("GREEDY_HOLD"), QStringLiteral("60"));
        request.memoryLimit = 200LL * 1024 * 1024;
        QElapsedTimer timer;
        timer.start();
        const BuildOutcome outcome = runner.build(request, 120000);
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(QStringLiteral("more than 200.0 MB of memory")),
                 qPrintable(outcome.error));
        QVERIFY2(outcome.peakCompileMemory > 200LL * 1024 * 1024,
                 qPrintable(QString::number(outcome.peakCompileMemory)));
        // Stopped when it went over, long before the processes would have let go.
        QVERIFY(timer.elapsed() < 50000);
        const QByteArray marker = QByteArrayLiteral("greedy-marker-") + name.toUtf8();
        QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(marker).isEmpty(), 10000);
    }

    void compileUnderMemoryLimitReportsItsPeak()
    {
        BuildRunner runner;
        const QString app = makeApp(QStringLiteral("modest"), {{QStringLiteral("a.txt"), "x"}});
        BuildRequest request = runner.request(app, QStringLiteral("modest"));
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("greedy"))};
        request.config.insert(QStringLiteral("GREEDY_MB"), QStringLiteral("64"));
        request.config.insert(QStringLiteral("GREEDY_HOLD"), QStringLiteral("1"));
        request.memoryLimit = 512LL * 1024 * 1024;
        const BuildOutcome outcome = runner.build(request, 120000);
        QVERIFY2(outcome.succeeded(), qPrintable(outcome.error + runner.logText()));
        QVERIFY2(outcome.peakCompileMemory > 50LL * 1024 * 1024 &&
                     outcome.peakCompileMemory < 512LL * 1024 * 1024,
                 qPrintable(QString::number(outcome.peakCompileMemory)));
    }

    void cancelStopsEverything()
    {
        BuildRunner runner;
        const QString app = makeApp(QStringLiteral("cancel"), {{QStringLiteral("a.txt"), "x"}});
        const QString name = QStringLiteral("cancel-%1").arg(QCoreApplication::applicationPid());
        BuildRequest request = runner.request(app, name);
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("hanging"))};
        const BuildOutcome outcome =
            runner.build(request, 120000, QStringLiteral("children started"));
        QCOMPARE(outcome.status, BuildOutcome::Status::Aborted);
        QTRY_VERIFY_WITH_TIMEOUT(
            processesWithMarker(QByteArrayLiteral("hang-marker-") + name.toUtf8()).isEmpty(),
            10000);
    }

    void invalidReleaseYaml()
    {
        BuildRunner runner;
        const QString app = makeApp(QStringLiteral("badyaml"), {{QStringLiteral("a.txt"), "x"}});
        BuildRequest request = runner.request(app, QStringLiteral("badyaml"));
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("badrelease"))};
        const BuildOutcome outcome = runner.build(request);
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(QStringLiteral("badrelease")) &&
                     outcome.error.contains(QStringLiteral("YAML")),
                 qPrintable(outcome.error));
    }

    void unfetchableBuildpacksEntry()
    {
        BuildRunner runner;
        const QString missing = QStringLiteral("file:///nonexistent/slipway-buildpack.git");
        const QString app = makeApp(QStringLiteral("unfetchable"),
                                    {{QStringLiteral(".buildpacks"), missing.toUtf8() + "\n"}});
        const BuildOutcome outcome =
            runner.build(runner.request(app, QStringLiteral("unfetchable")));
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(missing), qPrintable(outcome.error));
    }

    void invalidBuildpacksFileLineIsNamed()
    {
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("badlist"),
                    {{QStringLiteral(".buildpacks"), "nodejs\nnot a valid :: reference\n"}});
        const BuildOutcome outcome = runner.build(runner.request(app, QStringLiteral("badlist")));
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(QStringLiteral("line 2")), qPrintable(outcome.error));
    }

    void noProcessTypeAsksForProcfile()
    {
        BuildRunner runner;
        const QString buildpack = makeApp(QStringLiteral("bare-bp"),
                                          {{QStringLiteral("bin/detect"), "#!/bin/sh\necho Bare\n"},
                                           {QStringLiteral("bin/compile"), "#!/bin/sh\nexit 0\n"}});
        QFile::setPermissions(buildpack + QStringLiteral("/bin/detect"),
                              QFileDevice::ReadOwner | QFileDevice::ExeOwner);
        QFile::setPermissions(buildpack + QStringLiteral("/bin/compile"),
                              QFileDevice::ReadOwner | QFileDevice::ExeOwner);
        const QString app = makeApp(QStringLiteral("noprocs"), {{QStringLiteral("a.txt"), "x"}});
        BuildRequest request = runner.request(app, QStringLiteral("noprocs"));
        request.appBuildpacks = {buildpack};
        const BuildOutcome outcome = runner.build(request);
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(QStringLiteral("add a Procfile")),
                 qPrintable(outcome.error));
    }

    void malformedProcfileNamesTheLine()
    {
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("badprocfile"),
                    {{QStringLiteral("Procfile"), "web: ./serve\nthis line is wrong\n"}});
        const BuildOutcome outcome =
            runner.build(runner.request(app, QStringLiteral("badprocfile")));
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(QStringLiteral("Procfile line 2")),
                 qPrintable(outcome.error));
    }

    void procfileOverridesBuildpackDefaults()
    {
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("override"),
                    {{QStringLiteral("Procfile"), "web: ./my-server\nworker: ./work\n"}});
        BuildRequest request = runner.request(app, QStringLiteral("override"));
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("noop"))};
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(), qPrintable(outcome.error));
        QCOMPARE(outcome.release.processTypes().value(QStringLiteral("web")),
                 QStringLiteral("./my-server"));
        QCOMPARE(outcome.release.processTypes().value(QStringLiteral("worker")),
                 QStringLiteral("./work"));
    }

    void projectDirBuildsASubfolder()
    {
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("mono"), {{QStringLiteral("server/envcheck.txt"), "x"},
                                             {QStringLiteral("client/other.txt"), "y"}});
        BuildRequest request = runner.request(app, QStringLiteral("mono"));
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("envcheck"))};
        request.config.insert(QStringLiteral("PROJECT_DIR"), QStringLiteral("server"));
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(), qPrintable(outcome.error));
        const QStringList entries = slugEntries(outcome.release.slugPath());
        QVERIFY(entries.contains(QStringLiteral("./envcheck.txt")));
        QVERIFY(!entries.contains(QStringLiteral("./client/other.txt")));

        BuildRequest escaping = runner.request(app, QStringLiteral("mono"));
        escaping.appBuildpacks = request.appBuildpacks;
        escaping.config.insert(QStringLiteral("PROJECT_DIR"), QStringLiteral("../.."));
        const BuildOutcome refused = runner.build(escaping);
        QCOMPARE(refused.status, BuildOutcome::Status::BuildError);
        QVERIFY2(refused.error.contains(QStringLiteral("PROJECT_DIR")), qPrintable(refused.error));
    }

    void slugIgnoreRemovesFilesFromTheSlug()
    {
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("ignored"),
                    {{QStringLiteral("Procfile"), "web: ./serve\n"},
                     {QStringLiteral(".slugignore"), "# not needed at run time\n*.log\ndocs/\n"},
                     {QStringLiteral("build.log"), "noise"},
                     {QStringLiteral("docs/manual.txt"), "big"},
                     {QStringLiteral("serve"), "#!/bin/sh\n"}});
        BuildRequest request = runner.request(app, QStringLiteral("ignored"));
        request.appBuildpacks = {fixtureBuildpack(QStringLiteral("noop"))};
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(), qPrintable(outcome.error));
        const QStringList entries = slugEntries(outcome.release.slugPath());
        QVERIFY(entries.contains(QStringLiteral("./serve")));
        QVERIFY(!entries.contains(QStringLiteral("./build.log")));
        QVERIFY(!entries.contains(QStringLiteral("./docs/manual.txt")));
    }

    void invalidConfigVarNameIsRefused()
    {
        BuildRunner runner;
        const QString app =
            makeApp(QStringLiteral("badvar"), {{QStringLiteral("Procfile"), "web: x\n"}});
        BuildRequest request = runner.request(app, QStringLiteral("badvar"));
        request.config.insert(QStringLiteral("_HIDDEN"), QStringLiteral("x"));
        const BuildOutcome outcome = runner.build(request);
        QCOMPARE(outcome.status, BuildOutcome::Status::BuildError);
        QVERIFY2(outcome.error.contains(QStringLiteral("_HIDDEN")), qPrintable(outcome.error));
    }
};

QTEST_GUILESS_MAIN(TestBuildPipeline)
#include "tst_buildpipeline.moc"
