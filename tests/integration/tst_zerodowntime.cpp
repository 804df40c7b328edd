// Bounded HTTP traffic through the router (keep-alive and new connections) while the app
// is redeployed 10 times in a row: no request may fail, and every answer must come from a
// release that was live.

#include "EngineFixture.h"
#include "TestSupport.h"

#include "rollout/Deployment.h"
#include "rollout/Engine.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QtTest>

using namespace Slipway;
using namespace TestSupport;

class TestZeroDowntime : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void tenRedeploysUnderLoadFailNothing()
    {
        EngineFixture fixture;
        const QString app = QStringLiteral("steady");
        Deployment *first = fixture.deployFixture(app);
        QVERIFY2(first && first->status() == DeploymentStatus::Success,
                 qPrintable(EngineFixture::describe(first)));

        // Four clients in turns: two reuse their connection, two ask for a new one each time.
        QNetworkAccessManager keepAlive;
        QNetworkAccessManager fresh;
        const int maxRequests = 6000;
        int sent = 0;
        int answered = 0;
        QStringList failures;
        QMap<QString, int> versions;
        bool stop = false;
        std::function<void(bool)> ask = [&](bool reuse) {
            if (stop || sent >= maxRequests)
                return;
            ++sent;
            QNetworkRequest request(
                QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(fixture.routerPort())));
            request.setRawHeader("Host", app.toUtf8() + ".localhost");
            if (!reuse)
                request.setRawHeader("Connection", "close");
            request.setTransferTimeout(20000);
            QNetworkReply *reply = (reuse ? keepAlive : fresh).get(request);
            connect(reply, &QNetworkReply::finished, this, [&, reply, reuse] {
                reply->deleteLater();
                ++answered;
                const int status =
                    reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                const QByteArray body = reply->readAll();
                if (status != 200)
                    failures.append(QStringLiteral("HTTP %1 %2 %3")
                                        .arg(status)
                                        .arg(reply->errorString(), QString::fromUtf8(body)));
                else
                    versions[QString::fromUtf8(body).section(QLatin1Char(' '), 0, 0)] += 1;
                ask(reuse);
            });
        };
        for (int client = 0; client < 4; ++client)
            ask(client % 2 == 0);

        QSet<QString> live{QStringLiteral("version=v1")};
        for (int round = 0; round < 10; ++round) {
            Result<Deployment *> next = fixture.engine().changeConfig(
                app, {{QStringLiteral("ROUND"), QString::number(round)}});
            QVERIFY(next && *next);
            QVERIFY(EngineFixture::waitFinished(*next));
            QVERIFY2((*next)->status() == DeploymentStatus::Success,
                     qPrintable(EngineFixture::describe(*next)));
            live.insert(QStringLiteral("version=v%1").arg((*next)->releaseVersion()));
        }
        stop = true;
        QTRY_VERIFY_WITH_TIMEOUT(answered == sent, 30000);

        QVERIFY2(failures.isEmpty(), qPrintable(QStringLiteral("%1 of %2 failed, first: %3")
                                                    .arg(failures.size())
                                                    .arg(sent)
                                                    .arg(failures.value(0))));
        QVERIFY2(sent > 100, qPrintable(QStringLiteral("only %1 requests were sent").arg(sent)));
        for (auto it = versions.cbegin(); it != versions.cend(); ++it)
            QVERIFY2(live.contains(it.key()),
                     qPrintable(it.key() + QStringLiteral(" was never live")));
        // Traffic reached the new releases as they went live, not only the first.
        QVERIFY(versions.size() >= 3);
        qInfo("%d requests, %lld versions answered, 0 failed", sent, qint64(versions.size()));
    }
};

QTEST_GUILESS_MAIN(TestZeroDowntime)
#include "tst_zerodowntime.moc"
