#include "source/SourceFetcher.h"
#include "source/SourceSpec.h"

#include "PrivateGitServer.h"
#include "TestSupport.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>
#include <optional>

using namespace Slipway;
using namespace TestSupport;

namespace {

// The fixture repository as "app.git" on a private server of its own accepting `credential`.
std::unique_ptr<PrivateGitServer> servePrivatelyIn(const QString &served, const QString &repository,
                                                   const QByteArray &credential)
{
    if (!QDir().mkpath(served) ||
        !PrivateGitServer::publish(repository, served, QStringLiteral("app")))
        return nullptr;
    auto server = std::make_unique<PrivateGitServer>(served, credential);
    return server->isReady() ? std::move(server) : nullptr;
}

constexpr int FetchTimeoutMs = 30000;

// One fetch into a fresh work folder, recording what the fetcher reports.
class Fetch
{
public:
    explicit Fetch(const QString &input, const QString &ref = {},
                   SourceFetcher::Options options = {}, const QString &workDirectory = {})
        : m_workDirectory(workDirectory.isEmpty() ? m_ownWork.path() : workDirectory)
    {
        Result<SourceSpec> spec = SourceSpec::parse(input, ref);
        if (!spec) {
            m_result = std::unexpected(spec.error());
            return;
        }
        m_fetcher = std::make_unique<SourceFetcher>(*spec, m_workDirectory, options);
        QObject::connect(m_fetcher.get(), &SourceFetcher::finished, m_fetcher.get(),
                         [this](const Result<FetchedSource> &result) {
                             ++m_finishedCount;
                             m_result = result;
                         });
        QObject::connect(m_fetcher.get(), &SourceFetcher::logLine, m_fetcher.get(),
                         [this](const QString &line) { m_log.append(line); });
    }

    SourceFetcher *fetcher() const { return m_fetcher.get(); }
    void start()
    {
        if (m_fetcher)
            m_fetcher->start();
    }
    bool done() const { return m_result.has_value(); }
    bool succeeded() const { return m_result && m_result->has_value(); }
    const FetchedSource &source() const { return **m_result; }
    QString error() const
    {
        return m_result && !m_result->has_value() ? (*m_result).error().message : QString();
    }
    // What a failed QVERIFY2 shows.
    QByteArray describe() const
    {
        if (!m_result)
            return "not finished";
        if (!m_result->has_value())
            return error().toUtf8();
        return QString(QStringLiteral("succeeded with ") + (*m_result)->directory).toUtf8();
    }
    int finishedCount() const { return m_finishedCount; }
    QString workDirectory() const { return m_workDirectory; }
    QString sourceDirectory() const { return m_workDirectory + QStringLiteral("/source"); }
    const QStringList &log() const { return m_log; }

private:
    QTemporaryDir m_ownWork;
    QString m_workDirectory;
    std::unique_ptr<SourceFetcher> m_fetcher;
    std::optional<Result<FetchedSource>> m_result;
    QStringList m_log;
    int m_finishedCount = 0;
};

// Starts the fetch and waits, bounded, for its single result.
#define RUN_FETCH(fetch)                                                                           \
    do {                                                                                           \
        (fetch).start();                                                                           \
        QTRY_VERIFY_WITH_TIMEOUT((fetch).done(), FetchTimeoutMs);                                  \
    } while (false)

#define VERIFY_FETCHED(fetch)                                                                      \
    do {                                                                                           \
        RUN_FETCH(fetch);                                                                          \
        QVERIFY2((fetch).succeeded(), (fetch).describe().constData());                             \
        QCOMPARE((fetch).finishedCount(), 1);                                                      \
    } while (false)

#define VERIFY_FAILED(fetch)                                                                       \
    do {                                                                                           \
        RUN_FETCH(fetch);                                                                          \
        QVERIFY2(!(fetch).succeeded(), (fetch).describe().constData());                            \
        QCOMPARE((fetch).finishedCount(), 1);                                                      \
    } while (false)

#define VERIFY_CONTAINS(text, fragment)                                                            \
    QVERIFY2((text).contains(fragment),                                                            \
             qPrintable(QStringLiteral("'%1' not in: %2").arg(fragment, text)))

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<missing>");
}

bool writeFile(const QString &path, const QByteArray &contents,
               QFile::Permissions permissions = QFile::ReadOwner | QFile::WriteOwner |
                                                QFile::ReadGroup | QFile::ReadOther)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(contents) != contents.size())
        return false;
    file.close();
    return QFile::setPermissions(path, permissions);
}

// Every path below `root`, relative, sorted; links are not followed.
QStringList listTree(const QString &root)
{
    QStringList paths;
    QDirIterator it(root, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        paths.append(QDir(root).relativeFilePath(it.next()));
    paths.sort();
    return paths;
}

int git(const QString &directory, const QStringList &arguments, QByteArray *output = nullptr)
{
    const QStringList prefix = {
        QStringLiteral("-C"), directory,
        QStringLiteral("-c"), QStringLiteral("user.name=Slipway Tests"),
        QStringLiteral("-c"), QStringLiteral("user.email=tests@slipway.invalid"),
        QStringLiteral("-c"), QStringLiteral("commit.gpgsign=false"),
        QStringLiteral("-c"), QStringLiteral("tag.gpgsign=false")};
    return run(QStringLiteral("git"), prefix + arguments, {}, output, 30000);
}

} // namespace

class tst_SourceFetcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    // Folders.
    void folderCopiesTreeWithoutGit();
    void folderKeepsModesAndSymlinks();
    void folderOfGitWorkTreeRecordsHead();

    // Git repositories.
    void gitAtRef_data();
    void gitAtRef();
    void gitDefaultBranch();
    void gitCloneReportsProgress();
    void gitRepositoryThatDoesNotExist_data();
    void gitRepositoryThatDoesNotExist();
    void gitRepositoryGoneBeforeFetch();
    void gitRemoteThatDoesNotExist();
    void gitServerThatNeverAnswers();
    void gitRefThatDoesNotExist_data();
    void gitRefThatDoesNotExist();
    void privateGitWithLogin();
    void privateGitWithoutLogin();
    void privateGitWithWrongLogin();
    void privateGitLoginForAnotherHost();
    void passwordInUrlStaysOutOfLogs();
    void gitSubmoduleThatCannotBeFetched();

    // Archives.
    void archive_data();
    void archive();
    void archiveSingleTopFolderRule_data();
    void archiveSingleTopFolderRule();
    void archiveOverHttpReportsProgress();
    void archiveUnreachableUrl();
    void archiveHttpNotFound();
    void archiveDownloadBroken_data();
    void archiveDownloadBroken();
    void archiveCorrupt_data();
    void archiveCorrupt();
    void archiveClimbingOutIsRefused();

    // Artifacts.
    void artifact_data();
    void artifact();

    // Refusals.
    void emptySource_data();
    void emptySource();
    void overSizeLimit_data();
    void overSizeLimit();
    void downloadOverSizeLimit();
    void cancelDuringDownload();
    void destroyedWhileWorking();
    void refusesWorkFolderThatIsNotAbsolute();

private:
    QString fixture(const QString &relative) const { return m_fixtures.filePath(relative); }
    bool makeAppTree(const QString &root);
    void makeArchiveFixtures();
    void makeRepositoryFixture();
    std::unique_ptr<PrivateGitServer> servePrivately(const QString &name,
                                                     const QByteArray &credential) const
    {
        return servePrivatelyIn(fixture(name), fixture(QStringLiteral("repo")), credential);
    }
    QString commit(const QString &message);

    QTemporaryDir m_fixtures;
    std::unique_ptr<StaticHttpServer> m_server;
    // The app tree every archive and folder test lays out: relative path -> contents.
    QMap<QString, QByteArray> m_appFiles;
    qint64 m_appBytes = 0;
    // Commits of the "repo" fixture.
    QString m_one, m_two, m_three, m_feature;
};

bool tst_SourceFetcher::makeAppTree(const QString &root)
{
    const auto executable = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                            QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther;
    for (auto it = m_appFiles.cbegin(); it != m_appFiles.cend(); ++it) {
        const bool isScript = it.key().endsWith(QLatin1String(".sh"));
        const bool isSecret = it.key() == QLatin1String("secret.txt");
        const QFile::Permissions mode =
            isScript ? executable
            : isSecret
                ? (QFile::ReadOwner | QFile::WriteOwner)
                : (QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
        if (!writeFile(root + QLatin1Char('/') + it.key(), it.value(), mode))
            return false;
    }
    return QFile::link(QStringLiteral("index.html"), root + QStringLiteral("/link.html")) &&
           QFile::link(QStringLiteral("../index.html"), root + QStringLiteral("/nested/up.html"));
}

QString tst_SourceFetcher::commit(const QString &message)
{
    const QString repo = fixture(QStringLiteral("repo"));
    if (git(repo, {QStringLiteral("add"), QStringLiteral("-A")}) != 0)
        return {};
    if (git(repo,
            {QStringLiteral("commit"), QStringLiteral("-q"), QStringLiteral("-m"), message}) != 0)
        return {};
    return gitHead(repo);
}

void tst_SourceFetcher::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_fixtures.isValid());

    m_appFiles = {
        {QStringLiteral("index.html"), "<h1>hello</h1>\n"},
        {QStringLiteral("bin/run.sh"), "#!/bin/sh\necho run\n"},
        {QStringLiteral("secret.txt"), "s3cr3t\n"},
        {QStringLiteral(".env"), "A=1\n"},
        {QStringLiteral("nested/deep/data.json"), "{\"deep\": true}\n"},
    };
    for (const QByteArray &contents : std::as_const(m_appFiles))
        m_appBytes += contents.size();

    makeArchiveFixtures();
    if (QTest::currentTestFailed())
        return;
    makeRepositoryFixture();
    if (QTest::currentTestFailed())
        return;

    m_server = std::make_unique<StaticHttpServer>(fixture(QStringLiteral("archives")));
    QVERIFY(m_server->isReady());
}

void tst_SourceFetcher::makeArchiveFixtures()
{
    // Archives of the app tree, made with the system tools: "app/..." under one top folder
    // and "flat" with the entries at the top.
    const QString archives = fixture(QStringLiteral("archives"));
    QVERIFY(makeAppTree(fixture(QStringLiteral("tree/app"))));
    QVERIFY(QDir().mkpath(archives));
    const QString tree = fixture(QStringLiteral("tree"));
    const QString app = fixture(QStringLiteral("tree/app"));
    const QList<std::pair<QString, QString>> tarFlags = {
        {QStringLiteral("tar"), QStringLiteral("-cf")},
        {QStringLiteral("tar.gz"), QStringLiteral("-czf")},
        {QStringLiteral("tgz"), QStringLiteral("-czf")},
        {QStringLiteral("tar.bz2"), QStringLiteral("-cjf")},
        {QStringLiteral("tar.xz"), QStringLiteral("-cJf")}};
    for (const auto &[extension, flag] : tarFlags) {
        QCOMPARE(run(QStringLiteral("tar"), {flag, archives + QStringLiteral("/app.") + extension,
                                             QStringLiteral("-C"), tree, QStringLiteral("app")}),
                 0);
        QCOMPARE(run(QStringLiteral("tar"), {flag, archives + QStringLiteral("/flat.") + extension,
                                             QStringLiteral("-C"), app, QStringLiteral(".")}),
                 0);
    }
    QCOMPARE(
        run(QStringLiteral("zip"),
            {QStringLiteral("-qry"), archives + QStringLiteral("/app.zip"), QStringLiteral("app")},
            tree),
        0);
    QCOMPARE(
        run(QStringLiteral("zip"),
            {QStringLiteral("-qry"), archives + QStringLiteral("/flat.zip"), QStringLiteral(".")},
            app),
        0);

    // A top folder next to a top file, and a lone top file: no single top folder.
    QVERIFY(writeFile(fixture(QStringLiteral("mixed/README")), "read me\n"));
    QVERIFY(writeFile(fixture(QStringLiteral("mixed/app/index.html")), "mixed\n"));
    QCOMPARE(run(QStringLiteral("tar"),
                 {QStringLiteral("-czf"), archives + QStringLiteral("/mixed.tar.gz"),
                  QStringLiteral("-C"), fixture(QStringLiteral("mixed")), QStringLiteral("README"),
                  QStringLiteral("app")}),
             0);
    QCOMPARE(
        run(QStringLiteral("tar"),
            {QStringLiteral("-czf"), archives + QStringLiteral("/lonefile.tar.gz"),
             QStringLiteral("-C"), fixture(QStringLiteral("mixed")), QStringLiteral("README")}),
        0);

    // Empty archives: no entries at all, and a single empty top folder.
    QVERIFY(QDir().mkpath(fixture(QStringLiteral("emptytop/app"))));
    QCOMPARE(
        run(QStringLiteral("tar"), {QStringLiteral("-cf"), archives + QStringLiteral("/empty.tar"),
                                    QStringLiteral("-T"), QStringLiteral("/dev/null")}),
        0);
    QCOMPARE(
        run(QStringLiteral("tar"),
            {QStringLiteral("-czf"), archives + QStringLiteral("/emptytop.tar.gz"),
             QStringLiteral("-C"), fixture(QStringLiteral("emptytop")), QStringLiteral("app")}),
        0);
    QCOMPARE(run(QStringLiteral("python3"),
                 {QStringLiteral("-c"),
                  QStringLiteral("import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').close()"),
                  archives + QStringLiteral("/empty.zip")}),
             0);

    // Damaged archives: noise with an archive's name, and a real one cut short.
    QByteArray noise;
    for (int i = 0; i < 4096; ++i)
        noise.append(char((i * 7919 + 13) % 251));
    QVERIFY(writeFile(archives + QStringLiteral("/noise.tar.gz"), noise));
    QVERIFY(writeFile(archives + QStringLiteral("/noise.zip"), noise));
    // Incompressible data, so that the cut falls in the middle of a file's contents.
    QList<quint32> words(64 * 1024);
    QRandomGenerator(20240601).fillRange(words.data(), words.size());
    const QByteArray random(reinterpret_cast<const char *>(words.constData()),
                            words.size() * qsizetype(sizeof(quint32)));
    QVERIFY(writeFile(fixture(QStringLiteral("randomtree/app/blob.bin")), random));
    QCOMPARE(
        run(QStringLiteral("tar"),
            {QStringLiteral("-czf"), fixture(QStringLiteral("whole.tar.gz")), QStringLiteral("-C"),
             fixture(QStringLiteral("randomtree")), QStringLiteral("app")}),
        0);
    const QByteArray whole = readAll(fixture(QStringLiteral("whole.tar.gz")));
    QVERIFY(whole.size() > 100 * 1024);
    QVERIFY(
        writeFile(archives + QStringLiteral("/truncated.tar.gz"), whole.left(whole.size() / 2)));

    // An archive with a harmless entry, then one climbing out of the destination.
    QCOMPARE(run(QStringLiteral("python3"),
                 {QStringLiteral("-c"),
                  QStringLiteral(
                      "import io, sys, tarfile\n"
                      "with tarfile.open(sys.argv[1], 'w:gz') as archive:\n"
                      "    for name, data in ((sys.argv[2], b'fine'), (sys.argv[3], b'evil')):\n"
                      "        info = tarfile.TarInfo(name)\n"
                      "        info.size = len(data)\n"
                      "        archive.addfile(info, io.BytesIO(data))\n"),
                  archives + QStringLiteral("/climb.tar.gz"), QStringLiteral("app/ok.txt"),
                  QStringLiteral("../../escape.txt")}),
             0);

    // Over a 1 MB limit once unpacked: 2 MB of zeros (a tiny archive) and 2 MB of noise.
    QVERIFY(writeFile(fixture(QStringLiteral("bigtree/app/zeros.bin")),
                      QByteArray(2 * 1024 * 1024, '\0')));
    QCOMPARE(run(QStringLiteral("tar"),
                 {QStringLiteral("-czf"), archives + QStringLiteral("/zeros.tar.gz"),
                  QStringLiteral("-C"), fixture(QStringLiteral("bigtree")), QStringLiteral("app")}),
             0);
    QVERIFY(QFileInfo(archives + QStringLiteral("/zeros.tar.gz")).size() < 100 * 1024);
    QByteArray noisy;
    while (noisy.size() < 2 * 1024 * 1024)
        noisy.append(random);
    QVERIFY(writeFile(fixture(QStringLiteral("noisytree/app/noise.bin")), noisy));
    QCOMPARE(
        run(QStringLiteral("tar"),
            {QStringLiteral("-cf"), archives + QStringLiteral("/noisy.tar"), QStringLiteral("-C"),
             fixture(QStringLiteral("noisytree")), QStringLiteral("app")}),
        0);

    // Artifacts: a jar and a war are zip files deployed byte for byte.
    QVERIFY(writeFile(fixture(QStringLiteral("jar/META-INF/MANIFEST.MF")),
                      "Manifest-Version: 1.0\r\nMain-Class: Hello\r\n\r\n"));
    QVERIFY(writeFile(fixture(QStringLiteral("jar/Hello.class")), "\xca\xfe\xba\xbe not really"));
    QVERIFY(writeFile(fixture(QStringLiteral("jar/WEB-INF/web.xml")), "<web-app/>\n"));
    QCOMPARE(run(QStringLiteral("zip"),
                 {QStringLiteral("-qr"), archives + QStringLiteral("/hello.jar"),
                  QStringLiteral("META-INF"), QStringLiteral("Hello.class")},
                 fixture(QStringLiteral("jar"))),
             0);
    QCOMPARE(run(QStringLiteral("zip"),
                 {QStringLiteral("-qr"), archives + QStringLiteral("/ROOT.war"),
                  QStringLiteral("META-INF"), QStringLiteral("WEB-INF")},
                 fixture(QStringLiteral("jar"))),
             0);

    // A file big enough to still be downloading when the test cancels (sparse: no disk).
    {
        QFile big(archives + QStringLiteral("/huge.tar.gz"));
        QVERIFY(big.open(QIODevice::WriteOnly));
        QVERIFY(big.resize(qint64(2) * 1024 * 1024 * 1024));
    }
}

void tst_SourceFetcher::makeRepositoryFixture()
{
    // A repository with history:
    //   main:    one (tag v1) -> two -> three
    //   feature: one -> feature
    const QString repo = fixture(QStringLiteral("repo"));
    QVERIFY(writeFile(repo + QStringLiteral("/version.txt"), "one\n"));
    QVERIFY(writeFile(repo + QStringLiteral("/app.txt"), "app\n"));
    QVERIFY(gitInitCommit(repo, QStringLiteral("one")));
    m_one = gitHead(repo);
    QCOMPARE(git(repo, {QStringLiteral("tag"), QStringLiteral("-a"), QStringLiteral("v1"),
                        QStringLiteral("-m"), QStringLiteral("version 1")}),
             0);
    QVERIFY(writeFile(repo + QStringLiteral("/version.txt"), "two\n"));
    m_two = commit(QStringLiteral("two"));
    QVERIFY(writeFile(repo + QStringLiteral("/version.txt"), "three\n"));
    QVERIFY(writeFile(repo + QStringLiteral("/three.txt"), "added in three\n"));
    m_three = commit(QStringLiteral("three"));
    QCOMPARE(git(repo, {QStringLiteral("checkout"), QStringLiteral("-q"), QStringLiteral("-b"),
                        QStringLiteral("feature"), m_one}),
             0);
    QVERIFY(writeFile(repo + QStringLiteral("/version.txt"), "feature\n"));
    QVERIFY(writeFile(repo + QStringLiteral("/feature.txt"), "feature only\n"));
    m_feature = commit(QStringLiteral("feature"));
    QCOMPARE(git(repo, {QStringLiteral("checkout"), QStringLiteral("-q"), QStringLiteral("main")}),
             0);
    for (const QString &sha : {m_one, m_two, m_three, m_feature})
        QCOMPARE(sha.size(), 40);
    QCOMPARE(QSet<QString>({m_one, m_two, m_three, m_feature}).size(), 4);
}

// --- Private repositories ------------------------------------------------------------------

namespace {

SourceFetcher::Options withLogin(const QString &host, const QString &user, const QByteArray &pw)
{
    SourceFetcher::Options options;
    options.gitLogins.insert(host, GitLogin{user, pw, {}});
    return options;
}

QByteArray privatePassword()
{
    return "pw '$(touch pwned)' " + QByteArray::number(QRandomGenerator::global()->generate());
}

} // namespace

void tst_SourceFetcher::privateGitWithLogin()
{
    const QByteArray password = privatePassword();
    const std::unique_ptr<PrivateGitServer> served =
        servePrivately(QStringLiteral("served-ok"), "deploy:" + password);
    QVERIFY(served);
    PrivateGitServer &server = *served;

    // Kept for the host alone, it serves every port; at a tag, and at a commit (full clone).
    for (const QString &ref : {QStringLiteral("v1"), m_two}) {
        Fetch fetch(server.url(QStringLiteral("app.git")), ref,
                    withLogin(QStringLiteral("127.0.0.1"), QStringLiteral("deploy"), password));
        VERIFY_FETCHED(fetch);
        QCOMPARE(fetch.source().version, ref == m_two ? m_two : m_one);
        QVERIFY(!fetch.log().join(u'\n').toUtf8().contains(password));
    }
    const QByteArray log = server.log();
    QVERIFY2(log.contains("\" 200 "), log.constData());
}

void tst_SourceFetcher::privateGitWithoutLogin()
{
    const std::unique_ptr<PrivateGitServer> served =
        servePrivately(QStringLiteral("served-none"), "deploy:" + privatePassword());
    QVERIFY(served);
    PrivateGitServer &server = *served;

    QElapsedTimer clock;
    clock.start();
    Fetch fetch(server.url(QStringLiteral("app.git")));
    VERIFY_FAILED(fetch);
    // No prompt waits for an answer that never comes, and the message says what to do.
    QVERIFY(clock.elapsed() < FetchTimeoutMs);
    QVERIFY2(fetch.error().contains(
                 QStringLiteral("slipctl git-credentials-set 127.0.0.1:%1").arg(server.port())),
             qPrintable(fetch.error()));
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory() + QStringLiteral("/app.txt")));
}

void tst_SourceFetcher::privateGitWithWrongLogin()
{
    const std::unique_ptr<PrivateGitServer> served =
        servePrivately(QStringLiteral("served-wrong"), "deploy:" + privatePassword());
    QVERIFY(served);
    PrivateGitServer &server = *served;

    const QString host = QStringLiteral("127.0.0.1:%1").arg(server.port());
    const QByteArray wrong = privatePassword();
    Fetch fetch(server.url(QStringLiteral("app.git")), {},
                withLogin(host, QStringLiteral("deploy"), wrong));
    VERIFY_FAILED(fetch);
    QVERIFY2(fetch.error().contains(QStringLiteral("the login kept for %1").arg(host)),
             qPrintable(fetch.error()));
    QVERIFY(!fetch.error().toUtf8().contains(wrong));
    QVERIFY(!fetch.log().join(u'\n').toUtf8().contains(wrong));
}

void tst_SourceFetcher::privateGitLoginForAnotherHost()
{
    const QByteArray password = privatePassword();
    const std::unique_ptr<PrivateGitServer> served =
        servePrivately(QStringLiteral("served-other"), "deploy:" + password);
    QVERIFY(served);
    PrivateGitServer &server = *served;
    // The right password, kept for another host or another port: never sent here.
    for (const QString &host :
         {QStringLiteral("git.example.com"),
          QStringLiteral("127.0.0.1:%1").arg(server.port() == 1 ? 2 : server.port() - 1)}) {
        Fetch fetch(server.url(QStringLiteral("app.git")), {},
                    withLogin(host, QStringLiteral("deploy"), password));
        VERIFY_FAILED(fetch);
    }
    const QByteArray log = server.log();
    QVERIFY2(!log.contains("\" 200 "), log.constData());
}

void tst_SourceFetcher::passwordInUrlStaysOutOfLogs()
{
    const QByteArray password =
        "inline" + QByteArray::number(QRandomGenerator::global()->generate());
    const std::unique_ptr<PrivateGitServer> served =
        servePrivately(QStringLiteral("served-inline"), "deploy:" + password);
    QVERIFY(served);
    PrivateGitServer &server = *served;
    const QString url = QStringLiteral("http://deploy:%1@127.0.0.1:%2/app.git")
                            .arg(QString::fromUtf8(password))
                            .arg(server.port());
    Fetch fetch(url);
    VERIFY_FETCHED(fetch);
    QVERIFY2(!fetch.log().join(u'\n').toUtf8().contains(password),
             qPrintable(fetch.log().join(u'\n')));
    Fetch missing(url, QStringLiteral("no-such-branch"));
    VERIFY_FAILED(missing);
    QVERIFY2(!missing.error().toUtf8().contains(password), qPrintable(missing.error()));
    QVERIFY(missing.error().contains(QStringLiteral("deploy@127.0.0.1")));
}

void tst_SourceFetcher::refusesWorkFolderThatIsNotAbsolute()
{
    // Nothing may land in "/source" or in the current folder when a caller's scratch folder
    // could not be made.
    QTemporaryDir cwd;
    const QString previous = QDir::currentPath();
    QVERIFY(QDir::setCurrent(cwd.path()));
    auto restore = qScopeGuard([&previous] { QDir::setCurrent(previous); });
    const bool rootHadSource = QFileInfo::exists(QStringLiteral("/source"));
    for (const QString &work : {QString(), QStringLiteral("relative/work")}) {
        const Result<SourceSpec> spec = SourceSpec::parse(fixture(QStringLiteral("repo")));
        QVERIFY(spec);
        SourceFetcher fetcher(*spec, work, {});
        std::optional<Result<FetchedSource>> result;
        connect(&fetcher, &SourceFetcher::finished, this,
                [&result](const Result<FetchedSource> &fetched) { result = fetched; });
        fetcher.start();
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), FetchTimeoutMs);
        QVERIFY(!result->has_value());
        QVERIFY2(result->error().message.contains(QStringLiteral("not an absolute path")),
                 qPrintable(result->error().message));
    }
    QCOMPARE(QFileInfo::exists(QStringLiteral("/source")), rootHadSource);
    QVERIFY(QDir(cwd.path()).isEmpty());
}

// --- Folders -------------------------------------------------------------------------------

void tst_SourceFetcher::folderCopiesTreeWithoutGit()
{
    // A folder with a broken .git, inside another repository whose commit is not its own.
    const QString outer = fixture(QStringLiteral("folders/outer"));
    QVERIFY(writeFile(outer + QStringLiteral("/README"), "outer\n"));
    QVERIFY(gitInitCommit(outer));
    const QString folder = outer + QStringLiteral("/plain");
    QVERIFY(makeAppTree(folder));
    QVERIFY(writeFile(folder + QStringLiteral("/.git/HEAD"), "ref: refs/heads/main\n"));

    Fetch fetch(folder);
    VERIFY_FETCHED(fetch);
    const FetchedSource &source = fetch.source();
    QCOMPARE(source.directory, fetch.sourceDirectory());
    // Not a real repository, so there is no commit to record.
    QCOMPARE(source.version, QString());
    QCOMPARE(source.sizeBytes, m_appBytes);
    for (auto it = m_appFiles.cbegin(); it != m_appFiles.cend(); ++it)
        QCOMPARE(readAll(source.directory + QLatin1Char('/') + it.key()), it.value());
    QVERIFY(!QFileInfo::exists(source.directory + QStringLiteral("/.git")));
    QCOMPARE(listTree(source.directory),
             listTree(folder).filter(QRegularExpression(QStringLiteral("^(?!\\.git(/|$))"))));
    // The folder itself is left as it was.
    QVERIFY(QFileInfo::exists(folder + QStringLiteral("/.git/HEAD")));
}

void tst_SourceFetcher::folderKeepsModesAndSymlinks()
{
    const QString folder = fixture(QStringLiteral("folders/modes"));
    QVERIFY(makeAppTree(folder));
    QVERIFY(QFile::link(QStringLiteral("does-not-exist"), folder + QStringLiteral("/dangling")));

    Fetch fetch(folder);
    VERIFY_FETCHED(fetch);
    const QString out = fetch.source().directory;

    const QFileInfo script(out + QStringLiteral("/bin/run.sh"));
    QVERIFY(script.isExecutable());
    QVERIFY(script.permissions() & QFile::ExeOther);
    const QFileInfo secret(out + QStringLiteral("/secret.txt"));
    QCOMPARE(secret.permissions() & (QFile::ReadGroup | QFile::ReadOther | QFile::ExeOwner),
             QFile::Permissions());
    QVERIFY(!QFileInfo(out + QStringLiteral("/index.html")).isExecutable());

    const QFileInfo link(out + QStringLiteral("/link.html"));
    QVERIFY(link.isSymLink());
    QCOMPARE(QFile::symLinkTarget(link.filePath()), out + QStringLiteral("/index.html"));
    QCOMPARE(readAll(link.filePath()), m_appFiles.value(QStringLiteral("index.html")));
    QVERIFY(QFileInfo(out + QStringLiteral("/nested/up.html")).isSymLink());
    const QFileInfo dangling(out + QStringLiteral("/dangling"));
    QVERIFY(dangling.isSymLink());
    QVERIFY(!dangling.exists());
    // Links are copied as links, not counted as file contents.
    QCOMPARE(fetch.source().sizeBytes, m_appBytes);
}

void tst_SourceFetcher::folderOfGitWorkTreeRecordsHead()
{
    const QString folder = fixture(QStringLiteral("folders/worktree"));
    QVERIFY(makeAppTree(folder));
    QVERIFY(gitInitCommit(folder));
    const QString head = gitHead(folder);
    QCOMPARE(head.size(), 40);
    // The working tree is taken as it is, uncommitted changes included.
    QVERIFY(writeFile(folder + QStringLiteral("/uncommitted.txt"), "draft\n"));

    Fetch fetch(folder);
    VERIFY_FETCHED(fetch);
    QCOMPARE(fetch.source().version, head);
    QCOMPARE(readAll(fetch.source().directory + QStringLiteral("/uncommitted.txt")),
             QByteArray("draft\n"));
    QVERIFY(!QFileInfo::exists(fetch.source().directory + QStringLiteral("/.git")));
    QCOMPARE(fetch.source().sizeBytes, m_appBytes + 6);
}

// --- Git -----------------------------------------------------------------------------------

void tst_SourceFetcher::gitAtRef_data()
{
    QTest::addColumn<bool>("viaFileUrl");
    QTest::addColumn<QString>("ref");
    QTest::addColumn<QString>("commit");
    QTest::addColumn<QByteArray>("versionFile");
    QTest::addColumn<QStringList>("files");

    const QStringList one = {QStringLiteral("app.txt"), QStringLiteral("version.txt")};
    const QStringList three = one + QStringList{QStringLiteral("three.txt")};
    const QStringList feature = {QStringLiteral("app.txt"), QStringLiteral("feature.txt"),
                                 QStringLiteral("version.txt")};
    for (const bool viaFileUrl : {false, true}) {
        const char *how = viaFileUrl ? "file URL" : "path";
        QTest::addRow("%s, branch main", how)
            << viaFileUrl << QStringLiteral("main") << m_three << QByteArray("three\n") << three;
        QTest::addRow("%s, branch feature", how) << viaFileUrl << QStringLiteral("feature")
                                                 << m_feature << QByteArray("feature\n") << feature;
        QTest::addRow("%s, tag", how)
            << viaFileUrl << QStringLiteral("v1") << m_one << QByteArray("one\n") << one;
        QTest::addRow("%s, commit inside main", how)
            << viaFileUrl << m_two << m_two << QByteArray("two\n") << one;
        QTest::addRow("%s, short commit", how)
            << viaFileUrl << m_two.left(10) << m_two << QByteArray("two\n") << one;
    }
}

void tst_SourceFetcher::gitAtRef()
{
    QFETCH(bool, viaFileUrl);
    QFETCH(QString, ref);
    QFETCH(QString, commit);
    QFETCH(QByteArray, versionFile);
    QFETCH(QStringList, files);
    files.sort();

    const QString repo = fixture(QStringLiteral("repo"));
    Fetch fetch(viaFileUrl ? QStringLiteral("file://") + repo : repo, ref);
    VERIFY_FETCHED(fetch);
    const FetchedSource &source = fetch.source();
    QCOMPARE(source.directory, fetch.sourceDirectory());
    QCOMPARE(source.version, commit);
    QCOMPARE(readAll(source.directory + QStringLiteral("/version.txt")), versionFile);
    QCOMPARE(listTree(source.directory), files);
    qint64 expectedSize = 0;
    for (const QString &file : std::as_const(files))
        expectedSize += QFileInfo(source.directory + QLatin1Char('/') + file).size();
    QCOMPARE(source.sizeBytes, expectedSize);
    // The repository's own checkout is untouched.
    QCOMPARE(gitHead(repo), m_three);
}

void tst_SourceFetcher::gitCloneReportsProgress()
{
    // 2 MB of noise: enough for git to count the bytes it receives.
    const QString repo = fixture(QStringLiteral("noisygit"));
    QVERIFY(copyTree(fixture(QStringLiteral("noisytree/app")), repo));
    QVERIFY(gitInitCommit(repo));
    Fetch fetch(repo, QStringLiteral("main"));
    QVERIFY(fetch.fetcher());
    QSignalSpy progress(fetch.fetcher(), &SourceFetcher::downloadProgress);
    VERIFY_FETCHED(fetch);
    QVERIFY(!progress.isEmpty());
    qint64 previous = 0;
    for (const QList<QVariant> &arguments : std::as_const(progress)) {
        QVERIFY(arguments.at(0).toLongLong() >= previous);
        previous = arguments.at(0).toLongLong();
        QCOMPARE(arguments.at(1).toLongLong(), -1); // git never knows the total in bytes
    }
    const qint64 noise = QFileInfo(fixture(QStringLiteral("noisytree/app/noise.bin"))).size();
    QVERIFY2(previous >= noise * 9 / 10 && previous <= noise * 2,
             qPrintable(QStringLiteral("%1 of %2").arg(previous).arg(noise)));
}

void tst_SourceFetcher::gitDefaultBranch()
{
    Fetch fetch(QStringLiteral("file://") + fixture(QStringLiteral("repo")));
    VERIFY_FETCHED(fetch);
    QCOMPARE(fetch.source().version, m_three);
    QCOMPARE(readAll(fetch.source().directory + QStringLiteral("/version.txt")),
             QByteArray("three\n"));
}

void tst_SourceFetcher::gitRepositoryThatDoesNotExist_data()
{
    QTest::addColumn<QString>("input");
    QTest::newRow("file URL") << QStringLiteral("file:///nonexistent/repo.git");
    QTest::newRow("path") << QStringLiteral("/nonexistent/repo.git");
}

void tst_SourceFetcher::gitRepositoryThatDoesNotExist()
{
    QFETCH(QString, input);
    // Refused before anything is fetched.
    Fetch fetch(input, QStringLiteral("main"));
    QVERIFY(fetch.done());
    QVERIFY(!fetch.succeeded());
    VERIFY_CONTAINS(fetch.error(), input);
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("does not exist"));
}

void tst_SourceFetcher::gitRepositoryGoneBeforeFetch()
{
    // The path was a repository when the source was given, and is gone by fetch time.
    const QString repo = fixture(QStringLiteral("gone/repo.git"));
    QVERIFY(writeFile(repo + QStringLiteral("/README"), "gone\n"));
    QVERIFY(gitInitCommit(repo));
    for (const QString &input : QStringList{repo, QStringLiteral("file://") + repo}) {
        Fetch fetch(input, QStringLiteral("main"));
        QVERIFY(fetch.fetcher());
        QVERIFY(QDir(repo).removeRecursively());
        VERIFY_FAILED(fetch);
        VERIFY_CONTAINS(fetch.error(), QStringLiteral("git could not clone ") + repo);
        VERIFY_CONTAINS(fetch.error(), QStringLiteral("does not appear to be a git repository"));
        QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
        QVERIFY(writeFile(repo + QStringLiteral("/README"), "gone\n"));
        QVERIFY(gitInitCommit(repo));
    }
}

void tst_SourceFetcher::gitRemoteThatDoesNotExist()
{
    // Over HTTP: the server is up but has no such repository.
    const QString missing = m_server->url(QStringLiteral("missing/repo.git"));
    Fetch notFound(missing);
    VERIFY_FAILED(notFound);
    VERIFY_CONTAINS(notFound.error(), QStringLiteral("git could not clone ") + missing);
    VERIFY_CONTAINS(notFound.error(), QStringLiteral("not found"));

    // Nobody listening at all.
    const QString closed = QStringLiteral("git://127.0.0.1:%1/repo.git").arg(freePort());
    Fetch unreachable(closed);
    VERIFY_FAILED(unreachable);
    VERIFY_CONTAINS(unreachable.error(), QStringLiteral("git could not clone ") + closed);
    VERIFY_CONTAINS(unreachable.error(), QStringLiteral("unable to connect"));
    QVERIFY(!QFileInfo::exists(unreachable.sourceDirectory()));
}

void tst_SourceFetcher::gitServerThatNeverAnswers()
{
    // Accepts connections and says nothing: only the time limit ends the clone.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    QList<QTcpSocket *> connections;
    QObject::connect(&silent, &QTcpServer::newConnection, &silent, [&silent, &connections] {
        while (QTcpSocket *socket = silent.nextPendingConnection())
            connections.append(socket);
    });

    const QString url = QStringLiteral("git://127.0.0.1:%1/repo.git").arg(silent.serverPort());
    SourceFetcher::Options options;
    options.gitTimeout = std::chrono::seconds(1);
    Fetch fetch(url, {}, options);
    QElapsedTimer elapsed;
    elapsed.start();
    VERIFY_FAILED(fetch);
    QVERIFY(!connections.isEmpty());
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("git could not clone ") + url);
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("time limit of 1 s"));
    QVERIFY(elapsed.elapsed() < 15000);
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
}

void tst_SourceFetcher::gitRefThatDoesNotExist_data()
{
    QTest::addColumn<QString>("ref");
    QTest::newRow("branch") << QStringLiteral("no-such-branch");
    QTest::newRow("full sha") << QStringLiteral("deadbeefdeadbeefdeadbeefdeadbeefdeadbeef");
    QTest::newRow("short sha") << QStringLiteral("deadbeef");
}

void tst_SourceFetcher::gitRefThatDoesNotExist()
{
    QFETCH(QString, ref);
    const QString repo = fixture(QStringLiteral("repo"));
    Fetch fetch(repo, ref);
    VERIFY_FAILED(fetch);
    VERIFY_CONTAINS(fetch.error(),
                    QStringLiteral("the ref '%1' does not exist in %2").arg(ref, repo));
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("give an existing branch, tag or commit"));
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
}

void tst_SourceFetcher::gitSubmoduleThatCannotBeFetched()
{
    // A repository whose submodule is gone: checking out a commit must fail, not build an
    // app with an empty folder where its library should be.
    const QString library = m_fixtures.filePath(QStringLiteral("gone-library"));
    const QString app = m_fixtures.filePath(QStringLiteral("with-submodule"));
    QVERIFY(QDir().mkpath(library));
    QVERIFY(writeFile(library + QStringLiteral("/lib.txt"), "library"));
    QVERIFY(TestSupport::gitInitCommit(library));
    QVERIFY(QDir().mkpath(app));
    QVERIFY(writeFile(app + QStringLiteral("/app.txt"), "app"));
    QVERIFY(TestSupport::gitInitCommit(app));
    QCOMPARE(
        TestSupport::run(QStringLiteral("git"),
                         {QStringLiteral("-C"), app, QStringLiteral("-c"),
                          QStringLiteral("protocol.file.allow=always"), QStringLiteral("submodule"),
                          QStringLiteral("add"), library, QStringLiteral("lib")}),
        0);
    QCOMPARE(TestSupport::run(QStringLiteral("git"),
                              {QStringLiteral("-C"), app, QStringLiteral("-c"),
                               QStringLiteral("user.name=Slipway Tests"), QStringLiteral("-c"),
                               QStringLiteral("user.email=tests@slipway.invalid"),
                               QStringLiteral("commit"), QStringLiteral("-q"), QStringLiteral("-m"),
                               QStringLiteral("add the library")}),
             0);
    const QString commit = TestSupport::gitHead(app);
    QVERIFY(QDir(library).removeRecursively());
    Fetch fetch(app, commit);
    VERIFY_FAILED(fetch);
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("git could not fetch the submodules of"));
}

// --- Archives ------------------------------------------------------------------------------

void tst_SourceFetcher::archive_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("overHttp");
    for (const char *extension : {"tar", "tar.gz", "tgz", "tar.bz2", "tar.xz", "zip"}) {
        for (const bool overHttp : {false, true}) {
            QTest::addRow("%s %s", extension, overHttp ? "http" : "path")
                << QStringLiteral("app.") + QLatin1String(extension) << overHttp;
        }
    }
}

void tst_SourceFetcher::archive()
{
    QFETCH(QString, name);
    QFETCH(bool, overHttp);

    const QString input =
        overHttp ? m_server->url(name) : fixture(QStringLiteral("archives/") + name);
    Fetch fetch(input);
    QVERIFY(fetch.fetcher());
    QSignalSpy progress(fetch.fetcher(), &SourceFetcher::downloadProgress);
    VERIFY_FETCHED(fetch);
    const FetchedSource &source = fetch.source();

    // The single top folder "app" is the source.
    QCOMPARE(source.directory, fetch.sourceDirectory() + QStringLiteral("/app"));
    QCOMPARE(source.version, QString());
    QCOMPARE(source.sizeBytes, m_appBytes);
    for (auto it = m_appFiles.cbegin(); it != m_appFiles.cend(); ++it)
        QCOMPARE(readAll(source.directory + QLatin1Char('/') + it.key()), it.value());
    QVERIFY(QFileInfo(source.directory + QStringLiteral("/bin/run.sh")).isExecutable());
    QVERIFY(!QFileInfo(source.directory + QStringLiteral("/index.html")).isExecutable());
    const QFileInfo link(source.directory + QStringLiteral("/link.html"));
    QVERIFY(link.isSymLink());
    QCOMPARE(readAll(link.filePath()), m_appFiles.value(QStringLiteral("index.html")));
    QCOMPARE(listTree(source.directory), listTree(fixture(QStringLiteral("tree/app"))));

    if (overHttp) {
        QVERIFY(progress.count() > 0);
        const qint64 size = QFileInfo(fixture(QStringLiteral("archives/") + name)).size();
        QCOMPARE(progress.last().at(0).toLongLong(), size);
        QCOMPARE(progress.last().at(1).toLongLong(), size);
        QVERIFY(
            fetch.log().join(QLatin1Char('\n')).contains(QStringLiteral("Downloading ") + input));
    } else {
        QCOMPARE(progress.count(), 0);
    }
}

void tst_SourceFetcher::archiveSingleTopFolderRule_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("root");
    QTest::addColumn<QStringList>("top");

    const QStringList appTop = {QStringLiteral(".env"),       QStringLiteral("bin"),
                                QStringLiteral("index.html"), QStringLiteral("link.html"),
                                QStringLiteral("nested"),     QStringLiteral("secret.txt")};
    QTest::newRow("single top folder")
        << QStringLiteral("app.tar.gz") << QStringLiteral("/app") << appTop;
    QTest::newRow("entries at the top") << QStringLiteral("flat.tar.gz") << QString() << appTop;
    QTest::newRow("zip entries at the top") << QStringLiteral("flat.zip") << QString() << appTop;
    QTest::newRow("folder and file at the top")
        << QStringLiteral("mixed.tar.gz") << QString()
        << QStringList{QStringLiteral("README"), QStringLiteral("app")};
    QTest::newRow("single top file")
        << QStringLiteral("lonefile.tar.gz") << QString() << QStringList{QStringLiteral("README")};
}

void tst_SourceFetcher::archiveSingleTopFolderRule()
{
    QFETCH(QString, name);
    QFETCH(QString, root);
    QFETCH(QStringList, top);

    Fetch fetch(fixture(QStringLiteral("archives/") + name));
    VERIFY_FETCHED(fetch);
    QCOMPARE(fetch.source().directory, fetch.sourceDirectory() + root);
    QStringList entries =
        QDir(fetch.source().directory)
            .entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
    entries.sort();
    QCOMPARE(entries, top);
}

void tst_SourceFetcher::archiveOverHttpReportsProgress()
{
    // Large enough to arrive in several pieces.
    const QString input = m_server->url(QStringLiteral("noisy.tar"));
    Fetch fetch(input);
    QVERIFY(fetch.fetcher());
    QSignalSpy progress(fetch.fetcher(), &SourceFetcher::downloadProgress);
    VERIFY_FETCHED(fetch);
    const qint64 size = QFileInfo(fixture(QStringLiteral("archives/noisy.tar"))).size();
    QVERIFY(progress.count() >= 1);
    qint64 previous = -1;
    for (const QList<QVariant> &arguments : std::as_const(progress)) {
        const qint64 received = arguments.at(0).toLongLong();
        QVERIFY(received >= previous);
        QVERIFY(received <= size);
        QCOMPARE(arguments.at(1).toLongLong(), size);
        previous = received;
    }
    QCOMPARE(previous, size);
    QCOMPARE(QFileInfo(fetch.source().directory + QStringLiteral("/noise.bin")).size(),
             QFileInfo(fixture(QStringLiteral("noisytree/app/noise.bin"))).size());
}

void tst_SourceFetcher::archiveUnreachableUrl()
{
    const QString url = QStringLiteral("http://127.0.0.1:%1/x.tar.gz").arg(freePort());
    Fetch fetch(url);
    VERIFY_FAILED(fetch);
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("could not download ") + url);
    QVERIFY2(fetch.error().contains(QStringLiteral("refused"), Qt::CaseInsensitive),
             qPrintable(fetch.error()));
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("check the URL"));
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
}

void tst_SourceFetcher::archiveHttpNotFound()
{
    const QString url = m_server->url(QStringLiteral("missing.tar.gz"));
    Fetch fetch(url);
    VERIFY_FAILED(fetch);
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("could not download ") + url);
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("the server answered HTTP 404; check the URL"));
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
}

void tst_SourceFetcher::archiveDownloadBroken_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QStringList>("fragments");
    // The server promises 100000 bytes and sends 1000, then closes or goes silent.
    QTest::newRow("connection closed early")
        << QStringLiteral("close")
        << QStringList{QStringLiteral("could not download {url}: "),
                       QStringLiteral("; check the URL and the network")};
    QTest::newRow("stalled") << QStringLiteral("stall")
                             << QStringList{QStringLiteral("the download of {url} stalled"),
                                            QStringLiteral("nothing arrived for 0.5 s"),
                                            QStringLiteral("1000 B received")};
}

void tst_SourceFetcher::archiveDownloadBroken()
{
    QFETCH(QString, mode);
    QFETCH(QStringList, fragments);

    QProcess server;
    server.start(QStringLiteral("python3"),
                 {QStringLiteral("-c"),
                  QStringLiteral("import socket, sys, time\n"
                                 "server = socket.create_server(('127.0.0.1', 0))\n"
                                 "print(server.getsockname()[1], flush=True)\n"
                                 "while True:\n"
                                 "    connection, _ = server.accept()\n"
                                 "    connection.recv(65536)\n"
                                 "    connection.sendall(b'HTTP/1.1 200 OK\\r\\n'\n"
                                 "        b'Content-Length: 100000\\r\\n\\r\\n' + b'x' * 1000)\n"
                                 "    if sys.argv[1] == 'stall':\n"
                                 "        time.sleep(30)\n"
                                 "    connection.close()\n"),
                  mode});
    QVERIFY(server.waitForStarted(5000));
    QVERIFY(server.waitForReadyRead(10000));
    const int port = server.readLine().trimmed().toInt();
    QVERIFY(port > 0);
    const auto stop = qScopeGuard([&server] {
        server.kill();
        server.waitForFinished(5000);
    });

    const QString url = QStringLiteral("http://127.0.0.1:%1/app.tar.gz").arg(port);
    SourceFetcher::Options options;
    options.downloadStallTimeout = std::chrono::milliseconds(500);
    Fetch fetch(url, {}, options);
    VERIFY_FAILED(fetch);
    for (QString fragment : std::as_const(fragments)) {
        fragment.replace(QStringLiteral("{url}"), url);
        VERIFY_CONTAINS(fetch.error(), fragment);
    }
    QVERIFY(!fetch.error().contains(QStringLiteral("HTTP")));
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
}

void tst_SourceFetcher::archiveCorrupt_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("overHttp");
    QTest::addColumn<QString>("reason");
    QTest::newRow("noise as tar.gz") << QStringLiteral("noise.tar.gz") << false
                                     << QStringLiteral("not a readable archive or is damaged");
    QTest::newRow("noise as zip") << QStringLiteral("noise.zip") << false
                                  << QStringLiteral("not a readable archive or is damaged");
    QTest::newRow("truncated") << QStringLiteral("truncated.tar.gz") << false
                               << QStringLiteral("damaged or truncated");
    QTest::newRow("truncated over http")
        << QStringLiteral("truncated.tar.gz") << true << QStringLiteral("damaged or truncated");
}

void tst_SourceFetcher::archiveCorrupt()
{
    QFETCH(QString, name);
    QFETCH(bool, overHttp);
    QFETCH(QString, reason);

    Fetch fetch(overHttp ? m_server->url(name) : fixture(QStringLiteral("archives/") + name));
    VERIFY_FAILED(fetch);
    VERIFY_CONTAINS(fetch.error(), name);
    VERIFY_CONTAINS(fetch.error(), reason);
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
}

void tst_SourceFetcher::archiveClimbingOutIsRefused()
{
    // source/../../escape.txt would land next to the work folder.
    QTemporaryDir box;
    QVERIFY(box.isValid());
    const QString work = box.filePath(QStringLiteral("outer/inner/work"));
    QVERIFY(QDir().mkpath(work));

    Fetch fetch(fixture(QStringLiteral("archives/climb.tar.gz")), {}, {}, work);
    VERIFY_FAILED(fetch);
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("climb.tar.gz"));
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("\"../../escape.txt\""));
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("\"..\""));
    // Nothing anywhere: neither the escaping entry nor the harmless one before it.
    const QStringList left = listTree(box.path());
    QCOMPARE(left, (QStringList{QStringLiteral("outer"), QStringLiteral("outer/inner"),
                                QStringLiteral("outer/inner/work")}));
    QVERIFY(!QFileInfo::exists(fixture(QStringLiteral("escape.txt"))));
    QVERIFY(!QFileInfo::exists(QDir::tempPath() + QStringLiteral("/escape.txt")));
}

// --- Artifacts -----------------------------------------------------------------------------

void tst_SourceFetcher::artifact_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("overHttp");
    for (const char *name : {"hello.jar", "ROOT.war"}) {
        QTest::addRow("%s path", name) << QString::fromLatin1(name) << false;
        QTest::addRow("%s http", name) << QString::fromLatin1(name) << true;
    }
}

void tst_SourceFetcher::artifact()
{
    QFETCH(QString, name);
    QFETCH(bool, overHttp);

    const QString original = fixture(QStringLiteral("archives/") + name);
    Fetch fetch(overHttp ? m_server->url(name) : original);
    QVERIFY(fetch.fetcher());
    QSignalSpy progress(fetch.fetcher(), &SourceFetcher::downloadProgress);
    VERIFY_FETCHED(fetch);
    const FetchedSource &source = fetch.source();
    QCOMPARE(source.directory, fetch.sourceDirectory());
    // Deployed as is: not unpacked, same name, same bytes.
    QCOMPARE(listTree(source.directory), QStringList{name});
    const QByteArray bytes = readAll(original);
    QVERIFY(bytes.startsWith("PK"));
    QCOMPARE(readAll(source.directory + QLatin1Char('/') + name), bytes);
    QCOMPARE(source.sizeBytes, bytes.size());
    QCOMPARE(progress.isEmpty(), !overHttp);
    QVERIFY(QFileInfo::exists(original));
}

// --- Refusals ------------------------------------------------------------------------------

void tst_SourceFetcher::emptySource_data()
{
    QTest::addColumn<QString>("input");
    QTest::newRow("folder") << QStringLiteral("{fixtures}/folders/empty");
    QTest::newRow("folder with only .git") << QStringLiteral("{fixtures}/folders/onlygit");
    QTest::newRow("tar without entries") << QStringLiteral("{fixtures}/archives/empty.tar");
    QTest::newRow("zip without entries") << QStringLiteral("{fixtures}/archives/empty.zip");
    QTest::newRow("single empty top folder")
        << QStringLiteral("{fixtures}/archives/emptytop.tar.gz");
    QTest::newRow("tar without entries over http") << QStringLiteral("{http}empty.tar");
}

void tst_SourceFetcher::emptySource()
{
    QFETCH(QString, input);
    QVERIFY(QDir().mkpath(fixture(QStringLiteral("folders/empty"))));
    QVERIFY(
        writeFile(fixture(QStringLiteral("folders/onlygit/.git/HEAD")), "ref: refs/heads/main\n"));
    input.replace(QStringLiteral("{fixtures}"), m_fixtures.path());
    input.replace(QStringLiteral("{http}"), m_server->url(QString()));

    Fetch fetch(input);
    VERIFY_FAILED(fetch);
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("the source '%1' is empty").arg(input));
    VERIFY_CONTAINS(fetch.error(), QStringLiteral("nothing to build"));
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
}

void tst_SourceFetcher::overSizeLimit_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("ref");
    // The size is 2 MB and more, the limit is 1 MB; both appear in the message.
    QTest::addColumn<QString>("pattern");

    const QString fetcherPattern = QStringLiteral(
        "the source is at least (\\d+\\.\\d) MB uncompressed, over the 1\\.0 MB limit");
    QTest::newRow("folder") << QStringLiteral("{fixtures}/bigtree/app") << QString()
                            << fetcherPattern;
    QTest::newRow("git") << QStringLiteral("{fixtures}/biggit") << QStringLiteral("main")
                         << fetcherPattern;
    QTest::newRow("artifact") << QStringLiteral("{fixtures}/big.jar") << QString()
                              << fetcherPattern;
    const QString archivePattern =
        QStringLiteral("is at least (\\d+(?:\\.\\d)?) MB uncompressed, over the 1 MB limit");
    QTest::newRow("archive of zeros")
        << QStringLiteral("{fixtures}/archives/zeros.tar.gz") << QString()
        << (QStringLiteral("zeros\\.tar\\.gz ") + archivePattern);
    QTest::newRow("archive of zeros over http")
        << QStringLiteral("{http}zeros.tar.gz") << QString()
        << (QStringLiteral("zeros\\.tar\\.gz ") + archivePattern);
    QTest::newRow("plain tar") << QStringLiteral("{fixtures}/archives/noisy.tar") << QString()
                               << (QStringLiteral("noisy\\.tar ") + archivePattern);
}

void tst_SourceFetcher::overSizeLimit()
{
    QFETCH(QString, input);
    QFETCH(QString, ref);
    QFETCH(QString, pattern);

    const QString bigGit = fixture(QStringLiteral("biggit"));
    if (!QFileInfo::exists(bigGit)) {
        QVERIFY(copyTree(fixture(QStringLiteral("bigtree/app")), bigGit));
        QVERIFY(gitInitCommit(bigGit));
    }
    const QString bigJar = fixture(QStringLiteral("big.jar"));
    if (!QFileInfo::exists(bigJar))
        QVERIFY(QFile::copy(fixture(QStringLiteral("noisytree/app/noise.bin")), bigJar));
    input.replace(QStringLiteral("{fixtures}"), m_fixtures.path());
    input.replace(QStringLiteral("{http}"), m_server->url(QString()));

    SourceFetcher::Options options;
    options.sizeLimit = 1024 * 1024;
    Fetch fetch(input, ref, options);
    VERIFY_FAILED(fetch);
    const QRegularExpressionMatch match = QRegularExpression(pattern).match(fetch.error());
    QVERIFY2(match.hasMatch(), qPrintable(fetch.error()));
    QVERIFY2(match.captured(1).toDouble() >= 2.0, qPrintable(fetch.error()));
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
}

void tst_SourceFetcher::downloadOverSizeLimit()
{
    // The download itself (2 MB of noise) is over the limit: stopped before unpacking.
    const QString url = m_server->url(QStringLiteral("noisy.tar"));
    SourceFetcher::Options options;
    options.sizeLimit = 1024 * 1024;
    Fetch fetch(url, {}, options);
    VERIFY_FAILED(fetch);
    VERIFY_CONTAINS(fetch.error(),
                    QStringLiteral("the download of %1 is over the 1.0 MB limit").arg(url));
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
}

void tst_SourceFetcher::cancelDuringDownload()
{
    const QString url = m_server->url(QStringLiteral("huge.tar.gz"));
    const qint64 size = QFileInfo(fixture(QStringLiteral("archives/huge.tar.gz"))).size();
    SourceFetcher::Options options;
    options.sizeLimit = size + 1;
    Fetch fetch(url, {}, options);
    QVERIFY(fetch.fetcher());
    QSignalSpy progress(fetch.fetcher(), &SourceFetcher::downloadProgress);
    // Cancel as a user would: on a later turn of the event loop, once bytes flow.
    bool cancelQueued = false;
    QObject::connect(fetch.fetcher(), &SourceFetcher::downloadProgress, fetch.fetcher(),
                     [&cancelQueued, &fetch](qint64 received, qint64) {
                         if (cancelQueued || received == 0)
                             return;
                         cancelQueued = true;
                         QTimer::singleShot(0, fetch.fetcher(), &SourceFetcher::cancel);
                     });
    VERIFY_FAILED(fetch);
    QCOMPARE(fetch.error(), QStringLiteral("cancelled"));
    QVERIFY(cancelQueued);
    QVERIFY(!progress.isEmpty());
    QVERIFY(progress.last().at(0).toLongLong() < size);
    QVERIFY(!QFileInfo::exists(fetch.sourceDirectory()));
    // Nothing more arrives after the result.
    QTest::qWait(200);
    QCOMPARE(fetch.finishedCount(), 1);
}

void tst_SourceFetcher::destroyedWhileWorking()
{
    // Destroying a fetcher mid-extraction waits for its own work and reports nothing.
    QTemporaryDir work;
    QVERIFY(work.isValid());
    int results = 0;
    {
        const Result<SourceSpec> spec =
            SourceSpec::parse(fixture(QStringLiteral("archives/noisy.tar")));
        QVERIFY(spec.has_value());
        SourceFetcher fetcher(*spec, work.path(), {});
        QObject::connect(&fetcher, &SourceFetcher::finished, &fetcher,
                         [&results](const Result<FetchedSource> &) { ++results; });
        fetcher.start();
    }
    QTest::qWait(100);
    QCOMPARE(results, 0);
    // Whatever was written stays inside the work folder.
    for (const QString &path : listTree(work.path()))
        QVERIFY2(path.startsWith(QLatin1String("source")), qPrintable(path));
}

QTEST_GUILESS_MAIN(tst_SourceFetcher)
#include "tst_sourcefetcher.moc"
