// OwnerRewriter: a slug's entries handed to the user a container engine runs the app as.

#include "archive/OwnerRewriter.h"

#include "TestSupport.h"

#include <QTemporaryDir>
#include <QTest>

using namespace Slipway;
using namespace Qt::StringLiterals;

class TestOwnerRewriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void entriesBelongToTheUserAndKeepTheirContents()
    {
        QTemporaryDir work;
        QVERIFY(work.isValid());
        const QString tree = work.filePath(u"tree"_s);
        QVERIFY(QDir().mkpath(tree + u"/bin"_s));
        QFile script(tree + u"/bin/web"_s);
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write("#!/bin/sh\necho hello\n");
        script.close();
        QVERIFY(script.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                      QFile::ReadOther | QFile::ExeOther));
        QVERIFY(QFile::link(u"bin/web"_s, tree + u"/start"_s));
        const QString slug = work.filePath(u"v1.tgz"_s);
        QCOMPARE(TestSupport::run(u"tar"_s, {u"-C"_s, tree, u"--owner=0"_s, u"--group=0"_s,
                                             u"-czf"_s, slug, u"."_s}),
                 0);

        const QString rewritten = work.filePath(u"v1.user.tgz"_s);
        const Result<void> done = OwnerRewriter::rewrite(slug, rewritten, 10000, 10000);
        QVERIFY2(done, done ? "" : qPrintable(done.error().message));
        QByteArray listing;
        QCOMPARE(
            TestSupport::run(u"tar"_s, {u"--numeric-owner"_s, u"-tvzf"_s, rewritten}, {}, &listing),
            0);
        const QList<QByteArray> lines = listing.trimmed().split('\n');
        QCOMPARE(lines.size(), 4); // ./, ./bin/, ./bin/web, ./start
        for (const QByteArray &line : lines)
            QVERIFY2(line.contains(" 10000/10000 "), line.constData());
        QVERIFY(listing.contains("-rwx---r-x"));
        QVERIFY(listing.contains("./start -> bin/web"));

        // One gzip member and nothing after it (Go's reader, the engine's, takes trailing
        // zeros for a broken second member).
        QByteArray integrity;
        QCOMPARE(TestSupport::run(u"gzip"_s, {u"-t"_s, rewritten}, {}, &integrity), 0);
        QCOMPARE(TestSupport::run(u"sh"_s,
                                  {u"-c"_s, u"gzip -dc < '%1' > /dev/null 2>&1 && "
                                            "test $(gzip -l '%1' | wc -l) -eq 2"_s.arg(rewritten)}),
                 0);

        const QString out = work.filePath(u"out"_s);
        QVERIFY(QDir().mkpath(out));
        QCOMPARE(TestSupport::run(u"tar"_s, {u"-C"_s, out, u"-xzf"_s, rewritten}), 0);
        QFile unpacked(out + u"/bin/web"_s);
        QVERIFY(unpacked.open(QIODevice::ReadOnly));
        QCOMPARE(unpacked.readAll(), QByteArray("#!/bin/sh\necho hello\n"));
    }

    void aBrokenArchiveLeavesNothing()
    {
        QTemporaryDir work;
        const QString broken = work.filePath(u"broken.tgz"_s);
        QFile file(broken);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(100, 'x'));
        file.close();
        const QString output = work.filePath(u"out.tgz"_s);
        const Result<void> done = OwnerRewriter::rewrite(broken, output, 10000, 10000);
        QVERIFY(!done);
        QVERIFY2(done.error().message.contains(broken), qPrintable(done.error().message));
        QVERIFY(!QFile::exists(output));
    }
};

QTEST_MAIN(TestOwnerRewriter)
#include "tst_ownerrewriter.moc"
