// slipwayd as a black box: the full life of an app through the socket with the app
// answering through the router at each step, every error code, queued deployments, a
// crash (SIGKILL) in the middle of a rollout, a second daemon on the same data, and the
// TLS listener with tokens.

#include "DaemonProcess.h"
#include "EventStream.h"
#include "TestSupport.h"
#include "util/Sandbox.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QtTest>

using namespace TestSupport;

namespace {

QString fixture()
{
    return dataPath(QStringLiteral("fixtures/behave"));
}

QByteArray marker(const QString &app)
{
    return QByteArrayLiteral("slipway-fixture-") + app.toUtf8();
}

QJsonObject deployBody(const QString &source, const QString &ref = {})
{
    QJsonObject deployment{{QStringLiteral("source_url"), source}};
    if (!ref.isEmpty())
        deployment.insert(QStringLiteral("git_ref"), ref);
    return {{QStringLiteral("deployment"), deployment}};
}

} // namespace

class TestSlipwayd : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_temp;

    QString deploy(DaemonProcess &daemon, const QString &app, const QJsonObject &body,
                   QString *id = nullptr)
    {
        int status = 0;
        const QJsonObject answer =
            daemon.call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(app), body, &status);
        if (status != 201)
            return QStringLiteral("HTTP %1 %2")
                .arg(status)
                .arg(QString::fromUtf8(QJsonDocument(answer).toJson()));
        const QString deploymentId = answer.value(QStringLiteral("deployment"))
                                         .toObject()
                                         .value(QStringLiteral("id"))
                                         .toString();
        if (id)
            *id = deploymentId;
        return daemon.waitDeployment(app, deploymentId);
    }

    QString answer(DaemonProcess &daemon, const QString &app,
                   const QString &path = QStringLiteral("/"))
    {
        const HttpResponse response = routedGet(daemon.routerPort(), app, path);
        return response.status == 200 ? QString::fromUtf8(response.body).trimmed()
                                      : QStringLiteral("HTTP %1").arg(response.status);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(DaemonProcess::binary()).isExecutable(), "set SLIPWAYD (ctest does)");
        QVERIFY(m_temp.isValid());
    }

    void fullLifeOfAnApp()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        // The socket is the user's alone.
        QCOMPARE(QFileInfo(daemon.socketPath()).permissions() &
                     (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteOther),
                 QFileDevice::Permissions());
        const QString app = QStringLiteral("life");
        int status = 0;
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}}, &status);
        QCOMPARE(status, 201);
        daemon.call(
            "POST", QStringLiteral("/v1/apps/%1/variables").arg(app),
            {{QStringLiteral("variables"),
              QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("MARK")},
                                     {QStringLiteral("value"), QStringLiteral("folder")}}}}},
            &status);
        QCOMPARE(status, 200);

        // From a folder.
        QCOMPARE(deploy(daemon, app, deployBody(fixture())), QStringLiteral("success"));
        QVERIFY(answer(daemon, app).startsWith(QStringLiteral("version=v1 container=web-1")));
        QCOMPARE(QJsonDocument::fromJson(
                     routedGet(daemon.routerPort(), app, QStringLiteral("/env")).body)
                     .object()
                     .value(QStringLiteral("MARK"))
                     .toString(),
                 QStringLiteral("folder"));

        // From a git URL at a tag.
        const QString repo = m_temp.filePath(QStringLiteral("life-repo"));
        QVERIFY(copyTree(fixture(), repo));
        QVERIFY(gitInitCommit(repo));
        QCOMPARE(run(QStringLiteral("git"),
                     {QStringLiteral("-C"), repo, QStringLiteral("tag"), QStringLiteral("v9")}),
                 0);
        QCOMPARE(deploy(daemon, app,
                        deployBody(QUrl::fromLocalFile(repo).toString(), QStringLiteral("v9"))),
                 QStringLiteral("success"));
        QVERIFY(answer(daemon, app).startsWith(QStringLiteral("version=v2")));

        // From an uploaded archive.
        const QString archive = m_temp.filePath(QStringLiteral("life.tar.gz"));
        QCOMPARE(run(QStringLiteral("tar"), {QStringLiteral("-czf"), archive, QStringLiteral("-C"),
                                             fixture(), QStringLiteral(".")}),
                 0);
        Slipway::ApiClient api = daemon.client();
        const Slipway::Result<Slipway::ApiReply> uploaded = api.upload(
            "POST", QStringLiteral("/v1/apps/%1/deployments?filename=life.tar.gz").arg(app),
            archive, "application/octet-stream");
        QVERIFY(uploaded);
        QCOMPARE(uploaded->status, 201);
        const QString uploadId = uploaded->json()
                                     .object()
                                     .value(QStringLiteral("deployment"))
                                     .toObject()
                                     .value(QStringLiteral("id"))
                                     .toString();
        QCOMPARE(daemon.waitDeployment(app, uploadId), QStringLiteral("success"));
        QVERIFY(answer(daemon, app).startsWith(QStringLiteral("version=v3")));

        // The deployment keeps its log and timeline.
        const QJsonObject shown =
            daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments/%2").arg(app, uploadId))
                .value(QStringLiteral("deployment"))
                .toObject();
        QVERIFY(shown.value(QStringLiteral("timeline")).toArray().size() > 3);
        Slipway::Result<Slipway::ApiReply> output = api.request(
            "GET", QStringLiteral("/v1/apps/%1/deployments/%2/output").arg(app, uploadId));
        QVERIFY(output && output->body.contains("Deployment success"));

        // Scale, then restart.
        const QJsonObject scaled =
            daemon.call("POST", QStringLiteral("/v1/apps/%1/scale").arg(app),
                        {{QStringLiteral("containers"),
                          QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("web")},
                                                 {QStringLiteral("amount"), 2}}}}},
                        &status);
        QCOMPARE(status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(answer(daemon, app).contains(QStringLiteral("web-2")) ||
                                     answer(daemon, app).contains(QStringLiteral("web-2")),
                                 20000);
        const QJsonObject restart =
            daemon.call("POST", QStringLiteral("/v1/apps/%1/restart").arg(app), {}, &status);
        QCOMPARE(status, 202);
        QCOMPARE(daemon.waitDeployment(app, restart.value(QStringLiteral("deployment"))
                                                .toObject()
                                                .value(QStringLiteral("id"))
                                                .toString()),
                 QStringLiteral("success"));
        QCOMPARE(daemon.call("GET", QStringLiteral("/v1/apps/%1/containers").arg(app))
                     .value(QStringLiteral("containers"))
                     .toArray()
                     .size(),
                 2);

        // Run: output streamed, exit status returned.
        QByteArray streamed;
        const Slipway::Result<int> ran =
            api.stream("POST", QStringLiteral("/v1/apps/%1/run").arg(app),
                       R"({"command": "echo mark=$MARK; exit 7"})", [&](const QByteArray &chunk) {
                           streamed += chunk;
                           return true;
                       });
        QVERIFY(ran);
        QVERIFY2(streamed.contains("mark=folder") && streamed.contains("\"exit_status\":7"),
                 streamed.constData());

        // Rollback to v1: a new release with v1's slug.
        const QJsonObject rollback =
            daemon.call("POST", QStringLiteral("/v1/apps/%1/rollback").arg(app),
                        {{QStringLiteral("version"), 1}}, &status);
        QCOMPARE(status, 202);
        QCOMPARE(daemon.waitDeployment(app, rollback.value(QStringLiteral("deployment"))
                                                .toObject()
                                                .value(QStringLiteral("id"))
                                                .toString()),
                 QStringLiteral("success"));
        QVERIFY(answer(daemon, app).startsWith(QStringLiteral("version=v4")));
        const QJsonArray releases =
            daemon.call("GET", QStringLiteral("/v1/apps/%1/releases").arg(app))
                .value(QStringLiteral("releases"))
                .toArray();
        QCOMPARE(releases.size(), 4);
        QVERIFY(releases.last().toObject().value(QStringLiteral("current")).toBool());

        // Each deployment says what it deployed, newest first: the rollback, the restart, the
        // upload, the git URL at its tag, the folder.
        QStringList sources;
        for (const QJsonValue &value :
             daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments").arg(app))
                 .value(QStringLiteral("deployments"))
                 .toArray())
            sources.append(value.toObject().value(QStringLiteral("source")).toString());
        QCOMPARE(sources,
                 (QStringList{QStringLiteral("v1"), QString(), QStringLiteral("upload life.tar.gz"),
                              repo + QStringLiteral("#v9"), fixture()}));

        // Logs of the app's containers.
        const Slipway::Result<Slipway::ApiReply> logs =
            api.request("GET", QStringLiteral("/v1/apps/%1/logs?lines=50").arg(app));
        QVERIFY(logs && logs->body.contains("web-1: listening on"));

        // Delete: containers gone, the router says 404.
        daemon.call("DELETE", QStringLiteral("/v1/apps/%1").arg(app), {}, &status);
        QCOMPARE(status, 204);
        QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(marker(app)).isEmpty(), 40000);
        QCOMPARE(routedGet(daemon.routerPort(), app).status, 404);
        daemon.terminate();
    }

    void errorCodes()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start({QStringLiteral("--max-upload"), QStringLiteral("1")}),
                 daemon.output().constData());
        int status = 0;
        QJsonObject error = daemon.call("GET", QStringLiteral("/v1/apps/ghost"), {}, &status);
        QCOMPARE(status, 404);
        QVERIFY(error.value(QStringLiteral("error"))
                    .toObject()
                    .value(QStringLiteral("message"))
                    .toString()
                    .contains(QStringLiteral("ghost")));
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"),
                      QJsonObject{{QStringLiteral("name"), QStringLiteral("Bad Name")}}}},
                    &status);
        QCOMPARE(status, 422);
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"),
                      QJsonObject{{QStringLiteral("name"), QStringLiteral("errs")}}}},
                    &status);
        QCOMPARE(status, 201);
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"),
                      QJsonObject{{QStringLiteral("name"), QStringLiteral("errs")}}}},
                    &status);
        QCOMPARE(status, 409);
        Slipway::ApiClient api = daemon.client();
        Slipway::Result<Slipway::ApiReply> malformed =
            api.request("POST", QStringLiteral("/v1/apps"), "{not json");
        QCOMPARE(malformed->status, 400);
        error =
            daemon.call("POST", QStringLiteral("/v1/apps/errs/variables"),
                        {{QStringLiteral("variables"),
                          QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("_X")},
                                                 {QStringLiteral("value"), QStringLiteral("1")}}}}},
                        &status);
        QCOMPARE(status, 422);
        daemon.call("GET", QStringLiteral("/v1/apps/errs/deployments/nope"), {}, &status);
        QCOMPARE(status, 404);
        daemon.call("POST", QStringLiteral("/v1/apps/errs/deployments"),
                    deployBody(QStringLiteral("/no/such/folder")), &status);
        QCOMPARE(status, 422);
        // Over the upload limit (1 MB here).
        const QString big = m_temp.filePath(QStringLiteral("big.tar.gz"));
        QFile file(big);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(2 * 1024 * 1024, 'x'));
        file.close();
        Slipway::Result<Slipway::ApiReply> tooBig =
            api.upload("POST", QStringLiteral("/v1/apps/errs/deployments?filename=big.tar.gz"), big,
                       "application/octet-stream");
        QVERIFY(tooBig);
        QCOMPARE(tooBig->status, 413);
        // 409 when a deployment runs and no queueing is wanted.
        daemon.call(
            "POST", QStringLiteral("/v1/apps/errs/variables"),
            {{QStringLiteral("variables"),
              QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("BEHAVIOUR")},
                                     {QStringLiteral("value"), QStringLiteral("slow-boot")}}}}});
        const QJsonObject first = daemon.call("POST", QStringLiteral("/v1/apps/errs/deployments"),
                                              deployBody(fixture()), &status);
        QCOMPARE(status, 201);
        daemon.call("POST", QStringLiteral("/v1/apps/errs/deployments?queue=false"),
                    deployBody(fixture()), &status);
        QCOMPARE(status, 409);
        QCOMPARE(
            daemon.waitDeployment(QStringLiteral("errs"), first.value(QStringLiteral("deployment"))
                                                              .toObject()
                                                              .value(QStringLiteral("id"))
                                                              .toString()),
            QStringLiteral("success"));
        daemon.terminate();
        QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(marker(QStringLiteral("errs"))).isEmpty(),
                                 20000);
    }

    void detectsBuildpacksForASource()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"),
                      QJsonObject{{QStringLiteral("name"), QStringLiteral("detective")}}}});
        const QJsonObject body{
            {QStringLiteral("source_url"), resourcesPath(QStringLiteral("samples/hello"))}};
        int status = 0;
        QJsonObject answer = daemon.call(
            "POST", QStringLiteral("/v1/apps/detective/buildpacks/detect"), body, &status);
        QVERIFY2(status == 200, QJsonDocument(answer).toJson().constData());
        QMap<QString, bool> detected;
        for (const QJsonValue &value : answer.value(QStringLiteral("results")).toArray())
            detected.insert(value.toObject().value(QStringLiteral("buildpack")).toString(),
                            value.toObject().value(QStringLiteral("detected")).toBool());
        QVERIFY2(detected.value(QStringLiteral("nodejs")),
                 QJsonDocument(answer).toJson().constData());
        QVERIFY(detected.contains(QStringLiteral("go")) && !detected.value(QStringLiteral("go")));
        QCOMPARE(answer.value(QStringLiteral("rule")).toString(), QStringLiteral("auto-detection"));

        daemon.call("PUT", QStringLiteral("/v1/apps/detective/buildpacks"),
                    {{QStringLiteral("buildpacks"), QJsonArray{QStringLiteral("python")}}});
        answer = daemon.call("POST", QStringLiteral("/v1/apps/detective/buildpacks/detect"), body,
                             &status);
        QVERIFY2(status == 200, QJsonDocument(answer).toJson().constData());
        QCOMPARE(answer.value(QStringLiteral("rule")).toString(),
                 QStringLiteral("the buildpack list set for the app"));

        daemon.call("POST", QStringLiteral("/v1/apps/detective/buildpacks/detect"),
                    {{QStringLiteral("source_url"), QStringLiteral("/no/such/source")}}, &status);
        QCOMPARE(status, 422);
        // The scratch folders of the detections are gone.
        QTRY_VERIFY_WITH_TIMEOUT(QDir(daemon.dataDirectory() + QStringLiteral("/work"))
                                     .entryList({QStringLiteral("detect-*")}, QDir::Dirs)
                                     .isEmpty(),
                                 5000);
        daemon.terminate();
    }

    void detectionRunsCustomBuildpacksSandboxed()
    {
        if (!Slipway::Sandbox::isAvailable())
            QSKIP("bubblewrap is not installed: custom buildpacks cannot be sandboxed here");
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"),
                      QJsonObject{{QStringLiteral("name"), QStringLiteral("suspect")}}}});
        // A buildpack whose bin/detect, without the executable bit, tries to write outside
        // its folders and to read the daemon's store, then says what it could do.
        const QString buildpack = m_temp.filePath(QStringLiteral("prying-buildpack"));
        const QString planted = m_temp.filePath(QStringLiteral("planted-by-detect"));
        QVERIFY(QDir().mkpath(buildpack + QStringLiteral("/bin")));
        {
            QFile detect(buildpack + QStringLiteral("/bin/detect"));
            QVERIFY(detect.open(QIODevice::WriteOnly));
            detect.write(QStringLiteral("#!/bin/sh\n"
                                        "touch '%1' 2>/dev/null && echo wrote-host && exit 0\n"
                                        "[ -e '%2' ] && echo saw-data && exit 0\n"
                                        "echo Prying\n")
                             .arg(planted, daemon.dataDirectory() + QStringLiteral("/slipway.db"))
                             .toUtf8());
            QFile compile(buildpack + QStringLiteral("/bin/compile"));
            QVERIFY(compile.open(QIODevice::WriteOnly));
            compile.write("#!/bin/sh\nexit 0\n");
        }
        QVERIFY(!QFileInfo(buildpack + QStringLiteral("/bin/detect")).isExecutable());
        int status = 0;
        daemon.call("PUT", QStringLiteral("/v1/apps/suspect/buildpacks"),
                    {{QStringLiteral("buildpacks"), QJsonArray{buildpack}}}, &status);
        QCOMPARE(status, 200);
        const QJsonObject answer = daemon.call(
            "POST", QStringLiteral("/v1/apps/suspect/buildpacks/detect"),
            {{QStringLiteral("source_url"), resourcesPath(QStringLiteral("samples/hello"))}},
            &status);
        QVERIFY2(status == 200, QJsonDocument(answer).toJson().constData());
        const QJsonObject entry =
            answer.value(QStringLiteral("configured")).toArray().at(0).toObject();
        QVERIFY2(entry.value(QStringLiteral("detected")).toBool(),
                 QJsonDocument(answer).toJson().constData());
        QCOMPARE(entry.value(QStringLiteral("name")).toString(), QStringLiteral("Prying"));
        QVERIFY(!QFileInfo::exists(planted));
        daemon.terminate();
    }

    void detectShowsEveryRuleAndConfiguredBuildpack()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        const QString app = QStringLiteral("picker");
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}});
        // A Node.js source whose .buildpacks names a buildpack in a git repository and a folder
        // whose bin/detect never applies.
        const QString buildpackRepo = m_temp.filePath(QStringLiteral("picker-envcheck"));
        QVERIFY(copyTree(dataPath(QStringLiteral("buildpacks/envcheck")), buildpackRepo));
        QVERIFY(gitInitCommit(buildpackRepo));
        const QString gitUrl = QUrl::fromLocalFile(buildpackRepo).toString();
        const QString consumer = dataPath(QStringLiteral("buildpacks/consumer"));
        const QString source = m_temp.filePath(QStringLiteral("picker-source"));
        QVERIFY(copyTree(resourcesPath(QStringLiteral("samples/hello")), source));
        const QByteArray fileText =
            "# run both, in order\n" + gitUrl.toUtf8() + "\n" + consumer.toUtf8() + "\n";
        {
            QFile file(source + QStringLiteral("/.buildpacks"));
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(fileText);
            QFile marker(source + QStringLiteral("/envcheck.txt"));
            QVERIFY(marker.open(QIODevice::WriteOnly));
        }
        const QString missingFolder = m_temp.filePath(QStringLiteral("no-such-buildpack"));
        int status = 0;
        daemon.call(
            "PUT", QStringLiteral("/v1/apps/%1/buildpacks").arg(app),
            {{QStringLiteral("buildpacks"), QJsonArray{QStringLiteral("nodejs"), missingFolder}}},
            &status);
        QCOMPARE(status, 200);
        const QJsonObject body{{QStringLiteral("source_url"), source}};
        const QString path = QStringLiteral("/v1/apps/%1/buildpacks/detect").arg(app);

        // The app's list is in effect and hides the source's .buildpacks.
        QJsonObject report = daemon.call("POST", path, body, &status);
        QVERIFY2(status == 200, QJsonDocument(report).toJson().constData());
        QCOMPARE(report.value(QStringLiteral("rule")).toString(),
                 QStringLiteral("the buildpack list set for the app"));
        QCOMPARE(report.value(QStringLiteral("rule_id")).toString(), QStringLiteral("app-list"));
        const QJsonArray rules = report.value(QStringLiteral("rules")).toArray();
        QStringList ids;
        for (const QJsonValue &rule : rules)
            ids.append(rule.toObject().value(QStringLiteral("id")).toString());
        QCOMPARE(ids,
                 (QStringList{QStringLiteral("buildpack-url"), QStringLiteral("app-list"),
                              QStringLiteral("buildpacks-file"), QStringLiteral("buildpack-name"),
                              QStringLiteral("auto-detection")}));
        auto rule = [&rules](int index) { return rules.at(index).toObject(); };
        QCOMPARE(rule(0).value(QStringLiteral("applies")).toBool(true), false);
        QCOMPARE(rule(1).value(QStringLiteral("applies")).toBool(), true);
        QCOMPARE(rule(1).value(QStringLiteral("in_effect")).toBool(), true);
        QCOMPARE(rule(2).value(QStringLiteral("applies")).toBool(), true);
        QCOMPARE(rule(2).value(QStringLiteral("in_effect")).toBool(true), false);
        QVERIFY2(rule(2)
                     .value(QStringLiteral("detail"))
                     .toString()
                     .contains(QStringLiteral("the buildpack list set for the app comes first")),
                 qPrintable(rule(2).value(QStringLiteral("detail")).toString()));
        QCOMPARE(rule(4).value(QStringLiteral("applies")).toBool(), true);
        QCOMPARE(rule(4).value(QStringLiteral("in_effect")).toBool(true), false);
        for (const QJsonValue &value : rules)
            QVERIFY(!value.toObject().value(QStringLiteral("label")).toString().isEmpty());
        QCOMPARE(report.value(QStringLiteral("would_run")).toArray(),
                 (QJsonArray{QStringLiteral("nodejs"), missingFolder}));
        const QJsonObject file = report.value(QStringLiteral("buildpacks_file")).toObject();
        QCOMPARE(file.value(QStringLiteral("present")).toBool(), true);
        QCOMPARE(file.value(QStringLiteral("references")).toArray(),
                 (QJsonArray{gitUrl, consumer}));
        QCOMPARE(file.value(QStringLiteral("text")).toString(), QString::fromUtf8(fileText));

        // Every configured buildpack, fetched and asked.
        QMap<QString, QJsonObject> configured;
        QStringList order;
        for (const QJsonValue &value : report.value(QStringLiteral("configured")).toArray()) {
            const QJsonObject entry = value.toObject();
            configured.insert(entry.value(QStringLiteral("buildpack")).toString(), entry);
            order.append(entry.value(QStringLiteral("buildpack")).toString());
        }
        QCOMPARE(order, (QStringList{QStringLiteral("nodejs"), missingFolder, gitUrl, consumer}));
        const QJsonObject node = configured.value(QStringLiteral("nodejs"));
        QCOMPARE(node.value(QStringLiteral("origin")).toString(), QStringLiteral("app-list"));
        QCOMPARE(node.value(QStringLiteral("detected")).toBool(), true);
        QCOMPARE(node.value(QStringLiteral("name")).toString(), QStringLiteral("Node.js"));
        QVERIFY(node.value(QStringLiteral("error")).isNull());
        const QJsonObject missing = configured.value(missingFolder);
        QCOMPARE(missing.value(QStringLiteral("detected")).toBool(true), false);
        QVERIFY(missing.value(QStringLiteral("name")).isNull());
        QVERIFY2(missing.value(QStringLiteral("error"))
                     .toString()
                     .contains(QStringLiteral("does not exist")),
                 QJsonDocument(missing).toJson().constData());
        const QJsonObject fromGit = configured.value(gitUrl);
        QCOMPARE(fromGit.value(QStringLiteral("origin")).toString(),
                 QStringLiteral("buildpacks-file"));
        QCOMPARE(fromGit.value(QStringLiteral("detected")).toBool(), true);
        QCOMPARE(fromGit.value(QStringLiteral("name")).toString(), QStringLiteral("Env Check"));
        QVERIFY2(fromGit.value(QStringLiteral("error")).isNull(),
                 QJsonDocument(fromGit).toJson().constData());
        const QJsonObject never = configured.value(consumer);
        QCOMPARE(never.value(QStringLiteral("detected")).toBool(true), false);
        QVERIFY(never.value(QStringLiteral("name")).isNull());
        QVERIFY(never.value(QStringLiteral("error")).isNull());
        // The built-in results are still there.
        bool nodeDetected = false;
        for (const QJsonValue &value : report.value(QStringLiteral("results")).toArray()) {
            if (value.toObject().value(QStringLiteral("buildpack")) == QStringLiteral("nodejs"))
                nodeDetected = value.toObject().value(QStringLiteral("detected")).toBool();
        }
        QVERIFY(nodeDetected);

        // Without the app's list, the source's .buildpacks decides.
        daemon.call("PUT", QStringLiteral("/v1/apps/%1/buildpacks").arg(app),
                    {{QStringLiteral("buildpacks"), QJsonArray()}}, &status);
        QCOMPARE(status, 200);
        report = daemon.call("POST", path, body, &status);
        QCOMPARE(status, 200);
        QCOMPARE(report.value(QStringLiteral("rule_id")).toString(),
                 QStringLiteral("buildpacks-file"));
        QCOMPARE(report.value(QStringLiteral("rule")).toString(),
                 QStringLiteral("the .buildpacks file"));
        QCOMPARE(report.value(QStringLiteral("would_run")).toArray(),
                 (QJsonArray{gitUrl, consumer}));
        QCOMPARE(report.value(QStringLiteral("configured")).toArray().size(), 2);

        // BUILDPACK_URL comes before everything.
        daemon.call(
            "POST", QStringLiteral("/v1/apps/%1/variables").arg(app),
            {{QStringLiteral("variables"),
              QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("BUILDPACK_URL")},
                                     {QStringLiteral("value"), consumer}}}}},
            &status);
        QCOMPARE(status, 200);
        report = daemon.call("POST", path, body, &status);
        QCOMPARE(status, 200);
        QCOMPARE(report.value(QStringLiteral("rule_id")).toString(),
                 QStringLiteral("buildpack-url"));
        QCOMPARE(report.value(QStringLiteral("would_run")).toArray(), QJsonArray{consumer});
        const QJsonObject first =
            report.value(QStringLiteral("configured")).toArray().first().toObject();
        QCOMPARE(first.value(QStringLiteral("origin")).toString(), QStringLiteral("buildpack-url"));
        QCOMPARE(first.value(QStringLiteral("buildpack")).toString(), consumer);

        // Nothing configured: auto-detection, and the first built-in that detects would run.
        daemon.call("DELETE", QStringLiteral("/v1/apps/%1/variables/BUILDPACK_URL").arg(app), {},
                    &status);
        QCOMPARE(status, 200);
        QVERIFY(QFile::remove(source + QStringLiteral("/.buildpacks")));
        report = daemon.call("POST", path, body, &status);
        QCOMPARE(status, 200);
        QCOMPARE(report.value(QStringLiteral("rule_id")).toString(),
                 QStringLiteral("auto-detection"));
        QCOMPARE(report.value(QStringLiteral("would_run")).toArray(),
                 QJsonArray{QStringLiteral("nodejs")});
        QCOMPARE(report.value(QStringLiteral("configured")).toArray(), QJsonArray());
        QCOMPARE(report.value(QStringLiteral("buildpacks_file"))
                     .toObject()
                     .value(QStringLiteral("present"))
                     .toBool(true),
                 false);
        daemon.terminate();
    }

    void checksBuildpackReferences()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        auto check = [&daemon](const QString &reference, int *status) {
            return daemon.call("POST", QStringLiteral("/v1/buildpacks/check"),
                               {{QStringLiteral("buildpack"), reference}}, status);
        };
        auto message = [](const QJsonObject &answer) {
            return answer.value(QStringLiteral("error"))
                .toObject()
                .value(QStringLiteral("message"))
                .toString();
        };
        int status = 0;

        QJsonObject answer = check(QStringLiteral("nodejs"), &status);
        QVERIFY2(status == 200, QJsonDocument(answer).toJson().constData());
        QJsonObject buildpack = answer.value(QStringLiteral("buildpack")).toObject();
        QCOMPARE(buildpack.value(QStringLiteral("reference")).toString(), QStringLiteral("nodejs"));
        QCOMPARE(buildpack.value(QStringLiteral("kind")).toString(), QStringLiteral("builtin"));
        QCOMPARE(buildpack.value(QStringLiteral("has_detect")).toBool(), true);
        QCOMPARE(buildpack.value(QStringLiteral("has_release")).toBool(), true);

        // A real git repository of a fixture buildpack, at a tag.
        const QString repo = m_temp.filePath(QStringLiteral("check-noop"));
        QVERIFY(copyTree(dataPath(QStringLiteral("buildpacks/noop")), repo));
        QVERIFY(gitInitCommit(repo));
        QCOMPARE(run(QStringLiteral("git"),
                     {QStringLiteral("-C"), repo, QStringLiteral("tag"), QStringLiteral("v1")}),
                 0);
        const QString gitUrl = QUrl::fromLocalFile(repo).toString();
        answer = check(QStringLiteral("  ") + gitUrl + QStringLiteral("#v1"), &status);
        QVERIFY2(status == 200, QJsonDocument(answer).toJson().constData());
        buildpack = answer.value(QStringLiteral("buildpack")).toObject();
        QCOMPARE(buildpack.value(QStringLiteral("reference")).toString(),
                 gitUrl + QStringLiteral("#v1"));
        QCOMPARE(buildpack.value(QStringLiteral("kind")).toString(), QStringLiteral("git"));
        QCOMPARE(buildpack.value(QStringLiteral("has_detect")).toBool(), true);
        QCOMPARE(buildpack.value(QStringLiteral("has_release")).toBool(), true);
        // Fetched into the daemon's buildpack cache, as a build would.
        QVERIFY(!QDir(daemon.dataDirectory() + QStringLiteral("/buildpacks"))
                     .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                     .isEmpty());

        // A folder, and a .tgz over HTTP.
        const QString folder = m_temp.filePath(QStringLiteral("check-folder"));
        QVERIFY(copyTree(dataPath(QStringLiteral("buildpacks/failing")), folder));
        answer = check(folder, &status);
        QVERIFY2(status == 200, QJsonDocument(answer).toJson().constData());
        buildpack = answer.value(QStringLiteral("buildpack")).toObject();
        QCOMPARE(buildpack.value(QStringLiteral("kind")).toString(), QStringLiteral("folder"));
        QCOMPARE(buildpack.value(QStringLiteral("reference")).toString(), folder);
        QCOMPARE(buildpack.value(QStringLiteral("has_release")).toBool(true), false);
        const QString served = m_temp.filePath(QStringLiteral("check-served"));
        QVERIFY(QDir().mkpath(served));
        QCOMPARE(
            run(QStringLiteral("tar"),
                {QStringLiteral("-czf"), served + QStringLiteral("/noop.tgz"), QStringLiteral("-C"),
                 dataPath(QStringLiteral("buildpacks")), QStringLiteral("noop")}),
            0);
        StaticHttpServer server(served);
        QVERIFY(server.isReady());
        answer = check(server.url(QStringLiteral("noop.tgz")), &status);
        QVERIFY2(status == 200, QJsonDocument(answer).toJson().constData());
        QCOMPARE(answer.value(QStringLiteral("buildpack"))
                     .toObject()
                     .value(QStringLiteral("kind"))
                     .toString(),
                 QStringLiteral("tarball"));

        // What is wrong, exactly.
        const QString noCompile = m_temp.filePath(QStringLiteral("check-no-compile"));
        QVERIFY(QDir().mkpath(noCompile + QStringLiteral("/bin")));
        QVERIFY(QFile::copy(dataPath(QStringLiteral("buildpacks/noop/bin/detect")),
                            noCompile + QStringLiteral("/bin/detect")));
        answer = check(noCompile, &status);
        QCOMPARE(status, 422);
        QVERIFY2(message(answer).contains(QStringLiteral("has no bin/compile")),
                 qPrintable(message(answer)));
        const QString notExecutable = m_temp.filePath(QStringLiteral("check-not-executable"));
        QVERIFY(copyTree(dataPath(QStringLiteral("buildpacks/noop")), notExecutable));
        QVERIFY(QFile::setPermissions(notExecutable + QStringLiteral("/bin/compile"),
                                      QFile::ReadOwner | QFile::WriteOwner));
        // Without the executable bit it runs anyway, from the build's copy, as on Heroku.
        answer = check(notExecutable, &status);
        QVERIFY2(status == 200, qPrintable(message(answer)));
        const QString nowhere = QStringLiteral("http://127.0.0.1:%1/buildpack.git").arg(freePort());
        answer = check(nowhere, &status);
        QCOMPARE(status, 422);
        QVERIFY2(message(answer).contains(
                     QStringLiteral("cannot fetch the buildpack '%1'").arg(nowhere)),
                 qPrintable(message(answer)));
        answer = check(m_temp.filePath(QStringLiteral("check-missing")), &status);
        QCOMPARE(status, 422);
        QVERIFY2(message(answer).contains(QStringLiteral("does not exist")),
                 qPrintable(message(answer)));
        answer = check(QStringLiteral("cobol"), &status);
        QCOMPARE(status, 422);
        QVERIFY2(message(answer).contains(QStringLiteral("no built-in buildpack named 'cobol'")),
                 qPrintable(message(answer)));
        answer = check(QStringLiteral("not a valid :: reference"), &status);
        QCOMPARE(status, 422);
        QVERIFY2(message(answer).contains(QStringLiteral("not a buildpack reference")),
                 qPrintable(message(answer)));
        answer = check(QStringLiteral("./relative"), &status);
        QCOMPARE(status, 422);
        QVERIFY2(message(answer).contains(QStringLiteral("absolute path")),
                 qPrintable(message(answer)));
        daemon.call("POST", QStringLiteral("/v1/buildpacks/check"),
                    {{QStringLiteral("reference"), QStringLiteral("nodejs")}}, &status);
        QCOMPARE(status, 400);
        daemon.terminate();
    }

    void consoleFactsThroughTheApi()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        EventStream events(daemon.socketPath());
        QVERIFY(events.isConnected());
        const QString app = QStringLiteral("observed");
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}});
        QJsonObject shown = daemon.call("GET", QStringLiteral("/v1/apps/%1").arg(app))
                                .value(QStringLiteral("app"))
                                .toObject();
        QCOMPARE(shown.value(QStringLiteral("web")).toObject(),
                 (QJsonObject{{QStringLiteral("ready"), 0}, {QStringLiteral("total"), 0}}));
        QVERIFY(shown.contains(QStringLiteral("last_deployment")));
        QVERIFY(shown.value(QStringLiteral("last_deployment")).isNull());

        // The fixture with 2 MB of noise, served at 1 MB/s: a download worth watching.
        const QString tree = m_temp.filePath(QStringLiteral("observed-tree/app"));
        QVERIFY(copyTree(fixture(), tree));
        {
            QFile noise(tree + QStringLiteral("/noise.bin"));
            QVERIFY(noise.open(QIODevice::WriteOnly));
            for (int i = 0; i < 2 * 1024; ++i) {
                QByteArray block(1024, Qt::Uninitialized);
                for (char &byte : block)
                    byte = char(QRandomGenerator::global()->generate());
                noise.write(block);
            }
        }
        const QString served = m_temp.filePath(QStringLiteral("observed-served"));
        QVERIFY(QDir().mkpath(served));
        const QString archive = served + QStringLiteral("/observed.tar.gz");
        QCOMPARE(run(QStringLiteral("tar"), {QStringLiteral("-czf"), archive, QStringLiteral("-C"),
                                             tree, QStringLiteral(".")}),
                 0);
        const qint64 size = QFileInfo(archive).size();
        StaticHttpServer server(served, 1024 * 1024);
        QVERIFY(server.isReady());
        const QString url = server.url(QStringLiteral("observed.tar.gz"));

        QElapsedTimer clock;
        clock.start();
        QString id;
        QCOMPARE(deploy(daemon, app, deployBody(url), &id), QStringLiteral("success"));
        const qint64 took = clock.elapsed();

        // Progress of the download, at most every 250 ms, up to the archive's size.
        QList<QJsonObject> progress;
        for (const QJsonObject &event : events.events()) {
            if (event.value(QStringLiteral("type")) == QStringLiteral("progress"))
                progress.append(event);
        }
        QVERIFY2(progress.size() >= 3, qPrintable(QString::number(progress.size())));
        QVERIFY2(progress.size() <= took / 250 + 1,
                 qPrintable(QStringLiteral("%1 in %2 ms").arg(progress.size()).arg(took)));
        qint64 previous = 0;
        for (const QJsonObject &event : std::as_const(progress)) {
            QCOMPARE(event.value(QStringLiteral("app")).toString(), app);
            QCOMPARE(event.value(QStringLiteral("id")).toString(), id);
            QCOMPARE(event.value(QStringLiteral("phase")).toString(),
                     QStringLiteral("fetch-source"));
            QCOMPARE(event.value(QStringLiteral("what")).toString(), url);
            QCOMPARE(qint64(event.value(QStringLiteral("total")).toDouble()), size);
            const qint64 bytes = qint64(event.value(QStringLiteral("bytes")).toDouble());
            QVERIFY(bytes >= previous && bytes <= size);
            previous = bytes;
        }
        QVERIFY(previous > 0);

        // The timeline, live and as the deployment shows it, with data in every event.
        QJsonObject deployment =
            daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments/%2").arg(app, id))
                .value(QStringLiteral("deployment"))
                .toObject();
        QVERIFY(deployment.contains(QStringLiteral("previous_release")));
        QVERIFY(deployment.value(QStringLiteral("previous_release")).isNull());
        QVERIFY(deployment.value(QStringLiteral("waiting_for")).isNull());
        const QJsonArray timeline = deployment.value(QStringLiteral("timeline")).toArray();
        QStringList streamed;
        QVERIFY(events.waitFor(
            [&id, &timeline, &streamed](const QList<QJsonObject> &all) {
                streamed.clear();
                for (const QJsonObject &event : all) {
                    if (event.value(QStringLiteral("type")) == QStringLiteral("timeline") &&
                        event.value(QStringLiteral("id")) == id)
                        streamed.append(event.value(QStringLiteral("event"))
                                            .toObject()
                                            .value(QStringLiteral("kind"))
                                            .toString());
                }
                return streamed.size() >= timeline.size();
            },
            10000));
        QStringList kinds;
        for (const QJsonValue &value : timeline) {
            const QJsonObject event = value.toObject();
            kinds.append(event.value(QStringLiteral("kind")).toString());
            QVERIFY2(event.value(QStringLiteral("data")).isObject(),
                     QJsonDocument(event).toJson().constData());
            QVERIFY(!event.value(QStringLiteral("text")).toString().isEmpty());
        }
        QCOMPARE(streamed, kinds);
        for (const char *kind : {"source-fetched", "buildpack-detected", "slug-built",
                                 "release-created", "log-section", "step-started",
                                 "container-started", "container-ready", "traffic-routed"})
            QVERIFY2(kinds.contains(QLatin1String(kind)), kind);
        // Log sections point at their lines of /output.
        const Slipway::Result<Slipway::ApiReply> output = daemon.client().request(
            "GET", QStringLiteral("/v1/apps/%1/deployments/%2/output").arg(app, id));
        QVERIFY(output);
        const QStringList lines = QString::fromUtf8(output->body).split(QLatin1Char('\n'));
        int sections = 0;
        for (const QJsonValue &value : timeline) {
            const QJsonObject event = value.toObject();
            if (event.value(QStringLiteral("kind")) != QStringLiteral("log-section"))
                continue;
            const QJsonObject data = event.value(QStringLiteral("data")).toObject();
            const int line = data.value(QStringLiteral("line")).toInt(-1);
            QVERIFY(line >= 0 && line < lines.size());
            QCOMPARE(lines.at(line),
                     QStringLiteral("-----> ") + data.value(QStringLiteral("title")).toString());
            ++sections;
        }
        int marked = 0;
        for (const QString &line : lines)
            marked += line.startsWith(QLatin1String("-----> ")) ? 1 : 0;
        QCOMPARE(sections, marked);

        // The app in one call: its web containers and its last deployment.
        shown = daemon.call("GET", QStringLiteral("/v1/apps"))
                    .value(QStringLiteral("apps"))
                    .toArray()
                    .first()
                    .toObject();
        QCOMPARE(shown.value(QStringLiteral("web")).toObject(),
                 (QJsonObject{{QStringLiteral("ready"), 1}, {QStringLiteral("total"), 1}}));
        QJsonObject last = shown.value(QStringLiteral("last_deployment")).toObject();
        QCOMPARE(last.value(QStringLiteral("id")).toString(), id);
        QCOMPARE(last.value(QStringLiteral("status")).toString(), QStringLiteral("success"));
        QCOMPARE(last.value(QStringLiteral("source")).toString(), url);
        QVERIFY(!last.value(QStringLiteral("created_at")).toString().isEmpty());
        QVERIFY(!last.value(QStringLiteral("finished_at")).toString().isEmpty());

        // Two more deployments at once: the second waits for the first.
        const QJsonObject slow{
            {QStringLiteral("deployment"), QJsonObject{{QStringLiteral("source_url"), fixture()}}}};
        int status = 0;
        const QString second =
            daemon.call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(app), slow, &status)
                .value(QStringLiteral("deployment"))
                .toObject()
                .value(QStringLiteral("id"))
                .toString();
        QCOMPARE(status, 201);
        const QJsonObject queued =
            daemon.call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(app), slow, &status)
                .value(QStringLiteral("deployment"))
                .toObject();
        QCOMPARE(status, 201);
        QCOMPARE(queued.value(QStringLiteral("status")).toString(), QStringLiteral("queued"));
        QCOMPARE(queued.value(QStringLiteral("waiting_for")).toString(), second);
        const QString third = queued.value(QStringLiteral("id")).toString();
        bool listed = false;
        for (const QJsonValue &value :
             daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments").arg(app))
                 .value(QStringLiteral("deployments"))
                 .toArray()) {
            const QJsonObject entry = value.toObject();
            if (entry.value(QStringLiteral("id")) == third &&
                entry.value(QStringLiteral("status")) == QStringLiteral("queued")) {
                QCOMPARE(entry.value(QStringLiteral("waiting_for")).toString(), second);
                listed = true;
            }
        }
        QVERIFY(listed);
        QCOMPARE(daemon.waitDeployment(app, second), QStringLiteral("success"));
        QCOMPARE(daemon.waitDeployment(app, third), QStringLiteral("success"));
        deployment =
            daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments/%2").arg(app, third))
                .value(QStringLiteral("deployment"))
                .toObject();
        QCOMPARE(deployment.value(QStringLiteral("previous_release")).toInt(), 2);
        QVERIFY(deployment.value(QStringLiteral("waiting_for")).isNull());
        daemon.terminate();

        // Stored deployments keep all of it.
        DaemonProcess again(daemon.dataDirectory());
        QVERIFY2(again.start(), again.output().constData());
        deployment = again.call("GET", QStringLiteral("/v1/apps/%1/deployments/%2").arg(app, third))
                         .value(QStringLiteral("deployment"))
                         .toObject();
        QCOMPARE(deployment.value(QStringLiteral("status")).toString(), QStringLiteral("success"));
        QCOMPARE(deployment.value(QStringLiteral("previous_release")).toInt(), 2);
        QVERIFY(deployment.contains(QStringLiteral("waiting_for")));
        QVERIFY(deployment.value(QStringLiteral("waiting_for")).isNull());
        QStringList steps;
        for (const QJsonValue &value : deployment.value(QStringLiteral("timeline")).toArray()) {
            const QJsonObject event = value.toObject();
            if (event.value(QStringLiteral("kind")) == QStringLiteral("step-started"))
                steps.append(event.value(QStringLiteral("data"))
                                 .toObject()
                                 .value(QStringLiteral("step"))
                                 .toString());
        }
        QCOMPARE(steps, (QStringList{QStringLiteral("start"), QStringLiteral("wait-ready"),
                                     QStringLiteral("postdeploy"), QStringLiteral("route"),
                                     QStringLiteral("stop-old")}));
        const QJsonObject firstShown =
            again.call("GET", QStringLiteral("/v1/apps/%1/deployments/%2").arg(app, id))
                .value(QStringLiteral("deployment"))
                .toObject();
        QVERIFY(firstShown.value(QStringLiteral("previous_release")).isNull());
        again.terminate();
    }

    void longDeploymentLogKeepsItsSectionLines()
    {
        // A buildpack that prints 12 MB: the log stays whole, its sections where they are.
        const QString buildpack = m_temp.filePath(QStringLiteral("chatty-buildpack"));
        QVERIFY(copyTree(dataPath(QStringLiteral("buildpacks/noop")), buildpack));
        {
            QFile compile(buildpack + QStringLiteral("/bin/compile"));
            QVERIFY(compile.open(QIODevice::WriteOnly | QIODevice::Truncate));
            compile.write("#!/usr/bin/env bash\n"
                          "echo '-----> Talking a lot'\n"
                          "python3 -c \"import sys\n"
                          "line = 'x' * 99 + '\\\\n'\n"
                          "sys.stdout.write(line * 120000)\"\n"
                          "echo '-----> Done talking'\n");
        }
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        const QString app = QStringLiteral("chatty");
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}});
        int status = 0;
        daemon.call("PUT", QStringLiteral("/v1/apps/%1/buildpacks").arg(app),
                    {{QStringLiteral("buildpacks"), QJsonArray{buildpack}}}, &status);
        QCOMPARE(status, 200);
        QString id;
        QCOMPARE(deploy(daemon, app, deployBody(fixture()), &id), QStringLiteral("success"));
        const Slipway::Result<Slipway::ApiReply> output = daemon.client().request(
            "GET", QStringLiteral("/v1/apps/%1/deployments/%2/output").arg(app, id), {},
            "application/json", 60000);
        QVERIFY(output);
        QVERIFY2(output->body.size() > 12 * 1000 * 1000,
                 QByteArray::number(output->body.size()).constData());
        const QList<QByteArray> lines = output->body.split('\n');
        const QJsonArray timeline =
            daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments/%2").arg(app, id))
                .value(QStringLiteral("deployment"))
                .toObject()
                .value(QStringLiteral("timeline"))
                .toArray();
        int checked = 0;
        for (const QJsonValue &value : timeline) {
            const QJsonObject data = value.toObject().value(QStringLiteral("data")).toObject();
            if (value.toObject().value(QStringLiteral("kind")) != QStringLiteral("log-section"))
                continue;
            const int line = data.value(QStringLiteral("line")).toInt(-1);
            QVERIFY(line >= 0 && line < lines.size());
            QCOMPARE(QString::fromUtf8(lines.at(line)),
                     QStringLiteral("-----> ") + data.value(QStringLiteral("title")).toString());
            if (data.value(QStringLiteral("title")) == QStringLiteral("Done talking")) {
                QVERIFY(line > 120000);
                ++checked;
            }
        }
        QCOMPARE(checked, 1);
        daemon.terminate();
    }

    void gitLoginWhosePasswordIsLostIsMarkedUnusable()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        int status = 0;
        const QJsonObject login{
            {QStringLiteral("git_credential"),
             QJsonObject{{QStringLiteral("username"), QStringLiteral("deploy")},
                         {QStringLiteral("password"), QStringLiteral("pw-lost")}}}};
        daemon.call("PUT", QStringLiteral("/v1/git-credentials/git.example.com"), login, &status);
        QCOMPARE(status, 201);
        const QString backend = daemon.call("GET", QStringLiteral("/v1/status"))
                                    .value(QStringLiteral("secrets_backend"))
                                    .toString();
        daemon.terminate();
        if (backend != QLatin1String("private-file"))
            QSKIP("a keychain answers here; the private-file case needs none");
        // The secrets file is gone (restored from an old backup, say): the login stays listed,
        // says it cannot be used and why, and keeping it again mends it.
        QVERIFY(QDir(daemon.dataDirectory() + QStringLiteral("/secrets")).removeRecursively());
        DaemonProcess again(daemon.dataDirectory());
        QVERIFY2(again.start(), again.output().constData());
        QJsonObject entry = again.call("GET", QStringLiteral("/v1/git-credentials"))
                                .value(QStringLiteral("git_credentials"))
                                .toArray()
                                .first()
                                .toObject();
        QCOMPARE(entry.value(QStringLiteral("host")).toString(), QStringLiteral("git.example.com"));
        QCOMPARE(entry.value(QStringLiteral("usable")).toBool(true), false);
        QVERIFY(!entry.value(QStringLiteral("problem")).toString().isEmpty());
        again.call("PUT", QStringLiteral("/v1/git-credentials/git.example.com"), login, &status);
        QCOMPARE(status, 200);
        entry = again.call("GET", QStringLiteral("/v1/git-credentials"))
                    .value(QStringLiteral("git_credentials"))
                    .toArray()
                    .first()
                    .toObject();
        QVERIFY(entry.value(QStringLiteral("usable")).toBool());
        again.terminate();
    }

    void sameDeploymentTwiceIsQueued()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"),
                      QJsonObject{{QStringLiteral("name"), QStringLiteral("twice")}}}});
        const QString first =
            daemon.call("POST", QStringLiteral("/v1/apps/twice/deployments"), deployBody(fixture()))
                .value(QStringLiteral("deployment"))
                .toObject()
                .value(QStringLiteral("id"))
                .toString();
        const QJsonObject second =
            daemon.call("POST", QStringLiteral("/v1/apps/twice/deployments"), deployBody(fixture()))
                .value(QStringLiteral("deployment"))
                .toObject();
        QCOMPARE(second.value(QStringLiteral("status")).toString(), QStringLiteral("queued"));
        QCOMPARE(daemon.waitDeployment(QStringLiteral("twice"), first), QStringLiteral("success"));
        QCOMPARE(daemon.waitDeployment(QStringLiteral("twice"),
                                       second.value(QStringLiteral("id")).toString()),
                 QStringLiteral("success"));
        const QJsonArray list = daemon.call("GET", QStringLiteral("/v1/apps/twice/deployments"))
                                    .value(QStringLiteral("deployments"))
                                    .toArray();
        QCOMPARE(list.size(), 2);
        // Newest first: the second finished after the first, with the next release.
        QCOMPARE(list.at(0).toObject().value(QStringLiteral("release_version")).toInt(), 2);
        QCOMPARE(list.at(1).toObject().value(QStringLiteral("release_version")).toInt(), 1);
        QVERIFY(answer(daemon, QStringLiteral("twice")).startsWith(QStringLiteral("version=v2")));
        daemon.terminate();
    }

    void crashDuringWaitReadyRecovers()
    {
        const QString data = m_temp.filePath(QStringLiteral("crash-data"));
        const QString app = QStringLiteral("phoenix");
        QString pendingId;
        {
            DaemonProcess daemon(data);
            QVERIFY2(daemon.start(), daemon.output().constData());
            daemon.call("POST", QStringLiteral("/v1/apps"),
                        {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}});
            QCOMPARE(deploy(daemon, app, deployBody(fixture())), QStringLiteral("success"));
            const QJsonObject changed = daemon.call(
                "POST", QStringLiteral("/v1/apps/%1/variables").arg(app),
                {{QStringLiteral("variables"),
                  QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("BEHAVIOUR")},
                                         {QStringLiteral("value"), QStringLiteral("slow-boot")}},
                             QJsonObject{{QStringLiteral("name"), QStringLiteral("BOOT_DELAY")},
                                         {QStringLiteral("value"), QStringLiteral("30")}}}}});
            pendingId = changed.value(QStringLiteral("deployment"))
                            .toObject()
                            .value(QStringLiteral("id"))
                            .toString();
            QTRY_VERIFY_WITH_TIMEOUT(
                daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments/%2").arg(app, pendingId))
                        .value(QStringLiteral("deployment"))
                        .toObject()
                        .value(QStringLiteral("status"))
                        .toString() == QLatin1String("starting"),
                30000);
            QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(marker(app)).size() == 2, 20000);
            daemon.killHard();
            // Nothing of the app outlives its daemon.
            QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(marker(app)).isEmpty(), 10000);
        }
        DaemonProcess again(data);
        QVERIFY2(again.start(), again.output().constData());
        const QJsonObject aborted =
            again.call("GET", QStringLiteral("/v1/apps/%1/deployments/%2").arg(app, pendingId))
                .value(QStringLiteral("deployment"))
                .toObject();
        QCOMPARE(aborted.value(QStringLiteral("status")).toString(), QStringLiteral("aborted"));
        // The release that served before the crash serves again, on its own.
        QTRY_VERIFY_WITH_TIMEOUT(answer(again, app).startsWith(QStringLiteral("version=v1")),
                                 30000);
        QCOMPARE(again.call("GET", QStringLiteral("/v1/apps/%1").arg(app))
                     .value(QStringLiteral("app"))
                     .toObject()
                     .value(QStringLiteral("current_release"))
                     .toInt(),
                 1);
        QCOMPARE(processesWithMarker(marker(app)).size(), 1);
        again.terminate();
        QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(marker(app)).isEmpty(), 20000);
    }

    void gitPushDeploys()
    {
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        const QString app = QStringLiteral("pushed");
        const QJsonObject created =
            daemon.call("POST", QStringLiteral("/v1/apps"),
                        {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}});
        const QString remote = created.value(QStringLiteral("app"))
                                   .toObject()
                                   .value(QStringLiteral("git_remote"))
                                   .toString();
        QVERIFY(QFileInfo(remote + QStringLiteral("/hooks/pre-receive")).isExecutable());
        const QString work = m_temp.filePath(QStringLiteral("push-work"));
        QVERIFY(copyTree(fixture(), work));
        QVERIFY(gitInitCommit(work));
        const QString head = gitHead(work);

        QByteArray output;
        QCOMPARE(run(QStringLiteral("git"),
                     {QStringLiteral("-C"), work, QStringLiteral("push"), remote,
                      QStringLiteral("main")},
                     {}, &output),
                 0);
        // The build and rollout log came back to the pushing terminal.
        QVERIFY2(output.contains("remote: -----> Deployment success"), output.constData());
        QVERIFY(answer(daemon, app).startsWith(QStringLiteral("version=v1")));
        const QJsonArray releases =
            daemon.call("GET", QStringLiteral("/v1/apps/%1/releases").arg(app))
                .value(QStringLiteral("releases"))
                .toArray();
        QCOMPARE(releases.last().toObject().value(QStringLiteral("source_version")).toString(),
                 head);
        QCOMPARE(daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments").arg(app))
                     .value(QStringLiteral("deployments"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("source"))
                     .toString(),
                 QStringLiteral("git push main ") + head.left(12));

        // Another branch is refused with the way to push it.
        QCOMPARE(run(QStringLiteral("git"), {QStringLiteral("-C"), work, QStringLiteral("checkout"),
                                             QStringLiteral("-qb"), QStringLiteral("feature")}),
                 0);
        QVERIFY(run(QStringLiteral("git"),
                    {QStringLiteral("-C"), work, QStringLiteral("push"), remote,
                     QStringLiteral("feature")},
                    {}, &output) != 0);
        QVERIFY2(output.contains("git push slipway feature:main"), output.constData());

        // A push whose deployment fails is refused, and the running version stays.
        QFile procfile(work + QStringLiteral("/Procfile"));
        QVERIFY(procfile.open(QIODevice::WriteOnly | QIODevice::Truncate));
        procfile.write("web: python3 behave.py web --tag \"slipway-fixture-$APP\"\nthis line is "
                       "not a process type\n");
        procfile.close();
        QCOMPARE(
            run(QStringLiteral("git"),
                {QStringLiteral("-C"), work, QStringLiteral("-c"), QStringLiteral("user.name=t"),
                 QStringLiteral("-c"), QStringLiteral("user.email=t@t.invalid"),
                 QStringLiteral("commit"), QStringLiteral("-qam"), QStringLiteral("break")}),
            0);
        QVERIFY(run(QStringLiteral("git"),
                    {QStringLiteral("-C"), work, QStringLiteral("push"), remote,
                     QStringLiteral("feature:main")},
                    {}, &output) != 0);
        QVERIFY2(output.contains("build-error"), output.constData());
        QVERIFY(answer(daemon, app).startsWith(QStringLiteral("version=v1")));
        daemon.terminate();
    }

    void refusesASecondDaemonOnTheSameData()
    {
        const QString data = m_temp.filePath(QStringLiteral("single-data"));
        DaemonProcess first(data);
        QVERIFY(first.start());
        DaemonProcess second(data);
        QVERIFY(!second.start({}, 10000));
        QVERIFY2(second.output().contains("another slipwayd"), second.output().constData());
        first.terminate();
    }

    void tlsListenerWithTokens()
    {
        const QString cert = m_temp.filePath(QStringLiteral("cert.pem"));
        const QString key = m_temp.filePath(QStringLiteral("key.pem"));
        QCOMPARE(run(QStringLiteral("openssl"),
                     {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                      QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-subj"),
                      QStringLiteral("/CN=localhost"), QStringLiteral("-days"), QStringLiteral("1"),
                      QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert}),
                 0);
        const QString data = m_temp.filePath(QStringLiteral("tls-data"));
        QByteArray token;
        QCOMPARE(run(DaemonProcess::binary(),
                     {QStringLiteral("--data-dir"), data, QStringLiteral("token"),
                      QStringLiteral("create"), QStringLiteral("laptop")},
                     {}, &token),
                 0);
        for (const QByteArray &line : token.split('\n')) {
            if (line.trimmed().startsWith("slp_"))
                token = line.trimmed();
        }
        QVERIFY(token.startsWith("slp_"));
        const quint16 port = freePort();
        DaemonProcess daemon(data);
        QVERIFY2(
            daemon.start({QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                          QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"), key}),
            daemon.output().constData());
        Slipway::ApiClient valid =
            Slipway::ApiClient::tls(QStringLiteral("127.0.0.1"), port, token, cert);
        QCOMPARE(valid.request("GET", QStringLiteral("/v1/apps"))->status, 200);
        Slipway::ApiClient missing =
            Slipway::ApiClient::tls(QStringLiteral("127.0.0.1"), port, QByteArray(), cert);
        QCOMPARE(missing.request("GET", QStringLiteral("/v1/apps"))->status, 401);
        QCOMPARE(run(DaemonProcess::binary(),
                     {QStringLiteral("--data-dir"), data, QStringLiteral("token"),
                      QStringLiteral("revoke"), QStringLiteral("laptop")}),
                 0);
        QTRY_COMPARE_WITH_TIMEOUT(
            Slipway::ApiClient::tls(QStringLiteral("127.0.0.1"), port, token, cert)
                .request("GET", QStringLiteral("/v1/apps"))
                ->status,
            401, 5000);
        // Plain TCP is never offered.
        DaemonProcess plain(m_temp.filePath(QStringLiteral("plain-data")));
        QVERIFY(!plain.start(
            {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(freePort())}, 10000));
        QVERIFY2(plain.output().contains("plain TCP is refused"), plain.output().constData());
        daemon.terminate();
    }
};

QTEST_GUILESS_MAIN(TestSlipwayd)
#include "tst_slipwayd.moc"
