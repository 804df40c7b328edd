// ProcessTree::refersTo: how a daemon tells a process it started (one that works in or
// names its data folder) from one that only got the same pid number later.

#include "util/ProcessTree.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace Slipway;

class TestProcessTree : public QObject
{
    Q_OBJECT

private:
    // A sleeping process started in `folder` with `arguments` after the sleep's length.
    static bool startSleeper(QProcess &process, const QString &folder, const QStringList &arguments)
    {
        process.setWorkingDirectory(folder);
        process.start(QStringLiteral("bash"),
                      QStringList{QStringLiteral("-c"), QStringLiteral("sleep 30"),
                                  QStringLiteral("sleeper")} +
                          arguments);
        return process.waitForStarted(5000);
    }

private Q_SLOTS:
    void aProcessWorkingInTheFolderIsOurs()
    {
        QTemporaryDir data;
        const QString work = data.filePath(QStringLiteral("containers/app/web-1/app"));
        QVERIFY(QDir().mkpath(work));
        QProcess process;
        QVERIFY(startSleeper(process, work, {}));
        QVERIFY(ProcessTree::refersTo(pid_t(process.processId()), data.path()));
        process.kill();
        process.waitForFinished();
    }

    void aProcessNamingTheFolderIsOurs()
    {
        QTemporaryDir data;
        QProcess process;
        QVERIFY(startSleeper(process, QDir::tempPath(),
                             {QStringLiteral("--bind"),
                              data.filePath(QStringLiteral("containers/app/web-1/app")),
                              QStringLiteral("/app")}));
        QVERIFY(ProcessTree::refersTo(pid_t(process.processId()), data.path()));
        process.kill();
        process.waitForFinished();
    }

    // Another daemon's folder that only starts with the same letters is not ours.
    void anotherFolderIsNot()
    {
        QTemporaryDir data;
        const QString neighbour = data.path() + QStringLiteral("-other/containers");
        QVERIFY(QDir().mkpath(neighbour));
        QProcess process;
        QVERIFY(startSleeper(process, neighbour, {neighbour + QStringLiteral("/x")}));
        QVERIFY(!ProcessTree::refersTo(pid_t(process.processId()), data.path()));
        QVERIFY(!ProcessTree::refersTo(pid_t(::getpid()), data.path()));
        process.kill();
        process.waitForFinished();
        QDir(data.path() + QStringLiteral("-other")).removeRecursively();
    }
};

QTEST_GUILESS_MAIN(TestProcessTree)
#include "tst_processtree.moc"
