// GitCredentials against a real git: a loopback HTTP server demands Basic auth and serves a
// bare repository over git's smart HTTP protocol.

#include "git/GitCredentials.h"

#include "PrivateGitServer.h"
#include "TestSupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <memory>

#include <sys/stat.h>

using namespace Slipway;

namespace {

const QString username = QStringLiteral("deploy");

// Characters a shell or a URL would trip over, so quoting mistakes show.
QByteArray uniquePassword()
{
    return "pw:$(touch pwned) 'q\"`x` " + QUuid::createUuid().toString(QUuid::Id128).toLatin1();
}

int modeOf(const QString &path)
{
    struct stat status;
    if (::stat(QFile::encodeName(path).constData(), &status) != 0)
        return -1;
    return int(status.st_mode & 07777);
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

struct GitRun
{
    int exitCode = -1;
    QByteArray standardError;
};

// What a scan of every process found while git ran.
struct ProcessScan
{
    int samples = 0;
    int gitProcessesSeen = 0;    // processes whose argv names the repository URL
    int askPassEnvironments = 0; // of those, ones whose environ we read and found GIT_ASKPASS in
    QStringList leaks;           // "pid comm: where"
};

void scanProcesses(const QByteArray &secret, const QByteArray &repositoryUrl,
                   const QByteArray &askPassPath, ProcessScan &scan)
{
    ++scan.samples;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool ok = false;
        entry.toLongLong(&ok);
        if (!ok)
            continue;
        const QString base = QStringLiteral("/proc/") + entry;
        const QByteArray cmdline = readFile(base + QStringLiteral("/cmdline"));
        const QByteArray environ = readFile(base + QStringLiteral("/environ"));
        const QString comm = QString::fromUtf8(readFile(base + QStringLiteral("/comm"))).trimmed();
        if (cmdline.contains(secret))
            scan.leaks.append(entry + u' ' + comm + QStringLiteral(": argv"));
        if (environ.contains(secret))
            scan.leaks.append(entry + u' ' + comm + QStringLiteral(": environ"));
        if (cmdline.contains(repositoryUrl)) {
            ++scan.gitProcessesSeen;
            if (environ.contains(QByteArray("GIT_ASKPASS=" + askPassPath)))
                ++scan.askPassEnvironments;
        }
    }
}

} // namespace

class tst_GitCredentials : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void preparesPrivateFolder();
    void variablesHoldNoSecret();
    void appendsAfterCallerConfig();
    void refusesWhatGitCannotRead_data();
    void refusesWhatGitCannotRead();
    void askPassAnswersGitsPrompts();
    void askPassAnswersOnlyItsHost();
    void cloneFromOtherHostGetsNothing();
    void movedSessionCleansUpOnce();

    void cloneSucceedsWithCredential();
    void cloneFailsWithoutCredential();
    void cloneFailsWithWrongPassword();
    void passwordNeverInProcessTable();

private:
    QProcessEnvironment gitEnvironment() const;
    GitRun clone(const QString &url, const QString &target, const QProcessEnvironment &environment);

    QTemporaryDir m_root;
    QString m_served;
    QString m_home;
    QByteArray m_readme;
};

void tst_GitCredentials::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_root.isValid());
    QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("git")).isEmpty(), "git is missing");

    // A small repository with a few files.
    const QString work = m_root.filePath(QStringLiteral("work"));
    QVERIFY(QDir().mkpath(work + QStringLiteral("/src")));
    m_readme = "private app " + QUuid::createUuid().toByteArray() + '\n';
    for (int i = 0; i < 6; ++i) {
        QFile file(work + QStringLiteral("/src/part%1.txt").arg(i));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::number(i) + " of the private sources\n");
    }
    QFile readme(work + QStringLiteral("/README"));
    QVERIFY(readme.open(QIODevice::WriteOnly));
    readme.write(m_readme);
    readme.close();
    QVERIFY(TestSupport::gitInitCommit(work));

    m_served = m_root.filePath(QStringLiteral("served"));
    QVERIFY(QDir().mkpath(m_served));
    const QString bare = m_served + QStringLiteral("/app.git");
    QCOMPARE(TestSupport::run(QStringLiteral("git"), {QStringLiteral("clone"), QStringLiteral("-q"),
                                                      QStringLiteral("--bare"), work, bare}),
             0);

    // A user whose git would store every credential it is given in ~/.git-credentials.
    m_home = m_root.filePath(QStringLiteral("home"));
    QVERIFY(QDir().mkpath(m_home));
    QFile gitconfig(m_home + QStringLiteral("/.gitconfig"));
    QVERIFY(gitconfig.open(QIODevice::WriteOnly));
    gitconfig.write("[credential]\n\thelper = store\n");
}

QProcessEnvironment tst_GitCredentials::gitEnvironment() const
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("HOME"), m_home);
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home + QStringLiteral("/.config"));
    environment.insert(QStringLiteral("GIT_CONFIG_NOSYSTEM"), QStringLiteral("1"));
    environment.insert(QStringLiteral("LC_ALL"), QStringLiteral("C"));
    environment.insert(QStringLiteral("GIT_TERMINAL_PROMPT"), QStringLiteral("0"));
    environment.remove(QStringLiteral("GIT_ASKPASS"));
    environment.remove(QStringLiteral("SSH_ASKPASS"));
    return environment;
}

GitRun tst_GitCredentials::clone(const QString &url, const QString &target,
                                 const QProcessEnvironment &environment)
{
    QProcess git;
    git.setProcessEnvironment(environment);
    git.start(QStringLiteral("git"), {QStringLiteral("clone"), url, target});
    GitRun run;
    if (!git.waitForFinished(60000)) {
        git.kill();
        git.waitForFinished();
        run.standardError = git.readAllStandardError() + "\n[timed out]";
        return run;
    }
    run.exitCode = git.exitStatus() == QProcess::NormalExit ? git.exitCode() : -1;
    run.standardError = git.readAllStandardError() + git.readAllStandardOutput();
    return run;
}

void tst_GitCredentials::preparesPrivateFolder()
{
    const QByteArray password = uniquePassword();
    QString directory;
    {
        auto session = GitCredentials::prepare(username, password);
        QVERIFY2(session, qPrintable(session ? QString() : session.error().message));
        directory = session->directory();
        QVERIFY(QFileInfo(directory).isDir());
        QCOMPARE(modeOf(directory), 0700);

        const QString askPass = session->variables().value(QStringLiteral("GIT_ASKPASS"));
        QVERIFY(askPass.startsWith(directory + u'/'));
        QCOMPARE(modeOf(askPass), 0700);
        QVERIFY(!readFile(askPass).contains(password));

        const QFileInfoList files =
            QDir(directory).entryInfoList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot);
        QCOMPARE(files.size(), 3);
        int holdingPassword = 0;
        for (const QFileInfo &file : files) {
            const int mode = modeOf(file.filePath());
            QVERIFY2(mode == 0600 || (file.filePath() == askPass && mode == 0700),
                     qPrintable(file.fileName() + QStringLiteral(" has mode ") +
                                QString::number(mode, 8)));
            if (readFile(file.filePath()) == password)
                ++holdingPassword;
        }
        QCOMPARE(holdingPassword, 1);
    }
    QVERIFY2(!QFileInfo::exists(directory), "the folder must go with the session");
}

void tst_GitCredentials::variablesHoldNoSecret()
{
    const QByteArray password = uniquePassword();
    auto session = GitCredentials::prepare(username, password);
    QVERIFY(session);
    const QMap<QString, QString> variables = session->variables();
    QCOMPARE(variables.value(QStringLiteral("GIT_TERMINAL_PROMPT")), QStringLiteral("0"));
    QCOMPARE(variables.value(QStringLiteral("GIT_CONFIG_COUNT")), QStringLiteral("1"));
    QCOMPARE(variables.value(QStringLiteral("GIT_CONFIG_KEY_0")),
             QStringLiteral("credential.helper"));
    QVERIFY(variables.contains(QStringLiteral("GIT_CONFIG_VALUE_0")));
    QVERIFY(variables.value(QStringLiteral("GIT_CONFIG_VALUE_0")).isEmpty());
    QVERIFY(variables.contains(QStringLiteral("GIT_ASKPASS")));
    for (auto it = variables.cbegin(); it != variables.cend(); ++it) {
        QVERIFY2(!it.value().toUtf8().contains(password), qPrintable(it.key()));
        QVERIFY2(!it.value().toUtf8().contains(password.toBase64()), qPrintable(it.key()));
    }
}

void tst_GitCredentials::appendsAfterCallerConfig()
{
    auto session = GitCredentials::prepare(username, uniquePassword());
    QVERIFY(session);
    QProcessEnvironment environment;
    environment.insert(QStringLiteral("GIT_CONFIG_COUNT"), QStringLiteral("2"));
    environment.insert(QStringLiteral("GIT_CONFIG_KEY_0"), QStringLiteral("http.sslVerify"));
    environment.insert(QStringLiteral("GIT_CONFIG_VALUE_0"), QStringLiteral("true"));
    environment.insert(QStringLiteral("GIT_CONFIG_KEY_1"), QStringLiteral("core.autocrlf"));
    environment.insert(QStringLiteral("GIT_CONFIG_VALUE_1"), QStringLiteral("false"));
    environment.insert(QStringLiteral("GIT_TRACE_CURL"), QStringLiteral("1"));
    environment.insert(QStringLiteral("GIT_CURL_VERBOSE"), QStringLiteral("1"));
    environment.insert(QStringLiteral("SSH_ASKPASS"), QStringLiteral("/usr/bin/ssh-askpass"));
    session->applyTo(environment);
    QCOMPARE(environment.value(QStringLiteral("GIT_CONFIG_COUNT")), QStringLiteral("3"));
    QCOMPARE(environment.value(QStringLiteral("GIT_CONFIG_KEY_0")),
             QStringLiteral("http.sslVerify"));
    QCOMPARE(environment.value(QStringLiteral("GIT_CONFIG_KEY_2")),
             QStringLiteral("credential.helper"));
    QVERIFY(!environment.contains(QStringLiteral("GIT_TRACE_CURL")));
    QVERIFY(!environment.contains(QStringLiteral("GIT_CURL_VERBOSE")));
    QVERIFY(!environment.contains(QStringLiteral("SSH_ASKPASS")));
    QCOMPARE(environment.value(QStringLiteral("GIT_TRACE_REDACT")), QStringLiteral("1"));
}

void tst_GitCredentials::refusesWhatGitCannotRead_data()
{
    QTest::addColumn<QString>("user");
    QTest::addColumn<QByteArray>("password");
    QTest::newRow("no username") << QString() << QByteArray("secret");
    QTest::newRow("newline in password") << username << QByteArray("sec\nret");
    QTest::newRow("carriage return in password") << username << QByteArray("secret\r");
    QTest::newRow("NUL in password") << username << QByteArray("sec\0ret", 7);
    QTest::newRow("newline in username") << QStringLiteral("de\nploy") << QByteArray("secret");
}

void tst_GitCredentials::refusesWhatGitCannotRead()
{
    QFETCH(QString, user);
    QFETCH(QByteArray, password);
    const auto session = GitCredentials::prepare(user, password);
    QVERIFY(!session);
    QVERIFY(!session.error().message.isEmpty());
    QVERIFY(!session.error().message.toUtf8().contains(password));
}

void tst_GitCredentials::askPassAnswersGitsPrompts()
{
    const QByteArray password = uniquePassword();
    auto session = GitCredentials::prepare(username, password);
    QVERIFY(session);
    const QString askPass = session->variables().value(QStringLiteral("GIT_ASKPASS"));
    const QString scratch = m_root.filePath(QStringLiteral("askpass-cwd"));
    QVERIFY(QDir().mkpath(scratch));

    QByteArray answer;
    QCOMPARE(TestSupport::run(askPass, {QStringLiteral("Username for 'http://127.0.0.1:1': ")},
                              scratch, &answer),
             0);
    QCOMPARE(answer, username.toUtf8());
    QCOMPARE(TestSupport::run(askPass,
                              {QStringLiteral("Password for 'http://deploy@127.0.0.1:1': ")},
                              scratch, &answer),
             0);
    QCOMPARE(answer, password);
    // Nothing in the password was run by a shell.
    QVERIFY(!QFileInfo::exists(scratch + QStringLiteral("/pwned")));
}

void tst_GitCredentials::askPassAnswersOnlyItsHost()
{
    const QByteArray password = uniquePassword();
    auto session = GitCredentials::prepare(username, password, QStringLiteral("git.example.com"));
    QVERIFY(session);
    const QString askPass = session->variables().value(QStringLiteral("GIT_ASKPASS"));
    const QString scratch = m_root.filePath(QStringLiteral("askpass-host"));
    QVERIFY(QDir().mkpath(scratch));

    // A redirect to plain http gets nothing: the password would cross the network in clear.
    QByteArray plain;
    QVERIFY(TestSupport::run(askPass,
                             {QStringLiteral("Password for 'http://deploy@git.example.com': ")},
                             scratch, &plain) != 0);
    QVERIFY(!plain.contains(password));

    QByteArray answer;
    QCOMPARE(TestSupport::run(askPass, {QStringLiteral("Username for 'https://Git.Example.com': ")},
                              scratch, &answer),
             0);
    QCOMPARE(answer, username.toUtf8());
    QCOMPARE(TestSupport::run(askPass,
                              {QStringLiteral("Password for 'https://deploy@git.example.com': ")},
                              scratch, &answer),
             0);
    QCOMPARE(answer, password);
    // Another host, a host that merely starts or ends the same way, another port: nothing.
    for (const QString &prompt :
         {QStringLiteral("Password for 'https://deploy@evil.example': "),
          QStringLiteral("Password for 'https://deploy@git.example.com.evil.example': "),
          QStringLiteral("Password for 'https://deploy@notgit.example.com': "),
          QStringLiteral("Password for 'https://deploy@git.example.com:8443': "),
          QStringLiteral("Username for 'https://evil.example/?git.example.com': ")}) {
        answer.clear();
        QVERIFY2(TestSupport::run(askPass, {prompt}, scratch, &answer) != 0, qPrintable(prompt));
        QVERIFY2(answer.isEmpty(), qPrintable(prompt));
    }
    QVERIFY(!GitCredentials::prepare(username, password, QStringLiteral("a b")));
    QVERIFY(!GitCredentials::prepare(username, password, QStringLiteral("x'y")));
}

void tst_GitCredentials::cloneFromOtherHostGetsNothing()
{
    const QByteArray password = uniquePassword();
    PrivateGitServer server(m_served, username.toUtf8() + ':' + password);
    QVERIFY(server.isReady());
    // A login kept for another host is not given to this one, even when asked.
    auto session = GitCredentials::prepare(username, password, QStringLiteral("git.example.com"));
    QVERIFY(session);
    const QString target = m_root.filePath(QStringLiteral("clone-other-host"));
    const GitRun refused = clone(server.url(QStringLiteral("app.git")), target,
                                 session->environment(gitEnvironment()));
    QVERIFY(refused.exitCode != 0);
    QVERIFY(!QFileInfo::exists(target + QStringLiteral("/README")));
    // The same login bound to the server's own host and port goes through.
    // (The test server speaks plain http, on loopback: allowed explicitly.)
    auto bound = GitCredentials::prepare(username, password,
                                         QStringLiteral("127.0.0.1:%1").arg(server.port()), true);
    QVERIFY(bound);
    const GitRun cloned =
        clone(server.url(QStringLiteral("app.git")), target, bound->environment(gitEnvironment()));
    QVERIFY2(cloned.exitCode == 0, cloned.standardError.constData());
    QCOMPARE(readFile(target + QStringLiteral("/README")), m_readme);
}

void tst_GitCredentials::movedSessionCleansUpOnce()
{
    auto first = GitCredentials::prepare(username, uniquePassword());
    QVERIFY(first);
    const QString firstDirectory = first->directory();
    {
        GitCredentials moved = std::move(*first);
        QCOMPARE(moved.directory(), firstDirectory);
        QVERIFY(QFileInfo::exists(firstDirectory));

        auto second = GitCredentials::prepare(username, uniquePassword());
        QVERIFY(second);
        const QString secondDirectory = second->directory();
        moved = std::move(*second);
        QVERIFY2(!QFileInfo::exists(firstDirectory), "assigning over a session ends it");
        QCOMPARE(moved.directory(), secondDirectory);
        QVERIFY(QFileInfo::exists(secondDirectory));
    }
    QVERIFY(first->directory().isEmpty());
}

void tst_GitCredentials::cloneSucceedsWithCredential()
{
    const QByteArray password = uniquePassword();
    PrivateGitServer server(m_served, username.toUtf8() + ':' + password);
    QVERIFY(server.isReady());
    auto session = GitCredentials::prepare(username, password);
    QVERIFY(session);

    const QString target = m_root.filePath(QStringLiteral("clone-ok"));
    const GitRun run = clone(server.url(QStringLiteral("app.git")), target,
                             session->environment(gitEnvironment()));
    QVERIFY2(run.exitCode == 0, run.standardError.constData());
    QCOMPARE(readFile(target + QStringLiteral("/README")), m_readme);
    QVERIFY(!run.standardError.contains(password));

    // The user's `credential.helper = store` never saw it, and the clone does not keep it.
    QVERIFY2(!QFileInfo::exists(m_home + QStringLiteral("/.git-credentials")),
             readFile(m_home + QStringLiteral("/.git-credentials")).constData());
    QVERIFY(!readFile(target + QStringLiteral("/.git/config")).contains(password));
    const QByteArray serverLog = server.log();
    QVERIFY2(serverLog.contains("\" 200 "), serverLog.constData());
}

void tst_GitCredentials::cloneFailsWithoutCredential()
{
    const QByteArray password = uniquePassword();
    PrivateGitServer server(m_served, username.toUtf8() + ':' + password);
    QVERIFY(server.isReady());

    const QString target = m_root.filePath(QStringLiteral("clone-none"));
    const GitRun run = clone(server.url(QStringLiteral("app.git")), target, gitEnvironment());
    QVERIFY(run.exitCode != 0);
    QVERIFY2(run.standardError.contains("terminal prompts disabled"),
             run.standardError.constData());
    QVERIFY(!QFileInfo::exists(target + QStringLiteral("/README")));
}

void tst_GitCredentials::cloneFailsWithWrongPassword()
{
    const QByteArray password = uniquePassword();
    PrivateGitServer server(m_served, username.toUtf8() + ':' + password);
    QVERIFY(server.isReady());
    const QByteArray wrong = uniquePassword();
    auto session = GitCredentials::prepare(username, wrong);
    QVERIFY(session);

    const QString target = m_root.filePath(QStringLiteral("clone-wrong"));
    const GitRun run = clone(server.url(QStringLiteral("app.git")), target,
                             session->environment(gitEnvironment()));
    QVERIFY(run.exitCode != 0);
    QVERIFY2(run.standardError.contains("Authentication failed"), run.standardError.constData());
    QVERIFY(!run.standardError.contains(wrong));
    QVERIFY(!QFileInfo::exists(target + QStringLiteral("/README")));
}

void tst_GitCredentials::passwordNeverInProcessTable()
{
    const QByteArray password = uniquePassword();
    // Slow answers keep git and its helpers alive long enough to be looked at many times.
    PrivateGitServer server(m_served, username.toUtf8() + ':' + password, 150);
    QVERIFY(server.isReady());
    auto session = GitCredentials::prepare(username, password);
    QVERIFY(session);
    const QString url = server.url(QStringLiteral("app.git"));
    const QString askPass = session->variables().value(QStringLiteral("GIT_ASKPASS"));

    QProcess git;
    git.setProcessEnvironment(session->environment(gitEnvironment()));
    git.start(QStringLiteral("git"),
              {QStringLiteral("clone"), url, m_root.filePath(QStringLiteral("clone-watched"))});
    QVERIFY(git.waitForStarted(10000));

    ProcessScan scan;
    QElapsedTimer clock;
    clock.start();
    while (git.state() != QProcess::NotRunning && clock.elapsed() < 60000) {
        scanProcesses(password, url.toUtf8(), askPass.toUtf8(), scan);
        git.waitForFinished(5);
    }
    QCOMPARE(git.state(), QProcess::NotRunning);
    const QByteArray standardError = git.readAllStandardError() + git.readAllStandardOutput();
    QVERIFY2(git.exitCode() == 0, standardError.constData());

    scan.leaks.removeDuplicates();
    QVERIFY2(scan.leaks.isEmpty(), qPrintable(scan.leaks.join(QStringLiteral(", "))));
    // The scan did look at git while it was working, environment included.
    QVERIFY2(scan.samples >= 10, qPrintable(QString::number(scan.samples)));
    QVERIFY2(scan.gitProcessesSeen > 0, "no git process was seen while cloning");
    QVERIFY2(scan.askPassEnvironments > 0, "git's environment was never read");
    qInfo("%d scans of the process table saw %d git processes", scan.samples,
          scan.gitProcessesSeen);
    QVERIFY(!standardError.contains(password));
}

QTEST_GUILESS_MAIN(tst_GitCredentials)

#include "tst_gitcredentials.moc"
