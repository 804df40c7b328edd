#include "source/GitWorkTreeInfo.h"
#include "source/RecentSources.h"
#include "source/SourceSelection.h"

#include "TestSupport.h"

#include <QDir>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Slipway;

// What the console makes of a source the user typed, dropped or picked.
class TestSourceSelection : public QObject
{
    Q_OBJECT

    QTemporaryDir m_settings;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_settings.path());
    }

    void kinds()
    {
        QTemporaryDir dir;
        QDir(dir.path()).mkpath(QStringLiteral("app"));
        QFile archive(dir.filePath(QStringLiteral("app.tar.gz")));
        QVERIFY(archive.open(QIODevice::WriteOnly));
        archive.close();
        QFile jar(dir.filePath(QStringLiteral("shop.WAR")));
        QVERIFY(jar.open(QIODevice::WriteOnly));
        jar.close();

        QCOMPARE(SourceSelection::fromText(dir.filePath(QStringLiteral("app"))).kind,
                 SourceSelection::Kind::Folder);
        const SourceSelection upload = SourceSelection::fromText(archive.fileName());
        QCOMPARE(upload.kind, SourceSelection::Kind::Archive);
        QVERIFY(upload.isUpload());
        QCOMPARE(SourceSelection::fromText(jar.fileName()).kind, SourceSelection::Kind::Artifact);
        QCOMPARE(SourceSelection::fromText(QStringLiteral("file://") +
                                           dir.filePath(QStringLiteral("app")))
                     .kind,
                 SourceSelection::Kind::Folder);
        QCOMPARE(SourceSelection::fromText(dir.filePath(QStringLiteral("missing"))).kind,
                 SourceSelection::Kind::None);

        const SourceSelection git =
            SourceSelection::fromText(QStringLiteral("https://example.com/acme/shop.git#v2"));
        QCOMPARE(git.kind, SourceSelection::Kind::Git);
        QCOMPARE(git.location, QStringLiteral("https://example.com/acme/shop.git"));
        QCOMPARE(git.ref, QStringLiteral("v2"));
        QVERIFY(!git.isUpload());
        QCOMPARE(SourceSelection::fromText(QStringLiteral("git@example.com:acme/shop.git")).kind,
                 SourceSelection::Kind::Git);
        const SourceSelection remoteArchive =
            SourceSelection::fromText(QStringLiteral("https://example.com/shop-1.2.tar.gz?x=1"));
        QCOMPARE(remoteArchive.kind, SourceSelection::Kind::Archive);
        QVERIFY(!remoteArchive.isUpload());
        QCOMPARE(SourceSelection::fromText(QStringLiteral("  ")).kind, SourceSelection::Kind::None);
    }

    void bareRepositoryIsGit()
    {
        QTemporaryDir dir;
        QCOMPARE(
            TestSupport::run(QStringLiteral("git"), {QStringLiteral("init"), QStringLiteral("-q"),
                                                     QStringLiteral("--bare"), dir.path()}),
            0);
        QCOMPARE(SourceSelection::fromText(dir.path()).kind, SourceSelection::Kind::Git);
    }

    void recentSourcesPerApp()
    {
        RecentSources::forget(QStringLiteral("shop"));
        QTemporaryDir dir;
        for (int i = 0; i < RecentSources::Kept + 3; ++i)
            RecentSources::remember(
                QStringLiteral("shop"),
                SourceSelection::fromText(QStringLiteral("https://x.test/r%1.git").arg(i)));
        RecentSources::remember(QStringLiteral("blog"), SourceSelection::fromText(dir.path()));
        const QList<SourceSelection> shop = RecentSources::forApp(QStringLiteral("shop"));
        QCOMPARE(shop.size(), RecentSources::Kept);
        QCOMPARE(shop.first().location,
                 QStringLiteral("https://x.test/r%1.git").arg(RecentSources::Kept + 2));
        // Choosing one again moves it to the top, without a duplicate.
        RecentSources::remember(QStringLiteral("shop"), shop.last());
        QCOMPARE(RecentSources::forApp(QStringLiteral("shop")).first(), shop.last());
        QCOMPARE(RecentSources::forApp(QStringLiteral("shop")).size(), RecentSources::Kept);
        QCOMPARE(RecentSources::forApp(QStringLiteral("blog")).size(), 1);
        QCOMPARE(RecentSources::forApp(QStringLiteral("blog")).first().kind,
                 SourceSelection::Kind::Folder);
    }

    void gitWorkTreeFacts()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath(QStringLiteral("index.html")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("<h1>hi</h1>\n");
        file.close();
        GitWorkTreeInfo info;
        QSignalSpy ready(&info, &GitWorkTreeInfo::ready);
        info.read(dir.path());
        QVERIFY(ready.wait(10000));
        QVERIFY(!ready.first().at(1).value<GitWorkTreeInfo::Facts>().isWorkTree);

        QVERIFY(TestSupport::gitInitCommit(dir.path()));
        info.read(dir.path());
        QVERIFY(ready.wait(10000));
        GitWorkTreeInfo::Facts facts = ready.last().at(1).value<GitWorkTreeInfo::Facts>();
        QVERIFY(facts.isWorkTree);
        QCOMPARE(facts.commit, TestSupport::gitHead(dir.path()));
        QVERIFY(!facts.branch.isEmpty());
        QCOMPARE(facts.changed + facts.untracked, 0);
        QVERIFY(facts.describe().contains(QStringLiteral("no uncommitted changes")));

        QVERIFY(file.open(QIODevice::Append));
        file.write("changed\n");
        file.close();
        QFile extra(dir.filePath(QStringLiteral("new.txt")));
        QVERIFY(extra.open(QIODevice::WriteOnly));
        extra.close();
        info.read(dir.path());
        QVERIFY(ready.wait(10000));
        facts = ready.last().at(1).value<GitWorkTreeInfo::Facts>();
        QCOMPARE(facts.changed, 1);
        QCOMPARE(facts.untracked, 1);
        QVERIFY(facts.describe().contains(QStringLiteral("uncommitted changes")));
    }
};

QTEST_GUILESS_MAIN(TestSourceSelection)
#include "tst_sourceselection.moc"
