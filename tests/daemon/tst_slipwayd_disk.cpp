// slipwayd on a full disk: its data folder on a small file system made for the test. A
// build that does not fit ends as build-error saying the disk is full and where, the
// serving release keeps serving, the daemon keeps answering (even with no byte left for
// its logs and its store), and once space is freed the next deployment succeeds and a
// restarted daemon finds everything in order.

#include "DaemonProcess.h"
#include "TestSupport.h"
#include "store/LogFile.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QtTest>

#include <unistd.h>

using namespace TestSupport;

namespace {

constexpr int DiskMegabytes = 48;

QJsonObject deployBody(const QString &source)
{
    return {{QStringLiteral("deployment"), QJsonObject{{QStringLiteral("source_url"), source}}}};
}

bool writeRandomFile(const QString &path, qint64 bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    QByteArray block(1024 * 1024, Qt::Uninitialized);
    for (qint64 left = bytes; left > 0; left -= block.size()) {
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(block.data()),
                                              block.size() / 4);
        const qint64 size = qMin<qint64>(left, block.size());
        if (file.write(block.constData(), size) != size)
            return false;
    }
    return true;
}

// Fills the file system at `path` up to its last byte, in a file it returns.
QString fillUp(const QString &folder)
{
    const QString path = folder + QStringLiteral("/filler");
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Unbuffered))
        return {};
    const QByteArray block(64 * 1024, 'x');
    while (file.write(block) == block.size()) {
    }
    const QByteArray small(512, 'x');
    while (file.write(small) == small.size()) {
    }
    while (file.write("x", 1) == 1) {
    }
    return path;
}

} // namespace

class TestSlipwaydDisk : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_temp;
    QString m_mount;
    bool m_mounted = false;

    QString start(DaemonProcess &daemon, const QString &app, const QJsonObject &body, QString *id)
    {
        int status = 0;
        const QJsonObject answer =
            daemon.call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(app), body, &status);
        if (status != 201)
            return QStringLiteral("HTTP %1 %2")
                .arg(status)
                .arg(QString::fromUtf8(QJsonDocument(answer).toJson()));
        *id = answer.value(QStringLiteral("deployment"))
                  .toObject()
                  .value(QStringLiteral("id"))
                  .toString();
        return daemon.waitDeployment(app, *id);
    }

    QJsonObject deployment(DaemonProcess &daemon, const QString &app, const QString &id)
    {
        return daemon.call("GET", QStringLiteral("/v1/apps/%1/deployments/%2").arg(app, id))
            .value(QStringLiteral("deployment"))
            .toObject();
    }

    QString served(DaemonProcess &daemon, const QString &app)
    {
        const HttpResponse response = routedGet(daemon.routerPort(), app);
        return response.status == 200
                   ? QString::fromUtf8(response.body).trimmed()
                   : QStringLiteral("HTTP %1 %2").arg(response.status).arg(response.error);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(DaemonProcess::binary()).isExecutable(), "set SLIPWAYD (ctest does)");
        QVERIFY(m_temp.isValid());
        if (::geteuid() != 0)
            QSKIP("mounting a small file system for the data folder needs root; run this test "
                  "as root (CI does)");
        m_mount = m_temp.filePath(QStringLiteral("small-disk"));
        QVERIFY(QDir().mkpath(m_mount));
        QByteArray output;
        const int mounted =
            run(QStringLiteral("mount"),
                {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                 QStringLiteral("size=%1m,mode=0700").arg(DiskMegabytes), QStringLiteral("tmpfs"),
                 m_mount},
                {}, &output);
        if (mounted != 0)
            QSKIP(qPrintable(QStringLiteral("cannot mount a tmpfs here: %1")
                                 .arg(QString::fromLocal8Bit(output).trimmed())));
        m_mounted = true;
    }

    void cleanup()
    {
        // A test that failed half way leaves no full disk to the next.
        if (m_mounted)
            QFile::remove(m_mount + QStringLiteral("/filler"));
    }

    void cleanupTestCase()
    {
        if (m_mounted)
            run(QStringLiteral("umount"), {QStringLiteral("-l"), m_mount});
    }

    void logLinesLostToAFullDiskAreCounted()
    {
        const QString folder = m_mount + QStringLiteral("/logs");
        QVERIFY(QDir().mkpath(folder));
        Slipway::LogFile log(folder + QStringLiteral("/app.log"));
        QVERIFY(log.append(QStringLiteral("before the disk filled up")).has_value());
        const QString filler = fillUp(m_mount);
        QVERIFY(!filler.isEmpty());
        // Longer than what is left of the log's last page: its start is written, and must
        // not stay.
        const QString line(10000, QLatin1Char('y'));
        const Slipway::Result<void> lost = log.append(line);
        QVERIFY(!lost.has_value());
        QVERIFY2(lost.error().message.contains(QStringLiteral("is full")),
                 qPrintable(lost.error().message));
        QVERIFY(!log.append(line).has_value());
        QVERIFY(QFile::remove(filler));
        QVERIFY(log.append(QStringLiteral("after space was freed")).has_value());
        log.close();
        QFile file(log.path());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QList<QByteArray> lines = file.readAll().split('\n');
        QCOMPARE(lines.takeLast(), QByteArray()); // every line ends with its newline
        QCOMPARE(lines.takeFirst(), QByteArray("before the disk filled up"));
        QCOMPARE(lines.takeLast(), QByteArray("after space was freed"));
        // Between them, no piece of a lost line: only what says they were lost (a note may
        // fit where a long line did not), counting both.
        QVERIFY(!lines.isEmpty());
        int counted = 0;
        static const QRegularExpression note(QStringLiteral(
            R"(^ !     (\d+) lines? of this log could not be written here: the disk holding .* is full)"));
        for (const QByteArray &line : std::as_const(lines)) {
            const QRegularExpressionMatch match = note.match(QString::fromUtf8(line));
            QVERIFY2(match.hasMatch(), line.left(200).constData());
            counted += match.captured(1).toInt();
        }
        QCOMPARE(counted, 2);
        QVERIFY(QDir(folder).removeRecursively());
    }

    void fullDiskLosesNothing()
    {
        const QString data = m_mount + QStringLiteral("/data");
        DaemonProcess daemon(data);
        QVERIFY2(daemon.start(), daemon.output().constData());
        const QString app = QStringLiteral("tight");
        int status = 0;
        daemon.call("POST", QStringLiteral("/v1/apps"),
                    {{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), app}}}}, &status);
        QCOMPARE(status, 201);

        // v1 fits and serves.
        const QString small = m_temp.filePath(QStringLiteral("small"));
        QVERIFY(copyTree(dataPath(QStringLiteral("fixtures/behave")), small));
        QString id;
        QCOMPARE(start(daemon, app, deployBody(small), &id), QStringLiteral("success"));
        QVERIFY2(served(daemon, app).startsWith(QStringLiteral("version=v1")),
                 qPrintable(served(daemon, app)));

        // A source that can be copied, but whose slug then does not fit beside it.
        const QString large = m_temp.filePath(QStringLiteral("large"));
        QVERIFY(copyTree(small, large));
        QVERIFY(writeRandomFile(large + QStringLiteral("/blob.bin"),
                                qint64(DiskMegabytes) * 1024 * 1024 * 6 / 10));
        QCOMPARE(start(daemon, app, deployBody(large), &id), QStringLiteral("build-error"));
        QString error = deployment(daemon, app, id).value(QStringLiteral("error")).toString();
        qInfo("slug too large: %s", qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("is full")) && error.contains(data) &&
                     error.contains(QStringLiteral("Free some space")),
                 qPrintable(error));
        QVERIFY2(served(daemon, app).startsWith(QStringLiteral("version=v1")),
                 qPrintable(served(daemon, app)));
        // Its work folder is gone, so the space is back.
        QTRY_VERIFY_WITH_TIMEOUT(
            QDir(data + QStringLiteral("/work")).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot),
            10000);

        // A source too large to be copied at all.
        QVERIFY(writeRandomFile(large + QStringLiteral("/blob.bin"),
                                qint64(DiskMegabytes) * 1024 * 1024 * 12 / 10));
        QCOMPARE(start(daemon, app, deployBody(large), &id), QStringLiteral("build-error"));
        error = deployment(daemon, app, id).value(QStringLiteral("error")).toString();
        qInfo("source too large: %s", qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("is full")), qPrintable(error));
        QVERIFY2(served(daemon, app).startsWith(QStringLiteral("version=v1")),
                 qPrintable(served(daemon, app)));

        // Not a byte left, for the store and the logs too: the daemon still answers, the
        // app still serves, a deployment fails with a reason.
        const QString filler = fillUp(m_mount);
        QVERIFY(!filler.isEmpty());
        const QJsonObject apps = daemon.call("GET", QStringLiteral("/v1/apps"), {}, &status);
        QCOMPARE(status, 200);
        QCOMPARE(apps.value(QStringLiteral("apps")).toArray().size(), 1);
        int deployStatus = 0;
        const QJsonObject refused =
            daemon.call("POST", QStringLiteral("/v1/apps/%1/deployments").arg(app),
                        deployBody(small), &deployStatus);
        if (deployStatus == 201) {
            id = refused.value(QStringLiteral("deployment"))
                     .toObject()
                     .value(QStringLiteral("id"))
                     .toString();
            const QString ended = daemon.waitDeployment(app, id);
            qInfo(
                "no space at all: %s, %s", qPrintable(ended),
                qPrintable(deployment(daemon, app, id).value(QStringLiteral("error")).toString()));
            QVERIFY2(ended != QStringLiteral("success"), qPrintable(ended));
        } else {
            // Refused before it began: the answer says why.
            QVERIFY2(deployStatus >= 400 && !refused.value(QStringLiteral("error"))
                                                 .toObject()
                                                 .value(QStringLiteral("message"))
                                                 .toString()
                                                 .isEmpty(),
                     QJsonDocument(refused).toJson().constData());
        }
        QVERIFY2(served(daemon, app).startsWith(QStringLiteral("version=v1")),
                 qPrintable(served(daemon, app)));

        // Space again: the next deployment succeeds.
        QVERIFY(QFile::remove(filler));
        QCOMPARE(start(daemon, app, deployBody(small), &id), QStringLiteral("success"));
        const QString release = served(daemon, app);
        QVERIFY2(release.startsWith(QStringLiteral("version=v2")), qPrintable(release));

        // A restarted daemon opens its store and finds no deployment left half done (its own
        // boot rollout, which brings the app back, ends by itself).
        daemon.terminate();
        DaemonProcess again(data);
        QVERIFY2(again.start(), again.output().constData());
        const auto unfinished = [&again, &app] {
            int listed = 0;
            const QJsonArray deployments =
                again.call("GET", QStringLiteral("/v1/apps/%1/deployments").arg(app), {}, &listed)
                    .value(QStringLiteral("deployments"))
                    .toArray();
            QStringList left;
            if (listed != 200 || deployments.size() < 4)
                left.append(
                    QStringLiteral("HTTP %1, %2 deployments").arg(listed).arg(deployments.size()));
            for (const QJsonValue &value : deployments) {
                const QJsonObject entry = value.toObject();
                const QString state = entry.value(QStringLiteral("status")).toString();
                if (state == QStringLiteral("building") || state == QStringLiteral("starting") ||
                    state == QStringLiteral("queued") || state == QStringLiteral("pending"))
                    left.append(entry.value(QStringLiteral("id")).toString() + QLatin1Char(' ') +
                                state);
            }
            return left.join(QStringLiteral(", "));
        };
        QTRY_COMPARE_WITH_TIMEOUT(unfinished(), QString(), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(served(again, app).startsWith(QStringLiteral("version=v2")),
                                 30000);
        again.terminate();
    }
};

QTEST_GUILESS_MAIN(TestSlipwaydDisk)
#include "tst_slipwayd_disk.moc"
