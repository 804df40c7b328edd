#include "release/ProcessTypes.h"
#include "release/Procfile.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace Slipway;

class tst_Procfile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void rejects_data();
    void rejects();
    void nameLengthBoundary_data();
    void nameLengthBoundary();
    void specialTypes_data();
    void specialTypes();
    void readMissingProcfile();
    void readProcfile();
    void readRejectsFolder();
    void readRejectsHugeFile();
    void readReportsLineNumbers();
    void survivesRandomInput();

private:
    static bool writeFile(const QString &path, const QByteArray &contents);
};

void tst_Procfile::parse_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<ProcessTypes>("expected");

    const QString node = QStringLiteral("node server.js");
    QTest::newRow("empty file") << QByteArray() << ProcessTypes{};
    QTest::newRow("only blank lines") << QByteArray("\n\n  \n\t\n") << ProcessTypes{};
    QTest::newRow("only comments") << QByteArray("# web: x\n  # indented\n") << ProcessTypes{};
    QTest::newRow("one line") << QByteArray("web: node server.js\n")
                              << ProcessTypes{{QStringLiteral("web"), node}};
    QTest::newRow("no final newline")
        << QByteArray("web: node server.js") << ProcessTypes{{QStringLiteral("web"), node}};
    QTest::newRow("several")
        << QByteArray("web: node server.js\nworker: node worker.js\npostdeploy: npm run migrate\n")
        << ProcessTypes{{QStringLiteral("web"), node},
                        {QStringLiteral("worker"), QStringLiteral("node worker.js")},
                        {QStringLiteral("postdeploy"), QStringLiteral("npm run migrate")}};
    QTest::newRow("CRLF") << QByteArray("web: node server.js\r\nclock: bin/clock\r\n")
                          << ProcessTypes{{QStringLiteral("web"), node},
                                          {QStringLiteral("clock"), QStringLiteral("bin/clock")}};
    QTest::newRow("BOM") << QByteArray("\xEF\xBB\xBFweb: node server.js\n")
                         << ProcessTypes{{QStringLiteral("web"), node}};
    QTest::newRow("BOM, CRLF, comments and blanks")
        << QByteArray("\xEF\xBB\xBF# processes\r\n\r\nweb: node server.js\r\n   # off: x\r\n")
        << ProcessTypes{{QStringLiteral("web"), node}};
    QTest::newRow("command trimmed") << QByteArray("web:\t  node server.js  \t\n")
                                     << ProcessTypes{{QStringLiteral("web"), node}};
    QTest::newRow("no space after colon")
        << QByteArray("web:node server.js\n") << ProcessTypes{{QStringLiteral("web"), node}};
    QTest::newRow("indented line")
        << QByteArray("   web: node server.js\n") << ProcessTypes{{QStringLiteral("web"), node}};
    QTest::newRow("space before colon")
        << QByteArray("web : node server.js\n") << ProcessTypes{{QStringLiteral("web"), node}};
    QTest::newRow("colons in command")
        << QByteArray("web: gunicorn --bind 0.0.0.0:$PORT app:wsgi\n")
        << ProcessTypes{
               {QStringLiteral("web"), QStringLiteral("gunicorn --bind 0.0.0.0:$PORT app:wsgi")}};
    QTest::newRow("hash inside command")
        << QByteArray("web: echo '#1' # not a comment\n")
        << ProcessTypes{{QStringLiteral("web"), QStringLiteral("echo '#1' # not a comment")}};
    QTest::newRow("name with digits, dash and underscore")
        << QByteArray("worker-2_fast: bin/work\n")
        << ProcessTypes{{QStringLiteral("worker-2_fast"), QStringLiteral("bin/work")}};
    QTest::newRow("case matters") << QByteArray("Web: a\nweb: b\n")
                                  << ProcessTypes{{QStringLiteral("Web"), QStringLiteral("a")},
                                                  {QStringLiteral("web"), QStringLiteral("b")}};
    QTest::newRow("UTF-8 command")
        << QByteArray("web: echo h\xC3\xA9llo\n")
        << ProcessTypes{{QStringLiteral("web"), QString::fromUtf8("echo h\xC3\xA9llo")}};
}

void tst_Procfile::parse()
{
    QFETCH(QByteArray, contents);
    QFETCH(ProcessTypes, expected);

    const Result<ProcessTypes> types = Procfile::parse(contents);
    QVERIFY2(types.has_value(), qPrintable(types ? QString() : types.error().message));
    QCOMPARE(*types, expected);
}

void tst_Procfile::rejects_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<int>("line");
    QTest::addColumn<QStringList>("mentions");

    const QString form = QStringLiteral("name: command");
    QTest::newRow("no colon") << QByteArray("web node server.js\n") << 1
                              << QStringList{QStringLiteral("no ':'"), form};
    QTest::newRow("missing name") << QByteArray(": node server.js\n") << 1
                                  << QStringList{QStringLiteral("name before ':'"), form};
    QTest::newRow("missing command")
        << QByteArray("web:\n") << 1
        << QStringList{QStringLiteral("has no command"), QStringLiteral("\"web\""), form};
    QTest::newRow("blank command")
        << QByteArray("web:   \t\n") << 1 << QStringList{QStringLiteral("has no command")};
    QTest::newRow("space in name")
        << QByteArray("web app: node server.js\n") << 1
        << QStringList{QStringLiteral("\"web app\""),
                       QStringLiteral("letters, digits, '-' and '_'"), form};
    QTest::newRow("dot in name") << QByteArray("web.1: x\n") << 1
                                 << QStringList{QStringLiteral("letters, digits")};
    QTest::newRow("non-ASCII letter in name")
        << QByteArray("w\xC3\xA9"
                      "b: x\n")
        << 1 << QStringList{QStringLiteral("letters, digits")};
    QTest::newRow("name too long")
        << QByteArray("abcdefghijklmnopqrstuvwxy: x\n") << 1
        << QStringList{QStringLiteral("25 characters"), QStringLiteral("at most 24")};
    QTest::newRow("duplicate") << QByteArray("web: a\nworker: b\nweb: c\n") << 3
                               << QStringList{QStringLiteral("already defined on line 1"),
                                              QStringLiteral("\"web\"")};
    QTest::newRow("counts comment and blank lines") << QByteArray("# one\n\nweb: a\nbroken\n") << 4
                                                    << QStringList{QStringLiteral("\"broken\"")};
    QTest::newRow("counts CRLF lines after a BOM")
        << QByteArray("\xEF\xBB\xBFweb: a\r\n\r\nworker b\r\n") << 3
        << QStringList{QStringLiteral("\"worker b\"")};
    QTest::newRow("invalid UTF-8")
        << QByteArray("web: a\nworker: \xFF\xFE\n") << 2 << QStringList{QStringLiteral("UTF-8")};
    QTest::newRow("NUL character")
        << QByteArray("web: a\0b\n", 9) << 1 << QStringList{QStringLiteral("NUL")};
    QTest::newRow("YAML-style indentation")
        << QByteArray("processes:\n  web: x\n") << 1
        << QStringList{QStringLiteral("\"processes\""), QStringLiteral("has no command")};
}

void tst_Procfile::rejects()
{
    QFETCH(QByteArray, contents);
    QFETCH(int, line);
    QFETCH(QStringList, mentions);

    const Result<ProcessTypes> types = Procfile::parse(contents);
    QVERIFY2(!types.has_value(), "a malformed Procfile was accepted");
    const QString message = types.error().message;
    const QString prefix = QStringLiteral("Procfile line %1: ").arg(line);
    QVERIFY2(message.startsWith(prefix), qPrintable(message));
    for (const QString &mention : mentions)
        QVERIFY2(message.contains(mention),
                 qPrintable(mention + QStringLiteral(" not in: ") + message));
}

void tst_Procfile::nameLengthBoundary_data()
{
    QTest::addColumn<int>("length");
    QTest::addColumn<bool>("valid");

    QTest::newRow("0") << 0 << false;
    QTest::newRow("1") << 1 << true;
    QTest::newRow("23") << 23 << true;
    QTest::newRow("24") << 24 << true;
    QTest::newRow("25") << 25 << false;
    QTest::newRow("100") << 100 << false;
}

void tst_Procfile::nameLengthBoundary()
{
    QFETCH(int, length);
    QFETCH(bool, valid);

    const QString name(length, u'w');
    QCOMPARE(Procfile::validateName(name).has_value(), valid);
    const Result<ProcessTypes> types = Procfile::parse(name.toUtf8() + ": run\n");
    QCOMPARE(types.has_value(), valid);
    if (valid)
        QCOMPARE(types->value(name), QStringLiteral("run"));
}

void tst_Procfile::specialTypes_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("probed");
    QTest::addColumn<bool>("hook");

    QTest::newRow("web") << QStringLiteral("web") << true << false;
    QTest::newRow("tcp") << QStringLiteral("tcp") << true << false;
    QTest::newRow("postdeploy") << QStringLiteral("postdeploy") << false << true;
    QTest::newRow("worker") << QStringLiteral("worker") << false << false;
    QTest::newRow("Web is not web") << QStringLiteral("Web") << false << false;
    QTest::newRow("web2") << QStringLiteral("web2") << false << false;
}

void tst_Procfile::specialTypes()
{
    QFETCH(QString, name);
    QFETCH(bool, probed);
    QFETCH(bool, hook);

    QCOMPARE(isProbedType(name), probed);
    QCOMPARE(isHookType(name), hook);
    QCOMPARE(isSpecialType(name), probed || hook);
    QCOMPARE(Procfile::isSpecial(name), probed || hook);
}

bool tst_Procfile::writeFile(const QString &path, const QByteArray &contents)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(contents) == contents.size();
}

void tst_Procfile::readMissingProcfile()
{
    QTemporaryDir app;
    QVERIFY(app.isValid());
    // A differently cased file is not a Procfile.
    QVERIFY(writeFile(app.filePath(QStringLiteral("procfile")), "web: x\n"));

    const Result<ProcessTypes> types = Procfile::read(app.path());
    QVERIFY2(types.has_value(), qPrintable(types ? QString() : types.error().message));
    QVERIFY(types->isEmpty());
}

void tst_Procfile::readProcfile()
{
    QTemporaryDir app;
    QVERIFY(app.isValid());
    QVERIFY(
        writeFile(app.filePath(QStringLiteral("Procfile")),
                  "web: bundle exec puma -C config/puma.rb\r\nworker: bundle exec sidekiq\r\n"));

    const Result<ProcessTypes> types = Procfile::read(app.path());
    QVERIFY2(types.has_value(), qPrintable(types ? QString() : types.error().message));
    QCOMPARE(
        *types,
        (ProcessTypes{{QStringLiteral("web"), QStringLiteral("bundle exec puma -C config/puma.rb")},
                      {QStringLiteral("worker"), QStringLiteral("bundle exec sidekiq")}}));
}

void tst_Procfile::readRejectsFolder()
{
    QTemporaryDir app;
    QVERIFY(app.isValid());
    QVERIFY(QDir(app.path()).mkdir(QStringLiteral("Procfile")));

    const Result<ProcessTypes> types = Procfile::read(app.path());
    QVERIFY(!types.has_value());
    QVERIFY2(types.error().message.contains(QStringLiteral("is a folder")),
             qPrintable(types.error().message));
}

void tst_Procfile::readRejectsHugeFile()
{
    QTemporaryDir app;
    QVERIFY(app.isValid());
    QByteArray huge("web: x\n");
    huge += QByteArray(Procfile::MaximumFileSize, '#');
    QVERIFY(writeFile(app.filePath(QStringLiteral("Procfile")), huge));

    const Result<ProcessTypes> types = Procfile::read(app.path());
    QVERIFY(!types.has_value());
    QVERIFY2(types.error().message.contains(QStringLiteral("at most")),
             qPrintable(types.error().message));
}

void tst_Procfile::readReportsLineNumbers()
{
    QTemporaryDir app;
    QVERIFY(app.isValid());
    QVERIFY(writeFile(app.filePath(QStringLiteral("Procfile")), "web: a\n\n# c\nweb: b\n"));

    const Result<ProcessTypes> types = Procfile::read(app.path());
    QVERIFY(!types.has_value());
    QVERIFY2(types.error().message.startsWith(QStringLiteral("Procfile line 4: ")),
             qPrintable(types.error().message));
}

// Pseudo-random input, biased towards the bytes the parser cares about. A fixed seed makes
// a failure reproducible.
void tst_Procfile::survivesRandomInput()
{
    QRandomGenerator random(20240611);
    // The length comes from the literal: a count written by hand read past its end.
    static constexpr char bytes[] = "abwebWEB019-_:#  \t\r\n\n.$/\"'\xEF\xBB\xBF\xFF\xC3\xA9";
    const QByteArray alphabet(bytes, sizeof bytes - 1);
    int accepted = 0;
    for (int round = 0; round < 500; ++round) {
        QByteArray input;
        const int length = random.bounded(0, 120);
        for (int i = 0; i < length; ++i) {
            input += random.bounded(8) == 0 ? char(random.bounded(256))
                                            : alphabet.at(random.bounded(alphabet.size()));
        }
        const Result<ProcessTypes> types = Procfile::parse(input);
        if (types) {
            ++accepted;
            for (auto it = types->cbegin(); it != types->cend(); ++it) {
                QVERIFY2(Procfile::validateName(it.key()).has_value(), input.toHex().constData());
                QVERIFY2(!it.value().isEmpty() && it.value() == it.value().trimmed(),
                         input.toHex().constData());
            }
        } else {
            QVERIFY2(types.error().message.startsWith(QStringLiteral("Procfile line ")),
                     input.toHex().constData());
        }
    }
    // The generator must exercise both outcomes, or the check above proves little.
    QVERIFY(accepted > 0);
    QVERIFY(accepted < 500);
}

QTEST_GUILESS_MAIN(tst_Procfile)
#include "tst_procfile.moc"
