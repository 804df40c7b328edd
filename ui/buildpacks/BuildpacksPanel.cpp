#include "buildpacks/BuildpacksPanel.h"

#include "buildpacks/BuildpackListModel.h"
#include "buildpacks/BuildpackListView.h"
#include "buildpacks/BuildpacksFileText.h"
#include "buildpacks/DetectionModel.h"
#include "client/DaemonClient.h"
#include "style/StatusStyle.h"

#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace Slipway {

namespace {

constexpr int DetectTimeoutMs = 5 * 60 * 1000;

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

QPushButton *button(const QString &text, const QString &name, const QString &accessible,
                    QWidget *parent)
{
    auto *result = new QPushButton(text, parent);
    result->setObjectName(name);
    result->setAccessibleName(accessible);
    return result;
}

// The list shows each buildpack's place in the order before it.
class NumberedDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        option->text = QStringLiteral("%1.  %2").arg(index.row() + 1).arg(option->text);
    }
};

} // namespace

BuildpacksPanel::BuildpacksPanel(DaemonClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_detection(new DetectionModel(this))
    , m_list(new BuildpackListModel(this))
{
    setObjectName(QStringLiteral("buildpacksPanel"));
    auto *columns = new QHBoxLayout(this);
    columns->setContentsMargins(0, 0, 0, 0);
    auto *left = new QVBoxLayout;
    auto *right = new QVBoxLayout;
    columns->addLayout(left, 1);
    columns->addLayout(right, 1);

    // --- the rule in effect
    auto *ruleBox = new QGroupBox(QStringLiteral("Which buildpacks run"), this);
    auto *ruleLayout = new QVBoxLayout(ruleBox);
    m_rule = new QLabel(ruleBox);
    m_rule->setObjectName(QStringLiteral("ruleLabel"));
    m_rule->setAccessibleName(QStringLiteral("Buildpack rule in effect"));
    m_rule->setWordWrap(true);
    m_rule->setTextFormat(Qt::RichText);
    m_rule->setTextInteractionFlags(Qt::TextSelectableByMouse);
    ruleLayout->addWidget(m_rule);
    left->addWidget(ruleBox);

    // --- detection
    auto *detectBox = new QGroupBox(QStringLiteral("Detection for this source"), this);
    auto *detectLayout = new QVBoxLayout(detectBox);
    auto *detectHeader = new QHBoxLayout;
    m_detectState = new QLabel(detectBox);
    m_detectState->setObjectName(QStringLiteral("detectState"));
    m_detectState->setWordWrap(true);
    m_detectBusy = new QProgressBar(detectBox);
    m_detectBusy->setObjectName(QStringLiteral("detectBusy"));
    m_detectBusy->setRange(0, 0);
    m_detectBusy->setMaximumWidth(80);
    m_detectBusy->setMaximumHeight(12);
    m_detectBusy->setTextVisible(false);
    m_detectBusy->setAccessibleName(QStringLiteral("Detecting"));
    m_detectBusy->hide();
    auto *redetect = button(QStringLiteral("Detect &again"), QStringLiteral("detectAgainButton"),
                            QStringLiteral("Run detection again"), detectBox);
    detectHeader->addWidget(m_detectState, 1);
    detectHeader->addWidget(m_detectBusy);
    detectHeader->addWidget(redetect);
    detectLayout->addLayout(detectHeader);
    m_detectTable = new QTableView(detectBox);
    m_detectTable->setObjectName(QStringLiteral("detectionTable"));
    m_detectTable->setAccessibleName(QStringLiteral("Detection results"));
    m_detectTable->setModel(m_detection);
    m_detectTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_detectTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_detectTable->verticalHeader()->hide();
    m_detectTable->horizontalHeader()->setStretchLastSection(true);
    m_detectTable->setWordWrap(false);
    m_detectTable->setShowGrid(false);
    m_detectTable->setAlternatingRowColors(true);
    detectLayout->addWidget(m_detectTable);
    left->addWidget(detectBox, 1);
    connect(redetect, &QPushButton::clicked, this, &BuildpacksPanel::detect);

    // --- the app's list
    auto *listBox = new QGroupBox(QStringLiteral("The app's buildpack list"), this);
    auto *listLayout = new QVBoxLayout(listBox);
    auto *listHint = new QLabel(
        QStringLiteral("Run in this order for every deployment of the app; when set, it wins "
                       "over the source's .buildpacks and auto-detection. Drag to reorder."),
        listBox);
    listHint->setWordWrap(true);
    listLayout->addWidget(listHint);
    auto *listRow = new QHBoxLayout;
    m_listView = new BuildpackListView(listBox);
    m_listView->setObjectName(QStringLiteral("buildpackList"));
    m_listView->setAccessibleName(QStringLiteral("The app's buildpacks, in order"));
    m_listView->setModel(m_list);
    m_listView->setItemDelegate(new NumberedDelegate(m_listView));
    m_listView->setMinimumHeight(90);
    listRow->addWidget(m_listView, 1);
    auto *moveButtons = new QVBoxLayout;
    m_upButton = button(QStringLiteral("&Up"), QStringLiteral("buildpackUpButton"),
                        QStringLiteral("Move the buildpack up"), listBox);
    m_downButton = button(QStringLiteral("Do&wn"), QStringLiteral("buildpackDownButton"),
                          QStringLiteral("Move the buildpack down"), listBox);
    m_removeButton = button(QStringLiteral("Re&move"), QStringLiteral("buildpackRemoveButton"),
                            QStringLiteral("Remove the buildpack from the list"), listBox);
    moveButtons->addWidget(m_upButton);
    moveButtons->addWidget(m_downButton);
    moveButtons->addWidget(m_removeButton);
    moveButtons->addStretch();
    listRow->addLayout(moveButtons);
    listLayout->addLayout(listRow);
    auto *addRow = new QHBoxLayout;
    m_reference = new QLineEdit(listBox);
    m_reference->setObjectName(QStringLiteral("buildpackReferenceEdit"));
    m_reference->setAccessibleName(QStringLiteral("Buildpack to add"));
    m_reference->setPlaceholderText(
        QStringLiteral("nodejs, a folder, https://…/buildpack.git#v2 or a .tgz URL"));
    m_addButton = button(QStringLiteral("&Add"), QStringLiteral("buildpackAddButton"),
                         QStringLiteral("Check and add the buildpack"), listBox);
    m_builtinButton = new QToolButton(listBox);
    m_builtinButton->setObjectName(QStringLiteral("builtinBuildpacksButton"));
    m_builtinButton->setText(QStringLiteral("&Built-in"));
    m_builtinButton->setAccessibleName(QStringLiteral("Add a built-in buildpack"));
    m_builtinButton->setPopupMode(QToolButton::InstantPopup);
    auto *builtinMenu = new QMenu(m_builtinButton);
    m_builtinButton->setMenu(builtinMenu);
    connect(builtinMenu, &QMenu::aboutToShow, this, [this, builtinMenu] {
        builtinMenu->clear();
        QStringList names = m_detection->builtinNames();
        if (names.isEmpty())
            names = {QStringLiteral("go"),     QStringLiteral("jvm"),
                     QStringLiteral("nodejs"), QStringLiteral("procfile"),
                     QStringLiteral("python"), QStringLiteral("static")};
        for (const QString &name : std::as_const(names)) {
            QAction *action = builtinMenu->addAction(name);
            action->setEnabled(!m_list->references().contains(name));
            connect(action, &QAction::triggered, this, [this, name] { addReference(name); });
        }
    });
    addRow->addWidget(m_reference, 1);
    addRow->addWidget(m_addButton);
    addRow->addWidget(m_builtinButton);
    listLayout->addLayout(addRow);
    m_listError = new QLabel(listBox);
    m_listError->setObjectName(QStringLiteral("buildpackListError"));
    m_listError->setAccessibleName(QStringLiteral("Buildpack list message"));
    m_listError->setWordWrap(true);
    m_listError->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_listError->hide();
    listLayout->addWidget(m_listError);
    auto *saveRow = new QHBoxLayout;
    saveRow->addStretch();
    m_revertButton = button(QStringLiteral("Re&vert"), QStringLiteral("buildpackRevertButton"),
                            QStringLiteral("Forget the changes to the list"), listBox);
    m_saveButton = button(QStringLiteral("&Save list"), QStringLiteral("buildpackSaveButton"),
                          QStringLiteral("Save the app's buildpack list"), listBox);
    saveRow->addWidget(m_revertButton);
    saveRow->addWidget(m_saveButton);
    listLayout->addLayout(saveRow);
    right->addWidget(listBox, 1);

    // --- the folder's .buildpacks
    m_fileBox = new QGroupBox(QStringLiteral(".buildpacks in the source folder"), this);
    auto *fileLayout = new QVBoxLayout(m_fileBox);
    m_fileState = new QLabel(m_fileBox);
    m_fileState->setObjectName(QStringLiteral("buildpacksFileState"));
    m_fileState->setWordWrap(true);
    fileLayout->addWidget(m_fileState);
    m_fileText = new QPlainTextEdit(m_fileBox);
    m_fileText->setObjectName(QStringLiteral("buildpacksFileText"));
    m_fileText->setAccessibleName(QStringLiteral("Contents of .buildpacks"));
    m_fileText->setReadOnly(true);
    m_fileText->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_fileText->setMaximumHeight(110);
    fileLayout->addWidget(m_fileText);
    m_writeFileButton = button(QStringLiteral("&Write the list to .buildpacks"),
                               QStringLiteral("writeBuildpacksFileButton"),
                               QStringLiteral("Write the app's list into the folder's .buildpacks "
                                              "file, comments kept"),
                               m_fileBox);
    auto *fileButtons = new QHBoxLayout;
    fileButtons->addStretch();
    fileButtons->addWidget(m_writeFileButton);
    fileLayout->addLayout(fileButtons);
    right->addWidget(m_fileBox);

    connect(m_upButton, &QPushButton::clicked, this, [this] { moveSelected(-1); });
    connect(m_downButton, &QPushButton::clicked, this, [this] { moveSelected(1); });
    connect(m_removeButton, &QPushButton::clicked, this, &BuildpacksPanel::removeSelected);
    connect(m_addButton, &QPushButton::clicked, this,
            [this] { addReference(m_reference->text().trimmed()); });
    connect(m_reference, &QLineEdit::returnPressed, this,
            [this] { addReference(m_reference->text().trimmed()); });
    connect(m_saveButton, &QPushButton::clicked, this, &BuildpacksPanel::save);
    connect(m_revertButton, &QPushButton::clicked, this, [this] {
        m_list->revert();
        setError({});
    });
    connect(m_writeFileButton, &QPushButton::clicked, this, &BuildpacksPanel::writeBuildpacksFile);
    connect(m_list, &BuildpackListModel::modifiedChanged, this, &BuildpacksPanel::updateButtons);
    connect(m_list, &QAbstractItemModel::rowsInserted, this, &BuildpacksPanel::updateButtons);
    connect(m_list, &QAbstractItemModel::rowsRemoved, this, &BuildpacksPanel::updateButtons);
    connect(m_list, &QAbstractItemModel::modelReset, this, &BuildpacksPanel::updateButtons);
    connect(m_listView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &BuildpacksPanel::updateButtons);
    // Keyboard: Ctrl+Up/Down move the selected buildpack, Delete removes it. The list view
    // would take Ctrl+arrows as moves of its current row, so they are caught before it.
    m_listView->installEventFilter(this);

    showDetection();
    showFile();
    updateButtons();
}

const QJsonObject &BuildpacksPanel::detection() const
{
    return m_detection->answer();
}

void BuildpacksPanel::setApp(const QString &app)
{
    if (app == m_app)
        return;
    m_app = app;
    m_list->setSaved({});
    setError({});
    reloadList();
    detect();
}

void BuildpacksPanel::setSource(const SourceSelection &source)
{
    if (source == m_source)
        return;
    m_source = source;
    showFile();
    detect();
}

void BuildpacksPanel::reloadList()
{
    if (m_app.isEmpty())
        return;
    const QString app = m_app;
    m_client->get(QStringLiteral("/v1/apps/%1/buildpacks").arg(app), this,
                  [this, app](const ApiResult &result) {
                      if (app != m_app)
                          return;
                      if (!result.ok()) {
                          setError(QStringLiteral("Could not read the app's buildpack list: %1")
                                       .arg(result.message()));
                          return;
                      }
                      QStringList references;
                      for (const QJsonValue &value : result.array(QStringLiteral("buildpacks")))
                          references.append(value.toString());
                      // Unsaved edits are the user's: they stay until saved or reverted.
                      if (!m_list->isModified())
                          m_list->setSaved(references);
                      Q_EMIT listLoaded();
                  });
}

void BuildpacksPanel::detect()
{
    const int serial = ++m_detectSerial;
    if (m_app.isEmpty() || !m_source.isValid()) {
        m_detecting = false;
        m_detection->setAnswer({});
        showDetection();
        return;
    }
    m_detecting = true;
    showDetection();
    const QJsonObject body{{QStringLiteral("source_url"), m_source.location},
                           {QStringLiteral("git_ref"), m_source.ref}};
    m_client->send(
        "POST", QStringLiteral("/v1/apps/%1/buildpacks/detect").arg(m_app), body, this,
        [this, serial](const ApiResult &result) {
            if (serial != m_detectSerial)
                return; // a newer source or app was chosen meanwhile
            m_detecting = false;
            if (!result.ok()) {
                m_detection->setAnswer({});
                showDetection();
                m_detectState->setText(
                    QStringLiteral("Detection failed: %1").arg(result.message()));
                QPalette palette = m_detectState->palette();
                palette.setColor(QPalette::WindowText,
                                 StatusStyle::color(StatusFamily::Bad, palette));
                m_detectState->setPalette(palette);
                Q_EMIT detected();
                return;
            }
            m_detection->setAnswer(result.json);
            showDetection();
            Q_EMIT detected();
        },
        DetectTimeoutMs);
}

QString BuildpacksPanel::ruleText() const
{
    return m_detection->answer().value(QStringLiteral("rule")).toString();
}

void BuildpacksPanel::showDetection()
{
    m_detectBusy->setVisible(m_detecting);
    QPalette palette = m_detectState->palette();
    palette.setColor(QPalette::WindowText, this->palette().color(QPalette::WindowText));
    m_detectState->setPalette(palette);
    const QJsonObject &answer = m_detection->answer();
    if (m_detecting) {
        m_detectState->setText(
            QStringLiteral("Running every buildpack's bin/detect on %1…").arg(m_source.describe()));
    } else if (m_app.isEmpty()) {
        m_detectState->setText(QStringLiteral("Choose an app."));
    } else if (!m_source.isValid()) {
        m_detectState->setText(QStringLiteral("Choose a source to see which buildpacks match it."));
    } else if (!answer.isEmpty()) {
        int matched = 0;
        for (int row = 0; row < m_detection->rowCount(); ++row)
            matched += m_detection->index(row, 0).data(DetectionModel::DetectedRole).toBool();
        m_detectState->setText(QStringLiteral("%1 of %2 buildpacks match %3")
                                   .arg(matched)
                                   .arg(m_detection->rowCount())
                                   .arg(m_source.describe()));
    }
    m_detectTable->resizeColumnsToContents();

    // The rule in effect, and what it hides, always visible.
    const QJsonArray rules = answer.value(QStringLiteral("rules")).toArray();
    if (answer.isEmpty()) {
        m_rule->setText(QStringLiteral("The first rule that applies wins: the BUILDPACK_URL "
                                       "config var, the app's list, the source's .buildpacks, "
                                       "the BUILDPACK_NAME config var, then auto-detection."));
        m_rule->setAccessibleDescription(m_rule->text());
        return;
    }
    const QJsonArray wouldRun = answer.value(QStringLiteral("would_run")).toArray();
    QStringList runs;
    for (const QJsonValue &value : wouldRun)
        runs.append(value.toString());
    const QColor good = StatusStyle::color(StatusFamily::Good, palette);
    const QColor ended = StatusStyle::color(StatusFamily::Ended, palette);
    QString html = QStringLiteral("<p>In effect: <b>%1</b>").arg(escaped(ruleText()));
    QString plain = QStringLiteral("In effect: %1").arg(ruleText());
    if (!runs.isEmpty()) {
        html +=
            QStringLiteral(" — runs <b>%1</b>").arg(escaped(runs.join(QStringLiteral(", then "))));
        plain += QStringLiteral(", runs %1").arg(runs.join(QStringLiteral(", then ")));
    } else if (answer.value(QStringLiteral("rule_id")).toString() ==
               QLatin1String("auto-detection")) {
        html += QStringLiteral(" — <b>no built-in buildpack matches</b>; the build would fail");
        plain += QStringLiteral(", no built-in buildpack matches");
    }
    html += QStringLiteral("</p>");
    if (!rules.isEmpty()) {
        html += QStringLiteral("<table cellspacing='2'>");
        QString effect;
        for (const QJsonValue &value : rules) {
            const QJsonObject rule = value.toObject();
            const bool inEffect = rule.value(QStringLiteral("in_effect")).toBool();
            const bool applies = rule.value(QStringLiteral("applies")).toBool();
            const QString label = rule.value(QStringLiteral("label")).toString();
            const QString detail = rule.value(QStringLiteral("detail")).toString();
            QString mark, note;
            QColor color = palette.color(QPalette::WindowText);
            if (inEffect) {
                mark = QStringLiteral("●");
                note = QStringLiteral("in effect");
                color = good;
                effect = label;
            } else if (applies) {
                mark = QStringLiteral("◐");
                note = QStringLiteral("hidden by %1").arg(effect);
                color = ended;
                plain += QStringLiteral("; %1 is hidden by %2").arg(label, effect);
            } else {
                mark = QStringLiteral("○");
                note = QStringLiteral("does not apply");
            }
            html += QStringLiteral("<tr><td style='color:%1'>%2</td><td>%3</td>"
                                   "<td style='color:%1'>%4</td><td>%5</td></tr>")
                        .arg(color.name(), mark, escaped(label), escaped(note), escaped(detail));
        }
        html += QStringLiteral("</table>");
    }
    m_rule->setText(html);
    m_rule->setAccessibleDescription(plain);
}

void BuildpacksPanel::showFile()
{
    const bool folder = m_source.kind == SourceSelection::Kind::Folder;
    m_fileBox->setVisible(folder);
    if (!folder)
        return;
    QFile file(m_source.location + QStringLiteral("/.buildpacks"));
    if (!file.exists()) {
        m_fileState->setText(QStringLiteral("This folder has no .buildpacks file."));
        m_fileText->clear();
        m_fileText->hide();
    } else if (!file.open(QIODevice::ReadOnly)) {
        m_fileState->setText(
            QStringLiteral("Cannot read %1: %2").arg(file.fileName(), file.errorString()));
        m_fileText->hide();
    } else {
        const QByteArray text = file.read(64 * 1024);
        const QStringList references = BuildpacksFileText::references(text);
        m_fileState->setText(references.isEmpty()
                                 ? QStringLiteral("The folder's .buildpacks lists no buildpack.")
                                 : QStringLiteral("The folder's .buildpacks lists %1.")
                                       .arg(references.join(QStringLiteral(", then "))));
        m_fileText->setPlainText(QString::fromUtf8(text));
        m_fileText->show();
    }
    updateButtons();
}

bool BuildpacksPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_listView && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->modifiers() == Qt::ControlModifier &&
            (key->key() == Qt::Key_Up || key->key() == Qt::Key_Down)) {
            moveSelected(key->key() == Qt::Key_Up ? -1 : 1);
            return true;
        }
        if (key->matches(QKeySequence::Delete)) {
            removeSelected();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void BuildpacksPanel::moveSelected(int delta)
{
    const QModelIndex current = m_listView->currentIndex();
    if (!current.isValid())
        return;
    const int row = current.row();
    const int target = row + delta;
    if (target < 0 || target >= m_list->rowCount())
        return;
    m_list->moveRows({}, row, 1, {}, delta > 0 ? target + 1 : target);
    m_listView->setCurrentIndex(m_list->index(target));
}

void BuildpacksPanel::removeSelected()
{
    const QModelIndex current = m_listView->currentIndex();
    if (current.isValid())
        m_list->removeRows(current.row(), 1);
}

void BuildpacksPanel::addReference(const QString &reference)
{
    if (reference.isEmpty()) {
        setError(QStringLiteral("Type a buildpack to add: a built-in name, a folder, a git URL "
                                "(with #branch or #tag) or a .tgz URL."));
        return;
    }
    if (m_list->references().contains(reference)) {
        setError(QStringLiteral("%1 is in the list already.").arg(reference));
        return;
    }
    if (m_checking)
        return;
    m_checking = true;
    setError({});
    m_listError->setText(QStringLiteral("Checking %1…").arg(reference));
    m_listError->show();
    updateButtons();
    m_client->send(
        "POST", QStringLiteral("/v1/buildpacks/check"),
        QJsonObject{{QStringLiteral("buildpack"), reference}}, this,
        [this, reference](const ApiResult &result) {
            m_checking = false;
            if (!result.ok()) {
                setError(QStringLiteral("%1 cannot be used: %2").arg(reference, result.message()));
                updateButtons();
                Q_EMIT referenceChecked(reference, false, result.message());
                return;
            }
            const QString normalized = result.object(QStringLiteral("buildpack"))
                                           .value(QStringLiteral("reference"))
                                           .toString(reference);
            setError({});
            if (!m_list->add(normalized))
                setError(QStringLiteral("%1 is in the list already.").arg(normalized));
            else
                m_reference->clear();
            m_listView->setCurrentIndex(m_list->index(m_list->rowCount() - 1));
            updateButtons();
            Q_EMIT referenceChecked(reference, true, QString());
        },
        DetectTimeoutMs);
}

void BuildpacksPanel::save()
{
    if (m_app.isEmpty())
        return;
    const QStringList references = m_list->references();
    const QString app = m_app;
    m_saveButton->setEnabled(false);
    m_client->send(
        "PUT", QStringLiteral("/v1/apps/%1/buildpacks").arg(app),
        QJsonObject{{QStringLiteral("buildpacks"), QJsonArray::fromStringList(references)}}, this,
        [this, app](const ApiResult &result) {
            if (app != m_app)
                return;
            if (!result.ok()) {
                setError(QStringLiteral("The list was not saved: %1").arg(result.message()));
                updateButtons();
                return;
            }
            QStringList kept;
            for (const QJsonValue &value : result.array(QStringLiteral("buildpacks")))
                kept.append(value.toString());
            m_list->setSaved(kept);
            setError({});
            Q_EMIT saved();
            detect();
        });
}

void BuildpacksPanel::writeBuildpacksFile()
{
    if (m_source.kind != SourceSelection::Kind::Folder)
        return;
    const QString path = m_source.location + QStringLiteral("/.buildpacks");
    QByteArray existing;
    QFile current(path);
    if (current.exists()) {
        if (!current.open(QIODevice::ReadOnly)) {
            setError(QStringLiteral("Cannot read %1: %2").arg(path, current.errorString()));
            return;
        }
        existing = current.readAll();
        current.close();
    }
    const QStringList references = m_list->references();
    if (references.isEmpty()) {
        setError(QStringLiteral("The app's list is empty: add buildpacks to it first, then "
                                "write them to .buildpacks."));
        return;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(BuildpacksFileText::update(existing, references)) < 0 || !file.commit()) {
        setError(QStringLiteral("Cannot write %1: %2").arg(path, file.errorString()));
        return;
    }
    if (current.exists())
        file.setPermissions(current.permissions());
    setError({});
    showFile();
    Q_EMIT buildpacksFileWritten(path);
    detect();
}

void BuildpacksPanel::setError(const QString &message)
{
    m_listError->setText(message);
    m_listError->setVisible(!message.isEmpty());
    QPalette palette = m_listError->palette();
    palette.setColor(QPalette::WindowText, StatusStyle::color(StatusFamily::Bad, palette));
    m_listError->setPalette(palette);
}

void BuildpacksPanel::updateButtons()
{
    const QModelIndex current = m_listView->currentIndex();
    const bool hasApp = !m_app.isEmpty();
    m_upButton->setEnabled(current.isValid() && current.row() > 0);
    m_downButton->setEnabled(current.isValid() && current.row() + 1 < m_list->rowCount());
    m_removeButton->setEnabled(current.isValid());
    m_addButton->setEnabled(hasApp && !m_checking);
    m_saveButton->setEnabled(hasApp && m_list->isModified());
    m_revertButton->setEnabled(m_list->isModified());
    m_writeFileButton->setEnabled(m_source.kind == SourceSelection::Kind::Folder &&
                                  m_list->rowCount() > 0);
}

} // namespace Slipway
