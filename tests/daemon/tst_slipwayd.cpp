// slipwayd as a black box: the full life of an app through the socket with the app
// answering through the router at each step, every error code, queued deployments, a
// crash (SIGKILL) in the middle of a rollout, a second daemon on the same data, and the
// TLS listener with tokens.

#include "DaemonProcess.h"
#include "TestSupport.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
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
