// GitLogins: which hosts are accepted, and which login a repository URL gets.

#include "git/GitCommand.h"
#include "git/GitLogins.h"

#include <QTest>

using namespace Slipway;

class tst_GitLogins : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void normalizedHost_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("host"); // empty: refused
        QTest::newRow("name") << QStringLiteral("github.com") << QStringLiteral("github.com");
        QTest::newRow("upper case")
            << QStringLiteral("GitLab.Example.COM") << QStringLiteral("gitlab.example.com");
        QTest::newRow("spaces around")
            << QStringLiteral("  git.example.com ") << QStringLiteral("git.example.com");
        QTest::newRow("port") << QStringLiteral("git.example.com:8443")
                              << QStringLiteral("git.example.com:8443");
        QTest::newRow("ipv4 and port")
            << QStringLiteral("127.0.0.1:3000") << QStringLiteral("127.0.0.1:3000");
        QTest::newRow("ipv6") << QStringLiteral("[::1]:8080") << QStringLiteral("[::1]:8080");
        QTest::newRow("single label") << QStringLiteral("gitserver") << QStringLiteral("gitserver");
        QTest::newRow("empty") << QString() << QString();
        QTest::newRow("scheme") << QStringLiteral("https://github.com") << QString();
        QTest::newRow("path") << QStringLiteral("github.com/org") << QString();
        QTest::newRow("user") << QStringLiteral("me@github.com") << QString();
        QTest::newRow("space inside") << QStringLiteral("git hub.com") << QString();
        QTest::newRow("port zero") << QStringLiteral("github.com:0") << QString();
        QTest::newRow("port too big") << QStringLiteral("github.com:70000") << QString();
        QTest::newRow("empty port") << QStringLiteral("github.com:") << QString();
        QTest::newRow("leading dash") << QStringLiteral("-github.com") << QString();
        QTest::newRow("quote") << QStringLiteral("git'hub.com") << QString();
        QTest::newRow("double dot") << QStringLiteral("github..com") << QString();
    }
    void normalizedHost()
    {
        QFETCH(QString, text);
        QFETCH(QString, host);
        const Result<QString> normalized = GitLogins::normalizedHost(text);
        if (host.isEmpty()) {
            QVERIFY(!normalized);
            QVERIFY2(normalized.error().message.contains(QStringLiteral("git.example.com")),
                     qPrintable(normalized.error().message));
        } else {
            QVERIFY2(normalized, qPrintable(normalized ? QString() : normalized.error().message));
            QCOMPARE(*normalized, host);
        }
    }

    void validate_data()
    {
        QTest::addColumn<QString>("username");
        QTest::addColumn<QByteArray>("password");
        QTest::addColumn<bool>("valid");
        QTest::newRow("token") << QStringLiteral("x-access-token") << QByteArray("ghp_abc123")
                               << true;
        QTest::newRow("odd characters")
            << QStringLiteral("me") << QByteArray("p'a\"$(x)`y` z") << true;
        QTest::newRow("no username") << QString() << QByteArray("pw") << false;
        QTest::newRow("no password") << QStringLiteral("me") << QByteArray() << false;
        QTest::newRow("line break") << QStringLiteral("me") << QByteArray("pw\nmore") << false;
        QTest::newRow("carriage return") << QStringLiteral("me") << QByteArray("pw\r") << false;
        QTest::newRow("NUL") << QStringLiteral("me") << QByteArray("pw\0x", 4) << false;
        QTest::newRow("line break in username")
            << QStringLiteral("m\ne") << QByteArray("pw") << false;
        QTest::newRow("huge password") << QStringLiteral("me") << QByteArray(5000, 'x') << false;
    }
    void validate()
    {
        QFETCH(QString, username);
        QFETCH(QByteArray, password);
        QFETCH(bool, valid);
        QCOMPARE(bool(GitLogins::validate({username, password, {}})), valid);
    }

    void loginForUrl_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("user");   // empty: no login
        QTest::addColumn<QString>("sentTo"); // the host the login is bound to
        QTest::newRow("host") << QStringLiteral("https://github.com/org/app.git")
                              << QStringLiteral("hub") << QStringLiteral("github.com");
        QTest::newRow("host, case") << QStringLiteral("https://GitHub.com/org/app.git")
                                    << QStringLiteral("hub") << QStringLiteral("github.com");
        QTest::newRow("host, any port")
            << QStringLiteral("https://github.com:444/org/app.git") << QStringLiteral("hub")
            << QStringLiteral("github.com:444");
        QTest::newRow("exact port first")
            << QStringLiteral("https://git.example.com:8080/app.git") << QStringLiteral("eight")
            << QStringLiteral("git.example.com:8080");
        QTest::newRow("other port of a port-only host")
            << QStringLiteral("https://git.example.com:9090/app.git") << QString() << QString();
        QTest::newRow("plain http leaving the machine")
            << QStringLiteral("http://git.example.com:8080/app.git") << QString() << QString();
        QTest::newRow("plain http to github")
            << QStringLiteral("http://github.com/org/app.git") << QString() << QString();
        QTest::newRow("default port of a port-only host")
            << QStringLiteral("https://git.example.com/app.git") << QString() << QString();
        QTest::newRow("ssh URL") << QStringLiteral("ssh://git@github.com/org/app.git") << QString()
                                 << QString();
        QTest::newRow("scp-like") << QStringLiteral("git@github.com:org/app.git") << QString()
                                  << QString();
        QTest::newRow("file") << QStringLiteral("file:///srv/app.git") << QString() << QString();
        QTest::newRow("other host")
            << QStringLiteral("https://gitlab.com/org/app.git") << QString() << QString();
        QTest::newRow("suffix is not the host")
            << QStringLiteral("https://evilgithub.com/org/app.git") << QString() << QString();
        QTest::newRow("host in the path")
            << QStringLiteral("https://evil.example/github.com/app.git") << QString() << QString();
        QTest::newRow("ipv6") << QStringLiteral("http://[::1]:8080/app.git")
                              << QStringLiteral("six") << QStringLiteral("[::1]:8080");
    }
    void loginForUrl()
    {
        QFETCH(QString, url);
        QFETCH(QString, user);
        QFETCH(QString, sentTo);
        GitLogins logins;
        logins.insert(QStringLiteral("github.com"), {QStringLiteral("hub"), "1", {}});
        logins.insert(QStringLiteral("git.example.com:8080"), {QStringLiteral("eight"), "2", {}});
        logins.insert(QStringLiteral("[::1]:8080"), {QStringLiteral("six"), "3", {}});
        const std::optional<GitLogin> login = logins.forUrl(url);
        QCOMPARE(login.has_value(), !user.isEmpty());
        if (login) {
            QCOMPARE(login->username, user);
            QCOMPARE(login->host, sentTo);
        }
    }

    void plainHttpOnlyWhereTheUserAllowsIt()
    {
        GitLogins logins;
        logins.insert(QStringLiteral("git.lan"), {QStringLiteral("lan"), "1", {}});
        const QString url = QStringLiteral("http://git.lan:3000/app.git");
        qunsetenv("SLIPWAY_GIT_ALLOW_HTTP");
        QVERIFY(!logins.forUrl(url));
        qputenv("SLIPWAY_GIT_ALLOW_HTTP", "other.lan, git.lan");
        const std::optional<GitLogin> allowed = logins.forUrl(url);
        qunsetenv("SLIPWAY_GIT_ALLOW_HTTP");
        QVERIFY(allowed);
        QVERIFY(allowed->plainHttp);
        const std::optional<GitLogin> secure =
            logins.forUrl(QStringLiteral("https://git.lan/a.git"));
        QVERIFY(secure && !secure->plainHttp);
    }

    void removeForgets()
    {
        GitLogins logins;
        logins.insert(QStringLiteral("github.com"), {QStringLiteral("hub"), "1", {}});
        QCOMPARE(logins.hosts(), QStringList{QStringLiteral("github.com")});
        logins.remove(QStringLiteral("github.com"));
        QVERIFY(logins.isEmpty());
        QVERIFY(!logins.forUrl(QStringLiteral("https://github.com/a.git")));
    }

    void gitErrorReason_data()
    {
        QTest::addColumn<QStringList>("lines");
        QTest::addColumn<QString>("reason");
        QTest::newRow("fatal") << QStringList{QStringLiteral("Cloning into 'x'..."),
                                              QStringLiteral("fatal: repository 'y' not found")}
                               << QStringLiteral("repository 'y' not found");
        QTest::newRow("ssh cause before generic")
            << QStringList{QStringLiteral("git@host: Permission denied (publickey)."),
                           QStringLiteral("fatal: Could not read from remote repository.")}
            << QStringLiteral("git@host: Permission denied (publickey).");
        QTest::newRow("continued line")
            << QStringList{QStringLiteral("fatal: unable to access 'u': Failed to connect:"),
                           QStringLiteral("Connection refused")}
            << QStringLiteral("unable to access 'u': Failed to connect: Connection refused");
        QTest::newRow("nothing") << QStringList{} << QStringLiteral("no output");
    }
    void gitErrorReason()
    {
        QFETCH(QStringList, lines);
        QFETCH(QString, reason);
        QCOMPARE(GitCommand::reason(lines), reason);
    }

    void cleanEnvironmentNeverPrompts()
    {
        qputenv("GIT_DIR", "/somewhere/else");
        qputenv("GIT_ASKPASS", "/usr/bin/some-gui-askpass");
        const QProcessEnvironment environment = GitCommand::cleanEnvironment();
        QVERIFY(!environment.contains(QStringLiteral("GIT_DIR")));
        QVERIFY(!environment.contains(QStringLiteral("GIT_ASKPASS")));
        QCOMPARE(environment.value(QStringLiteral("GIT_TERMINAL_PROMPT")), QStringLiteral("0"));
        QVERIFY(environment.value(QStringLiteral("GIT_SSH_COMMAND"))
                    .contains(QStringLiteral("BatchMode=yes")));
        qunsetenv("GIT_DIR");
        qunsetenv("GIT_ASKPASS");
    }
};

QTEST_GUILESS_MAIN(tst_GitLogins)
#include "tst_gitlogins.moc"
