#include "slug/SlugWriter.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace Qt::StringLiterals;
using Slipway::SlugWriter;

namespace {

void writeFile(const QString &path, const QByteArray &contents = "x")
{
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly), qPrintable(path));
    file.write(contents);
}

std::optional<QByteArray> run(const QString &program, const QStringList &arguments)
{
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForFinished(120000) || process.exitStatus() != QProcess::NormalExit ||
        process.exitCode() != 0) {
        qWarning("%s failed: %s", qPrintable(program), process.readAllStandardError().constData());
        return std::nullopt;
    }
    return process.readAllStandardOutput();
}

QStringList namesIn(const QString &slugPath)
{
    const QByteArray listing = run(u"tar"_s, {u"-tzf"_s, slugPath}).value_or(QByteArray());
    return QString::fromUtf8(listing).split(u'\n', Qt::SkipEmptyParts);
}

} // namespace

class tst_SlugWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void appliesSlugIgnoreAndLeavesOutGit();
    void reportsSizeAndChecksum();
    void noSlugIgnoreNoRemovalLine();
    void cancelled();

private:
    std::unique_ptr<QTemporaryDir> m_root;
    QString m_app;
};

void tst_SlugWriter::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    if (QStandardPaths::findExecutable(u"tar"_s).isEmpty() ||
        QStandardPaths::findExecutable(u"sha256sum"_s).isEmpty())
        QSKIP("tar and sha256sum check the slug");
}

void tst_SlugWriter::init()
{
    m_root = std::make_unique<QTemporaryDir>();
    QVERIFY(m_root->isValid());
    m_app = m_root->filePath(u"app"_s);
    writeFile(m_app + u"/Procfile"_s, "web: node index.js\n");
    writeFile(m_app + u"/index.js"_s, "require('http').createServer().listen(process.env.PORT)\n");
    writeFile(m_app + u"/.git/HEAD"_s, "ref: refs/heads/main\n");
    writeFile(m_app + u"/.git/objects/pack/big.pack"_s, QByteArray(100000, 'g'));
}

void tst_SlugWriter::appliesSlugIgnoreAndLeavesOutGit()
{
    writeFile(m_app + u"/.slugignore"_s, "*.psd\r\ndocs/\n# keep the tests\n");
    writeFile(m_app + u"/design/logo.psd"_s);
    writeFile(m_app + u"/banner.psd"_s);
    writeFile(m_app + u"/docs/guide.md"_s);
    writeFile(m_app + u"/lib/docs.js"_s);

    QStringList log;
    const QString slugPath = m_root->filePath(u"slug.tgz"_s);
    const auto slug =
        SlugWriter::write(m_app, slugPath, [&log](const QString &line) { log.append(line); });
    QVERIFY2(slug, qPrintable(slug ? QString() : slug.error().message));

    QCOMPARE(log.size(), 3);
    QCOMPARE(log.at(0), u"-----> Compressing slug"_s);
    QCOMPARE(log.at(1), u"       Removed 3 entries matching .slugignore"_s);
    QVERIFY2(log.at(2).startsWith(u"       Done: "_s), qPrintable(log.at(2)));

    const QStringList names = namesIn(slugPath);
    QVERIFY(names.contains(u"./Procfile"_s));
    QVERIFY(names.contains(u"./index.js"_s));
    QVERIFY(names.contains(u"./lib/docs.js"_s));
    QVERIFY(names.contains(u"./design/"_s));
    for (const QString &name : names) {
        QVERIFY2(!name.startsWith(u"./.git"_s), qPrintable(name));
        QVERIFY2(!name.endsWith(u".psd"_s), qPrintable(name));
        QVERIFY2(!name.startsWith(u"./docs"_s), qPrintable(name));
    }
    // .slugignore deletes from the build folder, as on Heroku; .git is only left out.
    QVERIFY(!QFileInfo::exists(m_app + u"/banner.psd"_s));
    QVERIFY(!QFileInfo::exists(m_app + u"/docs"_s));
    QVERIFY(QFileInfo::exists(m_app + u"/.git/HEAD"_s));
}

void tst_SlugWriter::reportsSizeAndChecksum()
{
    QByteArray noise(3 * 1024 * 1024, Qt::Uninitialized);
    QRandomGenerator(5).fillRange(reinterpret_cast<quint32 *>(noise.data()), noise.size() / 4);
    writeFile(m_app + u"/assets/noise.bin"_s, noise);
    QStringList log;
    const QString slugPath = m_root->filePath(u"slug.tgz"_s);
    const auto slug =
        SlugWriter::write(m_app, slugPath, [&log](const QString &line) { log.append(line); });
    QVERIFY(slug);

    QCOMPARE(slug->path, QFileInfo(slugPath).absoluteFilePath());
    QCOMPARE(slug->sizeBytes, QFileInfo(slugPath).size());
    QCOMPARE(slug->sha256,
             run(u"sha256sum"_s, {slugPath}).value_or(QByteArray()).split(' ').first());
    QVERIFY(slug->uncompressedBytes > slug->sizeBytes);
    QCOMPARE(slug->uncompressedBytes % 512, 0); // a whole tar stream
    const QRegularExpressionMatch done =
        QRegularExpression(u"^       Done: (\\d+\\.\\d) MB$"_s).match(log.last());
    QVERIFY2(done.hasMatch(), qPrintable(log.last()));
    QVERIFY(qAbs(done.captured(1).toDouble() - double(slug->sizeBytes) / (1024 * 1024)) <= 0.05);
}

void tst_SlugWriter::noSlugIgnoreNoRemovalLine()
{
    QStringList log;
    const auto slug = SlugWriter::write(m_app, m_root->filePath(u"slug.tgz"_s),
                                        [&log](const QString &line) { log.append(line); });
    QVERIFY(slug);
    QCOMPARE(log.size(), 2);
    QVERIFY(!log.join(u'\n').contains(u"slugignore"_s));
}

void tst_SlugWriter::cancelled()
{
    writeFile(m_app + u"/.slugignore"_s, "*.psd\n");
    writeFile(m_app + u"/logo.psd"_s);
    const std::atomic<bool> cancel = true;
    const QString slugPath = m_root->filePath(u"slug.tgz"_s);
    const auto slug = SlugWriter::write(m_app, slugPath, {}, &cancel);
    QVERIFY(!slug);
    QCOMPARE(slug.error().message, u"cancelled"_s);
    QVERIFY(!QFileInfo::exists(slugPath));
    // A cancelled build changes nothing in the app.
    QVERIFY(QFileInfo::exists(m_app + u"/logo.psd"_s));
}

QTEST_GUILESS_MAIN(tst_SlugWriter)
#include "tst_slugwriter.moc"
