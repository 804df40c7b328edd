// Secret config vars and git logins with a real Secret Service (run by run-with-keyring.sh):
// the value reaches the container (or git) and the keychain, and nothing else — not the
// store, not the logs, not the API unless revealed.

#include "DaemonProcess.h"
#include "PrivateGitServer.h"
#include "TestSupport.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace TestSupport;

class TestSlipwaydSecrets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void gitLoginsStayInTheKeychain();
    void secretsStayInTheKeychain()
    {
        const QByteArray secret =
            "s3cr3t-value-" + QByteArray::number(QCoreApplication::applicationPid());
        DaemonProcess daemon;
        QVERIFY2(daemon.start(), daemon.output().constData());
        QCOMPARE(daemon.call("GET", QStringLiteral("/v1/status"))
                     .value(QStringLiteral("secrets_backend"))
                     .toString(),
                 QStringLiteral("keychain"));
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"),
                      QJsonObject{{QStringLiteral("name"), QStringLiteral("vault")}}}});
        int status = 0;
        daemon.call("POST", QStringLiteral("/v1/apps/vault/variables"),
                    {{QStringLiteral("variables"),
                      QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("API_TOKEN")},
                                             {QStringLiteral("value"), QString::fromUtf8(secret)},
                                             {QStringLiteral("secret"), true}}}}},
                    &status);
        QCOMPARE(status, 200);
        const QString id = daemon
                               .call("POST", QStringLiteral("/v1/apps/vault/deployments"),
                                     {{QStringLiteral("deployment"),
                                       QJsonObject{{QStringLiteral("source_url"),
                                                    dataPath(QStringLiteral("fixtures/behave"))}}}})
                               .value(QStringLiteral("deployment"))
                               .toObject()
                               .value(QStringLiteral("id"))
                               .toString();
        QCOMPARE(daemon.waitDeployment(QStringLiteral("vault"), id), QStringLiteral("success"));

        // The container has it.
        const QJsonObject env =
            QJsonDocument::fromJson(
                routedGet(daemon.routerPort(), QStringLiteral("vault"), QStringLiteral("/env"))
                    .body)
                .object();
        QCOMPARE(env.value(QStringLiteral("API_TOKEN")).toString().toUtf8(), secret);
        // The API masks it unless asked to reveal.
        const QJsonObject masked = daemon.call("GET", QStringLiteral("/v1/apps/vault/variables"))
                                       .value(QStringLiteral("variables"))
                                       .toArray()
                                       .first()
                                       .toObject();
        QVERIFY(masked.value(QStringLiteral("secret")).toBool());
        QVERIFY(!masked.value(QStringLiteral("value")).toString().toUtf8().contains(secret));
        const QJsonObject revealed =
            daemon.call("GET", QStringLiteral("/v1/apps/vault/variables?reveal=true"))
                .value(QStringLiteral("variables"))
                .toArray()
                .first()
                .toObject();
        QCOMPARE(revealed.value(QStringLiteral("value")).toString().toUtf8(), secret);
        const Slipway::Result<Slipway::ApiReply> releases =
            daemon.client().request("GET", QStringLiteral("/v1/apps/vault/releases"));
        QVERIFY(releases && !releases->body.contains(secret));

        // No file of the daemon's data holds it (store, WAL, logs): only the keychain does.
        daemon.terminate();
        QDirIterator files(daemon.dataDirectory(), QDir::Files | QDir::Hidden,
                           QDirIterator::Subdirectories);
        int searched = 0;
        while (files.hasNext()) {
            const QString path = files.next();
            if (path.contains(QLatin1String("/unpacked/")) ||
                path.contains(QLatin1String("/slugs/")))
                continue;
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            QVERIFY2(!file.readAll().contains(secret),
                     qPrintable(path + QStringLiteral(" holds the secret")));
            ++searched;
        }
        QVERIFY(searched > 3);

        // After a restart the value comes back from the keychain.
        DaemonProcess again(daemon.dataDirectory());
        QVERIFY2(again.start(), again.output().constData());
        const auto servedToken = [&] {
            return QJsonDocument::fromJson(routedGet(again.routerPort(), QStringLiteral("vault"),
                                                     QStringLiteral("/env"))
                                               .body)
                .object()
                .value(QStringLiteral("API_TOKEN"))
                .toString()
                .toUtf8();
        };
        QTRY_VERIFY2_WITH_TIMEOUT(servedToken() == secret, again.output().constData(), 30000);
        again.terminate();
    }
};

namespace {

// Every file of the daemon's data folder but slugs and unpacked releases; fails the test
// when one holds `secret`. Returns how many were searched.
int filesHolding(const QString &directory, const QByteArray &secret, QStringList *holding)
{
    QDirIterator files(directory, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    int searched = 0;
    while (files.hasNext()) {
        const QString path = files.next();
        if (path.contains(QLatin1String("/unpacked/")) || path.contains(QLatin1String("/slugs/")))
            continue;
        QFile file(path);
        if (file.open(QIODevice::ReadOnly) && file.readAll().contains(secret))
            holding->append(path);
        ++searched;
    }
    return searched;
}

QString startDeployment(DaemonProcess &daemon, const QString &app, const QString &source)
{
    return daemon
        .call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(app),
              {{QStringLiteral("deployment"), QJsonObject{{QStringLiteral("source_url"), source}}}})
        .value(QStringLiteral("deployment"))
        .toObject()
        .value(QStringLiteral("id"))
        .toString();
}

} // namespace

void TestSlipwaydSecrets::gitLoginsStayInTheKeychain()
{
    const QByteArray password =
        "ghp_token-" + QByteArray::number(QCoreApplication::applicationPid()) + "'$x";
    QTemporaryDir scratch;
    const QString work = scratch.filePath(QStringLiteral("work"));
    const QString served = scratch.filePath(QStringLiteral("served"));
    QVERIFY(copyTree(dataPath(QStringLiteral("fixtures/behave")), work));
    QVERIFY(gitInitCommit(work));
    QVERIFY(QDir().mkpath(served));
    QVERIFY(PrivateGitServer::publish(work, served, QStringLiteral("private")));
    PrivateGitServer server(served, "deploy:" + password);
    QVERIFY(server.isReady());
    const QString url = server.url(QStringLiteral("private.git"));

    DaemonProcess daemon;
    QVERIFY2(daemon.start(), daemon.output().constData());
    daemon.call(
        "POST", QStringLiteral("/v1/apps"),
        {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), QStringLiteral("priv")}}}});

    // Without a login the build fails at once and says how to add one.
    const QString refused = startDeployment(daemon, QStringLiteral("priv"), url);
    QCOMPARE(daemon.waitDeployment(QStringLiteral("priv"), refused), QStringLiteral("build-error"));
    const QJsonObject refusedDeployment =
        daemon.call("GET", QStringLiteral("/v1/apps/priv/deployments/") + refused)
            .value(QStringLiteral("deployment"))
            .toObject();
    QVERIFY2(refusedDeployment.value(QStringLiteral("error"))
                 .toString()
                 .contains(QStringLiteral("git-credentials-set 127.0.0.1:")),
             qPrintable(refusedDeployment.value(QStringLiteral("error")).toString()));

    // Bad input: malformed body 400, invalid host or login 422, unknown host 404.
    int status = 0;
    daemon.call("PUT", QStringLiteral("/v1/git-credentials/127.0.0.1"),
                {{QStringLiteral("username"), QStringLiteral("deploy")}}, &status);
    QCOMPARE(status, 400);
    const QJsonObject login{
        {QStringLiteral("git_credential"),
         QJsonObject{{QStringLiteral("username"), QStringLiteral("deploy")},
                     {QStringLiteral("password"), QString::fromUtf8(password)}}}};
    daemon.call("PUT", QStringLiteral("/v1/git-credentials/me@example.com"), login, &status);
    QCOMPARE(status, 422);
    daemon.call("PUT", QStringLiteral("/v1/git-credentials/127.0.0.1"),
                {{QStringLiteral("git_credential"),
                  QJsonObject{{QStringLiteral("username"), QStringLiteral("deploy")},
                              {QStringLiteral("password"), QStringLiteral("two\nlines")}}}},
                &status);
    QCOMPARE(status, 422);
    daemon.call("DELETE", QStringLiteral("/v1/git-credentials/nowhere.example"), {}, &status);
    QCOMPARE(status, 404);

    // Kept for the host: 201, then listed masked.
    const QJsonObject kept =
        daemon.call("PUT", QStringLiteral("/v1/git-credentials/127.0.0.1"), login, &status);
    QCOMPARE(status, 201);
    QCOMPARE(kept.value(QStringLiteral("git_credential")).toObject().value(QStringLiteral("host")),
             QJsonValue(QStringLiteral("127.0.0.1")));
    const Slipway::Result<Slipway::ApiReply> listed =
        daemon.client().request("GET", QStringLiteral("/v1/git-credentials"));
    QVERIFY(listed && listed->status == 200);
    QVERIFY(!listed->body.contains(password));
    const QJsonObject entry = QJsonDocument::fromJson(listed->body)
                                  .object()
                                  .value(QStringLiteral("git_credentials"))
                                  .toArray()
                                  .first()
                                  .toObject();
    QCOMPARE(entry.value(QStringLiteral("username")).toString(), QStringLiteral("deploy"));
    QVERIFY(entry.value(QStringLiteral("usable")).toBool());

    // Now the private repository deploys and the app answers through the router.
    const QString id = startDeployment(daemon, QStringLiteral("priv"), url);
    QCOMPARE(daemon.waitDeployment(QStringLiteral("priv"), id), QStringLiteral("success"));
    QCOMPARE(routedGet(daemon.routerPort(), QStringLiteral("priv"), QStringLiteral("/")).status,
             200);
    const Slipway::Result<Slipway::ApiReply> output = daemon.client().request(
        "GET", QStringLiteral("/v1/apps/priv/deployments/%1/output").arg(id));
    QVERIFY(output && output->body.contains("Cloning"));
    QVERIFY(!output->body.contains(password));

    // Nothing in the data folder holds it: the keychain does.
    daemon.terminate();
    QStringList holding;
    QVERIFY(filesHolding(daemon.dataDirectory(), password, &holding) > 3);
    QVERIFY2(holding.isEmpty(), qPrintable(holding.join(u' ')));

    // After a restart the login comes back from the keychain and works again.
    DaemonProcess again(daemon.dataDirectory());
    QVERIFY2(again.start(), again.output().constData());
    const QString second = startDeployment(again, QStringLiteral("priv"), url);
    QCOMPARE(again.waitDeployment(QStringLiteral("priv"), second), QStringLiteral("success"));

    // The keychain is where it lives.
    auto keychainHolds = [&password] {
        QProcess lookup;
        lookup.start(QStringLiteral("secret-tool"),
                     {QStringLiteral("search"), QStringLiteral("--all"), QStringLiteral("user"),
                      QStringLiteral("git/127.0.0.1")});
        lookup.waitForFinished(10000);
        const QByteArray found = lookup.readAllStandardOutput() + lookup.readAllStandardError();
        return found.contains(password);
    };
    QVERIFY(keychainHolds());

    // Forgotten: 204, gone from the keychain, and the next deployment is refused again.
    again.call("DELETE", QStringLiteral("/v1/git-credentials/127.0.0.1"), {}, &status);
    QCOMPARE(status, 204);
    QCOMPARE(again.call("GET", QStringLiteral("/v1/git-credentials"))
                 .value(QStringLiteral("git_credentials"))
                 .toArray()
                 .size(),
             0);
    const QString third = startDeployment(again, QStringLiteral("priv"), url);
    QCOMPARE(again.waitDeployment(QStringLiteral("priv"), third), QStringLiteral("build-error"));
    QTRY_VERIFY_WITH_TIMEOUT(!keychainHolds(), 10000);
    again.terminate();
}

QTEST_GUILESS_MAIN(TestSlipwaydSecrets)
#include "tst_slipwayd_secrets.moc"
