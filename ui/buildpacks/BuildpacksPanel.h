#pragma once

#include "source/SourceSelection.h"

#include <QJsonObject>
#include <QWidget>

class QGroupBox;
class QLabel;
class QLineEdit;
class QListView;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTableView;
class QToolButton;

namespace Slipway {

class BuildpackListModel;
class DaemonClient;
class DetectionModel;

// Everything about which buildpacks build the chosen source for the chosen app, in one
// panel: the rule in effect (and the lower ones it hides), what every buildpack's bin/detect
// says of the source, the app's ordered list (drag and drop, add, remove, save), and the
// folder's .buildpacks file, which it can write from the list, comments kept.
class BuildpacksPanel : public QWidget
{
    Q_OBJECT

public:
    explicit BuildpacksPanel(DaemonClient *client, QWidget *parent = nullptr);

    void setApp(const QString &app);
    void setSource(const SourceSelection &source);
    // Runs detection again (the source or the configuration changed).
    void detect();
    void reloadList();

    const QJsonObject &detection() const;
    bool isDetecting() const { return m_detecting; }
    BuildpackListModel *listModel() const { return m_list; }
    DetectionModel *detectionModel() const { return m_detection; }
    // The rule in effect, in words ("the buildpack list set for the app").
    QString ruleText() const;

    // The actions, for the window's menus and for tests.
    void addReference(const QString &reference);
    void save();
    void writeBuildpacksFile();

Q_SIGNALS:
    void detected();
    void saved();
    void listLoaded();
    void referenceChecked(const QString &reference, bool ok, const QString &message);
    void buildpacksFileWritten(const QString &path);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void showDetection();
    void showFile();
    void moveSelected(int delta);
    void removeSelected();
    void setError(const QString &message);
    void updateButtons();

    DaemonClient *m_client;
    QString m_app;
    SourceSelection m_source;
    DetectionModel *m_detection;
    BuildpackListModel *m_list;
    int m_detectSerial = 0;
    bool m_detecting = false;
    bool m_checking = false;

    QLabel *m_rule;
    QLabel *m_detectState;
    QProgressBar *m_detectBusy;
    QTableView *m_detectTable;
    QListView *m_listView;
    QPushButton *m_upButton;
    QPushButton *m_downButton;
    QPushButton *m_removeButton;
    QLineEdit *m_reference;
    QPushButton *m_addButton;
    QToolButton *m_builtinButton;
    QLabel *m_listError;
    QPushButton *m_saveButton;
    QPushButton *m_revertButton;
    QGroupBox *m_fileBox;
    QLabel *m_fileState;
    QPlainTextEdit *m_fileText;
    QPushButton *m_writeFileButton;
};

} // namespace Slipway
