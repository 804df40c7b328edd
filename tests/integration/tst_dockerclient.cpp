#include "runtime/docker/DockerClient.h"
#include "runtime/docker/DockerTransport.h"

#include "PrivateDockerd.h"
#include "TestSupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>

using namespace Qt::StringLiterals;
using namespace Slipway;
using namespace std::chrono_literals;

// The Docker Engine API client against a private dockerd (tests/support/PrivateDockerd),
// containers from a busybox image imported through the client itself, on the host's
// network. The Swarm tests come last: they turn the engine into a Swarm manager.
class TestDockerClient : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<PrivateDockerd> m_engine;
    std::unique_ptr<DockerClient> m_client;
    QTemporaryDir m_work;
    QString m_image;
    QString m_swarmNode; // set once swarmInit made this engine a Swarm manager
    const QString m_label = u"slipway.test"_s;

    template<typename T, typename Start>
    Result<T> wait(Start start, int timeoutMs = 60000)
    {
        return awaitDocker<T>(start, timeoutMs);
    }

    // Creates (not starts) a busybox container running `script` with sh -c.
    QString create(const QString &name, const QString &script, DockerContainerConfig config = {})
    {
        config.name = name;
        config.image = m_image;
        config.command = {u"sh"_s, u"-c"_s, script};
        config.labels.insert(m_label, QString::fromLatin1(QTest::currentTestFunction()));
        auto id = wait<QString>([&](QObject *context, auto done) {
            return m_client->createContainer(config, context, done);
        });
        if (!id) {
            qWarning("%s", qPrintable(id.error().message));
            return {};
        }
        return *id;
    }

    Result<void> start(const QString &id)
    {
        return wait<void>(
            [&](QObject *c, auto done) { return m_client->startContainer(id, c, done); });
    }

    Result<DockerWaitResult> waitFor(const QString &id)
    {
        return wait<DockerWaitResult>([&](QObject *c, auto done) {
            return m_client->waitContainer(id, DockerWaitCondition::NotRunning, c, done);
        });
    }

    std::optional<DockerContainerInfo> inspect(const QString &id)
    {
        auto info = wait<std::optional<DockerContainerInfo>>(
            [&](QObject *c, auto done) { return m_client->inspectContainer(id, c, done); });
        return info ? *info : std::nullopt;
    }

    // Every line of the container's output (following it until it ends).
    QList<DockerLogLine> logs(const QString &id, Result<void> *ended = nullptr)
    {
        QList<DockerLogLine> lines;
        DockerLogOptions options;
        auto result = wait<void>([&](QObject *c, auto done) {
            return m_client->containerLogs(
                id, options, c, [&](const QList<DockerLogLine> &batch) { lines += batch; }, done);
        });
        if (ended)
            *ended = result;
        return lines;
    }

    void remove(const QString &id)
    {
        wait<void>(
            [&](QObject *c, auto done) { return m_client->removeContainer(id, true, c, done); });
    }

    static QStringList texts(const QList<DockerLogLine> &lines, bool standardError)
    {
        QStringList result;
        for (const DockerLogLine &line : lines) {
            if (line.standardError == standardError)
                result.append(line.text);
        }
        return result;
    }

    QList<DockerTask> tasks(const QString &service)
    {
        auto list = wait<QList<DockerTask>>(
            [&](QObject *c, auto done) { return m_client->listTasks(service, c, done); });
        return list ? *list : QList<DockerTask>();
    }

    // Polls the service's tasks until one satisfies `match` (a Swarm changes its tasks on its
    // own schedule: seconds, not milliseconds).
    template<typename Match>
    std::optional<DockerTask> waitForTask(const QString &service, Match match,
                                          int timeoutMs = 90000)
    {
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < timeoutMs) {
            for (const DockerTask &task : tasks(service)) {
                if (match(task))
                    return task;
            }
            QTest::qWait(300);
        }
        return std::nullopt;
    }

    static QString describe(const QList<DockerTask> &list)
    {
        QStringList lines;
        for (const DockerTask &task : list)
            lines.append(u"%1 %2/%3 on %4: %5 %6"_s.arg(task.id.left(8), task.state,
                                                        task.desiredState, task.nodeId.left(8),
                                                        task.message, task.error));
        return lines.join(u"; "_s);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_work.isValid());
        m_engine = std::make_unique<PrivateDockerd>();
        if (!m_engine->isReady())
            QSKIP(qPrintable(u"no private Docker engine here: "_s + m_engine->skipReason()));
        m_client = std::make_unique<DockerClient>(m_engine->endpoint());
        auto image = PrivateDockerd::makeBusyboxImage(*m_client, m_work.path());
        QVERIFY2(image, image ? "" : qPrintable(image.error().message));
        m_image = *image;
    }

    void cleanupTestCase()
    {
        m_client.reset();
        m_engine.reset();
    }

    void versionNegotiation()
    {
        auto version =
            wait<DockerVersion>([&](QObject *c, auto done) { return m_client->version(c, done); });
        QVERIFY2(version, version ? "" : qPrintable(version.error().message));
        QVERIFY(!version->engineVersion.isEmpty());
        const auto number = [](const QString &text) {
            return text.section(u'.', 0, 0).toInt() * 1000 + text.section(u'.', 1, 1).toInt();
        };
        QVERIFY(number(version->apiVersion) >= number(u"1.41"_s));
        QCOMPARE(version->usedApiVersion,
                 number(version->apiVersion) < number(u"1.45"_s) ? version->apiVersion : u"1.45"_s);
        QCOMPARE(m_client->apiVersion(), version->usedApiVersion);
        auto image = wait<std::optional<DockerImageInfo>>(
            [&](QObject *c, auto done) { return m_client->inspectImage(m_image, c, done); });
        QVERIFY(image && *image);
        QVERIFY((*image)->tags.contains(m_image));
        auto missing = wait<std::optional<DockerImageInfo>>([&](QObject *c, auto done) {
            return m_client->inspectImage(u"no/such:image"_s, c, done);
        });
        QVERIFY(missing && !*missing);
    }

    void containerLifecycle()
    {
        // A file to copy into the container before it starts, as a slug would be.
        QDir(m_work.path()).mkpath(u"archive"_s);
        QFile hello(m_work.filePath(u"archive/hello.txt"_s));
        QVERIFY(hello.open(QIODevice::WriteOnly));
        hello.write("hello from the archive\n");
        hello.close();
        const QString tar = m_work.filePath(u"archive.tar"_s);
        QCOMPARE(TestSupport::run(u"tar"_s, {u"-C"_s, m_work.filePath(u"archive"_s), u"-cf"_s, tar,
                                             u"hello.txt"_s}),
                 0);

        DockerContainerConfig config;
        config.environment.insert(u"GREETING"_s, u"bonjour"_s);
        config.labels.insert(u"slipway.app"_s, u"demo"_s);
        config.user = u"10000:10000"_s;
        config.workingDir = u"/app"_s;
        config.memoryLimitBytes = 64 * 1024 * 1024;
        config.stopTimeout = 5s;
        const QString id = create(
            u"lifecycle"_s,
            u"echo out-$GREETING; echo err-line >&2; id -u; pwd; cat hello.txt; exit 3"_s, config);
        QVERIFY(!id.isEmpty());

        qint64 sent = 0;
        auto copied = wait<void>([&](QObject *c, auto done) {
            return m_client->putArchive(
                id, u"/app"_s, tar, c, [&](qint64 bytes, qint64) { sent = bytes; }, done);
        });
        QVERIFY2(copied, copied ? "" : qPrintable(copied.error().message));
        QCOMPARE(sent, QFileInfo(tar).size());

        QVERIFY(start(id));
        Result<void> ended;
        const QList<DockerLogLine> lines = logs(id, &ended);
        QVERIFY2(ended, ended ? "" : qPrintable(ended.error().message));
        QCOMPARE(texts(lines, false), QStringList({u"out-bonjour"_s, u"10000"_s, u"/app"_s,
                                                   u"hello from the archive"_s}));
        QCOMPARE(texts(lines, true), QStringList({u"err-line"_s}));
        QVERIFY(lines.first().time.isValid());

        auto status = waitFor(id);
        QVERIFY(status);
        QCOMPARE(status->statusCode, 3);

        auto info = inspect(id);
        QVERIFY(info);
        QCOMPARE(info->name, u"lifecycle"_s);
        QCOMPARE(info->state.status, u"exited"_s);
        QCOMPARE(info->state.exitCode, 3);
        QVERIFY(!info->state.running);
        QVERIFY(info->state.startedAt.isValid());
        // The engine may record the end of a process this short a hair before its start.
        QVERIFY(info->state.finishedAt.isValid());
        QVERIFY2(qAbs(info->state.startedAt.msecsTo(info->state.finishedAt)) < 60000,
                 qPrintable(info->state.startedAt.toString(Qt::ISODateWithMs) + u" "_s +
                            info->state.finishedAt.toString(Qt::ISODateWithMs)));
        QCOMPARE(info->labels.value(u"slipway.app"_s), u"demo"_s);
        const QJsonObject host = info->raw.value(u"HostConfig"_s).toObject();
        QCOMPARE(host.value(u"NetworkMode"_s).toString(), u"host"_s);
        QCOMPARE(qint64(host.value(u"Memory"_s).toDouble()), config.memoryLimitBytes);
        QCOMPARE(host.value(u"Init"_s).toBool(), true);

        auto listed = wait<QList<DockerContainerSummary>>([&](QObject *c, auto done) {
            return m_client->listContainers({u"slipway.app=demo"_s}, c, done);
        });
        QVERIFY(listed);
        QCOMPARE(listed->size(), 1);
        QCOMPARE(listed->first().id, id);
        QCOMPARE(listed->first().state, u"exited"_s);
        auto none = wait<QList<DockerContainerSummary>>([&](QObject *c, auto done) {
            return m_client->listContainers({u"slipway.app=other"_s}, c, done);
        });
        QVERIFY(none && none->isEmpty());

        remove(id);
        QVERIFY(!inspect(id));
        // Removing it again is no error.
        auto again = wait<void>(
            [&](QObject *c, auto done) { return m_client->removeContainer(id, true, c, done); });
        QVERIFY(again);
    }

    void longLinesAndManyLinesKeepTheirShape()
    {
        // The engine cuts a line over 16 KB into several messages, each with its own
        // timestamp; stdout and stderr interleave in frames.
        const QString id = create(
            u"shapes"_s,
            u"head -c 40000 /dev/zero | tr '\\0' x; echo; "
            "i=0; while [ $i -lt 2000 ]; do echo line-$i; echo err-$i >&2; i=$((i+1)); done"_s);
        QVERIFY(!id.isEmpty());
        QVERIFY(start(id));
        QVERIFY(waitFor(id));
        const QList<DockerLogLine> lines = logs(id);
        const QStringList out = texts(lines, false);
        const QStringList err = texts(lines, true);
        QCOMPARE(out.size(), 2001);
        QCOMPARE(out.first(), QString(40000, u'x'));
        QCOMPARE(out.last(), u"line-1999"_s);
        QCOMPARE(err.size(), 2000);
        QCOMPARE(err[1234], u"err-1234"_s);
        remove(id);
    }

    void aSlowReaderKeepsMemoryBounded()
    {
        // 40 MB of output read by a callback slower than the engine: the client stops reading
        // while the caller's thread is behind by DockerCallState::StreamBacklogBytes, so the
        // lines handed over at once never hold much more than that, instead of all that the
        // engine could send in the meantime.
        const QString id =
            create(u"chatty"_s, u"head -c 40000000 /dev/zero | tr '\\0' x | fold -w 1000"_s);
        QVERIFY(!id.isEmpty());
        QVERIFY(start(id));
        auto status = waitFor(id);
        QVERIFY(status && status->statusCode == 0);

        qint64 bytes = 0;
        int lines = 0;
        qint64 largestBatch = 0;
        DockerLogOptions options;
        options.follow = false;
        options.timestamps = false;
        auto ended = wait<void>(
            [&](QObject *c, auto done) {
                return m_client->containerLogs(
                    id, options, c,
                    [&](const QList<DockerLogLine> &batch) {
                        qint64 batchBytes = 0;
                        for (const DockerLogLine &line : batch) {
                            bytes += line.text.size();
                            batchBytes += line.text.size() * qint64(sizeof(QChar));
                        }
                        lines += int(batch.size());
                        largestBatch = std::max(largestBatch, batchBytes);
                        // 20 MB/s: slower than the engine
                        QThread::usleep(ulong(batch.size()) * 50);
                    },
                    done);
            },
            180000);
        QVERIFY2(ended, ended ? "" : qPrintable(ended.error().message));
        QCOMPARE(lines, 40000);
        QCOMPARE(bytes, 40000000);
        qInfo("the largest batch of lines held %lld bytes of text", largestBatch);
        // The backlog, and the lines of the piece read last.
        QVERIFY2(largestBatch <= DockerCallState::StreamBacklogBytes + 256 * 1024,
                 qPrintable(u"a batch of %1 bytes"_s.arg(largestBatch)));
        remove(id);
    }

    void stopWithGraceThenKill()
    {
        // One that leaves at SIGTERM, one that ignores it and is killed after the grace.
        const QString polite = create(
            u"polite"_s,
            u"trap 'echo got TERM; exit 0' TERM; echo ready; while true; do sleep 0.1; done"_s);
        const QString stubborn =
            create(u"stubborn"_s, u"trap '' TERM; echo ready; while true; do sleep 0.1; done"_s);
        QVERIFY(!polite.isEmpty() && !stubborn.isEmpty());
        QVERIFY(start(polite));
        QVERIFY(start(stubborn));
        QVERIFY(spinUntil(
            [&] {
                auto i = inspect(stubborn);
                return i && i->state.running;
            },
            10000));
        QTest::qWait(500); // the traps are set

        QElapsedTimer clock;
        clock.start();
        auto stopped = wait<void>(
            [&](QObject *c, auto done) { return m_client->stopContainer(polite, 10s, c, done); });
        QVERIFY2(stopped, stopped ? "" : qPrintable(stopped.error().message));
        QVERIFY2(clock.elapsed() < 8000,
                 "SIGTERM should have ended it well before the grace period");
        QCOMPARE(inspect(polite)->state.exitCode, 0);
        QVERIFY(texts(logs(polite), false).contains(u"got TERM"_s));

        clock.restart();
        stopped = wait<void>(
            [&](QObject *c, auto done) { return m_client->stopContainer(stubborn, 2s, c, done); });
        QVERIFY2(stopped, stopped ? "" : qPrintable(stopped.error().message));
        QVERIFY2(clock.elapsed() >= 1900, "it ignores SIGTERM: only the SIGKILL after 2 s ends it");
        const auto info = inspect(stubborn);
        QCOMPARE(info->state.exitCode, 137); // 128 + SIGKILL
        // Stopping a stopped container is no error.
        stopped = wait<void>(
            [&](QObject *c, auto done) { return m_client->stopContainer(stubborn, 2s, c, done); });
        QVERIFY(stopped);
        remove(polite);
        remove(stubborn);
    }

    void killAndTheDieEvent()
    {
        QList<DockerEvent> events;
        DockerEventFilter filter;
        filter.types = {u"container"_s};
        filter.actions = {u"start"_s, u"die"_s};
        filter.labels = {m_label + u"=killAndTheDieEvent"_s};
        Result<void> streamEnd;
        bool streamEnded = false;
        QObject context;
        DockerCall following = m_client->events(
            filter, &context, [&](const DockerEvent &event) { events.append(event); },
            [&](Result<void> end) {
                streamEnded = true;
                streamEnd = end;
            });
        QTest::qWait(300); // the engine registered the listener

        const QString exits = create(u"exits-five"_s, u"sleep 0.2; exit 5"_s);
        const QString killed = create(u"killed"_s, u"sleep 600"_s);
        QVERIFY(start(exits));
        QVERIFY(start(killed));
        auto sent = wait<void>([&](QObject *c, auto done) {
            return m_client->killContainer(killed, u"SIGKILL"_s, c, done);
        });
        QVERIFY2(sent, sent ? "" : qPrintable(sent.error().message));
        QCOMPARE(waitFor(killed)->statusCode, 137);

        const auto died = [&](const QString &id) -> std::optional<DockerEvent> {
            for (const DockerEvent &event : events) {
                if (event.action == u"die" && event.actorId == id)
                    return event;
            }
            return std::nullopt;
        };
        QVERIFY(spinUntil([&] { return died(exits) && died(killed); }, 20000));
        QCOMPARE(died(exits)->exitCode(), 5);
        QCOMPARE(died(killed)->exitCode(), 137);
        QCOMPARE(died(exits)->attributes.value(u"name"_s), u"exits-five"_s);
        QVERIFY(died(exits)->time.isValid());
        const bool sawStart =
            std::any_of(events.begin(), events.end(), [&](const DockerEvent &event) {
                return event.action == u"start" && event.actorId == exits;
            });
        QVERIFY(sawStart);
        QVERIFY(!streamEnded);

        // Killing a stopped container is an error that says so.
        auto again = wait<void>([&](QObject *c, auto done) {
            return m_client->killContainer(killed, u"SIGKILL"_s, c, done);
        });
        QVERIFY(!again);
        QVERIFY2(again.error().message.contains(u"is not running"_s),
                 qPrintable(again.error().message));

        following.cancel();
        QTest::qWait(200);
        QVERIFY(!streamEnded); // a cancelled call says nothing more
        remove(exits);
        remove(killed);
    }

    void listensOnTheHostsLoopback()
    {
        const quint16 port = TestSupport::freePort();
        DockerContainerConfig config;
        config.environment.insert(u"PORT"_s, QString::number(port));
        const QString id =
            create(u"web"_s,
                   u"mkdir -p /tmp/www && echo served-by-busybox > /tmp/www/index.html && "
                   "exec httpd -f -p 127.0.0.1:$PORT -h /tmp/www"_s,
                   config);
        QVERIFY(!id.isEmpty());
        QVERIFY(start(id));
        TestSupport::HttpResponse response;
        QVERIFY(spinUntil(
            [&] {
                response = TestSupport::httpGet(u"http://127.0.0.1:%1/"_s.arg(port), 2000);
                return response.status == 200;
            },
            20000));
        QCOMPARE(response.body.trimmed(), QByteArray("served-by-busybox"));
        remove(id); // force: it is killed
        QVERIFY(spinUntil(
            [&] {
                return TestSupport::httpGet(u"http://127.0.0.1:%1/"_s.arg(port), 1000).status == 0;
            },
            10000));
    }

    void errorsSayWhatAndWhy()
    {
        auto noContainer = wait<void>([&](QObject *c, auto done) {
            return m_client->startContainer(u"no-such-container"_s, c, done);
        });
        QVERIFY(!noContainer);
        QVERIFY2(
            noContainer.error().message.startsWith(
                u"cannot start container no-such-container: the Docker engine answered 404: "_s),
            qPrintable(noContainer.error().message));
        QVERIFY2(noContainer.error().message.contains(u"No such container"_s),
                 qPrintable(noContainer.error().message));

        DockerContainerConfig config;
        config.name = u"from-nothing"_s;
        config.image = u"no/such-image:1"_s;
        auto noImage = wait<QString>(
            [&](QObject *c, auto done) { return m_client->createContainer(config, c, done); });
        QVERIFY(!noImage);
        QVERIFY2(noImage.error().message.contains(
                     u"cannot create container from-nothing from image no/such-image:1"_s) &&
                     noImage.error().message.contains(u"No such image"_s),
                 qPrintable(noImage.error().message));

        const QString tar = m_work.filePath(u"small.tar"_s);
        QCOMPARE(TestSupport::run(u"tar"_s, {u"-cf"_s, tar, u"-C"_s, m_work.path(),
                                             u"--files-from=/dev/null"_s}),
                 0);
        auto badArchive = wait<void>([&](QObject *c, auto done) {
            return m_client->putArchive(u"no-such-container"_s, u"/app"_s, tar, c, {}, done);
        });
        QVERIFY(!badArchive);
        QVERIFY2(badArchive.error().message.contains(u"No such container"_s),
                 qPrintable(badArchive.error().message));

        // An engine that is not there: where it was looked for, and what to do.
        DockerClient nowhere(
            *DockerEndpoint::parse(u"unix://"_s + m_work.filePath(u"absent.sock"_s)));
        auto unreachable =
            awaitDocker<void>([&](QObject *c, auto done) { return nowhere.ping(c, done); });
        QVERIFY(!unreachable);
        const QString message = unreachable.error().message;
        QVERIFY2(message.contains(u"cannot reach the Docker engine at unix://"_s +
                                  m_work.filePath(u"absent.sock"_s)) &&
                     message.contains(u"is dockerd running?"_s) &&
                     message.contains(u"docker-host="_s),
                 qPrintable(message));

        // A server that is no Docker engine, and an engine too old: plain HTTP servers on
        // Unix sockets answering GET /version with a given body.
        const auto answering = [&](const QString &name, const QByteArray &version) {
            const QString socket = m_work.filePath(name);
            auto server = std::make_unique<QProcess>();
            server->start(
                u"python3"_s,
                {u"-c"_s,
                 u"import http.server,socketserver,sys\n"
                 "body=sys.argv[2].encode()\n"
                 "class H(http.server.BaseHTTPRequestHandler):\n"
                 "  def do_GET(s):\n"
                 "    s.send_response(200); s.send_header('Content-Length',str(len(body))); "
                 "s.end_headers(); s.wfile.write(body)\n"
                 "  def log_message(*a): pass\n"
                 "class S(socketserver.UnixStreamServer):\n"
                 "  def get_request(s):\n"
                 "    r,a=super().get_request(); return r,('local',0)\n"
                 "s=S(sys.argv[1],H)\n"
                 "print('listening',flush=True)\n"
                 "s.serve_forever()\n"_s,
                 socket, QString::fromUtf8(version)});
            // The socket file appears at bind(), before listen(): wait for the server's
            // own word that it accepts.
            server->waitForReadyRead(10000);
            DockerClient client(*DockerEndpoint::parse(socket));
            auto answer =
                awaitDocker<void>([&](QObject *c, auto done) { return client.ping(c, done); });
            server->kill();
            server->waitForFinished();
            return answer;
        };
        auto impostor = answering(u"bogus.sock"_s, "{}");
        QVERIFY(!impostor);
        QVERIFY2(impostor.error().message.contains(u"does not answer as a Docker engine"_s),
                 qPrintable(impostor.error().message));
        auto old = answering(u"old.sock"_s, R"({"Version":"19.03.15","ApiVersion":"1.40"})");
        QVERIFY(!old);
        QVERIFY2(old.error().message.contains(u"is version 19.03.15, with API 1.40; Slipway needs "
                                              "API 1.41 or newer"_s),
                 qPrintable(old.error().message));
    }

    void destroyingTheClientEndsItsCalls()
    {
        const QString id = create(u"long-wait"_s, u"sleep 600"_s);
        QVERIFY(start(id));
        bool called = false;
        {
            DockerClient shortLived(m_engine->endpoint());
            QObject context;
            shortLived.waitContainer(id, DockerWaitCondition::NotRunning, &context,
                                     [&](auto) { called = true; });
            shortLived.containerLogs(
                id, {}, &context, [&](auto) {}, [&](auto) { called = true; });
            QTest::qWait(300);
        }
        QTest::qWait(200);
        QVERIFY(!called);
        remove(id);
    }

    void tlsOverTcp()
    {
        // A CA, a server certificate for 127.0.0.1 and a client certificate, as dockerd's
        // --tlsverify and the docker CLI's DOCKER_CERT_PATH use them.
        const QString pki = m_work.filePath(u"pki"_s);
        QVERIFY(QDir().mkpath(pki));
        const auto openssl = [&](const QStringList &arguments) {
            QByteArray output;
            const int status = TestSupport::run(u"openssl"_s, arguments, pki, &output);
            if (status != 0)
                qWarning("openssl %s: %s", qPrintable(arguments.join(u' ')), output.constData());
            return status == 0;
        };
        const QStringList key = {u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s,
                                 u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s};
        const auto write = [&](const QString &name, const QByteArray &text) {
            QFile file(pki + u'/' + name);
            return file.open(QIODevice::WriteOnly) && file.write(text) == text.size();
        };
        QVERIFY(openssl(QStringList{u"req"_s, u"-x509"_s} + key +
                        QStringList{u"-keyout"_s, u"ca-key.pem"_s, u"-out"_s, u"ca.pem"_s,
                                    u"-days"_s, u"2"_s, u"-subj"_s, u"/CN=slipway-test-ca"_s}));
        QVERIFY(openssl(QStringList{u"req"_s} + key +
                        QStringList{u"-keyout"_s, u"server-key.pem"_s, u"-out"_s, u"server.csr"_s,
                                    u"-subj"_s, u"/CN=127.0.0.1"_s}));
        QVERIFY(
            write(u"server.ext"_s, "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"));
        QVERIFY(
            openssl({u"x509"_s, u"-req"_s, u"-in"_s, u"server.csr"_s, u"-CA"_s, u"ca.pem"_s,
                     u"-CAkey"_s, u"ca-key.pem"_s, u"-CAcreateserial"_s, u"-out"_s,
                     u"server-cert.pem"_s, u"-days"_s, u"2"_s, u"-extfile"_s, u"server.ext"_s}));
        QVERIFY(openssl(QStringList{u"req"_s} + key +
                        QStringList{u"-keyout"_s, u"key.pem"_s, u"-out"_s, u"client.csr"_s,
                                    u"-subj"_s, u"/CN=slipway"_s}));
        QVERIFY(write(u"client.ext"_s, "extendedKeyUsage=clientAuth\n"));
        QVERIFY(openssl({u"x509"_s, u"-req"_s, u"-in"_s, u"client.csr"_s, u"-CA"_s, u"ca.pem"_s,
                         u"-CAkey"_s, u"ca-key.pem"_s, u"-CAcreateserial"_s, u"-out"_s,
                         u"cert.pem"_s, u"-days"_s, u"2"_s, u"-extfile"_s, u"client.ext"_s}));

        const quint16 port = TestSupport::freePort();
        PrivateDockerd tlsEngine({u"--tlsverify"_s, u"--tlscacert"_s, pki + u"/ca.pem"_s,
                                  u"--tlscert"_s, pki + u"/server-cert.pem"_s, u"--tlskey"_s,
                                  pki + u"/server-key.pem"_s, u"-H"_s,
                                  u"tcp://127.0.0.1:%1"_s.arg(port)});
        if (!tlsEngine.isReady())
            QSKIP(qPrintable(u"no private Docker engine with TLS: "_s + tlsEngine.skipReason()));
        const QString address = u"tcp://127.0.0.1:%1"_s.arg(port);
        auto endpoint = DockerEndpoint::parse(address, pki);
        QVERIFY2(endpoint, endpoint ? "" : qPrintable(endpoint.error().message));
        DockerClient secure(*endpoint);
        auto version = awaitDocker<DockerVersion>(
            [&](QObject *c, auto done) { return secure.version(c, done); });
        QVERIFY2(version, version ? "" : qPrintable(version.error().message));
        auto listed = awaitDocker<QList<DockerContainerSummary>>(
            [&](QObject *c, auto done) { return secure.listContainers({}, c, done); });
        QVERIFY2(listed, listed ? "" : qPrintable(listed.error().message));

        // A folder whose CA did not sign the engine's certificate.
        const QString stranger = m_work.filePath(u"stranger"_s);
        QVERIFY(QDir().mkpath(stranger));
        QVERIFY(openssl(QStringList{u"req"_s, u"-x509"_s} + key +
                        QStringList{u"-keyout"_s, stranger + u"/ca-key.pem"_s, u"-out"_s,
                                    stranger + u"/ca.pem"_s, u"-days"_s, u"2"_s, u"-subj"_s,
                                    u"/CN=another-ca"_s}));
        QVERIFY(QFile::copy(pki + u"/cert.pem"_s, stranger + u"/cert.pem"_s));
        QVERIFY(QFile::copy(pki + u"/key.pem"_s, stranger + u"/key.pem"_s));
        DockerClient doubtful(*DockerEndpoint::parse(address, stranger));
        auto refused =
            awaitDocker<void>([&](QObject *c, auto done) { return doubtful.ping(c, done); });
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.contains(u"certificate was not accepted"_s) &&
                     refused.error().message.contains(stranger),
                 qPrintable(refused.error().message));

        // A client certificate the engine does not trust (signed by the other CA).
        QVERIFY(QFile::remove(stranger + u"/ca.pem"_s));
        QVERIFY(QFile::copy(pki + u"/ca.pem"_s, stranger + u"/ca.pem"_s));
        QVERIFY(QFile::remove(stranger + u"/cert.pem"_s));
        QVERIFY(QFile::remove(stranger + u"/key.pem"_s));
        QVERIFY(openssl(QStringList{u"req"_s, u"-x509"_s} + key +
                        QStringList{u"-keyout"_s, stranger + u"/key.pem"_s, u"-out"_s,
                                    stranger + u"/cert.pem"_s, u"-days"_s, u"2"_s, u"-subj"_s,
                                    u"/CN=intruder"_s}));
        DockerClient intruder(*DockerEndpoint::parse(address, stranger));
        auto rejected =
            awaitDocker<void>([&](QObject *c, auto done) { return intruder.ping(c, done); });
        QVERIFY(!rejected);
        QVERIFY2(
            rejected.error().message.contains(u"cannot reach the Docker engine at "_s + address) &&
                rejected.error().message.contains(u"refuse the client certificate "_s + stranger +
                                                  u"/cert.pem"_s),
            qPrintable(rejected.error().message));
    }

    // --- Swarm

    void swarmInit()
    {
        auto before = wait<DockerSwarmInfo>(
            [&](QObject *c, auto done) { return m_client->swarmInfo(c, done); });
        QVERIFY(before);
        QCOMPARE(before->localNodeState, u"inactive"_s);
        auto node = wait<QString>([&](QObject *c, auto done) {
            return m_client->initSwarm({u"127.0.0.2:2377"_s, u"127.0.0.2"_s, {}, 0}, c, done);
        });
        QVERIFY2(node, node ? "" : qPrintable(node.error().message));
        m_swarmNode = *node;
        // Once is enough: a second time is an error that says so.
        auto again = wait<QString>([&](QObject *c, auto done) {
            return m_client->initSwarm({u"127.0.0.2:2377"_s, u"127.0.0.2"_s, {}, 0}, c, done);
        });
        QVERIFY(!again);
        QVERIFY2(
            again.error().message.startsWith(u"cannot create a Swarm advertised at 127.0.0.2: "_s),
            qPrintable(again.error().message));
    }

    void swarmServiceRestartedAfterItsContainerDies()
    {
        if (m_swarmNode.isEmpty())
            QSKIP("needs swarmInit");
        const std::optional<QString> node = m_swarmNode;
        auto info = wait<DockerSwarmInfo>(
            [&](QObject *c, auto done) { return m_client->swarmInfo(c, done); });
        QVERIFY(info);
        QVERIFY(info->isActive());
        QVERIFY(info->controlAvailable);
        QCOMPARE(info->nodeId, *node);
        QCOMPARE(info->nodeAddress, u"127.0.0.2"_s);
        auto nodes = wait<QList<DockerNode>>(
            [&](QObject *c, auto done) { return m_client->listNodes(c, done); });
        QVERIFY(nodes);
        QCOMPARE(nodes->size(), 1);
        QCOMPARE(nodes->first().address, u"127.0.0.2"_s);
        QCOMPARE(nodes->first().availability, u"active"_s);
        QCOMPARE(nodes->first().role, u"manager"_s);
        QCOMPARE(nodes->first().managerAddress, u"127.0.0.2:2377"_s);

        const quint16 port = TestSupport::freePort();
        DockerServiceSpec spec;
        spec.name = u"web-1"_s;
        spec.labels.insert(u"slipway.app"_s, u"demo"_s);
        spec.containerLabels.insert(u"slipway.container"_s, u"web-1"_s);
        spec.image = m_image;
        spec.command = {
            u"sh"_s, u"-c"_s,
            u"echo task-$PORT; mkdir -p /tmp/www && echo swarm > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:$PORT -h /tmp/www"_s};
        spec.environment.insert(u"PORT"_s, QString::number(port));
        spec.stopGracePeriod = 3s;
        spec.restartDelay = 500ms;
        spec.memoryLimitBytes = 64 * 1024 * 1024;
        auto service = wait<QString>(
            [&](QObject *c, auto done) { return m_client->createService(spec, c, done); });
        QVERIFY2(service, service ? "" : qPrintable(service.error().message));

        auto first =
            waitForTask(*service, [](const DockerTask &t) { return t.state == u"running"; });
        QVERIFY2(first, qPrintable(describe(tasks(*service))));
        QCOMPARE(first->nodeId, *node);
        QVERIFY(!first->containerId.isEmpty());
        QVERIFY(first->pid > 0);
        QVERIFY(spinUntil(
            [&] {
                return TestSupport::httpGet(u"http://127.0.0.1:%1/"_s.arg(port), 1000).status ==
                       200;
            },
            20000));

        auto inspected = wait<std::optional<DockerService>>(
            [&](QObject *c, auto done) { return m_client->inspectService(*service, c, done); });
        QVERIFY(inspected && *inspected);
        QCOMPARE((*inspected)->name, u"web-1"_s);
        QCOMPARE((*inspected)->labels.value(u"slipway.app"_s), u"demo"_s);

        // Its container dies behind Swarm's back: Swarm starts a new task.
        auto killed = wait<void>([&](QObject *c, auto done) {
            return m_client->killContainer(first->containerId, u"SIGKILL"_s, c, done);
        });
        QVERIFY2(killed, killed ? "" : qPrintable(killed.error().message));
        auto second = waitForTask(*service, [&](const DockerTask &t) {
            return t.state == u"running" && t.id != first->id;
        });
        QVERIFY2(second, qPrintable(describe(tasks(*service))));
        const QList<DockerTask> all = tasks(*service);
        const auto old = std::find_if(all.begin(), all.end(),
                                      [&](const DockerTask &t) { return t.id == first->id; });
        QVERIFY(old != all.end());
        QCOMPARE(old->state, u"failed"_s);
        QCOMPARE(old->exitCode, 137);
        QVERIFY(spinUntil(
            [&] {
                return TestSupport::httpGet(u"http://127.0.0.1:%1/"_s.arg(port), 1000).status ==
                       200;
            },
            20000));

        // An update is refused on a stale version, taken on the current one.
        spec.environment.insert(u"EXTRA"_s, u"1"_s);
        auto stale = wait<void>([&](QObject *c, auto done) {
            return m_client->updateService(*service, 1, spec, c, done);
        });
        QVERIFY(!stale);
        QVERIFY2(stale.error().message.contains(u"cannot update service"_s),
                 qPrintable(stale.error().message));

        auto removed = wait<void>(
            [&](QObject *c, auto done) { return m_client->removeService(*service, c, done); });
        QVERIFY2(removed, removed ? "" : qPrintable(removed.error().message));
        QVERIFY(spinUntil(
            [&] {
                return TestSupport::httpGet(u"http://127.0.0.1:%1/"_s.arg(port), 1000).status == 0;
            },
            30000));
    }

    void swarmJobFailsWithItsOutput()
    {
        if (m_swarmNode.isEmpty())
            QSKIP("needs swarmInit");
        DockerServiceSpec spec;
        spec.name = u"postdeploy"_s;
        spec.image = m_image;
        spec.command = {u"sh"_s, u"-c"_s, u"echo migrating; echo trouble >&2; exit 3"_s};
        spec.mode = DockerServiceSpec::Mode::ReplicatedJob;
        spec.restart = DockerServiceSpec::Restart::None;
        auto service = wait<QString>(
            [&](QObject *c, auto done) { return m_client->createService(spec, c, done); });
        QVERIFY2(service, service ? "" : qPrintable(service.error().message));
        auto done = waitForTask(*service, [](const DockerTask &t) {
            return t.state == u"failed" || t.state == u"complete";
        });
        QVERIFY2(done, qPrintable(describe(tasks(*service))));
        QCOMPARE(done->state, u"failed"_s);
        QCOMPARE(done->exitCode, 3);

        QList<DockerLogLine> lines;
        DockerLogOptions options;
        options.follow = false;
        auto ended = wait<void>([&](QObject *c, auto finished) {
            return m_client->serviceLogs(
                *service, options, c, [&](const QList<DockerLogLine> &batch) { lines += batch; },
                finished);
        });
        QVERIFY2(ended, ended ? "" : qPrintable(ended.error().message));
        QCOMPARE(texts(lines, false), QStringList({u"migrating"_s}));
        QCOMPARE(texts(lines, true), QStringList({u"trouble"_s}));

        auto removed = wait<void>([&](QObject *c, auto finished) {
            return m_client->removeService(*service, c, finished);
        });
        QVERIFY(removed);
        auto gone = wait<std::optional<DockerService>>([&](QObject *c, auto finished) {
            return m_client->inspectService(*service, c, finished);
        });
        QVERIFY(gone && !*gone);
    }

    void swarmDrainMovesTheTask()
    {
        if (m_swarmNode.isEmpty())
            QSKIP("needs swarmInit");
        // A worker: a second private engine joining from 127.0.0.3.
        PrivateDockerd workerEngine;
        if (!workerEngine.isReady())
            QSKIP(qPrintable(u"no second private Docker engine here: "_s +
                             workerEngine.skipReason()));
        DockerClient worker(workerEngine.endpoint());
        auto image = PrivateDockerd::makeBusyboxImage(worker, m_work.path() + u"/worker"_s);
        QVERIFY2(image, image ? "" : qPrintable(image.error().message));
        auto tokens = wait<DockerSwarmTokens>(
            [&](QObject *c, auto done) { return m_client->swarmJoinTokens(c, done); });
        QVERIFY(tokens && !tokens->worker.isEmpty());
        auto joined = awaitDocker<void>([&](QObject *c, auto done) {
            return worker.joinSwarm(
                {u"127.0.0.3:2377"_s, u"127.0.0.3"_s, {u"127.0.0.2:2377"_s}, tokens->worker}, c,
                done);
        });
        QVERIFY2(joined, joined ? "" : qPrintable(joined.error().message));
        QList<DockerNode> nodes;
        QVERIFY(spinUntil(
            [&] {
                auto list = wait<QList<DockerNode>>(
                    [&](QObject *c, auto done) { return m_client->listNodes(c, done); });
                nodes = list ? *list : QList<DockerNode>();
                return nodes.size() == 2 &&
                       std::all_of(nodes.begin(), nodes.end(),
                                   [](const DockerNode &n) { return n.state == u"ready"; });
            },
            30000));

        DockerServiceSpec spec;
        spec.name = u"worker-1"_s;
        spec.image = m_image;
        spec.command = {u"sh"_s, u"-c"_s, u"trap 'exit 0' TERM; while true; do sleep 0.2; done"_s};
        spec.stopGracePeriod = 2s;
        auto service = wait<QString>(
            [&](QObject *c, auto done) { return m_client->createService(spec, c, done); });
        QVERIFY2(service, service ? "" : qPrintable(service.error().message));
        auto first =
            waitForTask(*service, [](const DockerTask &t) { return t.state == u"running"; });
        QVERIFY2(first, qPrintable(describe(tasks(*service))));
        for (const DockerNode &n : nodes)
            qInfo("node %s: %s, %s, address %s", qPrintable(n.id.left(8)), qPrintable(n.role),
                  qPrintable(n.state), qPrintable(n.address));

        auto drained = wait<void>([&](QObject *c, auto done) {
            return m_client->setNodeAvailability(first->nodeId, u"drain"_s, c, done);
        });
        QVERIFY2(drained, drained ? "" : qPrintable(drained.error().message));
        auto moved = waitForTask(*service, [&](const DockerTask &t) {
            return t.state == u"running" && t.nodeId != first->nodeId;
        });
        QVERIFY2(moved, qPrintable(describe(tasks(*service))));
        auto listed = wait<QList<DockerNode>>(
            [&](QObject *c, auto done) { return m_client->listNodes(c, done); });
        QVERIFY(listed);
        for (const DockerNode &n : *listed) {
            if (n.id == first->nodeId)
                QCOMPARE(n.availability, u"drain"_s);
        }

        QVERIFY(wait<void>([&](QObject *c, auto done) {
            return m_client->setNodeAvailability(first->nodeId, u"active"_s, c, done);
        }));
        QVERIFY(wait<void>(
            [&](QObject *c, auto done) { return m_client->removeService(*service, c, done); }));
        auto left = awaitDocker<void>(
            [&](QObject *c, auto done) { return worker.leaveSwarm(true, c, done); });
        QVERIFY2(left, left ? "" : qPrintable(left.error().message));
    }
};

QTEST_GUILESS_MAIN(TestDockerClient)
#include "tst_dockerclient.moc"
