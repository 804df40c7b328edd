#include "runtime/docker/DockerEndpoint.h"
#include "runtime/docker/DockerJson.h"
#include "runtime/docker/DockerJsonStream.h"
#include "runtime/docker/DockerLogDecoder.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Slipway;

namespace {

// One multiplexed frame as the engine writes it: stream byte, three zeros, big-endian length.
QByteArray frame(int stream, const QByteArray &payload)
{
    QByteArray header(8, '\0');
    header[0] = char(stream);
    const quint32 size = quint32(payload.size());
    header[4] = char(size >> 24);
    header[5] = char(size >> 16);
    header[6] = char(size >> 8);
    header[7] = char(size);
    return header + payload;
}

// Feeds `bytes` cut into pieces of `piece` bytes, as reads from a socket may cut them.
QList<DockerLogLine> feedInPieces(DockerLogDecoder &decoder, const QByteArray &bytes, int piece)
{
    QList<DockerLogLine> lines;
    for (qsizetype at = 0; at < bytes.size(); at += piece)
        lines += decoder.feed(
            QByteArrayView(bytes).sliced(at, std::min<qsizetype>(piece, bytes.size() - at)));
    lines += decoder.finish();
    return lines;
}

QStringList texts(const QList<DockerLogLine> &lines, bool standardError)
{
    QStringList result;
    for (const DockerLogLine &line : lines) {
        if (line.standardError == standardError)
            result.append(line.text);
    }
    return result;
}

} // namespace

class TestDockerLogDecoder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void multiplexedFramesSplitAnywhere_data()
    {
        QTest::addColumn<int>("piece");
        for (int piece : {1, 2, 3, 7, 8, 9, 13, 64, 4096})
            QTest::addRow("pieces of %d", piece) << piece;
    }

    void multiplexedFramesSplitAnywhere()
    {
        QFETCH(int, piece);
        // A line split over two frames, two lines in one frame, stderr interleaved with an
        // unfinished stdout line, an empty frame, CRLF, UTF-8 and a last line without an end.
        const QByteArray stream = frame(1, "hello ") + frame(2, "oops\n") + frame(1, "world\n") +
                                  frame(1, "") + frame(1, "two\nlines\r\n") +
                                  frame(2, "caf\xc3\xa9\n") + frame(1, "no end");
        DockerLogDecoder decoder;
        const QList<DockerLogLine> lines = feedInPieces(decoder, stream, piece);
        QVERIFY2(decoder.error().isEmpty(), qPrintable(decoder.error()));
        QCOMPARE(texts(lines, false),
                 QStringList({u"hello world"_s, u"two"_s, u"lines"_s, u"no end"_s}));
        QCOMPARE(texts(lines, true), QStringList({u"oops"_s, u"café"_s}));
    }

    void timestampsAreTakenOffEachMessage_data()
    {
        QTest::addColumn<int>("piece");
        for (int piece : {1, 5, 11, 31, 1000})
            QTest::addRow("pieces of %d", piece) << piece;
    }

    void timestampsAreTakenOffEachMessage()
    {
        QFETCH(int, piece);
        // The engine stamps every message, the continuation of a long line included.
        const QByteArray stream = frame(1, "2026-12-04T21:05:05.123456789Z first\n") +
                                  frame(2, "2026-12-04T21:05:06.5Z part one ") +
                                  frame(2, "2026-12-04T21:05:07.000000001Z and two\n");
        DockerLogDecoder decoder(DockerLogDecoder::Framing::Multiplexed, true);
        const QList<DockerLogLine> lines = feedInPieces(decoder, stream, piece);
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[0].text, u"first"_s);
        QCOMPARE(lines[0].standardError, false);
        QCOMPARE(lines[0].time, QDateTime(QDate(2026, 12, 4), QTime(21, 5, 5, 123), Qt::UTC));
        QCOMPARE(lines[1].text, u"part one and two"_s);
        QCOMPARE(lines[1].standardError, true);
        // A line spread over messages takes the time of its first.
        QCOMPARE(lines[1].time, QDateTime(QDate(2026, 12, 4), QTime(21, 5, 6, 500), Qt::UTC));
    }

    void rawOutputOfATty()
    {
        const QByteArray stream = "2026-12-04T21:05:05Z a\r\n2026-12-04T21:05:06Z b\n";
        DockerLogDecoder decoder(DockerLogDecoder::Framing::Raw, true);
        const QList<DockerLogLine> lines = feedInPieces(decoder, stream, 3);
        QCOMPARE(texts(lines, false), QStringList({u"a"_s, u"b"_s}));
        QCOMPARE(lines[1].time, QDateTime(QDate(2026, 12, 4), QTime(21, 5, 6), Qt::UTC));
    }

    void longLinesComeInBoundedPieces()
    {
        const QByteArray big(DockerLogDecoder::MaxLineBytes * 2 + 10, 'x');
        DockerLogDecoder decoder;
        const QList<DockerLogLine> lines = feedInPieces(decoder, frame(1, big + "\n"), 5000);
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0].text.size(), DockerLogDecoder::MaxLineBytes);
        QCOMPARE(lines[2].text.size(), 10);
    }

    void aStreamThatIsNotMultiplexedIsAnError()
    {
        DockerLogDecoder decoder;
        const QList<DockerLogLine> lines = decoder.feed("hello world, no frames here\n");
        QVERIFY(lines.isEmpty());
        QVERIFY(decoder.error().contains(u"TTY"_s));
        QVERIFY(decoder.feed(frame(1, "later\n")).isEmpty()); // stays stopped
    }

    void jsonStreamSplitsObjects()
    {
        const QByteArray stream = R"({"status":"one"}
{"status":"two","progressDetail":{}}
{"error":"bad thing"})";
        for (int piece : {1, 4, 100}) {
            DockerJsonStream splitter;
            QList<QJsonObject> objects;
            for (qsizetype at = 0; at < stream.size(); at += piece)
                objects += splitter.feed(QByteArrayView(stream).sliced(
                    at, std::min<qsizetype>(piece, stream.size() - at)));
            objects += splitter.finish();
            QVERIFY2(splitter.error().isEmpty(), qPrintable(splitter.error()));
            QCOMPARE(objects.size(), 3);
            QCOMPARE(objects[1].value(u"status"_s).toString(), u"two"_s);
            QCOMPARE(objects[2].value(u"error"_s).toString(), u"bad thing"_s);
        }
        DockerJsonStream broken;
        broken.feed("not json\n");
        QVERIFY(broken.error().contains(u"not json"_s));
    }

    void engineTimes()
    {
        QCOMPARE(DockerJson::time(u"2026-12-04T21:05:08.581469154Z"_s),
                 QDateTime(QDate(2026, 12, 4), QTime(21, 5, 8, 581), Qt::UTC));
        QVERIFY(DockerJson::time(u"0001-01-01T00:00:00Z"_s).isNull());
        QVERIFY(DockerJson::time(QJsonValue()).isNull());
    }

    void endpoints()
    {
        auto unix = DockerEndpoint::parse(u"unix:///run/x/docker.sock"_s);
        QVERIFY(unix);
        QCOMPARE(unix->kind(), DockerEndpoint::Kind::UnixSocket);
        QCOMPARE(unix->socketPath(), u"/run/x/docker.sock"_s);
        QCOMPARE(unix->address(), u"unix:///run/x/docker.sock"_s);
        QCOMPARE(DockerEndpoint::parse(u"/var/run/docker.sock"_s)->address(),
                 u"unix:///var/run/docker.sock"_s);

        // The default: no setting, no DOCKER_HOST.
        QProcessEnvironment empty;
        QCOMPARE(DockerEndpoint::fromSettings({}, {}, empty)->address(),
                 u"unix:///var/run/docker.sock"_s);
        QProcessEnvironment withHost;
        withHost.insert(u"DOCKER_HOST"_s, u"unix:///tmp/other.sock"_s);
        QCOMPARE(DockerEndpoint::fromSettings({}, {}, withHost)->socketPath(),
                 u"/tmp/other.sock"_s);
        // The setting wins over the environment.
        QCOMPARE(DockerEndpoint::fromSettings(u"unix:///a.sock"_s, {}, withHost)->socketPath(),
                 u"/a.sock"_s);

        // TCP needs the three TLS files.
        QTemporaryDir certificates;
        auto missing = DockerEndpoint::parse(u"tcp://127.0.0.1:2376"_s, certificates.path());
        QVERIFY(!missing);
        QVERIFY2(missing.error().message.contains(u"ca.pem"_s),
                 qPrintable(missing.error().message));
        for (const char *name : {"ca.pem", "cert.pem", "key.pem"}) {
            QFile file(certificates.filePath(QString::fromLatin1(name)));
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        auto tls = DockerEndpoint::parse(u"tcp://engine.example:2376"_s, certificates.path());
        QVERIFY2(tls, tls ? "" : qPrintable(tls.error().message));
        QCOMPARE(tls->kind(), DockerEndpoint::Kind::Tls);
        QCOMPARE(tls->host(), u"engine.example"_s);
        QCOMPARE(tls->port(), quint16(2376));
        QCOMPARE(tls->keyFile(), certificates.filePath(u"key.pem"_s));
        QProcessEnvironment tcpEnvironment;
        tcpEnvironment.insert(u"DOCKER_HOST"_s, u"tcp://10.1.2.3:2375"_s);
        tcpEnvironment.insert(u"DOCKER_CERT_PATH"_s, certificates.path());
        QCOMPARE(DockerEndpoint::fromSettings({}, {}, tcpEnvironment)->address(),
                 u"tcp://10.1.2.3:2375"_s);

        // Clear refusals, each naming what to write instead.
        const QStringList bad = {u""_s,
                                 u"unix://relative.sock"_s,
                                 u"ssh://me@host"_s,
                                 u"http//nonsense"_s,
                                 u"tcp://:2376"_s,
                                 u"tcp://host:99999"_s,
                                 u"tcp://host:2376/path"_s};
        for (const QString &address : bad) {
            auto parsed = DockerEndpoint::parse(address, certificates.path());
            QVERIFY2(!parsed, qPrintable(address));
            QVERIFY2(parsed.error().message.contains(u"docker-host"_s) ||
                         parsed.error().message.contains(u"write"_s) ||
                         parsed.error().message.contains(u"unix:///"_s) ||
                         parsed.error().message.contains(u"port"_s),
                     qPrintable(parsed.error().message));
        }
        QVERIFY(!DockerEndpoint::parse(u"tcp://127.0.0.1:2376"_s)); // no certificates
    }
};

QTEST_GUILESS_MAIN(TestDockerLogDecoder)
#include "tst_dockerlogdecoder.moc"
