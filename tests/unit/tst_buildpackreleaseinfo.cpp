#include "buildpack/BuildpackReleaseInfo.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTest>

using namespace Slipway;

class tst_BuildpackReleaseInfo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data();
    void parse();
    void rejects_data();
    void rejects();
    void syntaxErrorsGivePositions_data();
    void syntaxErrorsGivePositions();
    void configVarValueLimit();
    void exponentialAliasesStayCheap();
    void survivesRandomInput();
    void survivesMutatedOutput();

private:
    static void checkOutcome(const QByteArray &input);
};

namespace {

const QString Prefix = QStringLiteral("buildpack 'nodejs': bin/release ");

ProcessTypes types(std::initializer_list<std::pair<const char *, const char *>> pairs)
{
    ProcessTypes result;
    for (const auto &[name, command] : pairs)
        result.insert(QString::fromUtf8(name), QString::fromUtf8(command));
    return result;
}

ConfigVars vars(std::initializer_list<std::pair<const char *, const char *>> pairs)
{
    ConfigVars result;
    for (const auto &[name, value] : pairs)
        result.insert(QString::fromUtf8(name), QString::fromUtf8(value));
    return result;
}

} // namespace

void tst_BuildpackReleaseInfo::parse_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<ProcessTypes>("processTypes");
    QTest::addColumn<ConfigVars>("configVars");
    QTest::addColumn<QStringList>("addons");

    QTest::newRow("no output") << QByteArray() << ProcessTypes{} << ConfigVars{} << QStringList{};
    QTest::newRow("white space only")
        << QByteArray(" \n\t\r\n") << ProcessTypes{} << ConfigVars{} << QStringList{};
    QTest::newRow("document marker only")
        << QByteArray("---\n") << ProcessTypes{} << ConfigVars{} << QStringList{};
    QTest::newRow("null document")
        << QByteArray("--- ~\n") << ProcessTypes{} << ConfigVars{} << QStringList{};
    QTest::newRow("empty map") << QByteArray("--- {}\n") << ProcessTypes{} << ConfigVars{}
                               << QStringList{};

    // What the classic buildpacks print.
    QTest::newRow("nodejs") << QByteArray("---\ndefault_process_types:\n  web: node server.js\n")
                            << types({{"web", "node server.js"}}) << ConfigVars{} << QStringList{};
    QTest::newRow("ruby") << QByteArray("---\n"
                                        "addons:\n"
                                        "- heroku-postgresql\n"
                                        "default_process_types:\n"
                                        "  rake: bundle exec rake\n"
                                        "  console: bin/rails console\n"
                                        "  web: bin/rails server -p ${PORT:-5000} -e $RAILS_ENV\n")
                          << types({{"rake", "bundle exec rake"},
                                    {"console", "bin/rails console"},
                                    {"web", "bin/rails server -p ${PORT:-5000} -e $RAILS_ENV"}})
                          << ConfigVars{} << QStringList{QStringLiteral("heroku-postgresql")};
    QTest::newRow("php, empty lists and maps")
        << QByteArray("---\naddons: []\nconfig_vars: {}\ndefault_process_types:\n"
                      "  web: heroku-php-apache2\n")
        << types({{"web", "heroku-php-apache2"}}) << ConfigVars{} << QStringList{};
    QTest::newRow("keys present but empty")
        << QByteArray("addons:\nconfig_vars:\ndefault_process_types:\n") << ProcessTypes{}
        << ConfigVars{} << QStringList{};
    QTest::newRow("config vars keep scalar text")
        << QByteArray("config_vars:\n"
                      "  PATH: /app/bin:/usr/local/bin:/usr/bin:/bin\n"
                      "  WEB_CONCURRENCY: 2\n"
                      "  DEBUG: false\n"
                      "  RATIO: 0.50\n"
                      "  UMASK: 0755\n"
                      "  QUOTED: \"42\"\n"
                      "  EMPTY: ''\n"
                      "  NOTHING:\n")
        << ProcessTypes{}
        << vars({{"PATH", "/app/bin:/usr/local/bin:/usr/bin:/bin"},
                 {"WEB_CONCURRENCY", "2"},
                 {"DEBUG", "false"},
                 {"RATIO", "0.50"},
                 {"UMASK", "0755"},
                 {"QUOTED", "42"},
                 {"EMPTY", ""},
                 {"NOTHING", ""}})
        << QStringList{};
    QTest::newRow("add-ons as maps")
        << QByteArray("addons:\n"
                      "  - plan: heroku-postgresql:mini\n"
                      "    as: DATABASE\n"
                      "  - plan: heroku-redis\n"
                      "  - name: scheduler\n"
                      "    options: [1, 2]\n")
        << ProcessTypes{} << ConfigVars{}
        << QStringList{QStringLiteral("heroku-postgresql:mini"), QStringLiteral("heroku-redis"),
                       QStringLiteral("{name: scheduler, options: [1, 2]}")};
    QTest::newRow("add-on as a single string")
        << QByteArray("addons: heroku-redis\n") << ProcessTypes{} << ConfigVars{}
        << QStringList{QStringLiteral("heroku-redis")};
    QTest::newRow("unknown keys ignored")
        << QByteArray("language: ruby\nsomething: [1, {a: b}]\n"
                      "default_process_types:\n  worker: bin/work\n")
        << types({{"worker", "bin/work"}}) << ConfigVars{} << QStringList{};
    QTest::newRow("CRLF") << QByteArray("---\r\ndefault_process_types:\r\n  web: npm start\r\n")
                          << types({{"web", "npm start"}}) << ConfigVars{} << QStringList{};
    QTest::newRow("BOM") << QByteArray("\xEF\xBB\xBF---\ndefault_process_types:\n  web: a\n")
                         << types({{"web", "a"}}) << ConfigVars{} << QStringList{};
    QTest::newRow("JSON") << QByteArray("{\"default_process_types\": {\"web\": \"npm start\"}, "
                                        "\"config_vars\": {\"A\": 1}}")
                          << types({{"web", "npm start"}}) << vars({{"A", "1"}}) << QStringList{};
    QTest::newRow("folded command")
        << QByteArray("default_process_types:\n"
                      "  web: >-\n    node\n    server.js\n")
        << types({{"web", "node server.js"}}) << ConfigVars{} << QStringList{};
    QTest::newRow("quoted command with colon")
        << QByteArray("default_process_types:\n  web: \"gunicorn app:wsgi -b :$PORT\"\n")
        << types({{"web", "gunicorn app:wsgi -b :$PORT"}}) << ConfigVars{} << QStringList{};
    QTest::newRow("command trimmed") << QByteArray("default_process_types:\n  web: '  a  '\n")
                                     << types({{"web", "a"}}) << ConfigVars{} << QStringList{};
    QTest::newRow("anchor and alias")
        << QByteArray("x: &cmd node s.js\ndefault_process_types:\n  web: *cmd\n  worker: *cmd\n")
        << types({{"web", "node s.js"}, {"worker", "node s.js"}}) << ConfigVars{} << QStringList{};
    QTest::newRow("24-character name")
        << QByteArray("default_process_types:\n  abcdefghijklmnopqrstuvwx: a\n")
        << types({{"abcdefghijklmnopqrstuvwx", "a"}}) << ConfigVars{} << QStringList{};
    QTest::newRow("64-character config var")
        << QByteArray("config_vars:\n  ") + QByteArray(64, 'V') + ": x\n"
        << ProcessTypes{} << ConfigVars{{QString(64, u'V'), QStringLiteral("x")}} << QStringList{};
    QTest::newRow("only the first document")
        << QByteArray("default_process_types:\n  web: a\n---\ndefault_process_types:\n  web: b\n")
        << types({{"web", "a"}}) << ConfigVars{} << QStringList{};
}

void tst_BuildpackReleaseInfo::parse()
{
    QFETCH(QByteArray, yaml);
    QFETCH(ProcessTypes, processTypes);
    QFETCH(ConfigVars, configVars);
    QFETCH(QStringList, addons);

    const Result<BuildpackReleaseInfo> info =
        BuildpackReleaseInfo::parse(yaml, QStringLiteral("nodejs"));
    QVERIFY2(info.has_value(), qPrintable(info ? QString() : info.error().message));
    QCOMPARE(info->defaultProcessTypes, processTypes);
    QCOMPARE(info->configVars, configVars);
    QCOMPARE(info->addons, addons);
}

void tst_BuildpackReleaseInfo::rejects_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("mention");

    QTest::newRow("list at the top")
        << QByteArray("- web: x\n") << QStringLiteral("printed a list where a YAML map");
    QTest::newRow("plain text") << QByteArray("Using Node 18\n")
                                << QStringLiteral("printed the text \"Using Node 18\" where");
    QTest::newRow("process types as a list")
        << QByteArray("default_process_types:\n  - web: x\n")
        << QStringLiteral("default_process_types as a list; it must be a map");
    QTest::newRow("process types as text") << QByteArray("default_process_types: npm start\n")
                                           << QStringLiteral("as the text \"npm start\"");
    QTest::newRow("invalid process type name")
        << QByteArray("default_process_types:\n  web.1: x\n")
        << QStringLiteral("\"web.1\" may only contain letters, digits, '-' and '_'");
    QTest::newRow("25-character name")
        << QByteArray("default_process_types:\n  abcdefghijklmnopqrstuvwxy: a\n")
        << QStringLiteral("at most 24 characters");
    QTest::newRow("list as process type name")
        << QByteArray("default_process_types:\n  ? [a]\n  : x\n")
        << QStringLiteral("whose name is a list");
    QTest::newRow("command missing") << QByteArray("default_process_types:\n  web:\n")
                                     << QStringLiteral("\"web\" without a command");
    QTest::newRow("command blank") << QByteArray("default_process_types:\n  web: '  '\n")
                                   << QStringLiteral("\"web\" without a command");
    QTest::newRow("command as a list") << QByteArray("default_process_types:\n  web: [a, b]\n")
                                       << QStringLiteral("\"web\" as a list; it must be a command");
    QTest::newRow("config vars as a list")
        << QByteArray("config_vars:\n  - A=1\n") << QStringLiteral("config_vars as a list");
    QTest::newRow("config var starting with '_'")
        << QByteArray("config_vars:\n  _X: 1\n") << QStringLiteral("\"_X\" starts with '_'");
    QTest::newRow("config var starting with a digit")
        << QByteArray("config_vars:\n  1X: 1\n") << QStringLiteral("\"1X\" starts with '1'");
    QTest::newRow("65-character config var")
        << QByteArray("config_vars:\n  ") + QByteArray(65, 'V') + ": x\n"
        << QStringLiteral("65 characters long");
    QTest::newRow("config var as a map") << QByteArray("config_vars:\n  X: {a: 1}\n")
                                         << QStringLiteral("X as a map; it must be a single value");
    QTest::newRow("not UTF-8") << QByteArray("default_process_types:\n  web: \xFF\n")
                               << QStringLiteral("not valid UTF-8");
    QTest::newRow("too large") << QByteArray("# ") + QByteArray(2 * 1024 * 1024, 'x')
                               << QStringLiteral("at most 1048576 bytes");
}

void tst_BuildpackReleaseInfo::rejects()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, mention);

    const Result<BuildpackReleaseInfo> info =
        BuildpackReleaseInfo::parse(yaml, QStringLiteral("nodejs"));
    QVERIFY2(!info.has_value(), "invalid bin/release output was accepted");
    const QString message = info.error().message;
    QVERIFY2(message.startsWith(Prefix), qPrintable(message));
    QVERIFY2(message.contains(mention),
             qPrintable(mention + QStringLiteral(" not in: ") + message));
}

void tst_BuildpackReleaseInfo::syntaxErrorsGivePositions_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("expected");

    QTest::newRow("unclosed flow list")
        << QByteArray("default_process_types:\n  web: [unclosed\n")
        << QStringLiteral(
               "printed invalid YAML: line 3, column 1: end of sequence flow not found.");
    QTest::newRow("colon in a plain value")
        << QByteArray("default_process_types:\n  web: a: b\n")
        << QStringLiteral("printed invalid YAML: line 2, column 9: illegal map value.");
    QTest::newRow("tab indentation")
        << QByteArray("config_vars:\n  A: 1\n\t- B\n")
        << QStringLiteral("printed invalid YAML: line 3, column 1: illegal tab when looking for "
                          "indentation.");
    QTest::newRow("bad indentation")
        << QByteArray("default_process_types:\n  web: x\n web2: y\n")
        << QStringLiteral("printed invalid YAML: line 3, column 2: end of map not found.");
    QTest::newRow("too deep") << QByteArray(5000, '[')
                              << QStringLiteral("printed invalid YAML: line 1, column ");
}

void tst_BuildpackReleaseInfo::syntaxErrorsGivePositions()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, expected);

    const Result<BuildpackReleaseInfo> info =
        BuildpackReleaseInfo::parse(yaml, QStringLiteral("nodejs"));
    QVERIFY2(!info.has_value(), "invalid YAML was accepted");
    QVERIFY2(info.error().message.startsWith(Prefix + expected), qPrintable(info.error().message));
}

void tst_BuildpackReleaseInfo::configVarValueLimit()
{
    const QByteArray head("config_vars:\n  KEY: ");
    const Result<BuildpackReleaseInfo> longest =
        BuildpackReleaseInfo::parse(head + QByteArray(32768, 'k') + '\n', QStringLiteral("nodejs"));
    QVERIFY2(longest.has_value(), qPrintable(longest ? QString() : longest.error().message));
    QCOMPARE(longest->configVars.value(QStringLiteral("KEY")).size(), 32768);

    const Result<BuildpackReleaseInfo> tooLong =
        BuildpackReleaseInfo::parse(head + QByteArray(32769, 'k') + '\n', QStringLiteral("nodejs"));
    QVERIFY(!tooLong.has_value());
    QVERIFY2(tooLong.error().message.contains(QStringLiteral("The value of KEY is 32,769 "
                                                             "characters long")),
             qPrintable(tooLong.error().message));
}

// Aliases nest cheaply in YAML but expand exponentially; showing add-ons must not expand them.
void tst_BuildpackReleaseInfo::exponentialAliasesStayCheap()
{
    QByteArray yaml("a0: &a0 [lol, lol]\n");
    for (int level = 1; level < 40; ++level) {
        yaml += QStringLiteral("a%1: &a%1 [*a%2, *a%2]\n").arg(level).arg(level - 1).toUtf8();
    }
    yaml += "addons: [*a39]\n";

    QElapsedTimer timer;
    timer.start();
    const Result<BuildpackReleaseInfo> info =
        BuildpackReleaseInfo::parse(yaml, QStringLiteral("nodejs"));
    QVERIFY(timer.elapsed() < 5000);
    QVERIFY2(info.has_value(), qPrintable(info ? QString() : info.error().message));
    QCOMPARE(info->addons.size(), 1);
    QVERIFY(info->addons.constFirst().size() <= 201);
    QVERIFY(info->addons.constFirst().startsWith(QStringLiteral("[[[[")));
}

void tst_BuildpackReleaseInfo::checkOutcome(const QByteArray &input)
{
    const Result<BuildpackReleaseInfo> info =
        BuildpackReleaseInfo::parse(input, QStringLiteral("nodejs"));
    if (info) {
        for (auto it = info->defaultProcessTypes.cbegin(); it != info->defaultProcessTypes.cend();
             ++it) {
            QVERIFY2(!it.key().isEmpty() && it.key().size() <= 24, input.toHex().constData());
            QVERIFY2(!it.value().isEmpty(), input.toHex().constData());
        }
        for (auto it = info->configVars.cbegin(); it != info->configVars.cend(); ++it)
            QVERIFY2(ConfigVar::validateName(it.key()).has_value(), input.toHex().constData());
    } else {
        QVERIFY2(info.error().message.startsWith(Prefix), input.toHex().constData());
    }
}

// Pseudo-random YAML-ish bytes with a fixed seed: every exception yaml-cpp throws must be
// turned into an error, whatever the input.
void tst_BuildpackReleaseInfo::survivesRandomInput()
{
    QRandomGenerator random(1234);
    const QList<QByteArray> pieces = {
        "default_process_types",
        "config_vars",
        "addons",
        "web",
        "A_1",
        ":",
        ": ",
        "- ",
        "\n",
        "\n  ",
        "  ",
        "\t",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&a ",
        "*a",
        "!!str ",
        "!!binary ",
        "|",
        ">",
        "'",
        "\"",
        "#",
        "? ",
        "---",
        "...",
        "%YAML 1.2\n",
        "~",
        "1",
        "true",
        "\\",
        "@",
        "`",
        "\xEF\xBB\xBF",
        "\r\n",
    };
    for (int round = 0; round < 600; ++round) {
        QByteArray input;
        const int count = random.bounded(0, 30);
        for (int i = 0; i < count; ++i) {
            input += random.bounded(10) == 0 ? QByteArray(1, char(random.bounded(256)))
                                             : pieces.at(random.bounded(pieces.size()));
        }
        checkOutcome(input);
        if (QTest::currentTestFailed())
            return;
    }
}

// Real output with a few bytes changed: closer to valid, so the deeper paths get exercised.
void tst_BuildpackReleaseInfo::survivesMutatedOutput()
{
    const QByteArray original("---\n"
                              "addons:\n"
                              "  - plan: heroku-postgresql:mini\n"
                              "    as: DATABASE\n"
                              "config_vars:\n"
                              "  WEB_CONCURRENCY: 2\n"
                              "  PATH: /app/bin:/usr/bin\n"
                              "default_process_types:\n"
                              "  web: node server.js\n"
                              "  worker: node worker.js\n");
    const QByteArray replacements(":-[]{}&*!|>'\"#\n \t?,~x_", 23);
    QRandomGenerator random(99);
    int accepted = 0;
    for (int round = 0; round < 600; ++round) {
        QByteArray input = original;
        const int changes = random.bounded(1, 5);
        for (int i = 0; i < changes; ++i) {
            input[random.bounded(input.size())] =
                replacements.at(random.bounded(replacements.size()));
        }
        const Result<BuildpackReleaseInfo> info =
            BuildpackReleaseInfo::parse(input, QStringLiteral("nodejs"));
        accepted += info.has_value();
        checkOutcome(input);
        if (QTest::currentTestFailed())
            return;
    }
    QVERIFY(accepted > 0);
    QVERIFY(accepted < 600);
}

QTEST_GUILESS_MAIN(tst_BuildpackReleaseInfo)
#include "tst_buildpackreleaseinfo.moc"
