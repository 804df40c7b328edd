// `slipctl build` as a black box: every case runs the real binary with QProcess in a
// temporary HOME and checks only what a user or a script sees: the exit status, the log,
// the JSON document, the slug and the release record beside it.

#include "TestSupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <memory>

using namespace TestSupport;

namespace {

struct CliResult
{
    int exitCode = -1; // -1: crashed or timed out
    QByteArray out;
    QByteArray err;
};

QString fixtureBuildpack(const QString &name)
{
    return dataPath(QStringLiteral("buildpacks/") + name);
}

QString staticApp()
{
    return dataPath(QStringLiteral("apps/static"));
}

bool parseJson(const QByteArray &text, QJsonObject *object, QString *why)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError) {
        *why = QStringLiteral("stdout is not one JSON document (%1 at offset %2): %3")
                   .arg(error.errorString())
                   .arg(error.offset)
                   .arg(QString::fromUtf8(text.left(2000)));
        return false;
    }
    if (!document.isObject()) {
        *why = QStringLiteral("the JSON document is not an object");
        return false;
    }
    *object = document.object();
    return true;
}

bool readJsonFile(const QString &path, QJsonObject *object, QString *why)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *why = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return false;
    }
    return parseJson(file.readAll(), object, why);
}

QString sha256sum(const QString &path)
{
    QByteArray output;
    if (run(QStringLiteral("sha256sum"), {path}, {}, &output) != 0)
        return {};
    return QString::fromLatin1(output.left(output.indexOf(' ')));
}

// One entry of a slug, read with the system tar.
QByteArray slugEntry(const QString &slugPath, const QString &entry)
{
    QProcess tar;
    tar.start(QStringLiteral("tar"), {QStringLiteral("-xzOf"), slugPath, entry});
    tar.waitForFinished(30000);
    return tar.readAllStandardOutput();
}

QStringList slugEntries(const QString &slugPath)
{
    QByteArray output;
    run(QStringLiteral("tar"), {QStringLiteral("-tzf"), slugPath}, {}, &output);
    QStringList entries;
    for (const QByteArray &line : output.split('\n')) {
        if (!line.isEmpty())
            entries.append(QString::fromUtf8(line));
    }
    return entries;
}

bool git(const QString &repository, const QStringList &arguments)
{
    const QStringList identity = {
        QStringLiteral("-c"), QStringLiteral("user.name=Slipway Tests"),
        QStringLiteral("-c"), QStringLiteral("user.email=tests@slipway.invalid"),
        QStringLiteral("-c"), QStringLiteral("commit.gpgsign=false"),
        QStringLiteral("-c"), QStringLiteral("tag.gpgsign=false"),
        QStringLiteral("-C"), repository};
    return run(QStringLiteral("git"), identity + arguments) == 0;
}

QString gitRevParse(const QString &repository, const QString &revision)
{
    QByteArray output;
    run(QStringLiteral("git"),
        {QStringLiteral("-C"), repository, QStringLiteral("rev-parse"), revision}, {}, &output);
    return QString::fromUtf8(output).trimmed();
}

QString uniqueAppName(const QString &prefix)
{
    return QStringLiteral("%1-%2-%3")
        .arg(prefix)
        .arg(QCoreApplication::applicationPid())
        .arg(QRandomGenerator::global()->bounded(1000000));
}

// A slipctl run that the test watches while it goes (to wait for a log line, then
// interrupt it), its output gathered as it arrives.
class RunningSlipctl
{
public:
    RunningSlipctl()
    {
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process,
                         [this] { m_out += m_process.readAllStandardOutput(); });
        QObject::connect(&m_process, &QProcess::readyReadStandardError, &m_process,
                         [this] { m_err += m_process.readAllStandardError(); });
    }
    // A test that failed half-way leaves slipctl running: it is interrupted as a user would
    // (so it removes its work folder and its buildpack's processes), killed only if that fails,
    // and the checks that follow report the first failure rather than its leftovers.
    ~RunningSlipctl()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        ::kill(pid_t(m_process.processId()), SIGINT);
        if (!m_process.waitForFinished(30000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    QProcess &process() { return m_process; }
    QByteArray log() const { return m_out + m_err; }

    CliResult finish(int timeoutMs)
    {
        CliResult result;
        if (!m_process.waitForFinished(timeoutMs)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        } else if (m_process.exitStatus() == QProcess::NormalExit) {
            result.exitCode = m_process.exitCode();
        }
        m_out += m_process.readAllStandardOutput();
        m_err += m_process.readAllStandardError();
        result.out = m_out;
        result.err = m_err;
        return result;
    }

private:
    QProcess m_process;
    QByteArray m_out;
    QByteArray m_err;
};

} // namespace

class TestSlipctl : public QObject
{
    Q_OBJECT

private:
    QString m_slipctl;
    std::unique_ptr<QTemporaryDir> m_temp; // fresh for every test function and data row
    QProcessEnvironment m_environment;

    QString tempPath(const QString &relative) const { return m_temp->filePath(relative); }

    void prepare(QProcess &process) const
    {
        process.setProgram(m_slipctl);
        process.setProcessEnvironment(m_environment);
        process.setWorkingDirectory(tempPath(QStringLiteral("cwd")));
    }

    CliResult slipctl(const QStringList &arguments, int timeoutMs = 120000) const
    {
        QProcess process;
        prepare(process);
        process.setArguments(arguments);
        process.start();
        CliResult result;
        if (!process.waitForFinished(timeoutMs)) {
            process.kill();
            process.waitForFinished(5000);
        } else if (process.exitStatus() == QProcess::NormalExit) {
            result.exitCode = process.exitCode();
        }
        result.out = process.readAllStandardOutput();
        result.err = process.readAllStandardError();
        return result;
    }

    // `slipctl build SOURCE --slug <temp>/NAME.tgz --cache <temp>/cache-NAME ...`
    QStringList buildArguments(const QString &source, const QString &name,
                               const QStringList &extra = {}) const
    {
        return QStringList{QStringLiteral("build"),   source,
                           QStringLiteral("--slug"),  slugPath(name),
                           QStringLiteral("--cache"), tempPath(QStringLiteral("cache-") + name)} +
               extra;
    }

    QString slugPath(const QString &name) const
    {
        return tempPath(QStringLiteral("out/") + name + QStringLiteral(".tgz"));
    }
    QString recordPath(const QString &name) const
    {
        return tempPath(QStringLiteral("out/") + name + QStringLiteral(".release.json"));
    }

    QString makeApp(const QString &name, const QMap<QString, QByteArray> &files) const
    {
        const QString directory = tempPath(QStringLiteral("apps/") + name);
        for (auto it = files.cbegin(); it != files.cend(); ++it) {
            const QString path = directory + u'/' + it.key();
            QDir().mkpath(QFileInfo(path).absolutePath());
            QFile file(path);
            if (!file.open(QIODevice::WriteOnly) || file.write(it.value()) != it.value().size())
                return {};
        }
        return directory;
    }

    // A git repository with `main` (static app, annotated tag v1) and `feature` (one more
    // commit adding feature.txt).
    QString makeRepository() const
    {
        const QString repository = tempPath(QStringLiteral("repo"));
        if (!copyTree(staticApp(), repository) || !gitInitCommit(repository))
            return {};
        if (!git(repository, {QStringLiteral("tag"), QStringLiteral("-a"), QStringLiteral("v1"),
                              QStringLiteral("-m"), QStringLiteral("first release")}) ||
            !git(repository, {QStringLiteral("checkout"), QStringLiteral("-q"),
                              QStringLiteral("-b"), QStringLiteral("feature")}))
            return {};
        QFile extra(repository + QStringLiteral("/feature.txt"));
        if (!extra.open(QIODevice::WriteOnly) || extra.write("only on feature\n") < 0)
            return {};
        extra.close();
        if (!git(repository, {QStringLiteral("add"), QStringLiteral("-A")}) ||
            !git(repository, {QStringLiteral("commit"), QStringLiteral("-q"), QStringLiteral("-m"),
                              QStringLiteral("feature")}) ||
            !git(repository,
                 {QStringLiteral("checkout"), QStringLiteral("-q"), QStringLiteral("main")}))
            return {};
        return repository;
    }

    // Every built-in buildpack, in the order auto-detection tries them.
    static QString builtinBuildpackList()
    {
        const QStringList names = QDir(resourcesPath(QStringLiteral("buildpacks")))
                                      .entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        return names.join(QStringLiteral(", "));
    }

    // Folders a user owns: a build given --cache must leave them alone.
    QStringList filesInUserFolders() const
    {
        QStringList found;
        for (const QString &folder :
             {QStringLiteral("home"), QStringLiteral("xdg-cache"), QStringLiteral("xdg-data"),
              QStringLiteral("xdg-config"), QStringLiteral("xdg-state")}) {
            QDirIterator it(tempPath(folder),
                            QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot,
                            QDirIterator::Subdirectories);
            while (it.hasNext())
                found.append(it.next());
        }
        return found;
    }

    void killMarkerProcesses(const QByteArray &marker) const
    {
        for (qint64 pid : processesWithMarker(marker))
            ::kill(pid_t(pid), SIGKILL);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_slipctl = TestSupport::slipctlBinary();
        QVERIFY2(!m_slipctl.isEmpty(), "set SLIPCTL to the slipctl binary (ctest does)");
        QVERIFY2(QFileInfo(m_slipctl).isExecutable(), qPrintable(m_slipctl));
        QVERIFY(QFileInfo::exists(resourcesPath(QStringLiteral("samples/hello/package.json"))));
        QVERIFY(QFileInfo::exists(fixtureBuildpack(QStringLiteral("hanging/bin/compile"))));
    }

    void init()
    {
        m_temp = std::make_unique<QTemporaryDir>();
        QVERIFY(m_temp->isValid());
        for (const QString &folder :
             {QStringLiteral("home"), QStringLiteral("xdg-cache"), QStringLiteral("xdg-data"),
              QStringLiteral("xdg-config"), QStringLiteral("xdg-state"), QStringLiteral("tmp"),
              QStringLiteral("cwd")})
            QVERIFY(QDir().mkpath(tempPath(folder)));
        m_environment = QProcessEnvironment::systemEnvironment();
        m_environment.remove(QStringLiteral("SLIPWAY_DATA_DIR"));
        m_environment.insert(QStringLiteral("HOME"), tempPath(QStringLiteral("home")));
        m_environment.insert(QStringLiteral("XDG_CACHE_HOME"),
                             tempPath(QStringLiteral("xdg-cache")));
        m_environment.insert(QStringLiteral("XDG_DATA_HOME"), tempPath(QStringLiteral("xdg-data")));
        m_environment.insert(QStringLiteral("XDG_CONFIG_HOME"),
                             tempPath(QStringLiteral("xdg-config")));
        m_environment.insert(QStringLiteral("XDG_STATE_HOME"),
                             tempPath(QStringLiteral("xdg-state")));
        m_environment.insert(QStringLiteral("TMPDIR"), tempPath(QStringLiteral("tmp")));
        m_environment.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
    }

    void cleanup()
    {
        // Whatever happened, the build's work folder is gone once slipctl has exited.
        const QStringList leftovers =
            QDir(tempPath(QStringLiteral("tmp")))
                .entryList({QStringLiteral("slipway-build-*")}, QDir::AllEntries | QDir::Hidden);
        m_temp.reset();
        QVERIFY2(leftovers.isEmpty(), qPrintable(leftovers.join(u' ')));
    }

    void buildsSampleAsJson()
    {
        const QString slug = slugPath(QStringLiteral("hello"));
        const QString record = recordPath(QStringLiteral("hello"));
        const CliResult result =
            slipctl(buildArguments(resourcesPath(QStringLiteral("samples/hello")),
                                   QStringLiteral("hello"), {QStringLiteral("--json")}));
        QVERIFY2(result.exitCode == 0, result.err.constData());

        QJsonObject json;
        QString why;
        QVERIFY2(parseJson(result.out, &json, &why), qPrintable(why));
        QVERIFY2(!result.out.contains("----->"), "the log went to stdout");
        QVERIFY(result.err.contains("-----> "));
        QVERIFY(result.err.contains("Node.js"));

        QCOMPARE(json.value(u"status").toString(), QStringLiteral("success"));
        QVERIFY(!json.contains(u"error"));
        QCOMPARE(json.value(u"selection_rule").toString(), QStringLiteral("auto-detection"));
        const QJsonArray buildpacks = json.value(u"buildpacks").toArray();
        QCOMPARE(buildpacks.size(), 1);
        QCOMPARE(buildpacks.at(0)[u"reference"].toString(), QStringLiteral("nodejs"));
        QCOMPARE(buildpacks.at(0)[u"detect_name"].toString(), QStringLiteral("Node.js"));
        const QString web = json.value(u"process_types")[u"web"].toString();
        QCOMPARE(web, QStringLiteral("node server.js")); // from the sample's Procfile
        QCOMPARE(json.value(u"source")[u"kind"].toString(), QStringLiteral("folder"));

        const QJsonObject slugJson = json.value(u"slug").toObject();
        QCOMPARE(slugJson.value(u"path").toString(), slug);
        QVERIFY(QFileInfo::exists(slug));
        QCOMPARE(qint64(slugJson.value(u"size").toDouble(-1)), QFileInfo(slug).size());
        const QString sha = sha256sum(slug);
        QCOMPARE(sha.size(), 64);
        QCOMPARE(slugJson.value(u"sha256").toString(), sha);
        QVERIFY(slugJson.value(u"uncompressed_size").toDouble() >=
                slugJson.value(u"size").toDouble());
        QVERIFY(slugEntries(slug).contains(QStringLiteral("./server.js")));

        const QJsonObject durations = json.value(u"durations_ms").toObject();
        for (const char *phase :
             {"fetch", "select", "detect", "compile", "release", "slug", "total"}) {
            const QJsonValue value = durations.value(QLatin1String(phase));
            QVERIFY2(value.isDouble() && value.toDouble() >= 0, phase);
        }
        QVERIFY(durations.value(u"total").toDouble() >= durations.value(u"compile").toDouble());

        // The release record beside the slug: immutable and in agreement with stdout.
        QCOMPARE(json.value(u"release")[u"path"].toString(), record);
        QVERIFY(QFileInfo::exists(record));
        // Owner, group and other bits; the "user" ones are what this process, maybe root, may do.
        const QFileDevice::Permissions writable =
            QFileDevice::WriteOwner | QFileDevice::WriteGroup | QFileDevice::WriteOther;
        QVERIFY2(!(QFileInfo(record).permissions() & writable), "the release record is writable");
        // It holds config vars: nobody but the owner reads it.
        QVERIFY2(
            !(QFileInfo(record).permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther)),
            "the release record is readable by others");
        QJsonObject release;
        QVERIFY2(readJsonFile(record, &release, &why), qPrintable(why));
        QCOMPARE(release.value(u"slug")[u"path"].toString(), slug);
        QCOMPARE(qint64(release.value(u"slug")[u"size"].toDouble(-1)), QFileInfo(slug).size());
        QCOMPARE(release.value(u"slug")[u"sha256"].toString(), sha);
        QCOMPARE(release.value(u"process_types").toObject(),
                 json.value(u"process_types").toObject());
        QCOMPARE(release.value(u"buildpacks").toArray(), buildpacks);
        QCOMPARE(release.value(u"selection_rule").toString(), QStringLiteral("auto-detection"));
        QCOMPARE(release.value(u"source_version").toString(),
                 json.value(u"source_version").toString());
        QCOMPARE(release.value(u"version").toInt(-1), json.value(u"release")[u"version"].toInt(-2));

        // With --cache given, nothing lands in the user's own folders.
        QCOMPARE(filesInUserFolders(), QStringList());

        // The slug runs: its web command answers on $PORT.
        SlugProcess webProcess(slug, tempPath(QStringLiteral("run")), web);
        QVERIFY(webProcess.unpacked());
        const HttpResponse response = webProcess.waitForHttp(30000);
        QVERIFY2(response.status == 200, qPrintable(response.error));
        QVERIFY(response.body.contains("Hello from Slipway"));
    }

    void logsToStdoutWithoutJson()
    {
        const CliResult result = slipctl(buildArguments(
            resourcesPath(QStringLiteral("samples/hello")), QStringLiteral("plain")));
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QVERIFY(result.out.startsWith("-----> "));
        QVERIFY(result.out.contains("\n-----> Node.js app detected"));
        QVERIFY(result.out.contains("-----> Build succeeded in "));
        QVERIFY2(QJsonDocument::fromJson(result.out).isNull(), "a JSON document without --json");
        QVERIFY(!result.err.contains("----->"));
        QVERIFY(QFileInfo::exists(slugPath(QStringLiteral("plain"))));
        QVERIFY(QFileInfo::exists(recordPath(QStringLiteral("plain"))));
    }

    void runsChosenBuildpacksInOrder()
    {
        const QString exporter = fixtureBuildpack(QStringLiteral("exporter"));
        const QString consumer = fixtureBuildpack(QStringLiteral("consumer"));
        const QString slug = slugPath(QStringLiteral("chain"));
        const CliResult result = slipctl(
            buildArguments(staticApp(), QStringLiteral("chain"),
                           {QStringLiteral("--buildpack"), exporter, QStringLiteral("--buildpack"),
                            consumer, QStringLiteral("--json")}));
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QJsonObject json;
        QString why;
        QVERIFY2(parseJson(result.out, &json, &why), qPrintable(why));
        QCOMPARE(json.value(u"status").toString(), QStringLiteral("success"));
        QCOMPARE(json.value(u"selection_rule").toString(),
                 QStringLiteral("the buildpack list set for the app"));
        const QJsonArray buildpacks = json.value(u"buildpacks").toArray();
        QCOMPARE(buildpacks.size(), 2);
        QCOMPARE(buildpacks.at(0)[u"reference"].toString(), exporter);
        QCOMPARE(buildpacks.at(0)[u"detect_name"].toString(), QStringLiteral("Exporter"));
        QCOMPARE(buildpacks.at(1)[u"reference"].toString(), consumer);
        // Default process types come from the last buildpack.
        QCOMPARE(json.value(u"process_types")[u"web"].toString(),
                 QStringLiteral("python3 -m http.server $PORT --bind 127.0.0.1"));
        QVERIFY(!json.value(u"process_types").toObject().contains(u"worker"));
        // The exporter's export file reached the consumer's compile.
        QCOMPARE(slugEntry(slug, QStringLiteral("./greeting.txt")).trimmed(),
                 QByteArray("hello from the first buildpack"));

        // In the other order the consumer runs first, without what the exporter provides.
        const CliResult reversed = slipctl(
            buildArguments(staticApp(), QStringLiteral("reversed"),
                           {QStringLiteral("--buildpack"), consumer, QStringLiteral("--buildpack"),
                            exporter, QStringLiteral("--json")}));
        QCOMPARE(reversed.exitCode, 1);
        QVERIFY(reversed.err.contains("GREETING_FROM_EXPORTER is not set"));
        QVERIFY(!QFileInfo::exists(slugPath(QStringLiteral("reversed"))));
    }

    void choosesBuildpackByConfigVar()
    {
        const CliResult result = slipctl(
            buildArguments(staticApp(), QStringLiteral("named"),
                           {QStringLiteral("--env"), QStringLiteral("BUILDPACK_NAME=static"),
                            QStringLiteral("--json")}));
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QJsonObject json;
        QString why;
        QVERIFY2(parseJson(result.out, &json, &why), qPrintable(why));
        QCOMPARE(json.value(u"status").toString(), QStringLiteral("success"));
        QCOMPARE(json.value(u"selection_rule").toString(),
                 QStringLiteral("the BUILDPACK_NAME config var"));
        const QJsonArray buildpacks = json.value(u"buildpacks").toArray();
        QCOMPARE(buildpacks.size(), 1);
        QCOMPARE(buildpacks.at(0)[u"reference"].toString(), QStringLiteral("static"));
        QCOMPARE(buildpacks.at(0)[u"detect_name"].toString(), QStringLiteral("Static"));
        QVERIFY(!json.value(u"process_types")[u"web"].toString().isEmpty());
    }

    void passesConfigVarsAppAndCache()
    {
        const QString app =
            makeApp(QStringLiteral("envapp"), {{QStringLiteral("envcheck.txt"), "x"}});
        QVERIFY(!app.isEmpty());
        const QStringList extra = {
            QStringLiteral("--buildpack"), fixtureBuildpack(QStringLiteral("envcheck")),
            QStringLiteral("--env"),       QStringLiteral("MY_VAR=hello world"),
            QStringLiteral("--app"),       QStringLiteral("envapp"),
            QStringLiteral("--cache"),     tempPath(QStringLiteral("shared-cache"))};
        QByteArray report;
        for (const QString &name : {QStringLiteral("env1"), QStringLiteral("env2")}) {
            const CliResult result = slipctl(buildArguments(app, name, extra));
            QVERIFY2(result.exitCode == 0, result.out.constData());
            report = slugEntry(slugPath(name), QStringLiteral("./env-report.txt"));
        }
        // Config vars reach bin/compile through ENV_DIR only, never its environment.
        QVERIFY2(report.contains("\nenvdir_MY_VAR=hello world\n"), report.constData());
        QVERIFY2(report.contains("\nexported_MY_VAR=<unset>\n"), report.constData());
        QVERIFY2(report.contains("\nAPP=envapp\n"), report.constData());
        QVERIFY2(report.contains("\nSTACK=debian-12\n"), report.constData());
        // The second build saw the cache the first one left.
        QVERIFY2(report.contains("\ncache_count=2\n"), report.constData());
    }

    void rejectsUsageErrors_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QStringList>("messages");

        const QString slug = QStringLiteral("@SLUG@");
        const QString app = staticApp();
        auto build = [&](const QStringList &extra) {
            return QStringList{QStringLiteral("build"), app, QStringLiteral("--slug"), slug} +
                   extra;
        };
        QTest::newRow("config var name starting with a digit")
            << build({QStringLiteral("--env"), QStringLiteral("1BAD=x"), QStringLiteral("--json")})
            << QStringList{QStringLiteral("1BAD"), QStringLiteral("start with a letter")};
        QTest::newRow("config var name with a dash")
            << build({QStringLiteral("--env"), QStringLiteral("MY-VAR=x")})
            << QStringList{QStringLiteral("MY-VAR"),
                           QStringLiteral("only letters, digits and '_'")};
        QTest::newRow("config var without a value")
            << build({QStringLiteral("--env"), QStringLiteral("NOVALUE")})
            << QStringList{QStringLiteral("NOVALUE"), QStringLiteral("NAME=value")};
        QTest::newRow("nonexistent source")
            << QStringList{QStringLiteral("build"), QStringLiteral("@TEMP@/no-such-app"),
                           QStringLiteral("--slug"), slug, QStringLiteral("--json")}
            << QStringList{QStringLiteral("no-such-app"), QStringLiteral("does not exist")};
        QTest::newRow("missing --slug")
            << QStringList{QStringLiteral("build"), app, QStringLiteral("--json")}
            << QStringList{QStringLiteral("--slug")};
        QTest::newRow("missing source")
            << QStringList{QStringLiteral("build"), QStringLiteral("--slug"), slug}
            << QStringList{QStringLiteral("SOURCE")};
        QTest::newRow("two sources")
            << QStringList{QStringLiteral("build"), app, app, QStringLiteral("--slug"), slug}
            << QStringList{QStringLiteral("exactly one SOURCE")};
        QTest::newRow("zero timeout") << build({QStringLiteral("--timeout"), QStringLiteral("0")})
                                      << QStringList{QStringLiteral("--timeout")};
        QTest::newRow("timeout not a number")
            << build({QStringLiteral("--timeout"), QStringLiteral("soon")})
            << QStringList{QStringLiteral("--timeout")};
        QTest::newRow("source size not a number")
            << build({QStringLiteral("--max-source-size"), QStringLiteral("big")})
            << QStringList{QStringLiteral("--max-source-size")};
        QTest::newRow("unknown option")
            << build({QStringLiteral("--frobnicate")}) << QStringList{QStringLiteral("frobnicate")};
        QTest::newRow("unknown command")
            << QStringList{QStringLiteral("frobnicate"), app}
            << QStringList{QStringLiteral("unknown command 'frobnicate'"), QStringLiteral("build")};
        QTest::newRow("no command") << QStringList{} << QStringList{QStringLiteral("Usage:")};
    }

    void rejectsUsageErrors()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QStringList, messages);
        const QString slug = slugPath(QStringLiteral("usage"));
        arguments.replaceInStrings(QStringLiteral("@SLUG@"), slug);
        arguments.replaceInStrings(QStringLiteral("@TEMP@"), m_temp->path());

        const CliResult result = slipctl(arguments);
        QCOMPARE(result.exitCode, 2);
        for (const QString &message : std::as_const(messages))
            QVERIFY2(QString::fromUtf8(result.err).contains(message), result.err.constData());
        QVERIFY2(result.out.isEmpty(), result.out.constData());
        QVERIFY(!QFileInfo::exists(slug));
        QVERIFY(!QFileInfo::exists(tempPath(QStringLiteral("out"))));
    }

    void buildsGitRef_data()
    {
        QTest::addColumn<QString>("ref");
        QTest::addColumn<QString>("revision"); // what the ref names, for git rev-parse
        QTest::addColumn<bool>("hasFeatureFile");
        QTest::newRow("branch") << QStringLiteral("feature") << QStringLiteral("feature") << true;
        QTest::newRow("annotated tag")
            << QStringLiteral("v1") << QStringLiteral("v1^{commit}") << false;
        QTest::newRow("commit") << QStringLiteral("@COMMIT@") << QStringLiteral("feature") << true;
    }

    void buildsGitRef()
    {
        QFETCH(QString, ref);
        QFETCH(QString, revision);
        QFETCH(bool, hasFeatureFile);
        const QString repository = makeRepository();
        QVERIFY(!repository.isEmpty());
        const QString commit = gitRevParse(repository, revision);
        QCOMPARE(commit.size(), 40);
        if (hasFeatureFile) // the build must tell the branch from main
            QVERIFY(commit != gitRevParse(repository, QStringLiteral("main")));
        if (ref == QLatin1String("@COMMIT@"))
            ref = commit;

        const QString slug = slugPath(QStringLiteral("git"));
        const CliResult result =
            slipctl(buildArguments(repository, QStringLiteral("git"),
                                   {QStringLiteral("--ref"), ref, QStringLiteral("--json")}));
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QJsonObject json;
        QString why;
        QVERIFY2(parseJson(result.out, &json, &why), qPrintable(why));
        QCOMPARE(json.value(u"status").toString(), QStringLiteral("success"));
        QCOMPARE(json.value(u"source")[u"kind"].toString(), QStringLiteral("git"));
        QCOMPARE(json.value(u"source")[u"ref"].toString(), ref);
        QCOMPARE(json.value(u"source_version").toString(), commit);
        QJsonObject release;
        QVERIFY2(readJsonFile(recordPath(QStringLiteral("git")), &release, &why), qPrintable(why));
        QCOMPARE(release.value(u"source_version").toString(), commit);

        const QStringList entries = slugEntries(slug);
        QVERIFY(entries.contains(QStringLiteral("./index.html")));
        QCOMPARE(entries.contains(QStringLiteral("./feature.txt")), hasFeatureFile);
        QVERIFY(!entries.contains(QStringLiteral("./.git/")));
    }

    void reportsBuildErrors_data()
    {
        QTest::addColumn<QString>("app");        // "static", "plain", "procfile", "repository"
        QTest::addColumn<QStringList>("extra");  // @BP@: the fixture buildpacks
        QTest::addColumn<QStringList>("errors"); // all in the JSON `error`
        QTest::addColumn<QByteArray>("log");     // in the log on stderr
        QTest::addColumn<bool>("blockRecord");   // a folder where the release record goes

        const QString buildpack = QStringLiteral("--buildpack");
        QTest::newRow("no buildpack detects")
            << QStringLiteral("plain") << QStringList{}
            << QStringList{QStringLiteral("no buildpack detected"),
                           QStringLiteral("tried ") + builtinBuildpackList()}
            << QByteArray("no buildpack detected") << false;
        QTest::newRow("compile fails")
            << QStringLiteral("static") << QStringList{buildpack, QStringLiteral("@BP@/failing")}
            << QStringList{QStringLiteral("failing"), QStringLiteral("exited with status 3")}
            << QByteArray("Something the app needs is missing") << false;
        QTest::newRow("invalid release YAML")
            << QStringLiteral("static") << QStringList{buildpack, QStringLiteral("@BP@/badrelease")}
            << QStringList{QStringLiteral("badrelease"), QStringLiteral("invalid YAML")}
            << QByteArray("-----> ") << false;
        QTest::newRow("missing buildpack folder")
            << QStringLiteral("static") << QStringList{buildpack, QStringLiteral("@BP@/no-such-bp")}
            << QStringList{QStringLiteral("no-such-bp"), QStringLiteral("does not exist")}
            << QByteArray("-----> ") << false;
        QTest::newRow("malformed Procfile") << QStringLiteral("procfile") << QStringList{}
                                            << QStringList{QStringLiteral("Procfile line 2")}
                                            << QByteArray("Procfile line 2") << false;
        QTest::newRow("missing git ref")
            << QStringLiteral("repository")
            << QStringList{QStringLiteral("--ref"), QStringLiteral("no-such-ref")}
            << QStringList{QStringLiteral("no-such-ref")} << QByteArray("no-such-ref") << false;
        QTest::newRow("release record cannot be written")
            << QStringLiteral("static") << QStringList{}
            << QStringList{QStringLiteral("release record")} << QByteArray("release record")
            << true;
    }

    void reportsBuildErrors()
    {
        QFETCH(QString, app);
        QFETCH(QStringList, extra);
        QFETCH(QStringList, errors);
        QFETCH(QByteArray, log);
        QFETCH(bool, blockRecord);

        QString source;
        if (app == QLatin1String("static")) {
            source = staticApp();
        } else if (app == QLatin1String("plain")) {
            source = makeApp(QStringLiteral("plain"),
                             {{QStringLiteral("notes.txt"), "nothing to build\n"}});
        } else if (app == QLatin1String("procfile")) {
            source = makeApp(QStringLiteral("procfile"),
                             {{QStringLiteral("index.html"), "<p>hi</p>\n"},
                              {QStringLiteral("Procfile"), "web: python3 -m http.server $PORT\n"
                                                           "this line has no colon\n"}});
        } else {
            source = makeRepository();
        }
        QVERIFY(!source.isEmpty());
        extra.replaceInStrings(QStringLiteral("@BP@"), dataPath(QStringLiteral("buildpacks")));
        const QString slug = slugPath(QStringLiteral("broken"));
        const QString record = recordPath(QStringLiteral("broken"));
        if (blockRecord)
            QVERIFY(QDir().mkpath(record));

        const CliResult result = slipctl(buildArguments(
            source, QStringLiteral("broken"), extra + QStringList{QStringLiteral("--json")}));
        QCOMPARE(result.exitCode, 1);
        QJsonObject json;
        QString why;
        QVERIFY2(parseJson(result.out, &json, &why), qPrintable(why));
        QCOMPARE(json.value(u"status").toString(), QStringLiteral("build-error"));
        const QString error = json.value(u"error").toString();
        for (const QString &expected : std::as_const(errors))
            QVERIFY2(error.contains(expected), qPrintable(error));
        QVERIFY2(result.err.contains(log), result.err.constData());
        QVERIFY(result.err.contains("build-error"));
        QVERIFY(!json.contains(u"slug"));
        QVERIFY(!json.contains(u"process_types"));
        QVERIFY2(!QFileInfo::exists(slug), "a slug was left behind by a failed build");
        if (!blockRecord)
            QVERIFY(!QFileInfo::exists(record));
    }

    void stopsAtTimeLimit()
    {
        const QString app = uniqueAppName(QStringLiteral("cli-timeout"));
        const QByteArray marker = "hang-marker-" + app.toUtf8();
        RunningSlipctl build;
        prepare(build.process());
        build.process().setArguments(buildArguments(
            staticApp(), QStringLiteral("hang"),
            {QStringLiteral("--buildpack"), fixtureBuildpack(QStringLiteral("hanging")),
             QStringLiteral("--app"), app, QStringLiteral("--timeout"), QStringLiteral("6"),
             QStringLiteral("--json")}));
        QElapsedTimer timer;
        timer.start();
        build.process().start();
        QTRY_VERIFY_WITH_TIMEOUT(build.log().contains("children started"), 20000);
        // The buildpack really left processes behind: the check below means something. On a
        // busy machine the children may take seconds to show under their own command line,
        // hence a limit long enough for them to be seen before it stops the build.
        QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(marker).size() >= 3, 30000);

        const CliResult result = build.finish(60000);
        const qint64 elapsed = timer.elapsed();
        const QList<qint64> left = processesWithMarker(marker);
        killMarkerProcesses(marker);
        QVERIFY2(left.isEmpty(), "processes of the buildpack survived the time limit");
        QCOMPARE(result.exitCode, 1);
        // The engine's limit timer is a coarse QTimer, which may fire up to 5% early.
        QVERIFY2(elapsed >= 5700, qPrintable(QStringLiteral("stopped after %1 ms").arg(elapsed)));
        QVERIFY2(elapsed < 30000, qPrintable(QStringLiteral("stopped after %1 ms").arg(elapsed)));
        QJsonObject json;
        QString why;
        QVERIFY2(parseJson(result.out, &json, &why), qPrintable(why));
        QCOMPARE(json.value(u"status").toString(), QStringLiteral("build-error"));
        QVERIFY2(json.value(u"error").toString().contains(QStringLiteral("time limit")),
                 qPrintable(json.value(u"error").toString()));
        QVERIFY(!QFileInfo::exists(slugPath(QStringLiteral("hang"))));
    }

    void stopsOnInterrupt_data()
    {
        QTest::addColumn<bool>("json");
        QTest::newRow("json") << true;
        QTest::newRow("log") << false;
    }

    void stopsOnInterrupt()
    {
        QFETCH(bool, json);
        const QString app = uniqueAppName(QStringLiteral("cli-interrupt"));
        const QByteArray marker = "hang-marker-" + app.toUtf8();
        QStringList extra = {QStringLiteral("--buildpack"),
                             fixtureBuildpack(QStringLiteral("hanging")), QStringLiteral("--app"),
                             app};
        if (json)
            extra.append(QStringLiteral("--json"));
        RunningSlipctl build;
        prepare(build.process());
        build.process().setArguments(
            buildArguments(staticApp(), QStringLiteral("interrupted"), extra));
        build.process().start();
        QTRY_VERIFY_WITH_TIMEOUT(build.log().contains("children started"), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(processesWithMarker(marker).size() >= 3, 30000);

        QCOMPARE(::kill(pid_t(build.process().processId()), SIGINT), 0);
        const CliResult result = build.finish(30000);
        const QList<qint64> left = processesWithMarker(marker);
        killMarkerProcesses(marker);
        QVERIFY2(left.isEmpty(), "processes of the buildpack survived Ctrl-C");
        QCOMPARE(result.exitCode, 130);
        if (json) {
            QJsonObject document;
            QString why;
            QVERIFY2(parseJson(result.out, &document, &why), qPrintable(why));
            QCOMPARE(document.value(u"status").toString(), QStringLiteral("aborted"));
            QVERIFY(!document.value(u"error").toString().isEmpty());
        } else {
            QVERIFY2(result.out.contains("-----> Build failed (aborted)"), result.out.constData());
            QVERIFY2(result.out.contains(" !     Interrupted"), result.out.constData());
        }
        QVERIFY(!QFileInfo::exists(slugPath(QStringLiteral("interrupted"))));
        QVERIFY(!QFileInfo::exists(recordPath(QStringLiteral("interrupted"))));
    }

    void printsHelp()
    {
        const CliResult build = slipctl({QStringLiteral("build"), QStringLiteral("--help")});
        QCOMPARE(build.exitCode, 0);
        for (const char *option : {"--slug", "--app", "--buildpack", "--env", "--cache", "--ref",
                                   "--timeout", "--max-source-size", "--json", "SOURCE"})
            QVERIFY2(build.out.contains(option), option);
        QVERIFY(build.err.isEmpty());

        const CliResult top = slipctl({QStringLiteral("--help")});
        QCOMPARE(top.exitCode, 0);
        QVERIFY(top.out.contains("build SOURCE --slug OUT.tgz"));
    }
};

QTEST_GUILESS_MAIN(TestSlipctl)
#include "tst_slipctl.moc"
