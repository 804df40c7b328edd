#pragma once

#include "source/GitWorkTreeInfo.h"
#include "source/SourceSelection.h"

#include <QTimer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QMenu;
class QToolButton;
class QPushButton;

namespace Slipway {

// Where the user says what to deploy: a path or URL typed, pasted or dropped, a folder or
// file picked in a dialog, or one of the app's recent sources; a git URL takes a branch,
// tag or commit. Below, one line says what the source is (for a folder that is a git work
// tree: branch, commit and uncommitted changes).
class SourceChooser : public QWidget
{
    Q_OBJECT

public:
    explicit SourceChooser(QWidget *parent = nullptr);

    SourceSelection selection() const { return m_selection; }
    // Chooses a source as if the user had (the app's recents are not changed).
    void setSelection(const SourceSelection &selection);
    void setText(const QString &text, const QString &ref = {});
    // The app whose recent sources the menu offers.
    void setApp(const QString &app);
    QString facts() const;

Q_SIGNALS:
    // After the user stopped typing for a moment, or at once for a dialog, drop or recent.
    void selectionChanged(const Slipway::SourceSelection &selection);

private:
    void chooseFolder();
    void chooseFile();
    void fillRecentMenu();
    void apply();
    void describe();

    QLineEdit *m_edit;
    QLineEdit *m_ref;
    QLabel *m_refLabel;
    QPushButton *m_folderButton;
    QPushButton *m_fileButton;
    QToolButton *m_recentButton;
    QMenu *m_recentMenu;
    QLabel *m_facts;
    QTimer m_typing;
    GitWorkTreeInfo m_git;
    SourceSelection m_selection;
    QString m_app;
};

} // namespace Slipway
