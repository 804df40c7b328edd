#pragma once

#include <QByteArray>
#include <QTimer>
#include <QWidget>

class QLabel;
class QLineEdit;
class QToolButton;

namespace Slipway {

class LogView;

// The build log with its tool row: search (as you type, previous/next, match case, "3 of
// 120"), follow, collapse and expand all steps, copy all and save. Ctrl+F goes to the
// search field, F3 and Shift+F3 (or Enter and Shift+Enter in the field) step through the
// matches, Escape leaves the search, End follows the end again.
class LogPane : public QWidget
{
    Q_OBJECT

public:
    explicit LogPane(QWidget *parent = nullptr);

    LogView *view() const { return m_view; }
    QLineEdit *searchField() const { return m_searchField; }

    // The view's feeding, for callers that only hold the pane.
    void appendData(const QByteArray &data);
    void finish();
    void setText(const QByteArray &log);
    void clear();

    // Focuses the search field with its text selected.
    void focusSearch();
    // Searches for the field's text now rather than after the typing pause.
    void applySearch();

private:
    Qt::CaseSensitivity caseSensitivity() const;
    void updateMatchLabel();
    void stepMatch(bool forward);
    bool eventFilter(QObject *watched, QEvent *event) override;

    LogView *m_view = nullptr;
    QLineEdit *m_searchField = nullptr;
    QToolButton *m_previousButton = nullptr;
    QToolButton *m_nextButton = nullptr;
    QToolButton *m_matchCaseButton = nullptr;
    QLabel *m_matchLabel = nullptr;
    QToolButton *m_followButton = nullptr;
    QToolButton *m_collapseAllButton = nullptr;
    QToolButton *m_expandAllButton = nullptr;
    QToolButton *m_copyAllButton = nullptr;
    QToolButton *m_saveButton = nullptr;
    QTimer m_searchDelay;
};

} // namespace Slipway
