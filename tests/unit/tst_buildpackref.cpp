#include "buildpack/BuildpackRef.h"

#include <QDir>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTest>

using namespace Slipway;

class tst_BuildpackRef : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void rejects_data();
    void rejects();
    void relativeFolderWithoutBaseUsesCurrentDirectory();
    void cacheKeyIsStableAndSafe_data();
    void cacheKeyIsStableAndSafe();
    void cacheKeyTellsReferencesApart();
    void equality();
    void kindNames();
    void survivesRandomInput();
};

namespace {

const QString Base = QStringLiteral("/src/app");

} // namespace

void tst_BuildpackRef::parse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("location");
    QTest::addColumn<QString>("ref");
    QTest::addColumn<QString>("displayName");

    const QString builtIn = QStringLiteral("built-in");
    const QString folder = QStringLiteral("folder");
    const QString git = QStringLiteral("git");
    const QString tarball = QStringLiteral("tarball");
    const QString home = QDir::homePath();

    QTest::newRow("built-in") << QStringLiteral("nodejs") << builtIn << QStringLiteral("nodejs")
                              << QString() << QStringLiteral("nodejs");
    QTest::newRow("built-in, spaces trimmed")
        << QStringLiteral("  python \t") << builtIn << QStringLiteral("python") << QString()
        << QStringLiteral("python");
    QTest::newRow("built-in with punctuation")
        << QStringLiteral("procfile-only") << builtIn << QStringLiteral("procfile-only")
        << QString() << QStringLiteral("procfile-only");
    QTest::newRow("built-in starting with a digit")
        << QStringLiteral("3d.tools_x") << builtIn << QStringLiteral("3d.tools_x") << QString()
        << QStringLiteral("3d.tools_x");

    QTest::newRow("absolute folder")
        << QStringLiteral("/opt/buildpacks/custom") << folder
        << QStringLiteral("/opt/buildpacks/custom") << QString() << QStringLiteral("custom");
    QTest::newRow("trailing slash")
        << QStringLiteral("/opt/bp/") << folder << QStringLiteral("/opt/bp") << QString()
        << QStringLiteral("bp");
    QTest::newRow("./ folder") << QStringLiteral("./buildpacks/mine") << folder
                               << QStringLiteral("/src/app/buildpacks/mine") << QString()
                               << QStringLiteral("mine");
    QTest::newRow("../ folder") << QStringLiteral("../shared-bp") << folder
                                << QStringLiteral("/src/shared-bp") << QString()
                                << QStringLiteral("shared-bp");
    QTest::newRow("dot") << QStringLiteral(".") << folder << QStringLiteral("/src/app") << QString()
                         << QStringLiteral("app");
    QTest::newRow("cleaned") << QStringLiteral("./a/../b//c") << folder
                             << QStringLiteral("/src/app/b/c") << QString() << QStringLiteral("c");
    QTest::newRow("home") << QStringLiteral("~/bp") << folder << home + QStringLiteral("/bp")
                          << QString() << QStringLiteral("bp");
    QTest::newRow("'#' in a folder name")
        << QStringLiteral("/opt/c#/bp") << folder << QStringLiteral("/opt/c#/bp") << QString()
        << QStringLiteral("bp");
    QTest::newRow("spaces in a folder name")
        << QStringLiteral("/opt/My Buildpacks/bp one") << folder
        << QStringLiteral("/opt/My Buildpacks/bp one") << QString() << QStringLiteral("bp one");

    QTest::newRow("https") << QStringLiteral("https://github.com/heroku/heroku-buildpack-nodejs")
                           << git
                           << QStringLiteral("https://github.com/heroku/heroku-buildpack-nodejs")
                           << QString() << QStringLiteral("heroku-buildpack-nodejs");
    QTest::newRow("https .git with tag")
        << QStringLiteral("https://github.com/heroku/heroku-buildpack-nodejs.git#v250") << git
        << QStringLiteral("https://github.com/heroku/heroku-buildpack-nodejs.git")
        << QStringLiteral("v250") << QStringLiteral("heroku-buildpack-nodejs");
    QTest::newRow("https trailing slash")
        << QStringLiteral("https://example.com/org/repo/") << git
        << QStringLiteral("https://example.com/org/repo/") << QString() << QStringLiteral("repo");
    QTest::newRow("https host only")
        << QStringLiteral("https://example.com") << git << QStringLiteral("https://example.com")
        << QString() << QStringLiteral("example.com");
    QTest::newRow("http with port")
        << QStringLiteral("http://git.local:8080/bp.git") << git
        << QStringLiteral("http://git.local:8080/bp.git") << QString() << QStringLiteral("bp");
    QTest::newRow("ssh with branch") << QStringLiteral("ssh://git@example.com/org/bp.git#main")
                                     << git << QStringLiteral("ssh://git@example.com/org/bp.git")
                                     << QStringLiteral("main") << QStringLiteral("bp");
    QTest::newRow("git protocol") << QStringLiteral("git://example.com/bp.git") << git
                                  << QStringLiteral("git://example.com/bp.git") << QString()
                                  << QStringLiteral("bp");
    QTest::newRow("scp-like") << QStringLiteral("git@github.com:org/bp.git#release/1.0") << git
                              << QStringLiteral("git@github.com:org/bp.git")
                              << QStringLiteral("release/1.0") << QStringLiteral("bp");
    QTest::newRow("commit") << QStringLiteral("https://example.com/bp.git#3f2a9c1") << git
                            << QStringLiteral("https://example.com/bp.git")
                            << QStringLiteral("3f2a9c1") << QStringLiteral("bp");
    QTest::newRow("file URL") << QStringLiteral("file:///srv/git/bp.git") << git
                              << QStringLiteral("file:///srv/git/bp.git") << QString()
                              << QStringLiteral("bp");
    QTest::newRow("file URL to a folder, with ref")
        << QStringLiteral("file:///srv/git/bp#dev") << git << QStringLiteral("file:///srv/git/bp")
        << QStringLiteral("dev") << QStringLiteral("bp");
    QTest::newRow("local .git") << QStringLiteral("/srv/git/bp.git") << git
                                << QStringLiteral("/srv/git/bp.git") << QString()
                                << QStringLiteral("bp");
    QTest::newRow("relative .git with ref")
        << QStringLiteral("../bp.git#main") << git << QStringLiteral("/src/bp.git")
        << QStringLiteral("main") << QStringLiteral("bp");
    QTest::newRow("upper-case scheme")
        << QStringLiteral("HTTPS://Example.com/Org/BP.git") << git
        << QStringLiteral("HTTPS://Example.com/Org/BP.git") << QString() << QStringLiteral("BP");

    QTest::newRow("tgz URL") << QStringLiteral("https://buildpacks.example.com/heroku/nodejs.tgz")
                             << tarball
                             << QStringLiteral("https://buildpacks.example.com/heroku/nodejs.tgz")
                             << QString() << QStringLiteral("nodejs");
    QTest::newRow("tar.gz URL with query")
        << QStringLiteral("http://example.com/dl/bp-1.2.tar.gz?token=abc") << tarball
        << QStringLiteral("http://example.com/dl/bp-1.2.tar.gz?token=abc") << QString()
        << QStringLiteral("bp-1.2");
    QTest::newRow("upper-case suffix")
        << QStringLiteral("https://example.com/BP.TGZ") << tarball
        << QStringLiteral("https://example.com/BP.TGZ") << QString() << QStringLiteral("BP");
    QTest::newRow("local tar.gz") << QStringLiteral("/opt/bp.tar.gz") << tarball
                                  << QStringLiteral("/opt/bp.tar.gz") << QString()
                                  << QStringLiteral("bp");
    QTest::newRow("relative tgz") << QStringLiteral("./vendor/bp.tgz") << tarball
                                  << QStringLiteral("/src/app/vendor/bp.tgz") << QString()
                                  << QStringLiteral("bp");
    QTest::newRow("file URL to tgz")
        << QStringLiteral("file:///opt/bp.tgz") << tarball << QStringLiteral("/opt/bp.tgz")
        << QString() << QStringLiteral("bp");
}

void tst_BuildpackRef::parse()
{
    QFETCH(QString, text);
    QFETCH(QString, kind);
    QFETCH(QString, location);
    QFETCH(QString, ref);
    QFETCH(QString, displayName);

    const Result<BuildpackRef> parsed = BuildpackRef::parse(text, Base);
    QVERIFY2(parsed.has_value(), qPrintable(parsed ? QString() : parsed.error().message));
    QCOMPARE(BuildpackRef::kindName(parsed->kind()), kind);
    QCOMPARE(parsed->location(), location);
    QCOMPARE(parsed->ref(), ref);
    QCOMPARE(parsed->displayName(), displayName);
    QCOMPARE(parsed->text(), text.trimmed());
}

void tst_BuildpackRef::rejects_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("mentions");

    const QString forms = QStringLiteral("a built-in name (nodejs), a folder (/path, ./path, "
                                         "../path or ~/path), a git URL");
    QTest::newRow("empty") << QString() << QStringList{QStringLiteral("empty"), forms};
    QTest::newRow("blank") << QStringLiteral(" \t ") << QStringList{QStringLiteral("empty"), forms};
    QTest::newRow("ftp") << QStringLiteral("ftp://example.com/bp.tgz")
                         << QStringList{QStringLiteral("\"ftp://example.com/bp.tgz\""),
                                        QStringLiteral("unsupported scheme \"ftp://\""), forms};
    QTest::newRow("s3") << QStringLiteral("s3://bucket/bp")
                        << QStringList{QStringLiteral("unsupported scheme \"s3://\"")};
    QTest::newRow("upper-case name")
        << QStringLiteral("NodeJS")
        << QStringList{QStringLiteral("\"NodeJS\""), QStringLiteral("lower case, as in \"nodejs\""),
                       forms};
    QTest::newRow("registry name")
        << QStringLiteral("heroku/nodejs")
        << QStringList{QStringLiteral("such as \"nodejs\""), QStringLiteral("\"./heroku/nodejs\"")};
    QTest::newRow("bare relative path") << QStringLiteral("vendor/Buildpack")
                                        << QStringList{QStringLiteral("\"./vendor/Buildpack\"")};
    QTest::newRow("scheme-less URL") << QStringLiteral("github.com/heroku/heroku-buildpack-go")
                                     << QStringList{QStringLiteral("https://"), forms};
    QTest::newRow("words") << QStringLiteral("my buildpack")
                           << QStringList{QStringLiteral("\"my buildpack\" is not a buildpack "
                                                         "reference"),
                                          forms};
    QTest::newRow("option-like") << QStringLiteral("-rf") << QStringList{forms};
    QTest::newRow("space in URL") << QStringLiteral("https://example.com/my bp.git")
                                  << QStringList{QStringLiteral("not a valid URL")};
    QTest::newRow("no host") << QStringLiteral("https:///bp.git")
                             << QStringList{QStringLiteral("no host name")};
    QTest::newRow("scp-style port in ssh URL")
        << QStringLiteral("ssh://git@github.com:org/bp.git")
        << QStringList{QStringLiteral("ssh://user@host/path or user@host:path")};
    QTest::newRow("option-like ssh host") << QStringLiteral("ssh://-oProxyCommand=x/bp")
                                          << QStringList{QStringLiteral("not a valid URL")};
    QTest::newRow("empty ref") << QStringLiteral("https://example.com/bp.git#")
                               << QStringList{QStringLiteral("nothing after '#'")};
    QTest::newRow("option as ref") << QStringLiteral("https://example.com/bp.git#--upload-pack=x")
                                   << QStringList{QStringLiteral("not a valid git branch or tag")};
    QTest::newRow("space in ref") << QStringLiteral("https://example.com/bp.git# comment")
                                  << QStringList{QStringLiteral("not a valid git branch or tag")};
    QTest::newRow("dots in ref") << QStringLiteral("git@example.com:bp.git#a..b")
                                 << QStringList{QStringLiteral("not a valid git branch or tag")};
    QTest::newRow("local .git, empty ref")
        << QStringLiteral("./bp.git#") << QStringList{QStringLiteral("nothing after '#'")};
    QTest::newRow("ref on an archive")
        << QStringLiteral("https://example.com/bp.tgz#v1")
        << QStringList{QStringLiteral("archive"), QStringLiteral("\"#v1\"")};
    QTest::newRow("file URL on another host")
        << QStringLiteral("file://server/srv/bp.git")
        << QStringList{QStringLiteral("\"server\""), QStringLiteral("file:///path")};
    QTest::newRow("file URL without path")
        << QStringLiteral("file:///") << QStringList{QStringLiteral("no path")};
    QTest::newRow("scp-like without path")
        << QStringLiteral("git@github.com:") << QStringList{QStringLiteral("no repository path")};
    QTest::newRow("line break") << QStringLiteral("nodejs\npython")
                                << QStringList{QStringLiteral("control character")};
    QTest::newRow("tab inside") << QStringLiteral("/opt/a\tb")
                                << QStringList{QStringLiteral("control character")};
    QTest::newRow("Windows path") << QStringLiteral("C:\\buildpacks\\bp") << QStringList{forms};
}

void tst_BuildpackRef::rejects()
{
    QFETCH(QString, text);
    QFETCH(QStringList, mentions);

    const Result<BuildpackRef> parsed = BuildpackRef::parse(text, Base);
    QVERIFY2(!parsed.has_value(),
             qPrintable(parsed ? QStringLiteral("accepted as ") + parsed->location() : QString()));
    for (const QString &mention : mentions) {
        QVERIFY2(parsed.error().message.contains(mention),
                 qPrintable(mention + QStringLiteral(" not in: ") + parsed.error().message));
    }
}

void tst_BuildpackRef::relativeFolderWithoutBaseUsesCurrentDirectory()
{
    const Result<BuildpackRef> parsed = BuildpackRef::parse(QStringLiteral("./bp"));
    QVERIFY(parsed.has_value());
    QCOMPARE(parsed->location(), QDir::current().absoluteFilePath(QStringLiteral("bp")));
}

void tst_BuildpackRef::cacheKeyIsStableAndSafe_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("readablePart");

    QTest::newRow("built-in") << QStringLiteral("nodejs") << QStringLiteral("nodejs");
    QTest::newRow("git") << QStringLiteral("https://github.com/heroku/heroku-buildpack-nodejs#v1")
                         << QStringLiteral("heroku-buildpack-nodejs");
    QTest::newRow("non-ASCII folder") << QString::fromUtf8("/opt/b\xC3\xBC"
                                                           "cher")
                                      << QStringLiteral("b-cher");
    QTest::newRow("dot folder") << QStringLiteral("/opt/.hidden") << QStringLiteral("hidden");
    QTest::newRow("root") << QStringLiteral("/") << QStringLiteral("buildpack");
    QTest::newRow("long name") << QStringLiteral("/opt/") + QString(100, u'n') << QString(40, u'n');
}

void tst_BuildpackRef::cacheKeyIsStableAndSafe()
{
    QFETCH(QString, text);
    QFETCH(QString, readablePart);

    const Result<BuildpackRef> first = BuildpackRef::parse(text, Base);
    const Result<BuildpackRef> second = BuildpackRef::parse(text, Base);
    QVERIFY(first && second);
    QCOMPARE(first->cacheKey(), second->cacheKey());
    static const QRegularExpression safe(
        QStringLiteral("^[A-Za-z0-9_][A-Za-z0-9._-]*-[0-9a-f]{40}$"));
    QVERIFY2(safe.match(first->cacheKey()).hasMatch(), qPrintable(first->cacheKey()));
    QVERIFY2(first->cacheKey().startsWith(readablePart + u'-'), qPrintable(first->cacheKey()));
}

void tst_BuildpackRef::cacheKeyTellsReferencesApart()
{
    const auto key = [](const QString &text) {
        const Result<BuildpackRef> parsed = BuildpackRef::parse(text, Base);
        return parsed ? parsed->cacheKey() : QString();
    };
    const QString main = key(QStringLiteral("https://example.com/a/bp.git#main"));
    QVERIFY(!main.isEmpty());
    QVERIFY(main != key(QStringLiteral("https://example.com/a/bp.git#v1")));
    QVERIFY(main != key(QStringLiteral("https://example.com/a/bp.git")));
    QVERIFY(main != key(QStringLiteral("https://example.com/b/bp.git#main")));
    // The same place written two ways is the same cached copy.
    QCOMPARE(key(QStringLiteral("./bp")), key(QStringLiteral("/src/app/bp")));
}

void tst_BuildpackRef::equality()
{
    const auto parse = [](const QString &text) { return *BuildpackRef::parse(text, Base); };
    QVERIFY(parse(QStringLiteral("./bp")) == parse(QStringLiteral("/src/app/bp")));
    QVERIFY(parse(QStringLiteral("nodejs")) == parse(QStringLiteral(" nodejs ")));
    QVERIFY(!(parse(QStringLiteral("nodejs")) == parse(QStringLiteral("python"))));
    QVERIFY(!(parse(QStringLiteral("https://x.org/bp.git#a")) ==
              parse(QStringLiteral("https://x.org/bp.git#b"))));
    QVERIFY(!(parse(QStringLiteral("/opt/bp.git")) == parse(QStringLiteral("/opt/bp"))));
    QVERIFY(BuildpackRef() == BuildpackRef());
    QVERIFY(!(BuildpackRef() == parse(QStringLiteral("nodejs"))));
}

void tst_BuildpackRef::kindNames()
{
    QCOMPARE(BuildpackRef::kindName(BuildpackRef::Kind::BuiltIn), QStringLiteral("built-in"));
    QCOMPARE(BuildpackRef::kindName(BuildpackRef::Kind::Folder), QStringLiteral("folder"));
    QCOMPARE(BuildpackRef::kindName(BuildpackRef::Kind::Git), QStringLiteral("git"));
    QCOMPARE(BuildpackRef::kindName(BuildpackRef::Kind::Tarball), QStringLiteral("tarball"));
}

// Pseudo-random references with a fixed seed, built from the pieces the parser looks at.
void tst_BuildpackRef::survivesRandomInput()
{
    QRandomGenerator random(4242);
    const QStringList pieces = {
        QStringLiteral("https://"), QStringLiteral("http://"),     QStringLiteral("ssh://"),
        QStringLiteral("git://"),   QStringLiteral("file://"),     QStringLiteral("ftp://"),
        QStringLiteral("git@"),     QStringLiteral("host"),        QStringLiteral(":"),
        QStringLiteral("/"),        QStringLiteral("./"),          QStringLiteral("../"),
        QStringLiteral("~"),        QStringLiteral("#"),           QStringLiteral(".git"),
        QStringLiteral(".tgz"),     QStringLiteral(".tar.gz"),     QStringLiteral("node"),
        QStringLiteral(" "),        QStringLiteral("-"),           QStringLiteral("%"),
        QStringLiteral("\n"),       QStringLiteral("?q=1"),        QStringLiteral("A"),
        QStringLiteral(".."),       QString::fromUtf8("\xC3\xA9"), QStringLiteral("@{"),
    };
    int accepted = 0;
    for (int round = 0; round < 600; ++round) {
        QString input;
        const int count = random.bounded(0, 10);
        for (int i = 0; i < count; ++i) {
            input += random.bounded(10) == 0 ? QChar(char16_t(random.bounded(1, 0x3000)))
                                             : pieces.at(random.bounded(pieces.size()));
        }
        const Result<BuildpackRef> parsed = BuildpackRef::parse(input, Base);
        if (parsed) {
            ++accepted;
            QCOMPARE(parsed->text(), input.trimmed());
            QVERIFY2(!parsed->location().isEmpty(), qPrintable(input));
            QVERIFY2(!parsed->displayName().isEmpty(), qPrintable(input));
            QVERIFY2(!parsed->cacheKey().contains(u'/'), qPrintable(input));
            if (parsed->kind() == BuildpackRef::Kind::Folder)
                QVERIFY2(QDir::isAbsolutePath(parsed->location()), qPrintable(input));
            if (!parsed->ref().isEmpty()) {
                QCOMPARE(parsed->kind(), BuildpackRef::Kind::Git);
                QVERIFY2(!parsed->ref().startsWith(u'-'), qPrintable(input));
            }
        } else {
            QVERIFY(!parsed.error().message.isEmpty());
        }
    }
    QVERIFY(accepted > 0);
    QVERIFY(accepted < 600);
}

QTEST_GUILESS_MAIN(tst_BuildpackRef)
#include "tst_buildpackref.moc"
