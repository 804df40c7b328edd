// ProcessRunner under bubblewrap on a host whose mounts come and go: the command starts
// every time, and a command that only says what bubblewrap says is never run twice.

#include "MountChurn.h"

#include "util/ProcessRunner.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace Slipway;

class TestProcessRunner : public QObject
{
    Q_OBJECT

private:
    struct Run
    {
        ProcessOutcome outcome;
        QStringList lines;
    };

    static Run runToTheEnd(const ProcessRunner::Spec &spec)
    {
        Run run;
        ProcessRunner runner;
        QObject::connect(
            &runner, &ProcessRunner::outputLine,
            [&run](const QString &line, ProcessRunner::Channel) { run.lines.append(line); });
        QSignalSpy finished(&runner, &ProcessRunner::finished);
        runner.start(spec);
        if (finished.wait(30000))
            run.outcome = finished.at(0).at(0).value<ProcessOutcome>();
        else
            run.lines.append(QStringLiteral("(did not end in 30 s)"));
        return run;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!ProcessRunner::pidNamespacesAvailable())
            QSKIP("bubblewrap is not usable here, so commands get no PID namespace");
    }

    void startsWhileHostMountsComeAndGo()
    {
        QTemporaryDir temp;
        QVERIFY(temp.isValid());
        TestSupport::MountChurn churn(temp.filePath(QStringLiteral("churn")));
        if (!churn.problem().isEmpty())
            QSKIP(qPrintable(churn.problem()));
        constexpr int Runs = 60;
        for (int i = 1; i <= Runs; ++i) {
            ProcessRunner::Spec spec;
            spec.program = QStringLiteral("/bin/sh");
            spec.arguments = {QStringLiteral("-c"), QStringLiteral("echo ran")};
            const Run run = runToTheEnd(spec);
            QVERIFY2(run.outcome.succeeded() && run.lines == QStringList{QStringLiteral("ran")},
                     qPrintable(QStringLiteral("run %1 of %2 %3, with %4 mounts come and gone: %5")
                                    .arg(i)
                                    .arg(Runs)
                                    .arg(run.outcome.describe())
                                    .arg(churn.mounts())
                                    .arg(run.lines.join(QStringLiteral(" / ")))));
        }
        QVERIFY2(churn.mounts() > 0, "no mount came and went: the churn did not run");
    }

    // Only bubblewrap's own failure before the command ran starts it again; the same
    // words from the command are its own, and it ran once.
    void aCommandSayingWhatBubblewrapSaysRunsOnce()
    {
        QTemporaryDir temp;
        QVERIFY(temp.isValid());
        const QString counter = temp.filePath(QStringLiteral("runs"));
        ProcessRunner::Spec spec;
        spec.program = QStringLiteral("/bin/sh");
        spec.arguments = {QStringLiteral("-c"),
                          QStringLiteral("echo run >> '%1'; echo 'bwrap: Can'\\''t bind mount "
                                         "/oldroot/ on /newroot/: Unable to apply mount flags: "
                                         "remount \"/newroot/x\": Invalid argument' >&2; exit 1")
                              .arg(counter)};
        const Run run = runToTheEnd(spec);
        QCOMPARE(run.outcome.kind, ProcessOutcome::Kind::Exited);
        QCOMPARE(run.outcome.exitCode, 1);
        QCOMPARE(run.lines.size(), 1);
        QVERIFY(run.lines.at(0).contains(QStringLiteral("Unable to apply mount flags")));
        QFile runs(counter);
        QVERIFY(runs.open(QIODevice::ReadOnly));
        QCOMPARE(runs.readAll(), QByteArray("run\n"));
    }
};

QTEST_GUILESS_MAIN(TestProcessRunner)
#include "tst_processrunner.moc"
