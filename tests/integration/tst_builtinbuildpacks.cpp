// Every built-in buildpack builds a real sample app through auto-detection, and the web
// process of the resulting slug, started the way containers start, answers HTTP 200.

#include "BuildRunner.h"
#include "TestSupport.h"

#include <QDir>
#include <QtTest>

using namespace Slipway;
using namespace TestSupport;

class TestBuiltinBuildpacks : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_temp;

    // The source to build: an app folder, or an artifact the app's script makes.
    QString source(const QString &app)
    {
        const QString dir = dataPath(QStringLiteral("apps/") + app);
        if (app == QLatin1String("jar") || app == QLatin1String("war")) {
            const QString out = m_temp.filePath(app + QStringLiteral("-artifact"));
            QByteArray output;
            if (run(QStringLiteral("bash"), {dir + QStringLiteral("/build-%1.sh").arg(app), out},
                    {}, &output) != 0)
                qWarning("%s", output.constData());
            return out + QStringLiteral("/hello.") + app;
        }
        return dir;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_temp.isValid());
    }

    void buildAndServe_data()
    {
        QTest::addColumn<QString>("app");
        QTest::addColumn<QString>("buildpack");
        QTest::addColumn<QString>("detectName");
        QTest::newRow("go") << QStringLiteral("go") << QStringLiteral("go") << QStringLiteral("Go");
        QTest::newRow("jar") << QStringLiteral("jar") << QStringLiteral("jvm")
                             << QStringLiteral("JVM");
        QTest::newRow("war") << QStringLiteral("war") << QStringLiteral("jvm")
                             << QStringLiteral("JVM");
        QTest::newRow("nodejs") << QStringLiteral("nodejs") << QStringLiteral("nodejs")
                                << QStringLiteral("Node.js");
        QTest::newRow("nodejs-nolock") << QStringLiteral("nodejs-nolock")
                                       << QStringLiteral("nodejs") << QStringLiteral("Node.js");
        QTest::newRow("python") << QStringLiteral("python") << QStringLiteral("python")
                                << QStringLiteral("Python");
        QTest::newRow("static") << QStringLiteral("static") << QStringLiteral("static")
                                << QStringLiteral("Static");
        QTest::newRow("procfile") << QStringLiteral("procfile") << QStringLiteral("procfile")
                                  << QStringLiteral("Procfile");
    }

    void buildAndServe()
    {
        QFETCH(QString, app);
        QFETCH(QString, buildpack);
        QFETCH(QString, detectName);

        BuildRunner runner;
        const BuildRequest request = runner.request(source(app), QStringLiteral("builtin-") + app);
        const BuildOutcome outcome = runner.build(request);
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        QCOMPARE(outcome.selectionRule, QStringLiteral("auto-detection"));
        QCOMPARE(outcome.buildpacks.size(), 1);
        QCOMPARE(outcome.buildpacks.at(0).reference, buildpack);
        QCOMPARE(outcome.buildpacks.at(0).detectName, detectName);
        QVERIFY(runner.logText().contains(QStringLiteral("-----> ")));

        const QString web = outcome.release.processTypes().value(QStringLiteral("web"));
        QVERIFY2(!web.isEmpty(), "the release has a web process type");
        // Unpacked somewhere else than the build folder: nothing may depend on that path.
        SlugProcess process(outcome.release.slugPath(),
                            m_temp.filePath(QStringLiteral("run-") + app), web);
        QVERIFY(process.unpacked());
        const HttpResponse response = process.waitForHttp(90000);
        QVERIFY2(response.status == 200, qPrintable(response.error));
        QVERIFY2(response.body.contains(QByteArray("slipway-" + app.toUtf8())),
                 response.body.constData());
    }

    void nodejsSecondBuildReusesTheCache()
    {
        BuildRunner runner;
        const QString app = dataPath(QStringLiteral("apps/nodejs"));
        const BuildOutcome first = runner.build(runner.request(app, QStringLiteral("node-cache")));
        QVERIFY2(first.succeeded(), qPrintable(first.error + QLatin1Char('\n') + runner.logText()));
        QVERIFY(!runner.logText().contains(QStringLiteral("reused the cached node_modules")));
        const BuildOutcome second = runner.build(runner.request(app, QStringLiteral("node-cache")));
        QVERIFY2(second.succeeded(), qPrintable(second.error));
        QVERIFY2(runner.logText().contains(QStringLiteral("reused the cached node_modules")),
                 qPrintable(runner.logText()));
        // The restored dependencies are really there.
        SlugProcess process(second.release.slugPath(),
                            m_temp.filePath(QStringLiteral("run-node-cache")),
                            second.release.processTypes().value(QStringLiteral("web")));
        const HttpResponse response = process.waitForHttp(60000);
        QVERIFY2(response.status == 200, qPrintable(response.error));
    }

    void bundledSampleBuilds()
    {
        BuildRunner runner;
        const BuildOutcome outcome = runner.build(runner.request(
            resourcesPath(QStringLiteral("samples/hello")), QStringLiteral("hello")));
        QVERIFY2(outcome.succeeded(),
                 qPrintable(outcome.error + QLatin1Char('\n') + runner.logText()));
        SlugProcess process(outcome.release.slugPath(),
                            m_temp.filePath(QStringLiteral("run-hello")),
                            outcome.release.processTypes().value(QStringLiteral("web")));
        const HttpResponse response = process.waitForHttp(60000);
        QVERIFY2(response.status == 200, qPrintable(response.error));
    }
};

QTEST_GUILESS_MAIN(TestBuiltinBuildpacks)
#include "tst_builtinbuildpacks.moc"
