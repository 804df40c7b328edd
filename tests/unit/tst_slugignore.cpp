#include "slug/SlugIgnore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Qt::StringLiterals;
using Slipway::SlugIgnore;

namespace {

void writeFile(const QString &path, const QByteArray &contents = "x")
{
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly), qPrintable(path));
    file.write(contents);
}

bool exists(const QString &path)
{
    // QFileInfo::exists follows links; a dangling link still counts as being there.
    return QFileInfo(path).isSymLink() || QFileInfo::exists(path);
}

} // namespace

class tst_SlugIgnore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void parsing();
    void emptyFiles_data();
    void emptyFiles();
    void matching_data();
    void matching();
    void applyRemovesExactlyWhatMatches();
    void applyNeverFollowsSymlinks();
    void applyRemovesReadOnlyFolders();
    void applyWithoutPatternsTouchesNothing();
};

void tst_SlugIgnore::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_SlugIgnore::parsing()
{
    const SlugIgnore ignore = SlugIgnore::parse("# design sources\r\n"
                                                "*.psd\r\n"
                                                "\r\n"
                                                "   \n"
                                                "  docs/  \n"
                                                "#*.md\n"
                                                "!keep.psd\n"
                                                "/spec\r\n"
                                                "test/fixtures");
    QVERIFY(!ignore.isEmpty());
    QCOMPARE(ignore.patterns(),
             (QStringList{u"*.psd"_s, u"docs/"_s, u"/spec"_s, u"test/fixtures"_s}));
    // The carriage return is not part of the pattern.
    QVERIFY(ignore.matches(u"a.psd"_s, false));
    QVERIFY(ignore.matches(u"spec"_s, true));
    // Comments are not patterns.
    QVERIFY(!ignore.matches(u"README.md"_s, false));
    QVERIFY(!ignore.matches(u"# design sources"_s, false));
}

void tst_SlugIgnore::emptyFiles_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::newRow("nothing") << QByteArray();
    QTest::newRow("blank lines") << QByteArray("\n\r\n   \n");
    QTest::newRow("comments") << QByteArray("# nothing to ignore\r\n#*.log\n");
    QTest::newRow("only a slash") << QByteArray("/\n");
}

void tst_SlugIgnore::emptyFiles()
{
    QFETCH(QByteArray, contents);
    const SlugIgnore ignore = SlugIgnore::parse(contents);
    QVERIFY(ignore.isEmpty());
    QVERIFY(!ignore.matches(u"anything"_s, false));
}

void tst_SlugIgnore::matching_data()
{
    QTest::addColumn<QByteArray>("pattern");
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("isDirectory");
    QTest::addColumn<bool>("expected");

    // No slash: the name at any depth.
    QTest::newRow("name at top") << QByteArray("*.psd") << u"logo.psd"_s << false << true;
    QTest::newRow("name deep") << QByteArray("*.psd") << u"design/x/logo.psd"_s << false << true;
    QTest::newRow("name must match whole")
        << QByteArray("*.psd") << u"logo.psd.txt"_s << false << false;
    QTest::newRow("folder name deep") << QByteArray("tmp") << u"a/b/tmp"_s << true << true;
    QTest::newRow("under a matching folder")
        << QByteArray("tmp") << u"a/tmp/cache/x.bin"_s << false << true;
    QTest::newRow("prefix of a name") << QByteArray("tmp") << u"tmpfile"_s << false << false;
    QTest::newRow("leading ./ in path")
        << QByteArray("*.log") << u"./logs/a.log"_s << false << true;

    // A slash: anchored at the app root, leading slash optional.
    QTest::newRow("anchored at root") << QByteArray("/spec") << u"spec"_s << true << true;
    QTest::newRow("anchored, inside")
        << QByteArray("/spec") << u"spec/models/a_spec.rb"_s << false << true;
    QTest::newRow("anchored, not deeper") << QByteArray("/spec") << u"lib/spec"_s << true << false;
    QTest::newRow("inner slash anchors")
        << QByteArray("test/fixtures") << u"test/fixtures/big.bin"_s << false << true;
    QTest::newRow("inner slash, not deeper")
        << QByteArray("test/fixtures") << u"pkg/test/fixtures"_s << true << false;

    // Trailing slash: folders only.
    QTest::newRow("folder pattern, folder") << QByteArray("docs/") << u"docs"_s << true << true;
    QTest::newRow("folder pattern, file") << QByteArray("docs/") << u"docs"_s << false << false;
    QTest::newRow("folder pattern, deep folder")
        << QByteArray("docs/") << u"pkg/docs"_s << true << true;
    QTest::newRow("folder pattern, file inside")
        << QByteArray("docs/") << u"docs/a/b.md"_s << false << true;
    QTest::newRow("anchored folder pattern")
        << QByteArray("/vendor/cache/") << u"vendor/cache"_s << true << true;

    // Wildcards.
    QTest::newRow("star stays in a folder")
        << QByteArray("lib/*.js") << u"lib/a.js"_s << false << true;
    QTest::newRow("star does not cross /")
        << QByteArray("lib/*.js") << u"lib/sub/a.js"_s << false << false;
    QTest::newRow("star between slashes") << QByteArray("x/a*c") << u"x/a/b/c"_s << false << false;
    QTest::newRow("double star crosses /") << QByteArray("x/a**c") << u"x/a/b/c"_s << false << true;
    QTest::newRow("question mark") << QByteArray("x/a?c") << u"x/abc"_s << false << true;
    QTest::newRow("question mark not /") << QByteArray("x/a?c") << u"x/a/c"_s << false << false;
    QTest::newRow("**/ none") << QByteArray("lib/**/*.map") << u"lib/a.map"_s << false << true;
    QTest::newRow("**/ several") << QByteArray("lib/**/*.map") << u"lib/x/y/a.map"_s << false
                                 << true;
    QTest::newRow("**/ anchored") << QByteArray("lib/**/*.map") << u"other/a.map"_s << false
                                  << false;
    QTest::newRow("leading **/") << QByteArray("**/cache") << u"a/b/cache"_s << true << true;
    QTest::newRow("leading **/ at root") << QByteArray("**/cache") << u"cache"_s << true << true;
    QTest::newRow("trailing /**") << QByteArray("build/**") << u"build/out/app.o"_s << false
                                  << true;
    QTest::newRow("trailing /** not the folder")
        << QByteArray("build/**") << u"build"_s << true << false;
    QTest::newRow("character set") << QByteArray("[ab].txt") << u"a.txt"_s << false << true;
    QTest::newRow("character set miss") << QByteArray("[ab].txt") << u"c.txt"_s << false << false;
    QTest::newRow("negated set") << QByteArray("[!ab].txt") << u"c.txt"_s << false << true;
    QTest::newRow("range") << QByteArray("v[0-9].log") << u"v7.log"_s << false << true;
    QTest::newRow("dot is literal") << QByteArray("a.b") << u"axb"_s << false << false;
    QTest::newRow("plus is literal") << QByteArray("c++") << u"c++"_s << false << true;
    QTest::newRow("escaped star") << QByteArray("\\*.txt") << u"*.txt"_s << false << true;
    QTest::newRow("escaped star is literal")
        << QByteArray("\\*.txt") << u"a.txt"_s << false << false;
    QTest::newRow("case sensitive") << QByteArray("*.PSD") << u"logo.psd"_s << false << false;
}

void tst_SlugIgnore::matching()
{
    QFETCH(QByteArray, pattern);
    QFETCH(QString, path);
    QFETCH(bool, isDirectory);
    QFETCH(bool, expected);
    QCOMPARE(SlugIgnore::parse(pattern).matches(path, isDirectory), expected);
}

void tst_SlugIgnore::applyRemovesExactlyWhatMatches()
{
    QTemporaryDir root;
    const QString app = root.filePath(u"app"_s);
    for (const char *path : {"index.js", "logo.psd", "design/raw/banner.psd", "design/notes.txt",
                             "docs/guide/intro.md", "docs/index.md", "lib/docs.js",
                             "spec/a_spec.rb", "lib/spec/helper.rb", "node_modules/x/README.md",
                             "node_modules/x/index.js", ".slugignore"})
        writeFile(app + u'/' + QString::fromLatin1(path));
    QVERIFY(QDir().mkpath(app + u"/lib/empty/docs"_s));

    const SlugIgnore ignore = SlugIgnore::parse("*.psd\ndocs/\n/spec\nnode_modules/*/README.md\n");
    const auto removed = ignore.apply(app);
    QVERIFY2(removed, qPrintable(removed ? QString() : removed.error().message));
    // Top-most paths only, in walk order; a folder's content is not listed again.
    QCOMPARE(*removed, (QStringList{u"design/raw/banner.psd"_s, u"docs"_s, u"lib/empty/docs"_s,
                                    u"logo.psd"_s, u"node_modules/x/README.md"_s, u"spec"_s}));

    for (const QString &kept :
         {u"index.js"_s, u"design/notes.txt"_s, u"design/raw"_s, u"lib/docs.js"_s,
          u"lib/spec/helper.rb"_s, u"lib/empty"_s, u"node_modules/x/index.js"_s, u".slugignore"_s})
        QVERIFY2(exists(app + u'/' + kept), qPrintable(kept));
    for (const QString &gone : *removed)
        QVERIFY2(!exists(app + u'/' + gone), qPrintable(gone));
}

void tst_SlugIgnore::applyNeverFollowsSymlinks()
{
    QTemporaryDir root;
    const QString app = root.filePath(u"app"_s);
    const QString outside = root.filePath(u"outside"_s);
    writeFile(outside + u"/victim.psd"_s);
    writeFile(outside + u"/cache/keep.bin"_s);
    writeFile(app + u"/index.js"_s);
    QVERIFY(QDir().mkpath(app + u"/lib"_s));
    // A link into the outside folder, named like nothing that matches: its content
    // matches "*.psd" and "cache", and must be left alone.
    QVERIFY(QFile::link(outside, app + u"/lib/shared"_s));
    // A matching link is removed as a link; its target stays.
    QVERIFY(QFile::link(outside + u"/cache"_s, app + u"/cache"_s));
    QVERIFY(QFile::link(outside + u"/victim.psd"_s, app + u"/linked.psd"_s));

    const auto removed = SlugIgnore::parse("*.psd\ncache\n").apply(app);
    QVERIFY(removed);
    QCOMPARE(*removed, (QStringList{u"cache"_s, u"linked.psd"_s}));
    QVERIFY(QFileInfo(app + u"/lib/shared"_s).isSymLink());
    QVERIFY(QFileInfo::exists(outside + u"/victim.psd"_s));
    QVERIFY(QFileInfo::exists(outside + u"/cache/keep.bin"_s));
    QVERIFY(QFileInfo::exists(app + u"/index.js"_s));

    // "cache/" matches folders only, and a link to a folder is not one.
    QVERIFY(QFile::link(outside + u"/cache"_s, app + u"/cache"_s));
    const auto folderOnly = SlugIgnore::parse("cache/\n").apply(app);
    QVERIFY(folderOnly);
    QCOMPARE(*folderOnly, QStringList());
    QVERIFY(QFileInfo(app + u"/cache"_s).isSymLink());
}

void tst_SlugIgnore::applyRemovesReadOnlyFolders()
{
    // Go's module cache is made of read-only folders.
    QTemporaryDir root;
    const QString app = root.filePath(u"app"_s);
    writeFile(app + u"/vendor/cache/mod@v1/go.mod"_s);
    writeFile(app + u"/main.go"_s);
    QCOMPARE(::chmod(QFile::encodeName(app + u"/vendor/cache/mod@v1"_s).constData(), 0555), 0);
    QCOMPARE(::chmod(QFile::encodeName(app + u"/vendor/cache"_s).constData(), 0555), 0);

    const auto removed = SlugIgnore::parse("/vendor/cache/\n").apply(app);
    QVERIFY2(removed, qPrintable(removed ? QString() : removed.error().message));
    QCOMPARE(*removed, QStringList{u"vendor/cache"_s});
    QVERIFY(!exists(app + u"/vendor/cache"_s));
    QVERIFY(exists(app + u"/main.go"_s));
}

void tst_SlugIgnore::applyWithoutPatternsTouchesNothing()
{
    QTemporaryDir root;
    writeFile(root.filePath(u"a.psd"_s));
    const auto removed = SlugIgnore::parse("# nothing\n").apply(root.path());
    QVERIFY(removed);
    QVERIFY(removed->isEmpty());
    QVERIFY(exists(root.filePath(u"a.psd"_s)));
}

QTEST_GUILESS_MAIN(tst_SlugIgnore)
#include "tst_slugignore.moc"
