#include "runtime/docker/DockerClient.h"
#include "runtime/docker/StackImage.h"

#include "PrivateDockerd.h"
#include "TestSupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace Slipway;

// The debian-12 stack image made by packaging/stack/build-stack-image.sh and imported into a
// private engine. Slow the first time on a machine (mmdebstrap installs a few hundred
// packages: about five minutes); the script's cache (/var/tmp/slipway-stack, or
// SLIPWAY_TEST_STACK_CACHE) makes later runs fast.
class TestStackImage : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<PrivateDockerd> m_engine;
    std::unique_ptr<DockerClient> m_client;
    QTemporaryDir m_work;

    struct Run
    {
        bool done = false;
        Result<QString> tag;
        QStringList lines;
        qint64 sent = 0;
        qint64 total = 0;
    };

    void ensure(StackImage &stack, Run &run, int timeoutMs)
    {
        stack.ensure({[&](const QString &line) { run.lines.append(line); },
                      [&](qint64 sent, qint64 total) {
                          run.sent = sent;
                          run.total = total;
                      },
                      [&](Result<QString> tag) {
                          run.done = true;
                          run.tag = std::move(tag);
                      }});
        QVERIFY(spinUntil([&] { return run.done; }, timeoutMs));
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_engine = std::make_unique<PrivateDockerd>();
        if (!m_engine->isReady())
            QSKIP(qPrintable(u"no private Docker engine here: "_s + m_engine->skipReason()));
        m_client = std::make_unique<DockerClient>(m_engine->endpoint());
    }

    void aFailingScriptSaysWhy()
    {
        const QString script = m_work.filePath(u"broken.sh"_s);
        QFile file(script);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("echo 'stack: cannot reach the mirror' >&2; exit 1\n");
        file.close();
        StackImage stack(m_client.get());
        stack.setScript(script);
        Run run;
        ensure(stack, run, 30000);
        QVERIFY(!run.tag);
        QVERIFY2(run.tag.error().message.contains(u"could not be built"_s) &&
                     run.tag.error().message.contains(u"cannot reach the mirror"_s),
                 qPrintable(run.tag.error().message));

        StackImage missing(m_client.get());
        missing.setScript(m_work.filePath(u"absent.sh"_s));
        Run none;
        ensure(missing, none, 5000);
        QVERIFY(!none.tag);
        QVERIFY2(none.tag.error().message.contains(u"is missing"_s),
                 qPrintable(none.tag.error().message));
    }

    void buildImportAndRun()
    {
        StackImage stack(m_client.get());
        const QString cache = qEnvironmentVariable("SLIPWAY_TEST_STACK_CACHE");
        if (!cache.isEmpty())
            stack.setCacheFolder(cache);
        Run run;
        QElapsedTimer clock;
        clock.start();
        ensure(stack, run, 30 * 60 * 1000);
        QVERIFY2(run.tag,
                 run.tag ? ""
                         : qPrintable(run.tag.error().message + u"\n"_s + run.lines.join(u'\n')));
        qInfo("stack image %s ready in %.1f s (%lld bytes imported)", qPrintable(*run.tag),
              clock.elapsed() / 1000.0, run.total);
        QVERIFY(QRegularExpression(u"^slipway/stack:debian-12-[0-9a-f]{12}$"_s)
                    .match(*run.tag)
                    .hasMatch());
        QVERIFY(run.total > 100 * 1024 * 1024);
        QCOMPARE(run.sent, run.total);
        QVERIFY(run.lines.last().startsWith(u"stack: imported"_s));

        // The engine has it now: a second call only looks.
        Run again;
        clock.restart();
        ensure(stack, again, 60000);
        QVERIFY(again.tag);
        QCOMPARE(*again.tag, *run.tag);
        QCOMPARE(again.sent, 0);
        QVERIFY2(clock.elapsed() < 10000, "the engine already had the image");

        // A container of it: the user slug in /app, and the buildpacks' runtimes.
        const quint16 port = TestSupport::freePort();
        DockerContainerConfig config;
        config.name = u"stack-check"_s;
        config.image = *run.tag;
        config.environment.insert(u"PORT"_s, QString::number(port));
        config.command = {
            u"bash"_s, u"-c"_s,
            u"id -u; id -g; echo $HOME; pwd; cat /etc/slipway-stack; python3 --version; "
            "node --version; npm --version >/dev/null && echo npm-ok; "
            "java -version 2>&1 | head -n 1; test -x /usr/share/tomcat10/bin/catalina.sh && echo "
            "tomcat-ok; "
            "curl --version | head -n 1; exec python3 -m http.server --bind 127.0.0.1 $PORT"_s};
        auto id = awaitDocker<QString>(
            [&](QObject *c, auto done) { return m_client->createContainer(config, c, done); });
        QVERIFY2(id, id ? "" : qPrintable(id.error().message));
        QVERIFY(awaitDocker<void>(
            [&](QObject *c, auto done) { return m_client->startContainer(*id, c, done); }));
        QVERIFY(spinUntil(
            [&] {
                return TestSupport::httpGet(u"http://127.0.0.1:%1/"_s.arg(port), 2000).status ==
                       200;
            },
            30000));
        QStringList out;
        DockerLogOptions options;
        options.follow = false;
        QVERIFY(awaitDocker<void>([&](QObject *c, auto done) {
            return m_client->containerLogs(
                *id, options, c,
                [&](const QList<DockerLogLine> &lines) {
                    for (const DockerLogLine &line : lines) {
                        if (!line.standardError)
                            out.append(line.text);
                    }
                },
                done);
        }));
        qInfo("%s", qPrintable(out.join(u" | "_s)));
        QCOMPARE(out.value(0), u"10000"_s);
        QCOMPARE(out.value(1), u"10000"_s);
        QCOMPARE(out.value(2), u"/app"_s);
        QCOMPARE(out.value(3), u"/app"_s);
        QCOMPARE(u"slipway/stack:"_s + out.value(4), *run.tag);
        QVERIFY(out.value(5).startsWith(u"Python 3."_s));
        QVERIFY(out.value(6).startsWith(u"v"_s));
        QCOMPARE(out.value(7), u"npm-ok"_s);
        QVERIFY(out.value(8).contains(u"openjdk"_s));
        QCOMPARE(out.value(9), u"tomcat-ok"_s);
        QVERIFY(out.value(10).startsWith(u"curl "_s));
        QVERIFY(awaitDocker<void>(
            [&](QObject *c, auto done) { return m_client->removeContainer(*id, true, c, done); }));
    }

    void cleanupTestCase()
    {
        m_client.reset();
        m_engine.reset();
    }
};

// A cold build takes longer than Qt Test's five minutes for one test function.
int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QTEST_FUNCTION_TIMEOUT"))
        qputenv("QTEST_FUNCTION_TIMEOUT", QByteArray::number(40 * 60 * 1000));
    QCoreApplication application(argc, argv);
    TestStackImage test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_stackimage.moc"
