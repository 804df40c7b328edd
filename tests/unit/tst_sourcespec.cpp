#include "source/SourceSpec.h"

#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Slipway;

Q_DECLARE_METATYPE(Slipway::SourceSpec::Kind)

class tst_SourceSpec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void recognises_data();
    void recognises();
    void relativePathBecomesAbsolute();
    void trimsWhitespace();
    void refuses_data();
    void refuses();
    void fileNameAndKindName();
    void suggestedAppName_data();
    void suggestedAppName();

private:
    // Replaces "{tmp}" and "{home}" in test data with this run's folders.
    QString expand(QString text) const;
    bool touch(const QString &relative);

    QTemporaryDir m_dir;
    QString m_home;
    QByteArray m_savedHome;
};

QString tst_SourceSpec::expand(QString text) const
{
    text.replace(QStringLiteral("{tmp}"), m_dir.path());
    text.replace(QStringLiteral("{home}"), m_home);
    return text;
}

bool tst_SourceSpec::touch(const QString &relative)
{
    const QString path = m_dir.filePath(relative);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write("x") == 1;
}

void tst_SourceSpec::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_dir.isValid());
    const QDir root(m_dir.path());
    QVERIFY(root.mkpath(QStringLiteral("plain")));
    QVERIFY(root.mkpath(QStringLiteral("My App")));
    QVERIFY(root.mkpath(QStringLiteral("home/myapp")));
    QVERIFY(root.mkpath(QStringLiteral("repo")));
    QVERIFY(touch(QStringLiteral("repo/README")));
    QVERIFY(TestSupport::gitInitCommit(m_dir.filePath(QStringLiteral("repo"))));
    QCOMPARE(TestSupport::run(QStringLiteral("git"),
                              {QStringLiteral("clone"), QStringLiteral("-q"),
                               QStringLiteral("--bare"), m_dir.filePath(QStringLiteral("repo")),
                               m_dir.filePath(QStringLiteral("bare.git"))}),
             0);
    for (const char *name :
         {"a.tar", "a.tar.gz", "a.tgz", "a.tar.bz2", "a.tbz2", "a.tar.xz", "a.txz", "a.zip",
          "UPPER.TAR.GZ", "hello.jar", "ROOT.war", "notes.txt", "Makefile"})
        QVERIFY(touch(QString::fromLatin1(name)));

    // "~/" is the user's home; point it at a folder of this run.
    m_savedHome = qgetenv("HOME");
    m_home = m_dir.filePath(QStringLiteral("home"));
    qputenv("HOME", QFile::encodeName(m_home));
    QCOMPARE(QDir::homePath(), m_home);
}

void tst_SourceSpec::cleanupTestCase()
{
    qputenv("HOME", m_savedHome);
}

void tst_SourceSpec::recognises_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("ref");
    QTest::addColumn<SourceSpec::Kind>("kind");
    QTest::addColumn<QString>("location");
    QTest::addColumn<bool>("remote");

    using K = SourceSpec::Kind;
    const QString none;
    auto row = [](const char *name, const QString &input, const QString &ref, K kind,
                  const QString &location, bool remote) {
        QTest::newRow(name) << input << ref << kind << location << remote;
    };
    const QString tmp = QStringLiteral("{tmp}");

    // Local folders and repositories.
    row("folder", tmp + QStringLiteral("/plain"), none, K::Folder, tmp + QStringLiteral("/plain"),
        false);
    row("folder with trailing slash", tmp + QStringLiteral("/plain/"), none, K::Folder,
        tmp + QStringLiteral("/plain"), false);
    row("folder with a space", tmp + QStringLiteral("/My App"), none, K::Folder,
        tmp + QStringLiteral("/My App"), false);
    row("home folder", QStringLiteral("~/myapp"), none, K::Folder, QStringLiteral("{home}/myapp"),
        false);
    row("home itself", QStringLiteral("~"), none, K::Folder, QStringLiteral("{home}"), false);
    row("git work tree without ref is a folder", tmp + QStringLiteral("/repo"), none, K::Folder,
        tmp + QStringLiteral("/repo"), false);
    row("git work tree with ref", tmp + QStringLiteral("/repo"), QStringLiteral("main"), K::Git,
        tmp + QStringLiteral("/repo"), false);
    row("bare repository with ref", tmp + QStringLiteral("/bare.git"), QStringLiteral("v1"), K::Git,
        tmp + QStringLiteral("/bare.git"), false);
    row("file URL of a repository", QStringLiteral("file://{tmp}/repo"), none, K::Git,
        tmp + QStringLiteral("/repo"), false);
    row("file URL of a repository with ref", QStringLiteral("file://{tmp}/bare.git"),
        QStringLiteral("0123abc"), K::Git, tmp + QStringLiteral("/bare.git"), false);
    row("file URL of a plain folder", QStringLiteral("file://{tmp}/plain"), none, K::Folder,
        tmp + QStringLiteral("/plain"), false);
    row("file URL of an archive", QStringLiteral("file://{tmp}/a.tgz"), none, K::Archive,
        tmp + QStringLiteral("/a.tgz"), false);

    // Local archives, every extension.
    for (const char *name : {"a.tar", "a.tar.gz", "a.tgz", "a.tar.bz2", "a.tbz2", "a.tar.xz",
                             "a.txz", "a.zip", "UPPER.TAR.GZ"}) {
        const QString path = tmp + QLatin1Char('/') + QString::fromLatin1(name);
        QTest::addRow("archive %s", name) << path << none << K::Archive << path << false;
    }

    // Local artifacts.
    row("jar", tmp + QStringLiteral("/hello.jar"), none, K::Artifact,
        tmp + QStringLiteral("/hello.jar"), false);
    row("war", tmp + QStringLiteral("/ROOT.war"), none, K::Artifact,
        tmp + QStringLiteral("/ROOT.war"), false);

    // Remote archives and artifacts go by the extension of the URL's path.
    for (const char *url :
         {"https://example.com/releases/app-1.2.tar.gz", "http://127.0.0.1:8080/app.tgz",
          "https://example.com/app.tar.bz2", "https://example.com/app.tar.xz",
          "https://example.com/app.tar", "https://example.com/app.zip",
          "https://example.com/app.ZIP", "https://example.com/dl/app.tar.gz?token=abc&expires=1",
          "https://example.com/app.zip#fragment"}) {
        const QString location = QString::fromLatin1(url);
        QTest::addRow("remote archive %s", url)
            << location << none << K::Archive << location << true;
    }
    for (const char *url : {"https://example.com/hello.jar", "http://example.com/ROOT.war",
                            "https://example.com/hello.jar?sig=1"}) {
        const QString location = QString::fromLatin1(url);
        QTest::addRow("remote artifact %s", url)
            << location << none << K::Artifact << location << true;
    }

    // Git URLs.
    for (const char *url :
         {"https://github.com/acme/shop.git", "https://github.com/acme/shop",
          "http://127.0.0.1:3000/acme/shop.git", "ssh://git@github.com/acme/shop.git",
          "ssh://git@example.com:2222/srv/shop.git", "git://example.com/shop.git",
          "git@github.com:acme/shop.git", "deploy@git.example.com:shop"}) {
        const QString location = QString::fromLatin1(url);
        QTest::addRow("git %s", url) << location << none << K::Git << location << true;
    }
    row("git URL with a ref", QStringLiteral("https://github.com/acme/shop.git"),
        QStringLiteral("release/2.0"), K::Git, QStringLiteral("https://github.com/acme/shop.git"),
        true);
    // A URL whose path looks like an archive but is a query string's value is not one.
    row("archive name only in query", QStringLiteral("https://example.com/get?file=app.tar.gz"),
        none, K::Git, QStringLiteral("https://example.com/get?file=app.tar.gz"), true);
}

void tst_SourceSpec::recognises()
{
    QFETCH(QString, input);
    QFETCH(QString, ref);
    QFETCH(SourceSpec::Kind, kind);
    QFETCH(QString, location);
    QFETCH(bool, remote);

    const Result<SourceSpec> spec = SourceSpec::parse(expand(input), ref);
    QVERIFY2(spec.has_value(), qPrintable(spec ? QString() : spec.error().message));
    QCOMPARE(spec->kind(), kind);
    QCOMPARE(spec->location(), expand(location));
    QCOMPARE(spec->isRemote(), remote);
    QCOMPARE(spec->ref(), ref);
}

void tst_SourceSpec::relativePathBecomesAbsolute()
{
    const QString saved = QDir::currentPath();
    QVERIFY(QDir::setCurrent(m_dir.path()));
    const Result<SourceSpec> folder = SourceSpec::parse(QStringLiteral("plain"));
    const Result<SourceSpec> dotted = SourceSpec::parse(QStringLiteral("./a.zip"));
    QDir::setCurrent(saved);

    QVERIFY(folder.has_value());
    QCOMPARE(folder->kind(), SourceSpec::Kind::Folder);
    QCOMPARE(folder->location(), m_dir.filePath(QStringLiteral("plain")));
    QVERIFY(dotted.has_value());
    QCOMPARE(dotted->kind(), SourceSpec::Kind::Archive);
    QCOMPARE(dotted->location(), m_dir.filePath(QStringLiteral("a.zip")));
}

void tst_SourceSpec::trimsWhitespace()
{
    const Result<SourceSpec> spec = SourceSpec::parse(
        QStringLiteral("  https://github.com/acme/shop.git\n"), QStringLiteral(" main "));
    QVERIFY(spec.has_value());
    QCOMPARE(spec->location(), QStringLiteral("https://github.com/acme/shop.git"));
    QCOMPARE(spec->ref(), QStringLiteral("main"));
}

void tst_SourceSpec::refuses_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("ref");
    // Every fragment must appear in the message: what was wrong and what to do.
    QTest::addColumn<QStringList>("fragments");

    const QStringList forms = {QStringLiteral("folder"), QStringLiteral("git URL"),
                               QStringLiteral(".tar.gz"), QStringLiteral(".zip"),
                               QStringLiteral(".jar/.war")};
    QTest::newRow("empty") << QString() << QString()
                           << (QStringList{QStringLiteral("no source given")} + forms);
    QTest::newRow("blank") << QStringLiteral(" \t ") << QString()
                           << (QStringList{QStringLiteral("no source given")} + forms);
    QTest::newRow("nonexistent path")
        << QStringLiteral("{tmp}/missing") << QString()
        << QStringList{QStringLiteral("'{tmp}/missing'"), QStringLiteral("does not exist"),
                       QStringLiteral("check the path")};
    QTest::newRow("nonexistent file URL")
        << QStringLiteral("file:///nonexistent/repo.git") << QString()
        << QStringList{QStringLiteral("file:///nonexistent/repo.git"),
                       QStringLiteral("does not exist")};
    QTest::newRow("nonexistent home path")
        << QStringLiteral("~/missing") << QString()
        << QStringList{QStringLiteral("'~/missing'"), QStringLiteral("does not exist")};
    QTest::newRow("ftp scheme") << QStringLiteral("ftp://example.com/app.tar.gz") << QString()
                                << (QStringList{QStringLiteral("unsupported scheme 'ftp'")} +
                                    forms);
    QTest::newRow("s3 scheme") << QStringLiteral("s3://bucket/app.zip") << QString()
                               << (QStringList{QStringLiteral("unsupported scheme 's3'")} + forms);
    QTest::newRow("http without host")
        << QStringLiteral("http:///app.tar.gz") << QString()
        << QStringList{QStringLiteral("'http:///app.tar.gz'"), QStringLiteral("not a valid URL")};
    QTest::newRow("ref on a plain folder")
        << QStringLiteral("{tmp}/plain") << QStringLiteral("main")
        << QStringList{QStringLiteral("'{tmp}/plain' is not a git repository"),
                       QStringLiteral("drop --ref")};
    QTest::newRow("ref on an archive")
        << QStringLiteral("{tmp}/a.tar.gz") << QStringLiteral("main")
        << QStringList{QStringLiteral("ref only applies to git sources"),
                       QStringLiteral("'{tmp}/a.tar.gz' is a file"), QStringLiteral("drop --ref")};
    QTest::newRow("ref on a jar") << QStringLiteral("{tmp}/hello.jar") << QStringLiteral("v1")
                                  << QStringList{QStringLiteral("ref only applies to git sources"),
                                                 QStringLiteral("drop --ref")};
    QTest::newRow("ref on a remote archive")
        << QStringLiteral("https://example.com/app.tar.gz") << QStringLiteral("main")
        << QStringList{QStringLiteral("ref only applies to git sources"),
                       QStringLiteral("'https://example.com/app.tar.gz' is an archive"),
                       QStringLiteral("drop --ref")};
    QTest::newRow("ref on a remote war")
        << QStringLiteral("https://example.com/ROOT.war") << QStringLiteral("main")
        << QStringList{QStringLiteral("ref only applies to git sources"),
                       QStringLiteral("drop --ref")};
    QTest::newRow("text file") << QStringLiteral("{tmp}/notes.txt") << QString()
                               << (QStringList{QStringLiteral("'{tmp}/notes.txt'"),
                                               QStringLiteral("not a supported source")} +
                                   forms);
    QTest::newRow("NUL in the path")
        << QStringLiteral("{tmp}/plain") + QChar(u'\0') + QStringLiteral("x") << QString()
        << QStringList{QStringLiteral("contains a NUL character"),
                       QStringLiteral("check how it was typed")};
    QTest::newRow("ref read as a git option")
        << QStringLiteral("https://example.com/app.git") << QStringLiteral("--upload-pack=touch x")
        << QStringList{QStringLiteral("'--upload-pack=touch x' is not a branch, tag or commit"),
                       QStringLiteral("start with '-'")};
    QTest::newRow("ref with a line break")
        << QStringLiteral("git@example.com:me/app.git") << QStringLiteral("main\nx")
        << QStringList{QStringLiteral("is not a branch, tag or commit name")};
    QTest::newRow("file without extension")
        << QStringLiteral("{tmp}/Makefile") << QString()
        << QStringList{QStringLiteral("'{tmp}/Makefile' is not a supported source")};
}

void tst_SourceSpec::refuses()
{
    QFETCH(QString, input);
    QFETCH(QString, ref);
    QFETCH(QStringList, fragments);

    const Result<SourceSpec> spec = SourceSpec::parse(expand(input), ref);
    QVERIFY2(!spec.has_value(), qPrintable(spec ? spec->kindName() : QString()));
    const QString message = spec.error().message;
    for (const QString &fragment : std::as_const(fragments))
        QVERIFY2(message.contains(expand(fragment)),
                 qPrintable(QStringLiteral("'%1' not in: %2").arg(expand(fragment), message)));
}

void tst_SourceSpec::fileNameAndKindName()
{
    const Result<SourceSpec> remote =
        SourceSpec::parse(QStringLiteral("https://example.com/dl/app.tar.gz?token=abc"));
    QVERIFY(remote.has_value());
    QCOMPARE(remote->fileName(), QStringLiteral("app.tar.gz"));
    QCOMPARE(remote->kindName(), QStringLiteral("archive"));

    const Result<SourceSpec> jar = SourceSpec::parse(m_dir.filePath(QStringLiteral("hello.jar")));
    QVERIFY(jar.has_value());
    QCOMPARE(jar->fileName(), QStringLiteral("hello.jar"));
    QCOMPARE(jar->kindName(), QStringLiteral("artifact"));

    const Result<SourceSpec> folder = SourceSpec::parse(m_dir.filePath(QStringLiteral("plain")));
    QVERIFY(folder.has_value());
    QCOMPARE(folder->kindName(), QStringLiteral("folder"));

    const Result<SourceSpec> git =
        SourceSpec::parse(QStringLiteral("git@github.com:acme/shop.git"));
    QVERIFY(git.has_value());
    QCOMPARE(git->kindName(), QStringLiteral("git"));
}

void tst_SourceSpec::suggestedAppName_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("name");

    QTest::newRow("folder") << QStringLiteral("{tmp}/plain") << QStringLiteral("plain");
    QTest::newRow("folder with space and capitals")
        << QStringLiteral("{tmp}/My App") << QStringLiteral("my-app");
    QTest::newRow("folder with trailing slash")
        << QStringLiteral("{tmp}/plain/") << QStringLiteral("plain");
    QTest::newRow("https git") << QStringLiteral("https://github.com/acme/Shop_Front.git")
                               << QStringLiteral("shop-front");
    QTest::newRow("https git trailing slash")
        << QStringLiteral("https://github.com/acme/shop/") << QStringLiteral("shop");
    QTest::newRow("scp-like git") << QStringLiteral("git@github.com:acme/billing.git")
                                  << QStringLiteral("billing");
    QTest::newRow("scp-like git without folder")
        << QStringLiteral("deploy@git.example.com:ledger") << QStringLiteral("ledger");
    QTest::newRow("ssh git") << QStringLiteral("ssh://git@example.com:2222/srv/api.git")
                             << QStringLiteral("api");
    QTest::newRow("tar.gz") << QStringLiteral("{tmp}/a.tar.gz") << QStringLiteral("app-a");
    QTest::newRow("versioned archive URL")
        << QStringLiteral("https://example.com/releases/shop-1.2.tar.xz")
        << QStringLiteral("shop-1-2");
    QTest::newRow("archive URL with query")
        << QStringLiteral("https://example.com/dl/shop.tar.gz?token=abc&x=1")
        << QStringLiteral("shop");
    QTest::newRow("archive URL with fragment")
        << QStringLiteral("https://example.com/dl/shop.zip#top") << QStringLiteral("shop");
    QTest::newRow("jar") << QStringLiteral("{tmp}/hello.jar") << QStringLiteral("hello");
    QTest::newRow("war") << QStringLiteral("{tmp}/ROOT.war") << QStringLiteral("root");
    QTest::newRow("remote jar with query")
        << QStringLiteral("https://example.com/hello.jar?sig=1") << QStringLiteral("hello");
    QTest::newRow("leading digits dropped")
        << QStringLiteral("https://example.com/2048-game.zip") << QStringLiteral("game");
    QTest::newRow("digits only") << QStringLiteral("https://example.com/2048.zip")
                                 << QStringLiteral("app");
    QTest::newRow("short name padded")
        << QStringLiteral("https://example.com/x.zip") << QStringLiteral("app-x");
    QTest::newRow("underscores and dots")
        << QStringLiteral("https://example.com/__my.site__.tgz") << QStringLiteral("my-site");
    QTest::newRow("long name cut without a trailing dash")
        << QStringLiteral("https://example.com/%1-%2.zip")
               .arg(QString(47, QLatin1Char('a')), QStringLiteral("tail"))
        << QString(47, QLatin1Char('a'));
}

void tst_SourceSpec::suggestedAppName()
{
    QFETCH(QString, input);
    QFETCH(QString, name);

    const Result<SourceSpec> spec = SourceSpec::parse(expand(input));
    QVERIFY2(spec.has_value(), qPrintable(spec ? QString() : spec.error().message));
    const QString suggested = spec->suggestedAppName();
    QCOMPARE(suggested, name);
    static const QRegularExpression valid(QStringLiteral("^[a-z][a-z0-9-]{1,46}[a-z0-9]$"));
    QVERIFY2(valid.match(suggested).hasMatch(), qPrintable(suggested));
}

QTEST_GUILESS_MAIN(tst_SourceSpec)
#include "tst_sourcespec.moc"
