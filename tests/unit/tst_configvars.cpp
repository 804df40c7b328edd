#include "release/ConfigVars.h"

#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTest>

using namespace Slipway;

class tst_ConfigVars : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void acceptsName_data();
    void acceptsName();
    void rejectsName_data();
    void rejectsName();
    void valueLength_data();
    void valueLength();
    void rejectsNulInValue();
    void valueMessageNamesTheVar();
    void parseAssignment_data();
    void parseAssignment();
    void rejectsAssignment_data();
    void rejectsAssignment();
    void merge_data();
    void merge();
    void survivesRandomInput();
};

void tst_ConfigVars::acceptsName_data()
{
    QTest::addColumn<QString>("name");

    QTest::newRow("one letter") << QStringLiteral("A");
    QTest::newRow("lower case") << QStringLiteral("port");
    QTest::newRow("typical") << QStringLiteral("DATABASE_URL");
    QTest::newRow("digits after first") << QStringLiteral("S3_BUCKET2");
    QTest::newRow("trailing underscore") << QStringLiteral("A_");
    QTest::newRow("mixed case") << QStringLiteral("buildpackUrl");
    QTest::newRow("63 characters") << QString(63, u'V');
    QTest::newRow("64 characters") << QString(64, u'V');
}

void tst_ConfigVars::acceptsName()
{
    QFETCH(QString, name);

    const Result<void> valid = ConfigVar::validateName(name);
    QVERIFY2(valid.has_value(), qPrintable(valid ? QString() : valid.error().message));
}

void tst_ConfigVars::rejectsName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("mentions");

    // Every refusal states the rule, so the user knows what to type instead.
    const QString rule = QStringLiteral("letters, digits and '_', start with a letter and are "
                                        "at most 64 characters");
    QTest::newRow("empty") << QString() << QStringList{QStringLiteral("empty"), rule};
    QTest::newRow("leading underscore")
        << QStringLiteral("_SECRET") << QStringList{QStringLiteral("starts with '_'"), rule};
    QTest::newRow("leading digit")
        << QStringLiteral("3SCALE_KEY") << QStringList{QStringLiteral("starts with '3'"), rule};
    QTest::newRow("dash") << QStringLiteral("MY-VAR") << QStringList{QStringLiteral("'-'"), rule};
    QTest::newRow("space") << QStringLiteral("MY VAR")
                           << QStringList{QStringLiteral("a space"), rule};
    QTest::newRow("dot") << QStringLiteral("a.b") << QStringList{QStringLiteral("'.'"), rule};
    QTest::newRow("equals") << QStringLiteral("A=B") << QStringList{QStringLiteral("'='"), rule};
    QTest::newRow("tab") << QStringLiteral("A\tB") << QStringList{QStringLiteral("U+0009"), rule};
    QTest::newRow("non-ASCII letter")
        << QString::fromUtf8("CAF\xC3\x89") << QStringList{QString::fromUtf8("'\xC3\x89'"), rule};
    QTest::newRow("65 characters")
        << QString(65, u'V') << QStringList{QStringLiteral("65 characters long"), rule};
}

void tst_ConfigVars::rejectsName()
{
    QFETCH(QString, name);
    QFETCH(QStringList, mentions);

    const Result<void> valid = ConfigVar::validateName(name);
    QVERIFY2(!valid.has_value(), "an invalid name was accepted");
    for (const QString &mention : mentions) {
        QVERIFY2(valid.error().message.contains(mention),
                 qPrintable(mention + QStringLiteral(" not in: ") + valid.error().message));
    }
}

void tst_ConfigVars::valueLength_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("valid");

    const QString emoji = QString::fromUtf8("\xF0\x9F\x9A\x80"); // two UTF-16 units
    QTest::newRow("empty") << QString() << true;
    QTest::newRow("short") << QStringLiteral("production") << true;
    QTest::newRow("32767") << QString(32767, u'x') << true;
    QTest::newRow("32768") << QString(32768, u'x') << true;
    QTest::newRow("32769") << QString(32769, u'x') << false;
    QTest::newRow("1 MiB") << QString(1 << 20, u'x') << false;
    // Characters, not UTF-16 units: 32,768 emoji are 65,536 units but within the limit.
    QTest::newRow("32768 emoji") << emoji.repeated(32768) << true;
    QTest::newRow("32769 emoji") << emoji.repeated(32769) << false;
    QTest::newRow("32767 + emoji") << QString(32767, u'x') + emoji << true;
    QTest::newRow("32768 + emoji") << QString(32768, u'x') + emoji << false;
}

void tst_ConfigVars::valueLength()
{
    QFETCH(QString, value);
    QFETCH(bool, valid);

    const Result<void> result = ConfigVar::validateValue(value);
    QCOMPARE(result.has_value(), valid);
    if (!valid) {
        QVERIFY2(result.error().message.contains(QStringLiteral("at most 32,768 characters")),
                 qPrintable(result.error().message));
    }
}

void tst_ConfigVars::rejectsNulInValue()
{
    const Result<void> result = ConfigVar::validateValue(QStringLiteral("a") + QChar(0) + u'b');
    QVERIFY(!result.has_value());
    QVERIFY2(result.error().message.contains(QStringLiteral("NUL")),
             qPrintable(result.error().message));
}

void tst_ConfigVars::valueMessageNamesTheVar()
{
    const Result<void> result =
        ConfigVar::validateValue(QString(32769, u'x'), QStringLiteral("RSA_KEY"));
    QVERIFY(!result.has_value());
    QCOMPARE(result.error().message,
             QStringLiteral("The value of RSA_KEY is 32,769 characters long; values are at most "
                            "32,768 characters."));
}

void tst_ConfigVars::parseAssignment_data()
{
    QTest::addColumn<QString>("assignment");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");

    QTest::newRow("simple") << QStringLiteral("NODE_ENV=production") << QStringLiteral("NODE_ENV")
                            << QStringLiteral("production");
    QTest::newRow("empty value") << QStringLiteral("DEBUG=") << QStringLiteral("DEBUG")
                                 << QString();
    QTest::newRow("value with =") << QStringLiteral("OPTS=--a=1 --b=2") << QStringLiteral("OPTS")
                                  << QStringLiteral("--a=1 --b=2");
    QTest::newRow("value is =") << QStringLiteral("X==") << QStringLiteral("X")
                                << QStringLiteral("=");
    QTest::newRow("spaces kept") << QStringLiteral("GREETING= hello world ")
                                 << QStringLiteral("GREETING") << QStringLiteral(" hello world ");
    QTest::newRow("URL") << QStringLiteral("DATABASE_URL=postgres://u:p@db:5432/app?ssl=true")
                         << QStringLiteral("DATABASE_URL")
                         << QStringLiteral("postgres://u:p@db:5432/app?ssl=true");
    QTest::newRow("longest value") << QStringLiteral("K=") + QString(32768, u'v')
                                   << QStringLiteral("K") << QString(32768, u'v');
}

void tst_ConfigVars::parseAssignment()
{
    QFETCH(QString, assignment);
    QFETCH(QString, name);
    QFETCH(QString, value);

    const Result<QPair<QString, QString>> parsed = ConfigVar::parseAssignment(assignment);
    QVERIFY2(parsed.has_value(), qPrintable(parsed ? QString() : parsed.error().message));
    QCOMPARE(parsed->first, name);
    QCOMPARE(parsed->second, value);
}

void tst_ConfigVars::rejectsAssignment_data()
{
    QTest::addColumn<QString>("assignment");
    QTest::addColumn<QString>("mention");

    QTest::newRow("no equals") << QStringLiteral("NODE_ENV") << QStringLiteral("NAME=value");
    QTest::newRow("empty") << QString() << QStringLiteral("NAME=value");
    QTest::newRow("no name") << QStringLiteral("=production") << QStringLiteral("no name");
    QTest::newRow("bad name") << QStringLiteral("MY-VAR=1") << QStringLiteral("'-'");
    QTest::newRow("leading underscore")
        << QStringLiteral("_X=1") << QStringLiteral("starts with '_'");
    QTest::newRow("space around equals") << QStringLiteral("X =1") << QStringLiteral("a space");
    QTest::newRow("value too long") << QStringLiteral("K=") + QString(32769, u'v')
                                    << QStringLiteral("The value of K is 32,769");
}

void tst_ConfigVars::rejectsAssignment()
{
    QFETCH(QString, assignment);
    QFETCH(QString, mention);

    const Result<QPair<QString, QString>> parsed = ConfigVar::parseAssignment(assignment);
    QVERIFY2(!parsed.has_value(), "an invalid assignment was accepted");
    QVERIFY2(parsed.error().message.contains(mention), qPrintable(parsed.error().message));
}

void tst_ConfigVars::merge_data()
{
    QTest::addColumn<ConfigVars>("defaults");
    QTest::addColumn<ConfigVars>("user");
    QTest::addColumn<ConfigVars>("expected");

    const auto vars = [](std::initializer_list<std::pair<const char *, const char *>> pairs) {
        ConfigVars result;
        for (const auto &[name, value] : pairs)
            result.insert(QString::fromUtf8(name), QString::fromUtf8(value));
        return result;
    };
    QTest::newRow("nothing") << ConfigVars{} << ConfigVars{} << ConfigVars{};
    QTest::newRow("defaults only")
        << vars({{"NODE_ENV", "production"}}) << ConfigVars{} << vars({{"NODE_ENV", "production"}});
    QTest::newRow("user only") << ConfigVars{} << vars({{"A", "1"}}) << vars({{"A", "1"}});
    QTest::newRow("user wins") << vars({{"NODE_ENV", "production"}, {"PATH", "/app/bin"}})
                               << vars({{"NODE_ENV", "development"}})
                               << vars({{"NODE_ENV", "development"}, {"PATH", "/app/bin"}});
    QTest::newRow("empty user value wins")
        << vars({{"WEB_CONCURRENCY", "2"}}) << vars({{"WEB_CONCURRENCY", ""}})
        << vars({{"WEB_CONCURRENCY", ""}});
    QTest::newRow("disjoint") << vars({{"A", "1"}}) << vars({{"B", "2"}})
                              << vars({{"A", "1"}, {"B", "2"}});
}

void tst_ConfigVars::merge()
{
    QFETCH(ConfigVars, defaults);
    QFETCH(ConfigVars, user);
    QFETCH(ConfigVars, expected);

    QCOMPARE(ConfigVar::merge(defaults, user), expected);
}

// Pseudo-random assignments with a fixed seed: never a crash, and whatever is accepted
// obeys the documented rule.
void tst_ConfigVars::survivesRandomInput()
{
    static const QRegularExpression rule(QStringLiteral("^[A-Za-z][A-Za-z0-9_]{0,63}$"));
    QRandomGenerator random(64);
    const QString alphabet =
        QStringLiteral("AZaz09__==-. \t") + QChar(0) + QChar(0xE9) + QChar(0xD83D) + QChar(0xDE80);
    int accepted = 0;
    for (int round = 0; round < 500; ++round) {
        QString input;
        const int length = random.bounded(0, 80);
        for (int i = 0; i < length; ++i)
            input += alphabet.at(random.bounded(alphabet.size()));
        const Result<QPair<QString, QString>> parsed = ConfigVar::parseAssignment(input);
        if (parsed) {
            ++accepted;
            QVERIFY2(rule.match(parsed->first).hasMatch(), qPrintable(input));
            QCOMPARE(parsed->first + u'=' + parsed->second, input);
            QVERIFY(!parsed->second.contains(QChar(0)));
        } else {
            QVERIFY(!parsed.error().message.isEmpty());
        }
        QCOMPARE(ConfigVar::validateName(input).has_value(), rule.match(input).hasMatch());
    }
    QVERIFY(accepted > 0);
    QVERIFY(accepted < 500);
}

QTEST_GUILESS_MAIN(tst_ConfigVars)
#include "tst_configvars.moc"
