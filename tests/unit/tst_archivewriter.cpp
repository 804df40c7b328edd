#include "archive/ArchiveWriter.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <optional>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using Slipway::ArchiveWriter;

namespace {

constexpr qint64 ReadmeMtime = 1000000000; // 2001-09-09

QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator random(seed);
    random.fillRange(reinterpret_cast<quint32 *>(bytes.data()), size / 4);
    return bytes;
}

void writeFile(const QString &path, const QByteArray &contents, int permissions = 0644)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly), qPrintable(path));
    QCOMPARE(file.write(contents), contents.size());
    file.close();
    QCOMPARE(::chmod(QFile::encodeName(path).constData(), mode_t(permissions)), 0);
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

int permissionsOf(const QString &path)
{
    struct stat status = {};
    if (::lstat(QFile::encodeName(path).constData(), &status) != 0)
        return -1;
    return int(status.st_mode & 07777);
}

QByteArray linkTarget(const QString &path)
{
    char buffer[4096];
    const ssize_t length = ::readlink(QFile::encodeName(path).constData(), buffer, sizeof buffer);
    return length < 0 ? QByteArray() : QByteArray(buffer, length);
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

QStringList entriesOf(const QString &path)
{
    return QDir(path).entryList(QDir::AllEntries | QDir::Hidden | QDir::System |
                                QDir::NoDotAndDotDot);
}

// One line of `tar -tzv`: "-rwxr-xr-x 0/0 18 2024-01-01 10:00 ./bin/run".
struct ListedEntry
{
    QString permissions;
    QString owner;
    QString name;
    QString linkTarget;
};

QList<ListedEntry> listTarGz(const QString &archivePath)
{
    QList<ListedEntry> entries;
    const QByteArray listing = run(u"tar"_s, {u"-tzvf"_s, archivePath}).value_or(QByteArray());
    for (const QByteArray &line : listing.split('\n')) {
        if (line.isEmpty())
            continue;
        const QStringList fields = QString::fromUtf8(line).split(u' ', Qt::SkipEmptyParts);
        if (fields.size() < 6)
            continue;
        ListedEntry entry{fields.at(0), fields.at(1), fields.mid(5).join(u' '), {}};
        if (const qsizetype arrow = entry.name.indexOf(u" -> "_s); arrow >= 0) {
            entry.linkTarget = entry.name.mid(arrow + 4);
            entry.name.truncate(arrow);
        }
        entries.append(entry);
    }
    return entries;
}

} // namespace

class tst_ArchiveWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void roundTripThroughSystemTar();
    void reportsWhatItWrote();
    void sameTreeSameBytes();
    void outputInsideTheFolderIsLeftOut();
    void notAFolder();
    void unreadableFileLeavesNoOutput();
    void cancelLeavesPreviousOutput();

private:
    void makeTree();

    std::unique_ptr<QTemporaryDir> m_root;
    QString m_tree;
    QByteArray m_bigFile;
};

void tst_ArchiveWriter::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    if (QStandardPaths::findExecutable(u"tar"_s).isEmpty() ||
        QStandardPaths::findExecutable(u"gzip"_s).isEmpty())
        QSKIP("tar and gzip check the output");
    // Over two compression chunks, so the output has several gzip members.
    m_bigFile = randomBytes(9 * 1024 * 1024, 3);
}

void tst_ArchiveWriter::init()
{
    m_root = std::make_unique<QTemporaryDir>();
    QVERIFY(m_root->isValid());
    m_tree = m_root->filePath(u"app"_s);
}

void tst_ArchiveWriter::makeTree()
{
    writeFile(m_tree + u"/bin/run"_s, "#!/bin/sh\necho run\n", 0755);
    writeFile(m_tree + u"/README.md"_s, "# App\n", 0644);
    writeFile(m_tree + u"/secret.key"_s, "k", 0600);
    writeFile(m_tree + u"/data/big.bin"_s, m_bigFile);
    writeFile(m_tree + u"/data/text.txt"_s, QByteArray("line of text\n").repeated(300000));
    // Longer than ustar's 100 characters, and not ASCII.
    writeFile(m_tree + u"/node_modules/some-long-package-name/lib/with/deeply/nested/folders/"
                       "and/a/rather/long/file-name-too.js"_s,
              "module.exports = 1;\n");
    writeFile(m_tree + u"/locales/caf\u00e9-\u65e5\u672c.txt"_s, "utf-8 name\n");
    QVERIFY(QDir().mkpath(m_tree + u"/empty/folder"_s));
    QVERIFY(QFile::link(u"README.md"_s, m_tree + u"/readme-link"_s));
    QVERIFY(QFile::link(u"data"_s, m_tree + u"/data-link"_s));
    QVERIFY(QFile::link(u"does/not/exist"_s, m_tree + u"/dangling"_s));
    // A FIFO must neither end up in the archive nor block the writer.
    QCOMPARE(::mkfifo(QFile::encodeName(m_tree + u"/pipe"_s).constData(), 0644), 0);

    writeFile(m_tree + u"/.git/HEAD"_s, "ref: refs/heads/main\n");
    writeFile(m_tree + u"/.git/objects/ab/cdef"_s, "blob");
    writeFile(m_tree + u"/logs/debug.log"_s, "noise");
    writeFile(m_tree + u"/logs/keep.log"_s, "keep");
    writeFile(m_tree + u"/tmp/cache/x"_s, "x");

    QFile readme(m_tree + u"/README.md"_s);
    QVERIFY(readme.open(QIODevice::ReadWrite));
    QVERIFY(readme.setFileTime(QDateTime::fromSecsSinceEpoch(ReadmeMtime),
                               QFileDevice::FileModificationTime));
}

void tst_ArchiveWriter::roundTripThroughSystemTar()
{
    makeTree();
    const QString output = m_root->filePath(u"app.tgz"_s);
    const auto written =
        ArchiveWriter::writeTarGz(m_tree, output, {u".git"_s, u"./logs/debug.log"_s, u"tmp/"_s});
    QVERIFY2(written, qPrintable(written ? QString() : written.error().message));

    const QList<ListedEntry> listed = listTarGz(output);
    QVERIFY(!listed.isEmpty());
    QCOMPARE(listed.first().name, u"./"_s);
    QHash<QString, ListedEntry> byName;
    for (const ListedEntry &entry : listed) {
        QCOMPARE(entry.owner, u"0/0"_s);
        byName.insert(entry.name, entry);
    }
    QCOMPARE(byName.value(u"./bin/"_s).permissions, u"drwxr-xr-x"_s);
    QCOMPARE(byName.value(u"./bin/run"_s).permissions, u"-rwxr-xr-x"_s);
    QCOMPARE(byName.value(u"./README.md"_s).permissions, u"-rw-r--r--"_s);
    QCOMPARE(byName.value(u"./secret.key"_s).permissions, u"-rw-------"_s);
    QCOMPARE(byName.value(u"./readme-link"_s).permissions.at(0), u'l');
    QCOMPARE(byName.value(u"./readme-link"_s).linkTarget, u"README.md"_s);
    QVERIFY(byName.contains(u"./empty/folder/"_s));
    QVERIFY(byName.contains(u"./logs/keep.log"_s));
    for (const QString &left : {u"./.git/"_s, u"./.git/HEAD"_s, u"./logs/debug.log"_s, u"./tmp/"_s,
                                u"./tmp/cache/x"_s, u"./pipe"_s}) {
        QVERIFY2(!byName.contains(left), qPrintable(left));
    }

    const QString unpacked = m_root->filePath(u"unpacked"_s);
    QVERIFY(QDir().mkpath(unpacked));
    QVERIFY(run(u"tar"_s, {u"-xzf"_s, output, u"-C"_s, unpacked}));
    QCOMPARE(readAll(unpacked + u"/bin/run"_s), QByteArray("#!/bin/sh\necho run\n"));
    QCOMPARE(readAll(unpacked + u"/data/big.bin"_s), m_bigFile);
    QCOMPARE(readAll(unpacked + u"/data/text.txt"_s),
             QByteArray("line of text\n").repeated(300000));
    QCOMPARE(readAll(unpacked + u"/node_modules/some-long-package-name/lib/with/deeply/nested/"
                                "folders/and/a/rather/long/file-name-too.js"_s),
             QByteArray("module.exports = 1;\n"));
    QCOMPARE(readAll(unpacked + u"/locales/caf\u00e9-\u65e5\u672c.txt"_s),
             QByteArray("utf-8 name\n"));
    QCOMPARE(permissionsOf(unpacked + u"/bin/run"_s), 0755);
    QCOMPARE(permissionsOf(unpacked + u"/README.md"_s), 0644);
    QCOMPARE(permissionsOf(unpacked + u"/secret.key"_s), 0600);
    QCOMPARE(linkTarget(unpacked + u"/readme-link"_s), QByteArray("README.md"));
    QCOMPARE(linkTarget(unpacked + u"/data-link"_s), QByteArray("data"));
    QCOMPARE(linkTarget(unpacked + u"/dangling"_s), QByteArray("does/not/exist"));
    QVERIFY(QFileInfo(unpacked + u"/empty/folder"_s).isDir());
    QCOMPARE(QFileInfo(unpacked + u"/README.md"_s).lastModified().toSecsSinceEpoch(), ReadmeMtime);
    QVERIFY(!QFileInfo::exists(unpacked + u"/.git"_s));
    QVERIFY(!QFileInfo::exists(unpacked + u"/logs/debug.log"_s));
    QVERIFY(QFileInfo::exists(unpacked + u"/logs/keep.log"_s));
    QVERIFY(!QFileInfo::exists(unpacked + u"/tmp"_s));
}

void tst_ArchiveWriter::reportsWhatItWrote()
{
    makeTree();
    const QString output = m_root->filePath(u"app.tar.gz"_s);
    const auto written = ArchiveWriter::writeTarGz(m_tree, output);
    QVERIFY(written);

    QCOMPARE(written->compressedBytes, QFileInfo(output).size());
    const QByteArray sha256sum =
        run(u"sha256sum"_s, {output}).value_or(QByteArray()).split(' ').first();
    QCOMPARE(written->sha256, sha256sum);
    QCOMPARE(written->uncompressedBytes,
             qint64(run(u"gzip"_s, {u"-dc"_s, output}).value_or(QByteArray()).size()));
    QCOMPARE(written->entryCount, int(listTarGz(output).size()));
    QVERIFY(written->compressedBytes < written->uncompressedBytes);
    // Several gzip members, and gzip checks every one.
    QVERIFY(run(u"gzip"_s, {u"-t"_s, output}));
}

void tst_ArchiveWriter::sameTreeSameBytes()
{
    makeTree();
    const auto first = ArchiveWriter::writeTarGz(m_tree, m_root->filePath(u"one.tgz"_s));
    const auto second = ArchiveWriter::writeTarGz(m_tree, m_root->filePath(u"two.tgz"_s));
    QVERIFY(first && second);
    QCOMPARE(first->sha256, second->sha256);
}

void tst_ArchiveWriter::outputInsideTheFolderIsLeftOut()
{
    writeFile(m_tree + u"/index.js"_s, "1");
    const QString output = m_tree + u"/slug.tgz"_s;
    const auto written = ArchiveWriter::writeTarGz(m_tree, output);
    QVERIFY(written);
    QStringList names;
    for (const ListedEntry &entry : listTarGz(output))
        names.append(entry.name);
    QCOMPARE(names, (QStringList{u"./"_s, u"./index.js"_s}));
}

void tst_ArchiveWriter::notAFolder()
{
    const auto written =
        ArchiveWriter::writeTarGz(m_root->filePath(u"missing"_s), m_root->filePath(u"out.tgz"_s));
    QVERIFY(!written);
    QVERIFY(!QFileInfo::exists(m_root->filePath(u"out.tgz"_s)));
}

void tst_ArchiveWriter::unreadableFileLeavesNoOutput()
{
    if (::geteuid() == 0)
        QSKIP("root reads any file; cancelLeavesPreviousOutput covers a failure midway");
    writeFile(m_tree + u"/a-first.bin"_s, randomBytes(6 * 1024 * 1024, 9));
    writeFile(m_tree + u"/z-locked.txt"_s, "private", 0000);
    const QString outputFolder = m_root->filePath(u"out"_s);
    QVERIFY(QDir().mkpath(outputFolder));

    const auto written = ArchiveWriter::writeTarGz(m_tree, outputFolder + u"/app.tgz"_s);
    QVERIFY(!written);
    QVERIFY2(written.error().message.contains(u"z-locked.txt"_s),
             qPrintable(written.error().message));
    QCOMPARE(entriesOf(outputFolder), QStringList());
}

void tst_ArchiveWriter::cancelLeavesPreviousOutput()
{
    // Enough incompressible data that compressing takes far longer than the cancel delay.
    for (int i = 0; i < 6; ++i)
        writeFile(m_tree + u"/blob-%1.bin"_s.arg(i), randomBytes(8 * 1024 * 1024, quint32(i)));
    const QString outputFolder = m_root->filePath(u"out"_s);
    const QString output = outputFolder + u"/app.tgz"_s;
    writeFile(output, "the previous slug");

    std::atomic<bool> cancel = false;
    std::thread canceller([&cancel] {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        cancel = true;
    });
    const auto written = ArchiveWriter::writeTarGz(m_tree, output, {}, &cancel);
    canceller.join();

    QVERIFY(!written);
    QCOMPARE(written.error().message, u"cancelled"_s);
    QCOMPARE(readAll(output), QByteArray("the previous slug"));
    QCOMPARE(entriesOf(outputFolder), QStringList{u"app.tgz"_s});
}

QTEST_GUILESS_MAIN(tst_ArchiveWriter)
#include "tst_archivewriter.moc"
