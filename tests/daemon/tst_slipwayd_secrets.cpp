// Secret config vars with a real Secret Service (run by run-with-keyring.sh): the value
// reaches the container and the keychain, and nothing else — not the store, not the logs,
// not the API unless revealed.

#include "DaemonProcess.h"
#include "TestSupport.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace TestSupport;

class TestSlipwaydSecrets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
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
        QTRY_VERIFY_WITH_TIMEOUT(
            QJsonDocument::fromJson(
                routedGet(again.routerPort(), QStringLiteral("vault"), QStringLiteral("/env")).body)
                    .object()
                    .value(QStringLiteral("API_TOKEN"))
                    .toString()
                    .toUtf8() == secret,
            30000);
        again.terminate();
    }
};

QTEST_GUILESS_MAIN(TestSlipwaydSecrets)
#include "tst_slipwayd_secrets.moc"
