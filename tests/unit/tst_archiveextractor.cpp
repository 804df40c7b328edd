#include "archive/ArchiveExtractor.h"

#include "TestSupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <archive.h>
#include <archive_entry.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using Slipway::ArchiveExtractor;

namespace {

// One entry of an archive built for a test. Archives are written with libarchive itself
// (or python3 where a second implementation matters), so no binaries are committed and
// entries no well-behaved tool would write are easy to make.
struct TestEntry
{
    QByteArray name;
    mode_t type = AE_IFREG;
    int permissions = 0644;
    QByteArray data;
    QByteArray link; // symlink or hard link target
    bool hardlink = false;
};

TestEntry fileEntry(const QByteArray &name, const QByteArray &data, int permissions = 0644)
{
    return {name, AE_IFREG, permissions, data, {}, false};
}

TestEntry folderEntry(const QByteArray &name)
{
    return {name, AE_IFDIR, 0755, {}, {}, false};
}

TestEntry symlinkEntry(const QByteArray &name, const QByteArray &target)
{
    return {name, AE_IFLNK, 0777, {}, target, false};
}

TestEntry hardlinkEntry(const QByteArray &name, const QByteArray &target)
{
    return {name, AE_IFREG, 0644, {}, target, true};
}

TestEntry specialEntry(const QByteArray &name, mode_t type)
{
    return {name, type, 0644, {}, {}, false};
}

bool writeArchive(const QString &path, const QList<TestEntry> &entries)
{
    archive *writer = archive_write_new();
    const QString lower = path.toLower();
    if (lower.endsWith(u".zip"_s)) {
        archive_write_set_format_zip(writer);
    } else {
        archive_write_set_format_pax_restricted(writer);
        if (lower.endsWith(u".gz"_s) || lower.endsWith(u".tgz"_s))
            archive_write_add_filter_gzip(writer);
        else if (lower.endsWith(u".bz2"_s) || lower.endsWith(u".tbz2"_s))
            archive_write_add_filter_bzip2(writer);
        else if (lower.endsWith(u".xz"_s) || lower.endsWith(u".txz"_s))
            archive_write_add_filter_xz(writer);
    }
    bool ok =
        archive_write_open_filename(writer, QFile::encodeName(path).constData()) == ARCHIVE_OK;
    for (const TestEntry &testEntry : entries) {
        if (!ok)
            break;
        archive_entry *entry = archive_entry_new();
        archive_entry_copy_pathname(entry, testEntry.name.constData());
        archive_entry_set_mtime(entry, 1700000000, 0);
        // Someone else's account: extraction must not try to restore it.
        archive_entry_set_uid(entry, 4321);
        archive_entry_set_gid(entry, 4321);
        archive_entry_copy_uname(entry, "builder");
        if (testEntry.hardlink) {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_perm(entry, 0644);
            archive_entry_copy_hardlink(entry, testEntry.link.constData());
            archive_entry_set_size(entry, 0);
        } else {
            archive_entry_set_filetype(entry, testEntry.type);
            archive_entry_set_perm(entry, testEntry.permissions);
            if (testEntry.type == AE_IFLNK)
                archive_entry_copy_symlink(entry, testEntry.link.constData());
            if (testEntry.type == AE_IFCHR || testEntry.type == AE_IFBLK)
                archive_entry_set_rdev(entry, makedev(1, 3));
            archive_entry_set_size(entry, testEntry.type == AE_IFREG ? testEntry.data.size() : 0);
        }
        ok = archive_write_header(writer, entry) == ARCHIVE_OK;
        if (ok && !testEntry.data.isEmpty())
            ok = archive_write_data(writer, testEntry.data.constData(),
                                    size_t(testEntry.data.size())) == testEntry.data.size();
        archive_entry_free(entry);
    }
    ok = archive_write_close(writer) == ARCHIVE_OK && ok;
    archive_write_free(writer);
    return ok;
}

QByteArray randomBytes(qsizetype size, quint32 seed = 42)
{
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator random(seed);
    random.fillRange(reinterpret_cast<quint32 *>(bytes.data()), size / 4);
    return bytes;
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

QStringList entriesOf(const QString &path)
{
    return QDir(path).entryList(QDir::AllEntries | QDir::Hidden | QDir::System |
                                QDir::NoDotAndDotDot);
}

bool hasPython()
{
    return !QStandardPaths::findExecutable(u"python3"_s).isEmpty();
}

bool runPython(const QString &script, const QStringList &arguments)
{
    QProcess python;
    python.start(u"python3"_s, QStringList{u"-c"_s, script} + arguments);
    if (!python.waitForFinished(60000) || python.exitCode() != 0) {
        qWarning("python3 failed: %s", python.readAllStandardError().constData());
        return false;
    }
    return true;
}

} // namespace

Q_DECLARE_METATYPE(TestEntry)

class tst_ArchiveExtractor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void isArchiveName_data();
    void isArchiveName();

    void roundTrip_data();
    void roundTrip();
    void zipFromPython();
    void singleTopFolderOnlyWhenAlone();
    void destinationMustBeEmpty();

    void refusesUnsafeEntries_data();
    void refusesUnsafeEntries();

    void randomBytesNameTheFile();
    void truncatedArchiveNamesTheFile();
    void sizeLimitNamesSizeAndLimit();
    void compressionBombStoppedByHeader();
    void lyingSizesStoppedWhileWriting();
    void cancelled();
    void trustedArchiveKeepsLinksOutside();
    void trustedArchiveStillRefusesWritesOutside_data();
    void trustedArchiveStillRefusesWritesOutside();
    void deepNestingIsRefused();
    void tooManyEntriesAreRefused();

private:
    QString python(const QString &name, const QString &script);
    // Fresh per test: root/dest (the destination), root/sentinel (beside it, holding
    // secret.txt), archives written to root.
    void verifyNothingLeft(const QString &error, const QByteArray &entryName);

    std::unique_ptr<QTemporaryDir> m_root;
    QString m_destination;
    QString m_sentinel;
};

void tst_ArchiveExtractor::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void tst_ArchiveExtractor::init()
{
    m_root = std::make_unique<QTemporaryDir>();
    QVERIFY(m_root->isValid());
    m_destination = m_root->filePath(u"dest"_s);
    m_sentinel = m_root->filePath(u"sentinel"_s);
    QVERIFY(QDir().mkpath(m_destination));
    QVERIFY(QDir().mkpath(m_sentinel));
    QFile secret(m_sentinel + u"/secret.txt"_s);
    QVERIFY(secret.open(QIODevice::WriteOnly));
    secret.write("untouched");
}

void tst_ArchiveExtractor::verifyNothingLeft(const QString &error, const QByteArray &entryName)
{
    QVERIFY2(error.contains(QString::fromUtf8(entryName)), qPrintable(error));
    QVERIFY2(entriesOf(m_destination).isEmpty(), qPrintable(entriesOf(m_destination).join(u", ")));
    QCOMPARE(entriesOf(m_sentinel), QStringList{u"secret.txt"_s});
    QCOMPARE(readAll(m_sentinel + u"/secret.txt"_s), QByteArray("untouched"));
    // Nothing new next to the destination either.
    QStringList beside = entriesOf(m_root->path());
    beside.removeIf([](const QString &name) { return name.contains(u'.'); }); // the archives
    QCOMPARE(beside, (QStringList{u"dest"_s, u"sentinel"_s}));
}

void tst_ArchiveExtractor::isArchiveName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("expected");
    const QStringList archives = {u"app.tar"_s,    u"app.tar.gz"_s, u"app.tgz"_s, u"app.tar.bz2"_s,
                                  u"app.tbz2"_s,   u"app.tar.xz"_s, u"app.txz"_s, u"app.zip"_s,
                                  u"APP.TAR.GZ"_s, u"App.Zip"_s};
    for (const QString &name : archives)
        QTest::newRow(qPrintable(name)) << name << true;
    const QStringList others = {u"app.gz"_s, u"app.rar"_s,        u"app.tar.zst"_s,
                                u"zip"_s,    u"app.tar.gz.txt"_s, u"app"_s};
    for (const QString &name : others)
        QTest::newRow(qPrintable(name)) << name << false;
}

void tst_ArchiveExtractor::isArchiveName()
{
    QFETCH(QString, name);
    QFETCH(bool, expected);
    QCOMPARE(ArchiveExtractor::isArchiveName(name), expected);
}

void tst_ArchiveExtractor::roundTrip_data()
{
    QTest::addColumn<QString>("fileName");
    for (const char *name : {"app.tar", "app.tar.gz", "app.tgz", "app.tar.bz2", "app.tbz2",
                             "app.tar.xz", "app.txz", "app.zip", "APP.TAR.GZ"})
        QTest::newRow(name) << QString::fromLatin1(name);
}

void tst_ArchiveExtractor::roundTrip()
{
    QFETCH(QString, fileName);
    const QString archivePath = m_root->filePath(fileName);
    const QByteArray big = randomBytes(300 * 1024);
    QVERIFY(writeArchive(archivePath, {folderEntry("app/"), folderEntry("app/bin/"),
                                       fileEntry("app/bin/run", "#!/bin/sh\necho hi\n", 0755),
                                       fileEntry("app/README.md", "hello\n", 0644),
                                       fileEntry("app/data/blob.bin", big, 0600),
                                       symlinkEntry("app/readme-link", "README.md")}));

    const auto extracted = ArchiveExtractor::extract(archivePath, m_destination);
    QVERIFY2(extracted, qPrintable(extracted ? QString() : extracted.error().message));
    QCOMPARE(extracted->sourceRoot, m_destination + u"/app"_s);
    QCOMPARE(extracted->entryCount, 6);
    QCOMPARE(extracted->totalBytes, qint64(big.size() + 18 + 6));

    const QString app = m_destination + u"/app"_s;
    QCOMPARE(readAll(app + u"/bin/run"_s), QByteArray("#!/bin/sh\necho hi\n"));
    QCOMPARE(readAll(app + u"/README.md"_s), QByteArray("hello\n"));
    QCOMPARE(readAll(app + u"/data/blob.bin"_s), big);
    QCOMPARE(permissionsOf(app + u"/bin/run"_s), 0755);
    QCOMPARE(permissionsOf(app + u"/README.md"_s), 0644);
    QCOMPARE(permissionsOf(app + u"/data/blob.bin"_s), 0600);
    QVERIFY(QFileInfo(app + u"/readme-link"_s).isSymLink());
    QCOMPARE(QFile::symLinkTarget(app + u"/readme-link"_s), app + u"/README.md"_s);
    QCOMPARE(QFileInfo(app + u"/README.md"_s).lastModified().toSecsSinceEpoch(), 1700000000);
    QCOMPARE(QFileInfo(app + u"/README.md"_s).ownerId(), uint(::geteuid()));
}

void tst_ArchiveExtractor::zipFromPython()
{
    if (!hasPython())
        QSKIP("python3 is needed to write the zip");
    // Another implementation's zip, with Unix modes in the external attributes and no
    // folder entries, as zip tools usually write them.
    const QString archivePath = m_root->filePath(u"python.zip"_s);
    QVERIFY(runPython(uR"(
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for name, mode, data in [('site/bin/start', 0o755, b'#!/bin/sh\n'), ('site/index.html', 0o644, b'<p>hi</p>' * 100)]:
        info = zipfile.ZipInfo(name, (2024, 1, 2, 3, 4, 6))
        info.external_attr = (0o100000 | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, data)
)"_s,
                      {archivePath}));

    const auto extracted = ArchiveExtractor::extract(archivePath, m_destination);
    QVERIFY2(extracted, qPrintable(extracted ? QString() : extracted.error().message));
    QCOMPARE(extracted->sourceRoot, m_destination + u"/site"_s);
    QCOMPARE(readAll(m_destination + u"/site/index.html"_s), QByteArray("<p>hi</p>").repeated(100));
    QCOMPARE(permissionsOf(m_destination + u"/site/bin/start"_s), 0755);
    QCOMPARE(permissionsOf(m_destination + u"/site/index.html"_s), 0644);
}

void tst_ArchiveExtractor::singleTopFolderOnlyWhenAlone()
{
    const QString twoTop = m_root->filePath(u"two.tar.gz"_s);
    QVERIFY(writeArchive(
        twoTop, {folderEntry("app/"), fileEntry("app/a.txt", "a"), fileEntry("notes.txt", "n")}));
    auto extracted = ArchiveExtractor::extract(twoTop, m_destination);
    QVERIFY(extracted);
    QCOMPARE(extracted->sourceRoot, m_destination);

    // A lone top-level file is not a folder to descend into.
    init();
    const QString oneFile = m_root->filePath(u"one.tar"_s);
    QVERIFY(writeArchive(oneFile, {fileEntry("only.txt", "x")}));
    extracted = ArchiveExtractor::extract(oneFile, m_destination);
    QVERIFY(extracted);
    QCOMPARE(extracted->sourceRoot, m_destination);

    // Nor is a lone top-level symlink to a folder.
    init();
    const QString oneLink = m_root->filePath(u"link.tar"_s);
    QVERIFY(writeArchive(oneLink, {symlinkEntry("current", ".")}));
    extracted = ArchiveExtractor::extract(oneLink, m_destination);
    QVERIFY(extracted);
    QCOMPARE(extracted->sourceRoot, m_destination);

    // Leading "./" as `tar -C dir -czf out .` writes it, folder implied by its files only.
    init();
    const QString dotted = m_root->filePath(u"dotted.tgz"_s);
    QVERIFY(writeArchive(dotted, {folderEntry("./"), fileEntry("./src/main.c", "int main(){}")}));
    extracted = ArchiveExtractor::extract(dotted, m_destination);
    QVERIFY2(extracted, qPrintable(extracted ? QString() : extracted.error().message));
    QCOMPARE(extracted->sourceRoot, m_destination + u"/src"_s);
    QCOMPARE(readAll(m_destination + u"/src/main.c"_s), QByteArray("int main(){}"));
}

void tst_ArchiveExtractor::destinationMustBeEmpty()
{
    QFile existing(m_destination + u"/keep.txt"_s);
    QVERIFY(existing.open(QIODevice::WriteOnly));
    existing.close();
    const QString archivePath = m_root->filePath(u"app.tar"_s);
    QVERIFY(writeArchive(archivePath, {fileEntry("a.txt", "a")}));

    const auto extracted = ArchiveExtractor::extract(archivePath, m_destination);
    QVERIFY(!extracted);
    QVERIFY2(extracted.error().message.contains(u"not empty"_s),
             qPrintable(extracted.error().message));
    // Someone else's files are not "cleaned up".
    QCOMPARE(entriesOf(m_destination), QStringList{u"keep.txt"_s});
}

void tst_ArchiveExtractor::refusesUnsafeEntries_data()
{
    QTest::addColumn<QList<TestEntry>>("entries");
    QTest::addColumn<QByteArray>("culprit");

    // The sentinel's absolute path differs per test: "@S" stands for it and is replaced in
    // the test itself.
    QTest::newRow("absolute path")
        << QList<TestEntry>{fileEntry("app/ok.txt", "ok"), fileEntry("@S/absolute.txt", "pwned")}
        << QByteArray("@S/absolute.txt");
    QTest::newRow("dot-dot") << QList<TestEntry>{fileEntry("app/ok.txt", "ok"),
                                                 fileEntry("../sentinel/dotdot.txt", "pwned")}
                             << QByteArray("../sentinel/dotdot.txt");
    QTest::newRow("dot-dot inside the path")
        << QList<TestEntry>{fileEntry("app/ok.txt", "ok"),
                            fileEntry("app/../../sentinel/dotdot.txt", "pwned")}
        << QByteArray("app/../../sentinel/dotdot.txt");
    QTest::newRow("symlink to an absolute path")
        << QList<TestEntry>{fileEntry("app/ok.txt", "ok"), symlinkEntry("app/escape", "@S"),
                            fileEntry("app/escape/pwned.txt", "pwned")}
        << QByteArray("app/escape");
    QTest::newRow("symlink to ../../x")
        << QList<TestEntry>{folderEntry("app/"), symlinkEntry("app/up", "../../sentinel"),
                            fileEntry("app/up/pwned.txt", "pwned")}
        << QByteArray("app/up");
    QTest::newRow("symlink to the parent's parent")
        << QList<TestEntry>{symlinkEntry("root-parent", "..")} << QByteArray("root-parent");
    QTest::newRow("symlink chain")
        // sub/l1 -> ".." is harmless alone, and so looks l2 -> "sub/l1/../..", read as text;
        // followed as the kernel does, l2 leaves the destination.
        << QList<TestEntry>{folderEntry("app/sub/"), symlinkEntry("app/sub/l1", ".."),
                            symlinkEntry("app/l2", "sub/l1/../..")}
        << QByteArray("app/l2");
    QTest::newRow("symlink chain, escaping link first")
        // l2 arrives before the link that makes it escape, so only a check over the whole
        // archive can see it.
        << QList<TestEntry>{folderEntry("app/sub/"), symlinkEntry("app/l2", "sub/l1/../.."),
                            symlinkEntry("app/sub/l1", "..")}
        << QByteArray("app/l2");
    QTest::newRow("write through an inside symlink")
        << QList<TestEntry>{folderEntry("app/real/"), symlinkEntry("app/alias", "real"),
                            fileEntry("app/alias/file.txt", "x")}
        << QByteArray("app/alias/file.txt");
    QTest::newRow("hard link outside")
        << QList<TestEntry>{fileEntry("app/ok.txt", "ok"),
                            hardlinkEntry("app/hl", "../sentinel/secret.txt"),
                            fileEntry("app/hl", "overwritten through the link")}
        << QByteArray("app/hl");
    QTest::newRow("hard link to an absolute path")
        << QList<TestEntry>{hardlinkEntry("app/hl", "@S/secret.txt")} << QByteArray("app/hl");
    QTest::newRow("hard link to a file not in the archive")
        << QList<TestEntry>{hardlinkEntry("app/hl", "app/missing.txt")} << QByteArray("app/hl");
    QTest::newRow("character device")
        << QList<TestEntry>{fileEntry("app/ok.txt", "ok"), specialEntry("app/null", AE_IFCHR)}
        << QByteArray("app/null");
    QTest::newRow("block device") << QList<TestEntry>{specialEntry("app/disk", AE_IFBLK)}
                                  << QByteArray("app/disk");
    QTest::newRow("FIFO") << QList<TestEntry>{folderEntry("app/"),
                                              specialEntry("app/pipe", AE_IFIFO)}
                          << QByteArray("app/pipe");
}

void tst_ArchiveExtractor::refusesUnsafeEntries()
{
    QFETCH(QList<TestEntry>, entries);
    QFETCH(QByteArray, culprit);
    const QByteArray sentinel = QFile::encodeName(m_sentinel);
    for (TestEntry &entry : entries) {
        entry.name.replace("@S", sentinel);
        entry.link.replace("@S", sentinel);
    }
    culprit.replace("@S", sentinel);

    for (const QString &fileName : {u"evil.tar.gz"_s, u"evil.tar"_s}) {
        const QString archivePath = m_root->filePath(fileName);
        QVERIFY(writeArchive(archivePath, entries));
        const auto extracted = ArchiveExtractor::extract(archivePath, m_destination);
        QVERIFY2(!extracted, qPrintable(entriesOf(m_destination).join(u", "_s)));
        verifyNothingLeft(extracted.error().message, culprit);
        QVERIFY2(extracted.error().message.contains(fileName),
                 qPrintable(extracted.error().message));
    }
}

void tst_ArchiveExtractor::randomBytesNameTheFile()
{
    const QString archivePath = m_root->filePath(u"random.tar.gz"_s);
    QFile archive(archivePath);
    QVERIFY(archive.open(QIODevice::WriteOnly));
    archive.write(randomBytes(64 * 1024, 7));
    archive.close();

    const auto extracted = ArchiveExtractor::extract(archivePath, m_destination);
    QVERIFY(!extracted);
    verifyNothingLeft(extracted.error().message, "random.tar.gz");
}

void tst_ArchiveExtractor::truncatedArchiveNamesTheFile()
{
    const QString archivePath = m_root->filePath(u"cut.tar.gz"_s);
    QVERIFY(writeArchive(archivePath, {fileEntry("app/a.txt", "first file"),
                                       fileEntry("app/big.bin", randomBytes(400 * 1024)),
                                       fileEntry("app/z.txt", "last file")}));
    QFile archive(archivePath);
    QVERIFY(archive.resize(archive.size() / 2));

    const auto extracted = ArchiveExtractor::extract(archivePath, m_destination);
    QVERIFY(!extracted);
    // The first file was written before the damage showed; it must be gone again.
    verifyNothingLeft(extracted.error().message, "cut.tar.gz");
}

void tst_ArchiveExtractor::sizeLimitNamesSizeAndLimit()
{
    const QString archivePath = m_root->filePath(u"large.tar.gz"_s);
    QVERIFY(writeArchive(archivePath, {fileEntry("app/one.bin", randomBytes(1024 * 1024, 1)),
                                       fileEntry("app/two.bin", randomBytes(1024 * 1024, 2))}));

    const auto extracted = ArchiveExtractor::extract(archivePath, m_destination, 1024 * 1024);
    QVERIFY(!extracted);
    const QString error = extracted.error().message;
    verifyNothingLeft(error, "large.tar.gz");
    QVERIFY2(error.contains(u"2 MB uncompressed"_s), qPrintable(error));
    QVERIFY2(error.contains(u"1 MB limit"_s), qPrintable(error));

    // The same archive fits under a larger limit.
    const auto fits = ArchiveExtractor::extract(archivePath, m_destination, 3 * 1024 * 1024);
    QVERIFY(fits);
    QCOMPARE(fits->totalBytes, 2 * 1024 * 1024);
}

void tst_ArchiveExtractor::compressionBombStoppedByHeader()
{
    // 256 MB of zeros compress to a few hundred KB.
    const QString archivePath = m_root->filePath(u"bomb.tar.gz"_s);
    QVERIFY(writeArchive(archivePath,
                         {fileEntry("app/small.txt", "hi"),
                          fileEntry("app/zeros.bin", QByteArray(256 * 1024 * 1024, '\0'))}));
    QVERIFY(QFileInfo(archivePath).size() < 2 * 1024 * 1024);

    QElapsedTimer timer;
    timer.start();
    const auto extracted = ArchiveExtractor::extract(archivePath, m_destination, 10 * 1024 * 1024);
    QVERIFY(!extracted);
    const QString error = extracted.error().message;
    verifyNothingLeft(error, "bomb.tar.gz");
    // Refused from the declared size: the data was never decompressed, let alone written.
    QVERIFY2(error.contains(u"256 MB uncompressed"_s), qPrintable(error));
    QVERIFY2(error.contains(u"10 MB limit"_s), qPrintable(error));
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
}

void tst_ArchiveExtractor::lyingSizesStoppedWhileWriting()
{
    if (!hasPython())
        QSKIP("python3 is needed to forge the zip");
    // A zip whose headers claim 1000 bytes for 64 MB of deflated zeros: only counting what is
    // actually written catches it.
    const QString archivePath = m_root->filePath(u"liar.zip"_s);
    QVERIFY(runPython(uR"(
import struct, sys, zipfile
path = sys.argv[1]
with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('app/zeros.bin', b'\0' * (64 * 1024 * 1024))
data = bytearray(open(path, 'rb').read())
local = data.find(b'PK\x03\x04')
struct.pack_into('<I', data, local + 22, 1000)
central = data.find(b'PK\x01\x02')
struct.pack_into('<I', data, central + 24, 1000)
open(path, 'wb').write(data)
)"_s,
                      {archivePath}));

    const auto extracted = ArchiveExtractor::extract(archivePath, m_destination, 4 * 1024 * 1024);
    QVERIFY(!extracted);
    const QString error = extracted.error().message;
    verifyNothingLeft(error, "liar.zip");
    QVERIFY2(error.contains(u"4 MB limit"_s), qPrintable(error));
}

void tst_ArchiveExtractor::cancelled()
{
    const QString archivePath = m_root->filePath(u"app.tar.gz"_s);
    QVERIFY(writeArchive(archivePath, {fileEntry("app/a.txt", "a")}));
    const std::atomic<bool> cancel = true;
    const auto extracted = ArchiveExtractor::extract(archivePath, m_destination,
                                                     ArchiveExtractor::DefaultSizeLimit, &cancel);
    QVERIFY(!extracted);
    QCOMPARE(extracted.error().message, u"cancelled"_s);
    QVERIFY(entriesOf(m_destination).isEmpty());
}

void tst_ArchiveExtractor::trustedArchiveKeepsLinksOutside()
{
    // A slug as SlugWriter writes it: "./" first, a virtualenv linking to the stack's python.
    const QList<TestEntry> slug = {folderEntry("./"), folderEntry("./.heroku/"),
                                   symlinkEntry("./.heroku/python", "/usr/bin/python3"),
                                   symlinkEntry("./.heroku/lib", "../../lib/python3")};
    QVERIFY(writeArchive(m_root->filePath(u"slug.tgz"_s), slug));

    ArchiveExtractor::Options options;
    options.allowLinksOutside = true;
    options.unwrapSingleFolder = false;
    const auto extracted =
        ArchiveExtractor::extract(m_root->filePath(u"slug.tgz"_s), m_destination, options);
    QVERIFY2(extracted, qPrintable(extracted ? QString() : extracted.error().message));
    // One top-level folder, but a slug is the app itself.
    QCOMPARE(extracted->sourceRoot, m_destination);
    QCOMPARE(QFileInfo(m_destination + u"/.heroku/python"_s).symLinkTarget(),
             u"/usr/bin/python3"_s);
    QVERIFY(QFileInfo(m_destination + u"/.heroku/lib"_s).isSymLink());

    // The defaults refuse the same archive.
    init();
    QVERIFY(writeArchive(m_root->filePath(u"slug.tgz"_s), slug));
    const auto strict = ArchiveExtractor::extract(m_root->filePath(u"slug.tgz"_s), m_destination);
    QVERIFY(!strict);
    verifyNothingLeft(strict.error().message, "./.heroku/python");
}

void tst_ArchiveExtractor::trustedArchiveStillRefusesWritesOutside_data()
{
    QTest::addColumn<QList<TestEntry>>("entries");
    QTest::addColumn<QByteArray>("culprit");
    QTest::newRow("through a symlink")
        << QList<TestEntry>{symlinkEntry("venv", "@S"), fileEntry("venv/pwned.txt", "pwned")}
        << QByteArray("venv/pwned.txt");
    QTest::newRow("dot-dot") << QList<TestEntry>{fileEntry("../sentinel/x", "pwned")}
                             << QByteArray("../sentinel/x");
    QTest::newRow("absolute") << QList<TestEntry>{fileEntry("@S/x", "pwned")} << QByteArray("@S/x");
    QTest::newRow("hard link") << QList<TestEntry>{hardlinkEntry("hl", "@S/secret.txt"),
                                                   fileEntry("hl", "overwritten")}
                               << QByteArray("hl");
    QTest::newRow("device") << QList<TestEntry>{specialEntry("null", AE_IFCHR)}
                            << QByteArray("null");
}

void tst_ArchiveExtractor::trustedArchiveStillRefusesWritesOutside()
{
    QFETCH(QList<TestEntry>, entries);
    QFETCH(QByteArray, culprit);
    const QByteArray sentinel = QFile::encodeName(m_sentinel);
    for (TestEntry &entry : entries) {
        entry.name.replace("@S", sentinel);
        entry.link.replace("@S", sentinel);
    }
    culprit.replace("@S", sentinel);
    const QString archivePath = m_root->filePath(u"slug.tgz"_s);
    QVERIFY(writeArchive(archivePath, entries));

    ArchiveExtractor::Options options;
    options.allowLinksOutside = true;
    const auto extracted = ArchiveExtractor::extract(archivePath, m_destination, options);
    QVERIFY(!extracted);
    verifyNothingLeft(extracted.error().message, culprit);
}

// Archives made by Python's tarfile, which writes what a crafted archive holds.
QString tst_ArchiveExtractor::python(const QString &name, const QString &script)
{
    const QString path = m_root->filePath(name);
    QByteArray output;
    const int code = TestSupport::run(u"python3"_s, {u"-c"_s, script, path}, {}, &output);
    return code == 0 ? path : QString();
}

void tst_ArchiveExtractor::deepNestingIsRefused()
{
    // A few hundred bytes compressed, a folder 3,000 levels deep once written.
    const QString archive =
        python(u"deep.tar.gz"_s,
               u"import sys, tarfile\n"
               "with tarfile.open(sys.argv[1], 'w:gz', format=tarfile.PAX_FORMAT) as t:\n"
               "    entry = tarfile.TarInfo('d/' * 3000 + 'f')\n"
               "    t.addfile(entry)\n"_s);
    QVERIFY(!archive.isEmpty());
    const auto result = ArchiveExtractor::extract(archive, m_destination);
    QVERIFY(!result);
    QVERIFY2(result.error().message.contains(u"3000 folders deep, over the limit of 100"_s),
             qPrintable(result.error().message));
    QVERIFY(entriesOf(m_destination).isEmpty());
}

void tst_ArchiveExtractor::tooManyEntriesAreRefused()
{
    const QString archive =
        python(u"many.tar.gz"_s, u"import sys, tarfile\n"
                                 "with tarfile.open(sys.argv[1], 'w:gz') as t:\n"
                                 "    for i in range(100001):\n"
                                 "        t.addfile(tarfile.TarInfo('f%d' % i))\n"_s);
    QVERIFY(!archive.isEmpty());
    const auto result = ArchiveExtractor::extract(archive, m_destination);
    QVERIFY(!result);
    QVERIFY2(result.error().message.contains(u"more than 100000 files and folders"_s),
             qPrintable(result.error().message));
    QVERIFY(entriesOf(m_destination).isEmpty());
}

QTEST_GUILESS_MAIN(tst_ArchiveExtractor)
#include "tst_archiveextractor.moc"
