#include "buildpack/BuildpacksFile.h"

#include <QRandomGenerator>
#include <QTest>

using namespace Slipway;

class tst_BuildpacksFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void keepsRefsAndResolvesFolders();
    void rejects_data();
    void rejects();
    void serialize();
    void serializeRoundTrips_data();
    void serializeRoundTrips();
    void survivesRandomInput();

private:
    static QStringList texts(const QList<BuildpackRef> &buildpacks);
};

namespace {

const QString Base = QStringLiteral("/src/app");

} // namespace

QStringList tst_BuildpacksFile::texts(const QList<BuildpackRef> &buildpacks)
{
    QStringList result;
    for (const BuildpackRef &buildpack : buildpacks)
        result.append(buildpack.text());
    return result;
}

void tst_BuildpacksFile::parse_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QStringList>("expected");

    const QString nodejs = QStringLiteral("nodejs");
    const QString python = QStringLiteral("python");
    const QString pinned = QStringLiteral("https://github.com/org/bp.git#v1");

    QTest::newRow("empty") << QByteArray() << QStringList{};
    QTest::newRow("blank and comment lines")
        << QByteArray("\n  \n# nodejs\n\t# python\n") << QStringList{};
    QTest::newRow("one") << QByteArray("nodejs\n") << QStringList{nodejs};
    QTest::newRow("no final newline") << QByteArray("nodejs") << QStringList{nodejs};
    QTest::newRow("order kept") << QByteArray("python\nnodejs\n") << QStringList{python, nodejs};
    QTest::newRow("surrounding spaces") << QByteArray("   nodejs  \t\n") << QStringList{nodejs};
    QTest::newRow("CRLF") << QByteArray("nodejs\r\npython\r\n") << QStringList{nodejs, python};
    QTest::newRow("BOM") << QByteArray("\xEF\xBB\xBFnodejs\n") << QStringList{nodejs};
    QTest::newRow("BOM then comment")
        << QByteArray("\xEF\xBB\xBF# list\r\nnodejs\r\n") << QStringList{nodejs};
    QTest::newRow("trailing comment")
        << QByteArray("nodejs # the front end\n") << QStringList{nodejs};
    QTest::newRow("trailing comment after a tab")
        << QByteArray("nodejs\t#x\n") << QStringList{nodejs};
    QTest::newRow("'#' right after a URL is its ref")
        << QByteArray("https://github.com/org/bp.git#v1\n") << QStringList{pinned};
    QTest::newRow("ref and trailing comment")
        << QByteArray("https://github.com/org/bp.git#v1   # pinned\n") << QStringList{pinned};
    QTest::newRow("mixed") << QByteArray("# build order\r\n"
                                         "https://github.com/heroku/heroku-buildpack-apt\r\n"
                                         "\r\n"
                                         "./buildpacks/assets # local one\r\n"
                                         "nodejs\r\n")
                           << QStringList{
                                  QStringLiteral("https://github.com/heroku/heroku-buildpack-apt"),
                                  QStringLiteral("./buildpacks/assets"), nodejs};
}

void tst_BuildpacksFile::parse()
{
    QFETCH(QByteArray, contents);
    QFETCH(QStringList, expected);

    const Result<QList<BuildpackRef>> buildpacks = BuildpacksFile::parse(contents, Base);
    QVERIFY2(buildpacks.has_value(),
             qPrintable(buildpacks ? QString() : buildpacks.error().message));
    QCOMPARE(texts(*buildpacks), expected);
}

void tst_BuildpacksFile::keepsRefsAndResolvesFolders()
{
    const Result<QList<BuildpackRef>> buildpacks = BuildpacksFile::parse(
        "git@github.com:org/bp.git#main # ssh\n../shared/bp\nhttps://x.org/a.tgz\n", Base);
    QVERIFY2(buildpacks.has_value(),
             qPrintable(buildpacks ? QString() : buildpacks.error().message));
    QCOMPARE(buildpacks->size(), 3);
    QCOMPARE(buildpacks->at(0).kind(), BuildpackRef::Kind::Git);
    QCOMPARE(buildpacks->at(0).location(), QStringLiteral("git@github.com:org/bp.git"));
    QCOMPARE(buildpacks->at(0).ref(), QStringLiteral("main"));
    QCOMPARE(buildpacks->at(1).kind(), BuildpackRef::Kind::Folder);
    QCOMPARE(buildpacks->at(1).location(), QStringLiteral("/src/shared/bp"));
    QCOMPARE(buildpacks->at(2).kind(), BuildpackRef::Kind::Tarball);
}

void tst_BuildpacksFile::rejects_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("mention");

    QTest::newRow("first line") << QByteArray("Node JS\n") << 1
                                << QStringLiteral("\"Node JS\" is not a buildpack reference");
    QTest::newRow("after blanks and comments")
        << QByteArray("# list\n\nnodejs\nftp://example.com/bp.tgz\n") << 4
        << QStringLiteral("unsupported scheme");
    QTest::newRow("CRLF and BOM numbering") << QByteArray("\xEF\xBB\xBFnodejs\r\n\r\nheroku/go\r\n")
                                            << 3 << QStringLiteral("\"./heroku/go\"");
    QTest::newRow("'# comment' without space before it")
        << QByteArray("https://github.com/org/bp.git# pinned\n") << 1
        << QStringLiteral("not a valid git branch or tag");
    QTest::newRow("invalid UTF-8")
        << QByteArray("nodejs\n\xC3\x28\n") << 2 << QStringLiteral("UTF-8");
    QTest::newRow("empty ref") << QByteArray("python\nhttps://x.org/bp.git#\n") << 2
                               << QStringLiteral("nothing after '#'");
}

void tst_BuildpacksFile::rejects()
{
    QFETCH(QByteArray, contents);
    QFETCH(int, line);
    QFETCH(QString, mention);

    const Result<QList<BuildpackRef>> buildpacks = BuildpacksFile::parse(contents, Base);
    QVERIFY2(!buildpacks.has_value(), "an invalid .buildpacks file was accepted");
    const QString message = buildpacks.error().message;
    QVERIFY2(message.startsWith(QStringLiteral(".buildpacks line %1: ").arg(line)),
             qPrintable(message));
    QVERIFY2(message.contains(mention), qPrintable(message));
}

void tst_BuildpacksFile::serialize()
{
    QList<BuildpackRef> buildpacks;
    for (const char *text : {"nodejs", "  https://github.com/org/bp.git#v1 ", "./vendor/bp"})
        buildpacks.append(*BuildpackRef::parse(QString::fromUtf8(text), Base));
    buildpacks.append(BuildpackRef()); // nothing to write for an empty reference

    QCOMPARE(BuildpacksFile::serialize(buildpacks),
             QByteArray("nodejs\nhttps://github.com/org/bp.git#v1\n./vendor/bp\n"));
    QCOMPARE(BuildpacksFile::serialize({}), QByteArray());
}

void tst_BuildpacksFile::serializeRoundTrips_data()
{
    QTest::addColumn<QByteArray>("contents");

    QTest::newRow("empty") << QByteArray();
    QTest::newRow("built-ins") << QByteArray("python\nnodejs\n");
    QTest::newRow("everything") << QByteArray(
        "# comment\r\nnodejs # web\r\n../bp\r\n~/bp\r\ngit@h.org:o/r.git#dev\r\n"
        "file:///srv/bp.git\r\n/opt/bp.tar.gz\r\nhttps://x.org/bp.tgz?x=1\r\n"
        "/opt/My Buildpacks/c#\r\n");
}

void tst_BuildpacksFile::serializeRoundTrips()
{
    QFETCH(QByteArray, contents);

    const Result<QList<BuildpackRef>> first = BuildpacksFile::parse(contents, Base);
    QVERIFY2(first.has_value(), qPrintable(first ? QString() : first.error().message));
    const Result<QList<BuildpackRef>> second =
        BuildpacksFile::parse(BuildpacksFile::serialize(*first), Base);
    QVERIFY2(second.has_value(), qPrintable(second ? QString() : second.error().message));
    QCOMPARE(*second, *first);
    QCOMPARE(texts(*second), texts(*first));
}

// Pseudo-random files with a fixed seed: never a crash, a list or a numbered error.
void tst_BuildpacksFile::survivesRandomInput()
{
    QRandomGenerator random(77);
    const QList<QByteArray> pieces = {
        "nodejs", "python", "https://", "git@",         "h.org", ":",  "/",  "./",
        "../",    "~/",     "#",        " #",           " ",     "\t", "\n", "\r\n",
        ".git",   ".tgz",   "ftp://",   "\xEF\xBB\xBF", "\xFF",  "A",  "-",  "@{",
    };
    int accepted = 0;
    for (int round = 0; round < 500; ++round) {
        QByteArray input;
        const int count = random.bounded(0, 16);
        for (int i = 0; i < count; ++i) {
            input += random.bounded(12) == 0 ? QByteArray(1, char(random.bounded(256)))
                                             : pieces.at(random.bounded(pieces.size()));
        }
        const Result<QList<BuildpackRef>> buildpacks = BuildpacksFile::parse(input, Base);
        if (buildpacks) {
            ++accepted;
            for (const BuildpackRef &buildpack : *buildpacks) {
                QVERIFY2(!buildpack.text().isEmpty(), input.toHex().constData());
                QVERIFY2(!buildpack.text().contains(u'\n'), input.toHex().constData());
            }
            const Result<QList<BuildpackRef>> again =
                BuildpacksFile::parse(BuildpacksFile::serialize(*buildpacks), Base);
            QVERIFY2(again && *again == *buildpacks, input.toHex().constData());
        } else {
            QVERIFY2(buildpacks.error().message.startsWith(QStringLiteral(".buildpacks line ")),
                     input.toHex().constData());
        }
    }
    QVERIFY(accepted > 0);
    QVERIFY(accepted < 500);
}

QTEST_GUILESS_MAIN(tst_BuildpacksFile)
#include "tst_buildpacksfile.moc"
