#include "buildpacks/BuildpackListModel.h"

#include <QAbstractItemModelTester>
#include <QMimeData>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace Slipway;

// The app's buildpack list as the console edits it: the same code path a drop in the list
// view takes (mimeData of the dragged rows, dropMimeData where they land), checked by
// QAbstractItemModelTester at every step.
class TestBuildpackListModel : public QObject
{
    Q_OBJECT

    static QStringList list(std::initializer_list<const char *> names)
    {
        QStringList result;
        for (const char *name : names)
            result.append(QString::fromLatin1(name));
        return result;
    }

    // Drags `rows` and drops them before `beforeRow` (-1: at the end), as QListView does.
    static void drag(BuildpackListModel &model, const QList<int> &rows, int beforeRow)
    {
        QModelIndexList indexes;
        for (int row : rows)
            indexes.append(model.index(row));
        std::unique_ptr<QMimeData> data(model.mimeData(indexes));
        QVERIFY(model.canDropMimeData(data.get(), Qt::MoveAction, beforeRow, 0, {}));
        // false: the move is done, the view must not remove the source rows again.
        QVERIFY(!model.dropMimeData(data.get(), Qt::MoveAction, beforeRow, 0, {}));
    }

private Q_SLOTS:
    void dragsOneRowDownAndUp()
    {
        BuildpackListModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSaved(list({"nodejs", "python", "go"}));
        QVERIFY(!model.isModified());
        QSignalSpy modified(&model, &BuildpackListModel::modifiedChanged);

        drag(model, {0}, 2); // nodejs between python and go
        QCOMPARE(model.references(), list({"python", "nodejs", "go"}));
        QVERIFY(model.isModified());
        QCOMPARE(modified.count(), 1);

        drag(model, {2}, 0); // go to the top
        QCOMPARE(model.references(), list({"go", "python", "nodejs"}));
        drag(model, {0}, -1); // go to the end
        QCOMPARE(model.references(), list({"python", "nodejs", "go"}));
        QCOMPARE(model.index(0).data(Qt::AccessibleTextRole).toString(),
                 QStringLiteral("Buildpack 1 of 3: python"));
    }

    void dragsSeveralRowsKeepingTheirOrder()
    {
        BuildpackListModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSaved(list({"a", "b", "c", "d", "e"}));
        drag(model, {0, 2}, 4); // a and c before e
        QCOMPARE(model.references(), list({"b", "d", "a", "c", "e"}));
        drag(model, {3, 4}, 0);
        QCOMPARE(model.references(), list({"c", "e", "b", "d", "a"}));
    }

    void droppingWhereItIsChangesNothing()
    {
        BuildpackListModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSaved(list({"a", "b"}));
        drag(model, {0}, 1);
        QCOMPARE(model.references(), list({"a", "b"}));
        QVERIFY(!model.isModified());
    }

    void persistentIndexesFollowTheirRow()
    {
        BuildpackListModel model;
        model.setSaved(list({"a", "b", "c"}));
        const QPersistentModelIndex c = model.index(2);
        drag(model, {2}, 0);
        QCOMPARE(c.row(), 0);
        QCOMPARE(c.data(Qt::EditRole).toString(), QStringLiteral("c"));
    }

    void movesAddsRemovesAndReverts()
    {
        BuildpackListModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSaved(list({"nodejs"}));
        QVERIFY(model.add(QStringLiteral("https://example.com/bp.git#v2")));
        QVERIFY(!model.add(QStringLiteral("nodejs"))); // no duplicates
        QVERIFY(model.moveRows({}, 1, 1, {}, 0));
        QCOMPARE(model.references(), list({"https://example.com/bp.git#v2", "nodejs"}));
        QVERIFY(model.removeRows(0, 1));
        QCOMPARE(model.references(), list({"nodejs"}));
        QVERIFY(!model.isModified()); // back where the daemon is
        model.add(QStringLiteral("python"));
        model.revert();
        QCOMPARE(model.references(), list({"nodejs"}));
    }

    void refusesForeignDrops()
    {
        BuildpackListModel model;
        model.setSaved(list({"a"}));
        QMimeData text;
        text.setText(QStringLiteral("b"));
        QVERIFY(!model.canDropMimeData(&text, Qt::MoveAction, 0, 0, {}));
        QVERIFY(!model.dropMimeData(&text, Qt::MoveAction, 0, 0, {}));
        QCOMPARE(model.references(), list({"a"}));
    }
};

QTEST_GUILESS_MAIN(TestBuildpackListModel)
#include "tst_buildpacklistmodel.moc"
