// FileTree walks trees that come from anyone's archive: depth must never cost stack.

#include "util/FileTree.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Slipway;

class TestFileTree : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void deepTreeIsCopiedAndMeasuredOnASmallStack()
    {
        QTemporaryDir root;
        QVERIFY(root.isValid());
        const QString from = root.filePath(QStringLiteral("from"));
        QVERIFY(QDir().mkpath(from));
        // 1,500 levels, made relative to the level above, with a file at the bottom.
        constexpr int Depth = 1500;
        int fd = ::open(QFile::encodeName(from).constData(), O_RDONLY | O_DIRECTORY);
        QVERIFY(fd >= 0);
        for (int level = 0; level < Depth; ++level) {
            QVERIFY(::mkdirat(fd, "d", 0755) == 0);
            const int next = ::openat(fd, "d", O_RDONLY | O_DIRECTORY);
            ::close(fd);
            QVERIFY(next >= 0);
            fd = next;
        }
        const int file = ::openat(fd, "f", O_WRONLY | O_CREAT, 0644);
        QVERIFY(file >= 0);
        QCOMPARE(::write(file, "1234", 4), ssize_t(4));
        ::close(file);
        ::close(fd);

        // A pool thread's stack is small; a recursion per level would overflow it.
        const QString to = root.filePath(QStringLiteral("to"));
        Result<void> copied = failure(QStringLiteral("not run"));
        qint64 size = -1;
        QThread *worker = QThread::create([&] {
            copied = FileTree::copyContents(from, to);
            size = FileTree::size(from);
        });
        worker->setStackSize(256 * 1024);
        worker->start();
        QVERIFY(worker->wait(120000));
        delete worker;
        QVERIFY2(copied, copied ? "" : qPrintable(copied.error().message));
        QCOMPARE(size, qint64(4));
        QString bottom = to;
        for (int level = 0; level < Depth; ++level)
            bottom += QStringLiteral("/d");
        QVERIFY(QFile::exists(bottom + QStringLiteral("/f")));
    }
};

QTEST_GUILESS_MAIN(TestFileTree)
#include "tst_filetree.moc"
