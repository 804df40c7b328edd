#pragma once

#include "log/LogPalette.h"
#include "log/LogStore.h"

#include <QAbstractScrollArea>
#include <QByteArray>
#include <QFont>
#include <QTimer>

#include <array>
#include <deque>
#include <functional>
#include <vector>

class QAction;
class QToolButton;

namespace Slipway {

class LogSearch;

// A place in the log: a line and a UTF-16 offset into its text.
struct LogPosition
{
    qsizetype line = 0;
    qsizetype column = 0;

    auto operator<=>(const LogPosition &) const = default;
};

// The build log, painted: only the visible lines are drawn from a LogStore, so it stays
// fluid at millions of lines. Output is queued as it arrives and parsed in slices of a few
// milliseconds per event-loop turn, with one repaint per turn. It follows the end while
// lines arrive until the user scrolls up, and resumes at the bottom or on End. Sections
// ("-----> " steps) fold from the arrow in the gutter, with their duration on the header.
// Text selects by character with the mouse or Shift and the arrow keys, and copies as
// plain text. Search runs on a worker thread; matches are highlighted and stepped through.
class LogView : public QAbstractScrollArea
{
    Q_OBJECT

public:
    explicit LogView(QWidget *parent = nullptr);
    ~LogView() override;

    // --- Feeding
    // Raw output of a running deployment, in chunks of any size.
    void appendData(const QByteArray &data);
    // No more output will come: the partial last line becomes a line and a live log's
    // clock stops (unless setLogEnd() said when it ended).
    void finish();
    // A whole past log (not live): loaded in slices across event-loop turns.
    void setText(const QByteArray &log);
    // Empties the view for another deployment's log; search text and follow stay.
    void clear();
    // Bytes received but not parsed yet.
    qsizetype pendingBytes() const { return m_pendingBytes; }
    bool isLoading() const { return m_pendingBytes > 0 || m_finishPending; }
    const LogStore &store() const { return m_store; }

    // --- Times (see LogStore)
    void setLive(bool live);
    void setClock(LogStore::Clock clock);
    void setSectionStart(qsizetype line, qint64 offsetMs);
    void setLogEnd(qint64 offsetMs);

    // --- Following the end
    bool isFollowing() const { return m_following; }
    // true scrolls to the end and keeps it there as lines arrive.
    void setFollowing(bool following);

    // --- Sections
    bool isSectionCollapsed(qsizetype section) const;
    void setSectionCollapsed(qsizetype section, bool collapsed);
    void collapseAll();
    void expandAll();
    // The section the keyboard acts on: the caret's, else the one at the top of the view.
    qsizetype currentSection() const;
    bool isLineVisible(qsizetype line) const; // not inside a collapsed section
    qsizetype rowCount() const;               // lines shown once sections fold
    qsizetype firstVisibleLine() const;
    // Where a line is painted, in viewport coordinates; empty when it is not on screen.
    QRect lineRect(qsizetype line) const;
    // The fold arrow of a section header, in viewport coordinates; empty when off screen.
    QRect sectionArrowRect(qsizetype section) const;
    // The viewport point just right of the boundary before `position`'s column; a null
    // point when the line is not on screen.
    QPoint pointFor(const LogPosition &position) const;

    // --- Search
    void setSearchText(const QString &text, Qt::CaseSensitivity sensitivity = Qt::CaseInsensitive);
    QString searchText() const;
    Qt::CaseSensitivity searchCaseSensitivity() const;
    void findNext();
    void findPrevious();
    qsizetype matchCount() const;
    qsizetype currentMatch() const { return m_currentMatch; } // -1: none chosen
    bool isSearching() const;

    // --- Selection and export
    bool hasSelection() const { return m_anchor != m_caret; }
    QString selectedText() const;
    void setSelection(const LogPosition &anchor, const LogPosition &caret);
    void selectAll();
    void clearSelection();
    LogPosition caret() const { return m_caret; }
    void copy();
    void copyAll();
    // Writes the plain log through QSaveFile on a worker thread; saveFinished() tells how it
    // went, and a failure is also shown to the user.
    void saveToFile(const QString &path);
    // Asks where to save, then saves.
    void promptSaveToFile();
    void setSuggestedFileName(const QString &name) { m_suggestedFileName = name; }

    // The widest painted line is cut after this many UTF-16 units, with a note saying how
    // much more there is (copying takes the whole line).
    static constexpr qsizetype MaxPaintedLength = 65536;

Q_SIGNALS:
    void followingChanged(bool following);
    void matchesChanged(qsizetype current, qsizetype total);
    void searchingChanged(bool searching);
    void selectionChanged();
    // A batch of output was parsed; `lines` lines are shown now.
    void linesAppended(qsizetype lines);
    void loadingChanged(bool loading);
    // `error` is empty when the file was written.
    void saveFinished(const QString &path, const QString &error);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void focusInEvent(QFocusEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    struct ResolvedStyle
    {
        QColor foreground;
        QColor background;
        quint8 fontIndex = 0;
    };

    void createActions();
    void processPending();
    void afterAppend(qsizetype oldLines);
    void updateMetrics();
    void updateScrollBars();
    void setFollowingState(bool following);
    void syncFollowingToScroll();
    void scrollToBottom();
    void updateJumpButton();
    void placeJumpButton();
    void onMatchesChanged(bool reset);
    void revealMatch(qsizetype index);
    void ensureVisible(qsizetype line, qsizetype fromColumn, qsizetype toColumn);
    void setVerticalScroll(qsizetype row);
    void toggleSection(qsizetype section);
    void keepTopLine(const std::function<void()> &change);
    void moveCaret(const LogPosition &to, bool extend);
    void moveCaretRows(qsizetype rows, bool extend);
    void moveToSectionHeader(int direction);
    void showSaveError(const QString &message);
    void autoScroll();

    qsizetype hiddenLines(qsizetype section) const;
    qsizetype lineForRow(qsizetype row) const;
    qsizetype rowForLine(qsizetype line) const;
    qsizetype nextShownLine(qsizetype line) const;
    int pageRows() const;
    int gutterWidth() const;
    qreal textLeft() const;
    std::vector<int> cellOffsets(const QString &text, bool ascii) const;
    qreal columnX(qsizetype line, qsizetype column) const;
    LogPosition positionAt(const QPoint &point) const;
    bool inGutter(const QPoint &point) const;
    const ResolvedStyle &resolved(quint32 styleId);
    const QFont &fontFor(quint8 index);
    QString durationText(qsizetype section) const;

    void paintLine(QPainter &painter, qsizetype line, qreal y, const std::vector<LogMatch> &matches,
                   qsizetype &matchIndex);
    void paintGutterAndHeader(QPainter &painter, qsizetype line, qreal y);

    LogStore m_store;
    LogSearch *m_search = nullptr;

    // Output waiting to be parsed, with when it arrived (so a step's start is its
    // arrival, not when a busy view got to it); the front block is consumed from
    // m_pendingOffset on.
    struct Pending
    {
        QByteArray data;
        qint64 arrivalMs = -1;
    };
    std::deque<Pending> m_pending;
    qsizetype m_pendingOffset = 0;
    qsizetype m_pendingBytes = 0;
    bool m_finishPending = false;
    QTimer m_feedTimer;
    QTimer m_clockTimer;
    QTimer m_autoScrollTimer;

    std::vector<qsizetype> m_collapsed; // collapsed section indexes, ascending

    bool m_following = true;
    bool m_adjustingScroll = false;
    qsizetype m_newLinesWhilePaused = 0;
    QToolButton *m_jumpButton = nullptr;

    LogPosition m_anchor;
    LogPosition m_caret;
    bool m_caretPlaced = false;
    bool m_selectingLines = false; // dragging in the gutter selects whole lines
    bool m_dragging = false;
    QPoint m_lastMousePos;
    qsizetype m_lineAnchor = 0;
    qint64 m_lastDoubleClick = 0;

    qsizetype m_currentMatch = -1;
    bool m_jumpToFirstMatch = false;

    LogPalette m_colors;
    std::vector<ResolvedStyle> m_resolved;
    std::array<QFont, 16> m_fonts;
    std::array<bool, 16> m_fontReady{};
    qreal m_charWidth = 8;
    int m_lineHeight = 16;
    int m_ascent = 12;

    QString m_suggestedFileName;
    QAction *m_copyAction = nullptr;
    QAction *m_copyAllAction = nullptr;
    QAction *m_selectAllAction = nullptr;
    QAction *m_saveAction = nullptr;
    QAction *m_toggleSectionAction = nullptr;
    QAction *m_collapseAllAction = nullptr;
    QAction *m_expandAllAction = nullptr;
    QAction *m_jumpToEndAction = nullptr;
};

} // namespace Slipway
