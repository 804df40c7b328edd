#include "buildpacks/BuildpacksFileText.h"

#include <QTest>

using namespace Slipway;

// Writing the app's list into a source's .buildpacks keeps what the person wrote around it.
class TestBuildpacksFileText : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void readsReferences()
    {
        const QByteArray text =
            "# build order\n\nnodejs\nhttps://example.com/bp.git#v2  # assets\r\n"
            "   python   \n# the end\n";
        QCOMPARE(
            BuildpacksFileText::references(text),
            QStringList({QStringLiteral("nodejs"), QStringLiteral("https://example.com/bp.git#v2"),
                         QStringLiteral("python")}));
    }

    void newFileHoldsTheList()
    {
        QCOMPARE(
            BuildpacksFileText::update({}, {QStringLiteral("nodejs"), QStringLiteral("python")}),
            QByteArray("nodejs\npython\n"));
    }

    void keepsCommentsAndPlacesListWhereItWas()
    {
        const QByteArray before = "# Buildpacks for the shop\n"
                                  "\n"
                                  "python\n"
                                  "nodejs   # for the assets\n"
                                  "\n"
                                  "# keep go last\n";
        const QByteArray after =
            BuildpacksFileText::update(before, {QStringLiteral("nodejs"), QStringLiteral("go")});
        QCOMPARE(after, QByteArray("# Buildpacks for the shop\n"
                                   "\n"
                                   "nodejs   # for the assets\n"
                                   "go\n"
                                   "\n"
                                   "# keep go last\n"));
    }

    void keepsCrlfAndByteOrderMark()
    {
        const QByteArray before = "\xEF\xBB\xBF# win\r\nnodejs\r\n";
        QCOMPARE(BuildpacksFileText::update(before, {QStringLiteral("static")}),
                 QByteArray("\xEF\xBB\xBF# win\r\nstatic\r\n"));
    }

    void commentsOnlyFileGetsTheListAtTheEnd()
    {
        QCOMPARE(BuildpacksFileText::update("# nothing yet\n", {QStringLiteral("go")}),
                 QByteArray("# nothing yet\ngo\n"));
    }

    void withoutFinalNewlineStaysWithout()
    {
        QCOMPARE(BuildpacksFileText::update("# a\nnodejs", {QStringLiteral("python")}),
                 QByteArray("# a\npython"));
    }

    void roundTripsItsOwnReferences()
    {
        const QStringList list = {QStringLiteral("https://x.test/a.git#main"),
                                  QStringLiteral("/srv/buildpacks/b"), QStringLiteral("nodejs")};
        QCOMPARE(BuildpacksFileText::references(BuildpacksFileText::update("# c\n", list)), list);
    }
};

QTEST_GUILESS_MAIN(TestBuildpacksFileText)
#include "tst_buildpacksfiletext.moc"
