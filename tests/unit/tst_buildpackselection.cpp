// Which buildpacks a build runs: the five rules in order, what each found, which one is in
// effect and what it hides, and the sentence a build fails with when the rule in effect
// cannot be used.

#include "build/BuildpackSelection.h"

#include "TestConfig.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Slipway;

namespace {

const QString Builtins = QStringLiteral(SLIPWAY_RESOURCES_DIR "/buildpacks");

QStringList texts(const QList<BuildpackRef> &refs)
{
    QStringList result;
    for (const BuildpackRef &ref : refs)
        result.append(ref.text());
    return result;
}

QList<bool> applying(const BuildpackSelection &selection)
{
    QList<bool> result;
    for (const BuildpackSelection::RuleState &state : selection.rules())
        result.append(state.applies);
    return result;
}

} // namespace

class TestBuildpackSelection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void namesAndOrder();
    void nothingConfiguredAutoDetects();
    void buildpacksFileWins();
    void emptyBuildpacksFileDoesNotApply();
    void brokenBuildpacksFileFailsTheBuild();
    void appListHidesBuildpacksFile();
    void buildpackUrlComesFirstAndResolvesAgainstTheSource();
    void unusableRulesSayWhy();
    void noBuiltinBuildpacks();

private:
    void writeBuildpacksFile(const QByteArray &contents);

    std::unique_ptr<QTemporaryDir> m_source;
};

void TestBuildpackSelection::init()
{
    m_source = std::make_unique<QTemporaryDir>();
    QVERIFY(m_source->isValid());
}

void TestBuildpackSelection::writeBuildpacksFile(const QByteArray &contents)
{
    QFile file(m_source->filePath(QStringLiteral(".buildpacks")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(contents);
}

void TestBuildpackSelection::namesAndOrder()
{
    using Rule = BuildpackSelection::Rule;
    QCOMPARE(BuildpackSelection::allRules(),
             (QList<Rule>{Rule::BuildpackUrl, Rule::AppList, Rule::BuildpacksFile,
                          Rule::BuildpackName, Rule::AutoDetection}));
    QStringList ids;
    for (Rule rule : BuildpackSelection::allRules()) {
        ids.append(BuildpackSelection::id(rule));
        QVERIFY(!BuildpackSelection::label(rule).isEmpty());
    }
    QCOMPARE(ids, (QStringList{QStringLiteral("buildpack-url"), QStringLiteral("app-list"),
                               QStringLiteral("buildpacks-file"), QStringLiteral("buildpack-name"),
                               QStringLiteral("auto-detection")}));
    // How build logs and releases have always named them.
    QCOMPARE(BuildpackSelection::description(Rule::BuildpackUrl),
             QStringLiteral("the BUILDPACK_URL config var"));
    QCOMPARE(BuildpackSelection::description(Rule::AppList),
             QStringLiteral("the buildpack list set for the app"));
    QCOMPARE(BuildpackSelection::description(Rule::BuildpacksFile),
             QStringLiteral("the .buildpacks file"));
    QCOMPARE(BuildpackSelection::description(Rule::BuildpackName),
             QStringLiteral("the BUILDPACK_NAME config var"));
    QCOMPARE(BuildpackSelection::description(Rule::AutoDetection),
             QStringLiteral("auto-detection"));
}

void TestBuildpackSelection::nothingConfiguredAutoDetects()
{
    const BuildpackSelection selection =
        BuildpackSelection::evaluate({}, {}, m_source->path(), Builtins);
    QCOMPARE(selection.rules().size(), 5);
    QCOMPARE(applying(selection), (QList<bool>{false, false, false, false, true}));
    const BuildpackSelection::RuleState &chosen = selection.inEffect();
    QCOMPARE(chosen.rule, BuildpackSelection::Rule::AutoDetection);
    QVERIFY(chosen.error.isEmpty());
    // Every built-in, in alphabetical order.
    QCOMPARE(texts(chosen.buildpacks),
             (QStringList{QStringLiteral("go"), QStringLiteral("jvm"), QStringLiteral("nodejs"),
                          QStringLiteral("procfile"), QStringLiteral("python"),
                          QStringLiteral("static")}));
    QCOMPARE(selection.buildpacksFile().present, false);
    QCOMPARE(selection.rules().at(2).detail, QStringLiteral("the source has no .buildpacks file"));
    QCOMPARE(selection.rules().at(0).detail, QStringLiteral("BUILDPACK_URL is not set"));
}

void TestBuildpackSelection::buildpacksFileWins()
{
    writeBuildpacksFile("# first the assets\r\nnodejs\n\n./tools/bp   # ours\n");
    QVERIFY(QDir().mkpath(m_source->filePath(QStringLiteral("tools/bp"))));
    const ConfigVars config{{QStringLiteral("BUILDPACK_NAME"), QStringLiteral("static")}};
    const BuildpackSelection selection =
        BuildpackSelection::evaluate(config, {}, m_source->path(), Builtins);
    QCOMPARE(applying(selection), (QList<bool>{false, false, true, true, true}));
    QCOMPARE(selection.inEffect().rule, BuildpackSelection::Rule::BuildpacksFile);
    QCOMPARE(selection.inEffect().buildpacks.size(), 2);
    QCOMPARE(selection.inEffect().buildpacks.at(1).location(),
             m_source->filePath(QStringLiteral("tools/bp")));
    const BuildpackSelection::BuildpacksFileState &file = selection.buildpacksFile();
    QCOMPARE(file.present, true);
    QCOMPARE(file.references,
             (QStringList{QStringLiteral("nodejs"), QStringLiteral("./tools/bp")}));
    QCOMPARE(file.text, QStringLiteral("# first the assets\r\nnodejs\n\n./tools/bp   # ours\n"));
    QVERIFY(file.error.isEmpty());
    QVERIFY2(selection.rules().at(3).detail.contains(
                 QStringLiteral("not used: the .buildpacks file comes first")),
             qPrintable(selection.rules().at(3).detail));
    QVERIFY(!selection.rules().at(2).detail.contains(QStringLiteral("not used")));
}

void TestBuildpackSelection::emptyBuildpacksFileDoesNotApply()
{
    writeBuildpacksFile("# nothing yet\n\n");
    const BuildpackSelection selection =
        BuildpackSelection::evaluate({}, {}, m_source->path(), Builtins);
    QCOMPARE(selection.buildpacksFile().present, true);
    QCOMPARE(selection.buildpacksFile().references, QStringList());
    QCOMPARE(selection.rules().at(2).applies, false);
    QCOMPARE(selection.inEffect().rule, BuildpackSelection::Rule::AutoDetection);
}

void TestBuildpackSelection::brokenBuildpacksFileFailsTheBuild()
{
    writeBuildpacksFile("nodejs\nnot a valid :: reference\n");
    const BuildpackSelection selection =
        BuildpackSelection::evaluate({}, {}, m_source->path(), Builtins);
    QCOMPARE(selection.inEffect().rule, BuildpackSelection::Rule::BuildpacksFile);
    QVERIFY(!selection.inEffect().error.isEmpty());
    QCOMPARE(selection.buildpacksFile().error, selection.inEffect().error);
    QCOMPARE(selection.buildpacksFile().references, QStringList());
    QVERIFY(selection.rules().at(2).detail.startsWith(
        QStringLiteral("the source's .buildpacks file cannot be used: ")));

    // Hidden by the app's list, the same file fails nothing.
    const BuildpackSelection hidden =
        BuildpackSelection::evaluate({}, {QStringLiteral("python")}, m_source->path(), Builtins);
    QCOMPARE(hidden.inEffect().rule, BuildpackSelection::Rule::AppList);
    QVERIFY(hidden.inEffect().error.isEmpty());
}

void TestBuildpackSelection::appListHidesBuildpacksFile()
{
    writeBuildpacksFile("nodejs\n");
    const BuildpackSelection selection = BuildpackSelection::evaluate(
        {}, {QStringLiteral("python"), QStringLiteral("https://example.com/bp.git#v2")},
        m_source->path(), Builtins);
    QCOMPARE(applying(selection), (QList<bool>{false, true, true, false, true}));
    QCOMPARE(selection.inEffect().rule, BuildpackSelection::Rule::AppList);
    QCOMPARE(
        texts(selection.inEffect().buildpacks),
        (QStringList{QStringLiteral("python"), QStringLiteral("https://example.com/bp.git#v2")}));
    QVERIFY2(selection.rules().at(2).detail.contains(
                 QStringLiteral("not used: the buildpack list set for the app comes first")),
             qPrintable(selection.rules().at(2).detail));
    QVERIFY(selection.rules().at(4).detail.contains(QStringLiteral("not used")));
}

void TestBuildpackSelection::buildpackUrlComesFirstAndResolvesAgainstTheSource()
{
    writeBuildpacksFile("nodejs\n");
    const ConfigVars config{{QStringLiteral("BUILDPACK_URL"), QStringLiteral(" ./vendor/bp ")},
                            {QStringLiteral("BUILDPACK_NAME"), QStringLiteral("static")}};
    const BuildpackSelection selection = BuildpackSelection::evaluate(
        config, {QStringLiteral("python")}, m_source->path(), Builtins);
    QCOMPARE(applying(selection), (QList<bool>{true, true, true, true, true}));
    QCOMPARE(selection.inEffect().rule, BuildpackSelection::Rule::BuildpackUrl);
    QCOMPARE(selection.inEffect().buildpacks.constFirst().location(),
             m_source->filePath(QStringLiteral("vendor/bp")));
    QCOMPARE(selection.inEffect().detail, QStringLiteral("BUILDPACK_URL is ./vendor/bp"));
    for (int i = 1; i < 5; ++i)
        QVERIFY2(selection.rules().at(i).detail.contains(
                     QStringLiteral("not used: the BUILDPACK_URL config var comes first")),
                 qPrintable(selection.rules().at(i).detail));
}

void TestBuildpackSelection::unusableRulesSayWhy()
{
    // The sentences a build fails with, unchanged.
    BuildpackSelection selection = BuildpackSelection::evaluate(
        {{QStringLiteral("BUILDPACK_URL"), QStringLiteral("ftp://example.com/bp")}}, {},
        m_source->path(), Builtins);
    QVERIFY2(selection.inEffect().error.startsWith(QStringLiteral("BUILDPACK_URL: ")),
             qPrintable(selection.inEffect().error));
    QVERIFY(selection.inEffect().buildpacks.isEmpty());

    selection = BuildpackSelection::evaluate({}, {QStringLiteral("nodejs"), QStringLiteral("Bad/")},
                                             m_source->path(), Builtins);
    QCOMPARE(selection.inEffect().rule, BuildpackSelection::Rule::AppList);
    QVERIFY(!selection.inEffect().error.isEmpty());
    QVERIFY(selection.inEffect().buildpacks.isEmpty());
    QVERIFY(
        selection.inEffect().detail.startsWith(QStringLiteral("the app's list cannot be used")));

    selection =
        BuildpackSelection::evaluate({{QStringLiteral("BUILDPACK_NAME"), QStringLiteral("cobol")}},
                                     {}, m_source->path(), Builtins);
    QCOMPARE(selection.inEffect().rule, BuildpackSelection::Rule::BuildpackName);
    QCOMPARE(selection.inEffect().error,
             QStringLiteral("BUILDPACK_NAME is 'cobol', which is not a built-in buildpack; the "
                            "built-in ones are: go, jvm, nodejs, procfile, python, static"));
}

void TestBuildpackSelection::noBuiltinBuildpacks()
{
    QTemporaryDir empty;
    QVERIFY(empty.isValid());
    const BuildpackSelection selection =
        BuildpackSelection::evaluate({}, {}, m_source->path(), empty.path());
    QCOMPARE(selection.inEffect().rule, BuildpackSelection::Rule::AutoDetection);
    QCOMPARE(selection.inEffect().error,
             QStringLiteral("no built-in buildpacks were found in %1; reinstall Slipway")
                 .arg(empty.path()));
}

QTEST_GUILESS_MAIN(TestBuildpackSelection)
#include "tst_buildpackselection.moc"
