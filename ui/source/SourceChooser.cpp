#include "source/SourceChooser.h"

#include "source/RecentSources.h"
#include "style/StatusStyle.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QPushButton>
#include <QToolButton>

namespace Slipway {

SourceChooser::SourceChooser(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("sourceChooser"));
    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto *label = new QLabel(QStringLiteral("&Source:"), this);
    m_edit = new QLineEdit(this);
    m_edit->setObjectName(QStringLiteral("sourceEdit"));
    m_edit->setAccessibleName(QStringLiteral("Source to deploy"));
    m_edit->setPlaceholderText(QStringLiteral("A folder, a git URL, an archive or a .jar/.war "
                                              "— type it, choose it or drop it on the window"));
    m_edit->setClearButtonEnabled(true);
    label->setBuddy(m_edit);

    m_folderButton = new QPushButton(QStringLiteral("F&older…"), this);
    m_folderButton->setObjectName(QStringLiteral("chooseFolderButton"));
    m_folderButton->setAccessibleName(QStringLiteral("Choose a folder to deploy"));
    m_fileButton = new QPushButton(QStringLiteral("&File…"), this);
    m_fileButton->setObjectName(QStringLiteral("chooseFileButton"));
    m_fileButton->setAccessibleName(QStringLiteral("Choose an archive, .jar or .war to deploy"));
    m_recentButton = new QToolButton(this);
    m_recentButton->setObjectName(QStringLiteral("recentSourcesButton"));
    m_recentButton->setText(QStringLiteral("&Recent"));
    m_recentButton->setAccessibleName(QStringLiteral("Recent sources of this app"));
    m_recentButton->setPopupMode(QToolButton::InstantPopup);
    m_recentMenu = new QMenu(m_recentButton);
    m_recentButton->setMenu(m_recentMenu);
    connect(m_recentMenu, &QMenu::aboutToShow, this, &SourceChooser::fillRecentMenu);

    m_refLabel = new QLabel(QStringLiteral("R&ef:"), this);
    m_ref = new QLineEdit(this);
    m_ref->setObjectName(QStringLiteral("refEdit"));
    m_ref->setAccessibleName(QStringLiteral("Git branch, tag or commit"));
    m_ref->setPlaceholderText(QStringLiteral("branch, tag or commit (default branch if empty)"));
    m_refLabel->setBuddy(m_ref);

    m_facts = new QLabel(this);
    m_facts->setObjectName(QStringLiteral("sourceFacts"));
    m_facts->setAccessibleName(QStringLiteral("About the source"));
    m_facts->setWordWrap(true);
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_folderButton);
    buttons->addWidget(m_fileButton);
    buttons->addWidget(m_recentButton);
    layout->addWidget(label, 0, 0);
    layout->addWidget(m_edit, 0, 1);
    layout->addLayout(buttons, 0, 2);
    layout->addWidget(m_refLabel, 1, 0);
    layout->addWidget(m_ref, 1, 1);
    layout->addWidget(m_facts, 2, 1, 1, 2);
    layout->setColumnStretch(1, 1);

    m_typing.setSingleShot(true);
    m_typing.setInterval(400);
    connect(&m_typing, &QTimer::timeout, this, &SourceChooser::apply);
    connect(m_edit, &QLineEdit::textEdited, this, [this] { m_typing.start(); });
    connect(m_ref, &QLineEdit::textEdited, this, [this] { m_typing.start(); });
    connect(m_edit, &QLineEdit::returnPressed, this, &SourceChooser::apply);
    connect(m_ref, &QLineEdit::returnPressed, this, &SourceChooser::apply);
    connect(m_folderButton, &QPushButton::clicked, this, &SourceChooser::chooseFolder);
    connect(m_fileButton, &QPushButton::clicked, this, &SourceChooser::chooseFile);
    connect(&m_git, &GitWorkTreeInfo::ready, this,
            [this](const QString &folder, const GitWorkTreeInfo::Facts &facts) {
                if (m_selection.kind == SourceSelection::Kind::Folder &&
                    m_selection.location == folder)
                    m_facts->setText(facts.describe());
            });
    describe();
}

void SourceChooser::setApp(const QString &app)
{
    m_app = app;
    m_recentButton->setEnabled(!app.isEmpty());
}

void SourceChooser::setText(const QString &text, const QString &ref)
{
    m_edit->setText(text);
    m_ref->setText(ref);
    apply();
}

void SourceChooser::setSelection(const SourceSelection &selection)
{
    m_edit->setText(selection.location);
    m_ref->setText(selection.ref);
    apply();
}

QString SourceChooser::facts() const
{
    return m_facts->text();
}

void SourceChooser::chooseFolder()
{
    const QString start =
        m_selection.kind == SourceSelection::Kind::Folder ? m_selection.location : QString();
    const QString folder =
        QFileDialog::getExistingDirectory(this, QStringLiteral("Choose the app's folder"), start);
    if (!folder.isEmpty())
        setText(folder);
}

void SourceChooser::chooseFile()
{
    const QString file = QFileDialog::getOpenFileName(
        this, QStringLiteral("Choose an archive or a JVM artifact"), QString(),
        QStringLiteral("Archives and artifacts (*.tar *.tar.gz *.tgz *.tar.bz2 *.tar.xz *.zip "
                       "*.jar *.war);;All files (*)"));
    if (!file.isEmpty())
        setText(file);
}

void SourceChooser::fillRecentMenu()
{
    m_recentMenu->clear();
    const QList<SourceSelection> recent = RecentSources::forApp(m_app);
    if (recent.isEmpty()) {
        m_recentMenu->addAction(QStringLiteral("No recent source for this app"))->setEnabled(false);
        return;
    }
    for (const SourceSelection &source : recent) {
        QAction *action = m_recentMenu->addAction(
            QStringLiteral("%1  (%2)").arg(source.describe(), source.kindName()));
        connect(action, &QAction::triggered, this, [this, source] { setSelection(source); });
    }
}

void SourceChooser::apply()
{
    m_typing.stop();
    const SourceSelection selection = SourceSelection::fromText(m_edit->text(), m_ref->text());
    const bool changed = !(selection == m_selection);
    m_selection = selection;
    describe();
    if (changed)
        Q_EMIT selectionChanged(m_selection);
}

void SourceChooser::describe()
{
    const bool git = m_selection.kind == SourceSelection::Kind::Git;
    m_refLabel->setVisible(git);
    m_ref->setVisible(git);
    QPalette palette = m_facts->palette();
    palette.setColor(QPalette::WindowText, this->palette().color(QPalette::WindowText));
    const QString typed = m_edit->text().trimmed();
    switch (m_selection.kind) {
    case SourceSelection::Kind::None:
        if (typed.isEmpty()) {
            m_facts->setText(QStringLiteral("Choose what to deploy."));
        } else {
            m_facts->setText(
                QFileInfo::exists(typed)
                    ? QStringLiteral("%1 is neither a folder, an archive (.tar, .tar.gz, .tgz, "
                                     ".tar.bz2, .tar.xz, .zip) nor a .jar/.war")
                          .arg(typed)
                    : QStringLiteral("There is nothing at %1: check the path, or give a URL")
                          .arg(typed));
            palette.setColor(QPalette::WindowText, StatusStyle::color(StatusFamily::Bad, palette));
        }
        break;
    case SourceSelection::Kind::Folder:
        m_facts->setText(QStringLiteral("Folder: reading git…"));
        m_git.read(m_selection.location);
        break;
    case SourceSelection::Kind::Git:
        m_facts->setText(
            m_selection.isRemote()
                ? QStringLiteral("Git repository, cloned by slipwayd at %1")
                      .arg(m_selection.ref.isEmpty() ? QStringLiteral("its default branch")
                                                     : m_selection.ref)
                : QStringLiteral("Bare git repository at %1")
                      .arg(m_selection.ref.isEmpty() ? QStringLiteral("its default branch")
                                                     : m_selection.ref));
        break;
    case SourceSelection::Kind::Archive:
    case SourceSelection::Kind::Artifact: {
        const QString what = m_selection.kind == SourceSelection::Kind::Archive
                                 ? QStringLiteral("Archive")
                                 : QStringLiteral("JVM artifact, deployed as it is");
        if (m_selection.isRemote()) {
            m_facts->setText(QStringLiteral("%1, downloaded by slipwayd").arg(what));
        } else if (!QFileInfo::exists(m_selection.location)) {
            m_facts->setText(QStringLiteral("There is no file at %1").arg(m_selection.location));
            palette.setColor(QPalette::WindowText, StatusStyle::color(StatusFamily::Bad, palette));
        } else {
            m_facts->setText(QStringLiteral("%1 of %2, uploaded to slipwayd when you deploy")
                                 .arg(what, QLocale().formattedDataSize(
                                                QFileInfo(m_selection.location).size())));
        }
        break;
    }
    }
    m_facts->setPalette(palette);
}

} // namespace Slipway
