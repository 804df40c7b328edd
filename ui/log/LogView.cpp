#include "log/LogView.h"

#include "log/LogSearch.h"
#include "log/OffThread.h"
#include "log/TextCells.h"
#include "style/StatusStyle.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QPainter>
#include <QPainterPath>
#include <QSaveFile>
#include <QScrollBar>
#include <QStandardPaths>
#include <QStyle>
#include <QToolButton>

#include <algorithm>
#include <cmath>

namespace Slipway {

namespace {

// Parsing runs in slices of this many milliseconds per event-loop turn, and each slice
// takes the queued output in blocks of this many bytes, so painting, input and timers
// keep their turn however fast output arrives.
constexpr qint64 SliceMs = 8;
constexpr qsizetype BlockBytes = 256 * 1024;

constexpr int TextMargin = 6; // between the gutter and the text
constexpr int GutterPadding = 8;

// Font variants by style: bit 0 bold, 1 italic, 2 underline, 3 strike-through.
constexpr quint8 FontBold = 0x1;
constexpr quint8 FontItalic = 0x2;
constexpr quint8 FontUnderline = 0x4;
constexpr quint8 FontStrike = 0x8;

bool isWordCharacter(QChar c)
{
    return c.isLetterOrNumber() || c == QLatin1Char('_');
}

} // namespace

LogView::LogView(QWidget *parent)
    : QAbstractScrollArea(parent)
{
    setObjectName(QStringLiteral("logView"));
    setAccessibleName(tr("Build log"));
    setAccessibleDescription(tr("The deployment's build output. Ctrl+F searches, End follows "
                                "the end, Space folds the current step."));
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setFocusPolicy(Qt::StrongFocus);
    viewport()->setCursor(Qt::IBeamCursor);
    viewport()->setMouseTracking(true);
    viewport()->setAutoFillBackground(false);

    m_search = new LogSearch(&m_store, this);
    connect(m_search, &LogSearch::matchesChanged, this, &LogView::onMatchesChanged);
    connect(m_search, &LogSearch::searchingChanged, this, &LogView::searchingChanged);

    m_feedTimer.setSingleShot(true);
    m_feedTimer.setInterval(0);
    connect(&m_feedTimer, &QTimer::timeout, this, &LogView::processPending);
    // A running section's duration counts up on its header.
    m_clockTimer.setInterval(1000);
    connect(&m_clockTimer, &QTimer::timeout, this, [this] {
        if (!m_store.isRunning())
            m_clockTimer.stop();
        viewport()->update();
    });
    m_autoScrollTimer.setInterval(40);
    connect(&m_autoScrollTimer, &QTimer::timeout, this, &LogView::autoScroll);

    connect(verticalScrollBar(), &QScrollBar::valueChanged, this, [this] {
        if (!m_adjustingScroll)
            syncFollowingToScroll();
    });

    m_jumpButton = new QToolButton(viewport());
    m_jumpButton->setObjectName(QStringLiteral("jumpToEndButton"));
    m_jumpButton->setAccessibleName(tr("Jump to the end and follow"));
    m_jumpButton->setToolTip(tr("Scroll to the newest line and keep following (End)"));
    m_jumpButton->setFont(QApplication::font());
    m_jumpButton->setCursor(Qt::ArrowCursor);
    m_jumpButton->setFocusPolicy(Qt::NoFocus); // End does the same from the keyboard
    m_jumpButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_jumpButton->setIcon(style()->standardIcon(QStyle::SP_ArrowDown));
    m_jumpButton->hide();
    connect(m_jumpButton, &QToolButton::clicked, this, [this] { setFollowing(true); });

    createActions();
    m_colors = LogPalette(palette());
    updateMetrics();
}

LogView::~LogView() = default;

void LogView::createActions()
{
    const auto make = [this](const char *name, const QString &text, const QKeySequence &shortcut,
                             auto slot) {
        auto *action = new QAction(text, this);
        action->setObjectName(QLatin1String(name));
        if (!shortcut.isEmpty()) {
            action->setShortcut(shortcut);
            action->setShortcutContext(Qt::WidgetShortcut);
        }
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
        return action;
    };
    m_copyAction = make("copyAction", tr("&Copy"), QKeySequence::Copy, [this] { copy(); });
    m_copyAllAction = make("copyAllAction", tr("Copy &all"), QKeySequence(), [this] { copyAll(); });
    m_selectAllAction = make("selectAllAction", tr("Select a&ll"), QKeySequence::SelectAll,
                             [this] { selectAll(); });
    m_saveAction = make("saveAction", tr("&Save to file…"), QKeySequence::Save,
                        [this] { promptSaveToFile(); });
    m_toggleSectionAction =
        make("toggleSectionAction", tr("Collapse or expand this &step"),
             QKeySequence(Qt::Key_Space), [this] { toggleSection(currentSection()); });
    m_collapseAllAction =
        make("collapseAllAction", tr("Collapse all steps"),
             QKeySequence(Qt::CTRL | Qt::Key_BracketLeft), [this] { collapseAll(); });
    m_expandAllAction =
        make("expandAllAction", tr("Expand all steps"),
             QKeySequence(Qt::CTRL | Qt::Key_BracketRight), [this] { expandAll(); });
    m_jumpToEndAction = make("jumpToEndAction", tr("&Jump to end and follow"),
                             QKeySequence(Qt::Key_End), [this] { setFollowing(true); });
}

// --- Feeding ------------------------------------------------------------------------------

void LogView::appendData(const QByteArray &data)
{
    if (data.isEmpty())
        return;
    const bool wasLoading = isLoading();
    m_pending.push_back({data, m_store.isLive() ? m_store.now() : -1});
    m_pendingBytes += data.size();
    if (!m_feedTimer.isActive())
        m_feedTimer.start();
    if (!wasLoading)
        Q_EMIT loadingChanged(true);
}

void LogView::finish()
{
    const bool wasLoading = isLoading();
    m_finishPending = true;
    if (!m_feedTimer.isActive())
        m_feedTimer.start();
    if (!wasLoading)
        Q_EMIT loadingChanged(true);
}

void LogView::setText(const QByteArray &log)
{
    clear();
    m_store.setLive(false);
    appendData(log);
    finish();
}

void LogView::clear()
{
    const bool wasLoading = isLoading();
    m_pending.clear();
    m_pendingOffset = 0;
    m_pendingBytes = 0;
    m_finishPending = false;
    m_feedTimer.stop();
    m_clockTimer.stop();
    m_store.clear();
    m_collapsed.clear();
    m_anchor = m_caret = LogPosition();
    m_caretPlaced = false;
    // The search stays and covers the new log, without moving the view to a match.
    m_currentMatch = -1;
    m_jumpToFirstMatch = false;
    m_newLinesWhilePaused = 0;
    m_search->storeCleared();
    updateScrollBars();
    setFollowing(true);
    viewport()->update();
    Q_EMIT selectionChanged();
    if (wasLoading)
        Q_EMIT loadingChanged(false);
}

void LogView::processPending()
{
    const qsizetype oldLines = m_store.displayLineCount();
    QElapsedTimer slice;
    slice.start();
    while (!m_pending.empty() && slice.elapsed() < SliceMs) {
        const QByteArray &front = m_pending.front().data;
        const qsizetype size = qMin(BlockBytes, front.size() - m_pendingOffset);
        m_store.appendData(QByteArrayView(front).sliced(m_pendingOffset, size),
                           m_pending.front().arrivalMs);
        m_pendingOffset += size;
        m_pendingBytes -= size;
        if (m_pendingOffset == front.size()) {
            m_pending.pop_front();
            m_pendingOffset = 0;
        }
    }
    const bool done = m_pending.empty();
    if (done && m_finishPending) {
        m_finishPending = false;
        m_store.finish();
    }
    afterAppend(oldLines);
    if (!done)
        m_feedTimer.start();
    else
        Q_EMIT loadingChanged(false);
}

void LogView::afterAppend(qsizetype oldLines)
{
    const qsizetype lines = m_store.displayLineCount();
    if (!m_following && lines > oldLines) {
        m_newLinesWhilePaused += lines - oldLines;
        updateJumpButton();
    }
    updateScrollBars();
    m_search->linesAppended();
    if (m_store.isRunning() && m_store.sectionCount() > 0 && !m_clockTimer.isActive())
        m_clockTimer.start();
    // Even with no new line the partial last line or a section's end may have changed.
    viewport()->update();
    Q_EMIT linesAppended(lines);
}

// --- Times --------------------------------------------------------------------------------

void LogView::setLive(bool live)
{
    m_store.setLive(live);
    viewport()->update();
}

void LogView::setClock(LogStore::Clock clock)
{
    m_store.setClock(std::move(clock));
    viewport()->update();
}

void LogView::setSectionStart(qsizetype line, qint64 offsetMs)
{
    m_store.setSectionStart(line, offsetMs);
    viewport()->update();
}

void LogView::setLogEnd(qint64 offsetMs)
{
    m_store.setLogEnd(offsetMs);
    viewport()->update();
}

// --- Geometry -----------------------------------------------------------------------------

void LogView::updateMetrics()
{
    m_fontReady.fill(false);
    const QFontMetricsF metrics(font());
    m_charWidth = metrics.horizontalAdvance(QLatin1Char('0'));
    if (m_charWidth <= 0)
        m_charWidth = 8;
    m_lineHeight = qMax(1, qCeil(metrics.height()) + 2);
    m_ascent = qRound(metrics.ascent()) + 1;
    updateScrollBars();
    viewport()->update();
}

int LogView::pageRows() const
{
    return qMax(1, viewport()->height() / m_lineHeight);
}

int LogView::gutterWidth() const
{
    int digits = 1;
    for (qsizetype n = qMax<qsizetype>(m_store.displayLineCount(), 999); n >= 10; n /= 10)
        ++digits;
    return m_lineHeight + qCeil(digits * m_charWidth) + GutterPadding;
}

qreal LogView::textLeft() const
{
    return gutterWidth() + TextMargin;
}

void LogView::updateScrollBars()
{
    m_adjustingScroll = true;
    const qsizetype rows = rowCount();
    const int page = pageRows();
    QScrollBar *vertical = verticalScrollBar();
    vertical->setRange(0, int(qMax<qsizetype>(0, rows - page)));
    vertical->setPageStep(page);
    vertical->setSingleStep(1);
    if (m_following)
        vertical->setValue(vertical->maximum());

    // A cut line ends with a note on how much more there is: leave room to read it.
    const qsizetype widest = m_store.widestLineColumns() > MaxPaintedLength
                                 ? MaxPaintedLength + 72
                                 : m_store.widestLineColumns();
    const int contentWidth = qCeil(textLeft() + (widest + 2) * m_charWidth);
    QScrollBar *horizontal = horizontalScrollBar();
    horizontal->setRange(0, qMax(0, contentWidth - viewport()->width()));
    horizontal->setPageStep(viewport()->width());
    horizontal->setSingleStep(qCeil(m_charWidth * 4));
    m_adjustingScroll = false;
}

void LogView::scrollContentsBy(int, int)
{
    // Rows scroll by whole lines; repaint rather than shift pixels.
    viewport()->update();
}

void LogView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    updateScrollBars();
    placeJumpButton();
}

void LogView::changeEvent(QEvent *event)
{
    QAbstractScrollArea::changeEvent(event);
    switch (event->type()) {
    case QEvent::PaletteChange:
    case QEvent::StyleChange:
        m_colors = LogPalette(palette());
        m_resolved.clear();
        viewport()->update();
        break;
    case QEvent::FontChange:
        updateMetrics();
        break;
    default:
        break;
    }
}

// --- Rows and folded sections -------------------------------------------------------------

qsizetype LogView::hiddenLines(qsizetype section) const
{
    return m_store.sectionLastLine(section) - m_store.section(section).headerLine;
}

qsizetype LogView::rowCount() const
{
    qsizetype rows = m_store.displayLineCount();
    for (const qsizetype section : m_collapsed)
        rows -= hiddenLines(section);
    return rows;
}

qsizetype LogView::lineForRow(qsizetype row) const
{
    qsizetype line = row;
    for (const qsizetype section : m_collapsed) {
        if (line <= m_store.section(section).headerLine)
            break;
        line += hiddenLines(section);
    }
    return line;
}

qsizetype LogView::rowForLine(qsizetype line) const
{
    qsizetype hidden = 0;
    for (const qsizetype section : m_collapsed) {
        const qsizetype header = m_store.section(section).headerLine;
        if (line <= header)
            break;
        if (line <= m_store.sectionLastLine(section))
            return header - hidden; // folded away: its header's row
        hidden += hiddenLines(section);
    }
    return line - hidden;
}

qsizetype LogView::nextShownLine(qsizetype line) const
{
    const qsizetype section = m_store.sectionOfHeader(line);
    if (section >= 0 && isSectionCollapsed(section))
        return m_store.sectionLastLine(section) + 1;
    return line + 1;
}

bool LogView::isSectionCollapsed(qsizetype section) const
{
    return std::binary_search(m_collapsed.cbegin(), m_collapsed.cend(), section);
}

bool LogView::isLineVisible(qsizetype line) const
{
    const qsizetype section = m_store.sectionOfLine(line);
    return section < 0 || !isSectionCollapsed(section) ||
           m_store.section(section).headerLine == line;
}

qsizetype LogView::firstVisibleLine() const
{
    return lineForRow(verticalScrollBar()->value());
}

QRect LogView::lineRect(qsizetype line) const
{
    if (line < 0 || line >= m_store.displayLineCount() || !isLineVisible(line))
        return {};
    const qsizetype row = rowForLine(line) - verticalScrollBar()->value();
    if (row < 0 || row * m_lineHeight >= viewport()->height())
        return {};
    return QRect(0, int(row) * m_lineHeight, viewport()->width(), m_lineHeight);
}

QRect LogView::sectionArrowRect(qsizetype section) const
{
    if (section < 0 || section >= m_store.sectionCount())
        return {};
    const QRect line = lineRect(m_store.section(section).headerLine);
    if (line.isEmpty())
        return {};
    return QRect(0, line.y(), m_lineHeight, m_lineHeight);
}

QPoint LogView::pointFor(const LogPosition &position) const
{
    const QRect line = lineRect(position.line);
    if (line.isEmpty())
        return {};
    const qreal x =
        textLeft() - horizontalScrollBar()->value() + columnX(position.line, position.column);
    return QPoint(qFloor(x) + 1, line.center().y());
}

void LogView::keepTopLine(const std::function<void()> &change)
{
    const qsizetype top = firstVisibleLine();
    change();
    updateScrollBars();
    if (!m_following) {
        m_adjustingScroll = true;
        verticalScrollBar()->setValue(int(rowForLine(top)));
        m_adjustingScroll = false;
    }
    viewport()->update();
}

void LogView::setSectionCollapsed(qsizetype section, bool collapsed)
{
    if (section < 0 || section >= m_store.sectionCount() ||
        isSectionCollapsed(section) == collapsed)
        return;
    keepTopLine([&] {
        const auto at = std::lower_bound(m_collapsed.begin(), m_collapsed.end(), section);
        if (collapsed)
            m_collapsed.insert(at, section);
        else
            m_collapsed.erase(at);
    });
}

void LogView::toggleSection(qsizetype section)
{
    if (section < 0)
        return;
    const bool collapse = !isSectionCollapsed(section);
    setSectionCollapsed(section, collapse);
    if (collapse && m_caretPlaced && m_store.sectionOfLine(m_caret.line) == section) {
        // The caret would vanish into the fold: it moves to the header.
        m_caret = m_anchor = {m_store.section(section).headerLine, 0};
        Q_EMIT selectionChanged();
    }
}

void LogView::collapseAll()
{
    keepTopLine([&] {
        m_collapsed.resize(size_t(m_store.sectionCount()));
        for (qsizetype i = 0; i < m_store.sectionCount(); ++i)
            m_collapsed[size_t(i)] = i;
    });
}

void LogView::expandAll()
{
    keepTopLine([&] { m_collapsed.clear(); });
}

qsizetype LogView::currentSection() const
{
    const qsizetype line = m_caretPlaced ? m_caret.line : firstVisibleLine();
    return m_store.sectionOfLine(line);
}

// --- Following ----------------------------------------------------------------------------

void LogView::setFollowing(bool following)
{
    setFollowingState(following);
    if (following)
        scrollToBottom();
}

void LogView::scrollToBottom()
{
    m_adjustingScroll = true;
    verticalScrollBar()->setValue(verticalScrollBar()->maximum());
    m_adjustingScroll = false;
}

void LogView::setFollowingState(bool following)
{
    if (following == m_following)
        return;
    m_following = following;
    m_newLinesWhilePaused = 0;
    updateJumpButton();
    Q_EMIT followingChanged(following);
}

void LogView::syncFollowingToScroll()
{
    // Scrolling up pauses; reaching the bottom again resumes.
    const QScrollBar *vertical = verticalScrollBar();
    setFollowingState(vertical->value() >= vertical->maximum());
}

void LogView::updateJumpButton()
{
    if (m_following) {
        m_jumpButton->hide();
        return;
    }
    m_jumpButton->setText(m_newLinesWhilePaused > 0
                              ? tr("Following paused · %1 new lines — Jump to end")
                                    .arg(QLocale().toString(m_newLinesWhilePaused))
                              : tr("Following paused — Jump to end"));
    m_jumpButton->adjustSize();
    placeJumpButton();
    m_jumpButton->show();
}

void LogView::placeJumpButton()
{
    const int margin = 12;
    const QSize size = m_jumpButton->sizeHint();
    m_jumpButton->setGeometry(viewport()->width() - size.width() - margin,
                              viewport()->height() - size.height() - margin, size.width(),
                              size.height());
}

// --- Search -------------------------------------------------------------------------------

void LogView::setSearchText(const QString &text, Qt::CaseSensitivity sensitivity)
{
    if (text == m_search->pattern() && sensitivity == m_search->caseSensitivity())
        return;
    m_jumpToFirstMatch = !text.isEmpty();
    m_search->setPattern(text, sensitivity);
}

QString LogView::searchText() const
{
    return m_search->pattern();
}

Qt::CaseSensitivity LogView::searchCaseSensitivity() const
{
    return m_search->caseSensitivity();
}

qsizetype LogView::matchCount() const
{
    return qsizetype(m_search->matches().size());
}

bool LogView::isSearching() const
{
    return m_search->isSearching();
}

void LogView::onMatchesChanged(bool reset)
{
    if (reset)
        m_currentMatch = -1;
    const qsizetype total = matchCount();
    if (m_jumpToFirstMatch && total > 0) {
        // The first match from where the user is looking, as a browser's find does.
        m_jumpToFirstMatch = false;
        qsizetype index = m_search->firstMatchFrom(firstVisibleLine());
        if (index >= total)
            index = 0;
        revealMatch(index);
        return;
    }
    viewport()->update();
    Q_EMIT matchesChanged(m_currentMatch, total);
}

void LogView::findNext()
{
    const qsizetype total = matchCount();
    if (total == 0)
        return;
    qsizetype index = 0;
    if (m_currentMatch >= 0) {
        index = (m_currentMatch + 1) % total;
    } else {
        index = m_search->firstMatchFrom(m_caretPlaced ? m_caret.line : firstVisibleLine());
        if (index >= total)
            index = 0;
    }
    revealMatch(index);
}

void LogView::findPrevious()
{
    const qsizetype total = matchCount();
    if (total == 0)
        return;
    qsizetype index = 0;
    if (m_currentMatch >= 0)
        index = (m_currentMatch + total - 1) % total;
    else
        index = (m_search->firstMatchFrom(m_caretPlaced ? m_caret.line : firstVisibleLine()) +
                 total - 1) %
                total;
    revealMatch(index);
}

void LogView::revealMatch(qsizetype index)
{
    m_jumpToFirstMatch = false;
    m_currentMatch = index;
    const LogMatch match = m_search->matches()[size_t(index)];
    m_caret = m_anchor = {match.line, match.column};
    m_caretPlaced = true;
    ensureVisible(match.line, match.column, match.column + match.length);
    viewport()->update();
    Q_EMIT matchesChanged(m_currentMatch, matchCount());
}

void LogView::ensureVisible(qsizetype line, qsizetype fromColumn, qsizetype toColumn)
{
    if (!isLineVisible(line))
        setSectionCollapsed(m_store.sectionOfLine(line), false);
    const qsizetype row = rowForLine(line);
    const qsizetype top = verticalScrollBar()->value();
    const int page = pageRows();
    if (row < top || row >= top + page) {
        // Far away: centre it. Just off the edge: scroll by the little needed.
        if (row < top - page || row >= top + 2 * page)
            setVerticalScroll(row - page / 2);
        else if (row < top)
            setVerticalScroll(row);
        else
            setVerticalScroll(row - page + 1);
    }
    const qreal from = columnX(line, fromColumn);
    const qreal to = columnX(line, toColumn);
    const qreal width = viewport()->width() - textLeft();
    QScrollBar *horizontal = horizontalScrollBar();
    if (from < horizontal->value() || to > horizontal->value() + width - m_charWidth)
        horizontal->setValue(qMax(0, int(from - width / 3)));
}

void LogView::setVerticalScroll(qsizetype row)
{
    m_adjustingScroll = true;
    verticalScrollBar()->setValue(int(qMax<qsizetype>(0, row)));
    m_adjustingScroll = false;
    syncFollowingToScroll();
}

// --- Selection ----------------------------------------------------------------------------

void LogView::setSelection(const LogPosition &anchor, const LogPosition &caret)
{
    m_anchor = anchor;
    m_caret = caret;
    m_caretPlaced = true;
    viewport()->update();
    Q_EMIT selectionChanged();
}

void LogView::selectAll()
{
    const qsizetype last = m_store.displayLineCount() - 1;
    if (last < 0)
        return;
    setSelection({0, 0}, {last, m_store.lineLength(last)});
}

void LogView::clearSelection()
{
    if (!hasSelection())
        return;
    m_anchor = m_caret;
    viewport()->update();
    Q_EMIT selectionChanged();
}

QString LogView::selectedText() const
{
    if (!hasSelection())
        return {};
    const LogPosition start = qMin(m_anchor, m_caret);
    const LogPosition end = qMax(m_anchor, m_caret);
    if (start.line == end.line)
        return m_store.lineText(start.line).mid(start.column, end.column - start.column);
    QString text = m_store.lineText(start.line).mid(start.column);
    text += QLatin1Char('\n');
    if (end.line > start.line + 1) {
        text += m_store.text(start.line + 1, end.line - 1);
        text += QLatin1Char('\n');
    }
    text += m_store.lineText(end.line).left(end.column);
    return text;
}

void LogView::copy()
{
    if (hasSelection())
        QGuiApplication::clipboard()->setText(selectedText());
}

void LogView::copyAll()
{
    QGuiApplication::clipboard()->setText(QString::fromUtf8(m_store.snapshot(0, true).toUtf8()));
}

void LogView::saveToFile(const QString &path)
{
    runOffThread(
        this,
        [snapshot = m_store.snapshot(0, true), path]() -> QString {
            QSaveFile file(path);
            if (!file.open(QIODevice::WriteOnly))
                return tr("Could not save the build log to %1: %2. Choose another folder or "
                          "file name.")
                    .arg(QDir::toNativeSeparators(path), file.errorString());
            QString error;
            if (!snapshot.writeTo(&file, &error) || !file.commit()) {
                if (error.isEmpty())
                    error = file.errorString();
                return tr("Could not write the build log to %1: %2. Check the free space and "
                          "try again.")
                    .arg(QDir::toNativeSeparators(path), error);
            }
            return {};
        },
        [this, path](const QString &error) {
            if (!error.isEmpty())
                showSaveError(error);
            Q_EMIT saveFinished(path, error);
        });
}

void LogView::promptSaveToFile()
{
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString name =
        m_suggestedFileName.isEmpty() ? QStringLiteral("build.log") : m_suggestedFileName;
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Save build log"), QDir(folder).filePath(name),
                                     tr("Log files (*.log *.txt);;All files (*)"));
    if (!path.isEmpty())
        saveToFile(path);
}

void LogView::showSaveError(const QString &message)
{
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Build log not saved"), message,
                                QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("saveErrorMessage"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

// --- Positions ----------------------------------------------------------------------------

std::vector<int> LogView::cellOffsets(const QString &text, bool ascii) const
{
    std::vector<int> offsets;
    if (ascii)
        return offsets;
    offsets.resize(size_t(text.size() + 1));
    int cells = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        offsets[size_t(i)] = cells;
        const QChar c = text.at(i);
        if (c.isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate()) {
            cells += TextCells::width(QChar::surrogateToUcs4(c, text.at(i + 1)));
            ++i;
            offsets[size_t(i)] = offsets[size_t(i - 1)]; // inside the pair: the same cell
            continue;
        }
        cells += TextCells::width(c.unicode());
    }
    offsets[size_t(text.size())] = cells;
    return offsets;
}

qreal LogView::columnX(qsizetype line, qsizetype column) const
{
    if (m_store.isAscii(line))
        return column * m_charWidth;
    const QString text = m_store.lineText(line, qMin(column, MaxPaintedLength));
    return TextCells::columns(text) * m_charWidth;
}

bool LogView::inGutter(const QPoint &point) const
{
    return point.x() < gutterWidth();
}

LogPosition LogView::positionAt(const QPoint &point) const
{
    const qsizetype rows = rowCount();
    if (rows == 0)
        return {};
    const qsizetype row =
        qBound(qsizetype(0),
               qsizetype(verticalScrollBar()->value() + qFloor(qreal(point.y()) / m_lineHeight)),
               rows - 1);
    const qsizetype line = lineForRow(row);
    const qreal x = point.x() - textLeft() + horizontalScrollBar()->value();
    const QString text = m_store.lineText(line, MaxPaintedLength);
    if (m_store.isAscii(line))
        return {line, qBound(qsizetype(0), qsizetype(qRound(x / m_charWidth)), text.size())};
    const std::vector<int> offsets = cellOffsets(text, false);
    qsizetype column = 0;
    while (column < text.size() &&
           (offsets[size_t(column)] + offsets[size_t(column + 1)]) * m_charWidth / 2 < x)
        ++column;
    if (column > 0 && column < text.size() && text.at(column).isLowSurrogate())
        ++column;
    return {line, column};
}

// --- Input --------------------------------------------------------------------------------

void LogView::moveCaret(const LogPosition &to, bool extend)
{
    const bool changed = to != m_caret || (!extend && hasSelection());
    m_caret = to;
    if (!extend)
        m_anchor = to;
    m_caretPlaced = true;
    ensureVisible(to.line, to.column, to.column);
    viewport()->update();
    if (changed)
        Q_EMIT selectionChanged();
}

void LogView::moveCaretRows(qsizetype rows, bool extend)
{
    const qsizetype count = rowCount();
    if (count == 0)
        return;
    LogPosition from = m_caret;
    const QRect caretRect = lineRect(m_caret.line);
    if (!m_caretPlaced || caretRect.isEmpty())
        from = {rows > 0 ? firstVisibleLine()
                         : lineForRow(qMin<qsizetype>(count - 1, verticalScrollBar()->value() +
                                                                     pageRows() - 1)),
                0};
    const qsizetype row = qBound<qsizetype>(0, rowForLine(from.line) + rows, count - 1);
    const qsizetype line = lineForRow(row);
    moveCaret({line, qMin(from.column, m_store.lineLength(line))}, extend);
}

void LogView::moveToSectionHeader(int direction)
{
    const qsizetype count = m_store.sectionCount();
    if (count == 0)
        return;
    const qsizetype line = m_caretPlaced ? m_caret.line : firstVisibleLine();
    const qsizetype current = m_store.sectionOfLine(line);
    qsizetype target = 0;
    if (direction > 0)
        target = qMin(current + 1, count - 1);
    else if (current >= 0 && m_store.section(current).headerLine < line)
        target = current; // first back to this step's own header
    else
        target = qMax<qsizetype>(0, current - 1);
    moveCaret({m_store.section(target).headerLine, 0}, false);
}

void LogView::keyPressEvent(QKeyEvent *event)
{
    const bool shift = event->modifiers() & Qt::ShiftModifier;
    const bool control = event->modifiers() & Qt::ControlModifier;
    const bool alt = event->modifiers() & Qt::AltModifier;
    const qsizetype lastLine = m_store.displayLineCount() - 1;
    switch (event->key()) {
    case Qt::Key_Up:
    case Qt::Key_Down:
        if (alt)
            moveToSectionHeader(event->key() == Qt::Key_Down ? 1 : -1);
        else
            moveCaretRows(event->key() == Qt::Key_Down ? 1 : -1, shift);
        return;
    case Qt::Key_PageUp:
    case Qt::Key_PageDown:
        moveCaretRows(event->key() == Qt::Key_PageDown ? pageRows() : -pageRows(), shift);
        return;
    case Qt::Key_Home:
        if (control || shift || !m_caretPlaced) {
            if (lastLine >= 0)
                moveCaret({0, 0}, shift);
        } else {
            moveCaret({m_caret.line, 0}, false);
        }
        return;
    case Qt::Key_End:
        // Plain End is the "jump to end" action; with Shift it extends the selection.
        if (lastLine >= 0)
            moveCaret({lastLine, m_store.lineLength(lastLine)}, shift);
        return;
    case Qt::Key_Left:
    case Qt::Key_Right: {
        if (!m_caretPlaced)
            m_caret = m_anchor = {firstVisibleLine(), 0};
        LogPosition to = m_caret;
        if (event->key() == Qt::Key_Left) {
            if (to.column > 0)
                --to.column;
            else if (to.line > 0)
                to = {to.line - 1, m_store.lineLength(to.line - 1)};
        } else {
            if (to.column < m_store.lineLength(to.line))
                ++to.column;
            else if (to.line < lastLine)
                to = {to.line + 1, 0};
        }
        moveCaret(to, shift);
        return;
    }
    case Qt::Key_Return:
    case Qt::Key_Enter:
        toggleSection(currentSection());
        return;
    case Qt::Key_Escape:
        if (hasSelection()) {
            clearSelection();
            return;
        }
        break;
    default:
        break;
    }
    QAbstractScrollArea::keyPressEvent(event);
}

void LogView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton) {
        QAbstractScrollArea::mousePressEvent(event);
        return;
    }
    const QPoint point = event->position().toPoint();
    const LogPosition position = positionAt(point);
    if (m_store.displayLineCount() == 0)
        return;
    if (inGutter(point)) {
        const qsizetype section = m_store.sectionOfHeader(position.line);
        if (section >= 0 && point.x() < m_lineHeight) {
            toggleSection(section);
            return;
        }
        // The line numbers select whole lines.
        m_selectingLines = true;
        m_lineAnchor = position.line;
        setSelection({position.line, 0}, {position.line, m_store.lineLength(position.line)});
        return;
    }
    if (QDateTime::currentMSecsSinceEpoch() - m_lastDoubleClick <
        QApplication::doubleClickInterval()) {
        // A third click selects the line.
        setSelection({position.line, 0}, {position.line, m_store.lineLength(position.line)});
        return;
    }
    m_dragging = true;
    m_lastMousePos = point;
    moveCaret(position, event->modifiers() & Qt::ShiftModifier);
}

void LogView::mouseMoveEvent(QMouseEvent *event)
{
    const QPoint point = event->position().toPoint();
    if (!(event->buttons() & Qt::LeftButton) || (!m_dragging && !m_selectingLines)) {
        viewport()->setCursor(inGutter(point) ? Qt::ArrowCursor : Qt::IBeamCursor);
        return;
    }
    m_lastMousePos = point;
    const LogPosition position = positionAt(point);
    if (m_selectingLines) {
        if (position.line >= m_lineAnchor)
            setSelection({m_lineAnchor, 0}, {position.line, m_store.lineLength(position.line)});
        else
            setSelection({m_lineAnchor, m_store.lineLength(m_lineAnchor)}, {position.line, 0});
    } else {
        m_caret = position;
        viewport()->update();
        Q_EMIT selectionChanged();
    }
    const bool outside = point.y() < 0 || point.y() >= viewport()->height();
    if (outside && !m_autoScrollTimer.isActive())
        m_autoScrollTimer.start();
    else if (!outside)
        m_autoScrollTimer.stop();
}

void LogView::autoScroll()
{
    const int y = m_lastMousePos.y();
    const int height = viewport()->height();
    if ((!m_dragging && !m_selectingLines) || (y >= 0 && y < height)) {
        m_autoScrollTimer.stop();
        return;
    }
    // Faster the further the pointer is from the edge.
    const int distance = y < 0 ? -y : y - height + 1;
    const int rows = qMax(1, distance / qMax(1, m_lineHeight / 2));
    QScrollBar *vertical = verticalScrollBar();
    vertical->setValue(vertical->value() + (y < 0 ? -rows : rows));
    QMouseEvent move(QEvent::MouseMove, QPointF(m_lastMousePos),
                     QPointF(viewport()->mapToGlobal(m_lastMousePos)), Qt::NoButton, Qt::LeftButton,
                     Qt::NoModifier);
    mouseMoveEvent(&move);
}

void LogView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton) {
        const bool selecting = m_dragging || m_selectingLines;
        m_dragging = false;
        m_selectingLines = false;
        m_autoScrollTimer.stop();
        // X11 middle-click paste, for selections of a sensible size.
        QClipboard *clipboard = QGuiApplication::clipboard();
        if (selecting && hasSelection() && clipboard->supportsSelection() &&
            qAbs(m_caret.line - m_anchor.line) < 100000)
            clipboard->setText(selectedText(), QClipboard::Selection);
        event->accept();
        return;
    }
    QAbstractScrollArea::mouseReleaseEvent(event);
}

void LogView::mouseDoubleClickEvent(QMouseEvent *event)
{
    const QPoint point = event->position().toPoint();
    if (event->button() != Qt::LeftButton || inGutter(point) || m_store.displayLineCount() == 0) {
        QAbstractScrollArea::mouseDoubleClickEvent(event);
        return;
    }
    m_lastDoubleClick = QDateTime::currentMSecsSinceEpoch();
    const LogPosition position = positionAt(point);
    const QString text = m_store.lineText(position.line, MaxPaintedLength);
    qsizetype start = qMin(position.column, text.size());
    qsizetype end = start;
    if (end < text.size() && !isWordCharacter(text.at(end)) && start > 0 &&
        isWordCharacter(text.at(start - 1)))
        --start, --end; // clicked just after a word
    while (start > 0 && isWordCharacter(text.at(start - 1)))
        --start;
    while (end < text.size() && isWordCharacter(text.at(end)))
        ++end;
    if (end == start && end < text.size())
        ++end;
    setSelection({position.line, start}, {position.line, end});
}

void LogView::contextMenuEvent(QContextMenuEvent *event)
{
    if (event->reason() == QContextMenuEvent::Mouse && !hasSelection() &&
        m_store.displayLineCount() > 0) {
        m_caret = m_anchor = positionAt(viewport()->mapFrom(this, event->pos()));
        m_caretPlaced = true;
    }
    const qsizetype section = currentSection();
    m_copyAction->setEnabled(hasSelection());
    m_toggleSectionAction->setEnabled(section >= 0);
    m_toggleSectionAction->setText(section >= 0 && isSectionCollapsed(section)
                                       ? tr("Expand this &step")
                                       : tr("Collapse this &step"));
    const bool hasSections = m_store.sectionCount() > 0;
    m_collapseAllAction->setEnabled(hasSections);
    m_expandAllAction->setEnabled(hasSections);
    m_jumpToEndAction->setEnabled(!m_following);

    QMenu menu(this);
    menu.setObjectName(QStringLiteral("logViewMenu"));
    menu.addAction(m_copyAction);
    menu.addAction(m_copyAllAction);
    menu.addAction(m_selectAllAction);
    menu.addSeparator();
    menu.addAction(m_toggleSectionAction);
    menu.addAction(m_collapseAllAction);
    menu.addAction(m_expandAllAction);
    menu.addSeparator();
    menu.addAction(m_jumpToEndAction);
    menu.addAction(m_saveAction);
    menu.exec(event->globalPos());
}

void LogView::focusInEvent(QFocusEvent *event)
{
    QAbstractScrollArea::focusInEvent(event);
    viewport()->update();
}

void LogView::focusOutEvent(QFocusEvent *event)
{
    QAbstractScrollArea::focusOutEvent(event);
    viewport()->update();
}

// --- Painting -----------------------------------------------------------------------------

const LogView::ResolvedStyle &LogView::resolved(quint32 styleId)
{
    while (m_resolved.size() <= styleId) {
        const TextStyle &style = m_store.style(quint32(m_resolved.size()));
        const LogPalette::Colors colors = m_colors.resolve(style);
        ResolvedStyle entry;
        entry.foreground = colors.foreground;
        entry.background = colors.background;
        entry.fontIndex = quint8((style.has(TextStyle::Bold) ? FontBold : 0) |
                                 (style.has(TextStyle::Italic) ? FontItalic : 0) |
                                 (style.has(TextStyle::Underline) ? FontUnderline : 0) |
                                 (style.has(TextStyle::Strike) ? FontStrike : 0));
        m_resolved.push_back(entry);
    }
    return m_resolved[styleId];
}

const QFont &LogView::fontFor(quint8 index)
{
    if (!m_fontReady[index]) {
        QFont variant = font();
        variant.setBold(index & FontBold);
        variant.setItalic(index & FontItalic);
        variant.setUnderline(index & FontUnderline);
        variant.setStrikeOut(index & FontStrike);
        m_fonts[index] = variant;
        m_fontReady[index] = true;
    }
    return m_fonts[index];
}

QString LogView::durationText(qsizetype section) const
{
    const std::optional<qint64> duration = m_store.sectionDuration(section);
    if (!duration)
        return {};
    const qint64 ms = *duration;
    if (ms < 10000)
        return tr("%1 s").arg(QLocale().toString(ms / 1000.0, 'f', 1));
    const qint64 seconds = ms / 1000;
    if (seconds < 60)
        return tr("%1 s").arg(seconds);
    if (seconds < 3600)
        return tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
    return tr("%1 h %2 min").arg(seconds / 3600).arg(seconds / 60 % 60, 2, 10, QLatin1Char('0'));
}

void LogView::paintEvent(QPaintEvent *)
{
    QPainter painter(viewport());
    const QRect area = viewport()->rect();
    painter.fillRect(area, m_colors.base());
    const int gutter = gutterWidth();
    painter.fillRect(QRect(0, 0, gutter, area.height()), m_colors.gutterBackground());

    const qsizetype lines = m_store.displayLineCount();
    const std::vector<LogMatch> &matches = m_search->matches();
    qsizetype line = firstVisibleLine();
    qsizetype matchIndex = m_search->firstMatchFrom(line);
    const int rows = area.height() / m_lineHeight + 1;
    for (int row = 0; row < rows && line < lines; ++row) {
        const qreal y = row * m_lineHeight;
        painter.save();
        painter.setClipRect(QRect(gutter, int(y), area.width() - gutter, m_lineHeight));
        paintLine(painter, line, y, matches, matchIndex);
        painter.restore();
        paintGutterAndHeader(painter, line, y);
        line = nextShownLine(line);
    }

    painter.setPen(LogPalette::blend(m_colors.gutterBackground(), m_colors.text(), 0.15));
    painter.drawLine(QPointF(gutter - 0.5, 0), QPointF(gutter - 0.5, area.height()));

    if (lines == 0 && !isLoading()) {
        painter.setPen(m_colors.mutedText());
        painter.setFont(QApplication::font());
        painter.drawText(area.adjusted(gutter, 0, 0, 0), Qt::AlignCenter,
                         tr("No build output yet"));
    }
}

void LogView::paintLine(QPainter &painter, qsizetype line, qreal y,
                        const std::vector<LogMatch> &matches, qsizetype &matchIndex)
{
    const int width = viewport()->width();
    const int gutter = gutterWidth();
    const bool header = m_store.isSectionHeader(line);
    if (header)
        painter.fillRect(QRectF(gutter, y, width - gutter, m_lineHeight),
                         m_colors.headerBackground());

    const QString text = m_store.lineText(line, MaxPaintedLength);
    const qsizetype length = text.size();
    const bool ascii = m_store.isAscii(line);
    const std::vector<int> offsets = cellOffsets(text, ascii);
    const qreal left = textLeft() - horizontalScrollBar()->value();
    const auto cellOf = [&](qsizetype column) -> qreal {
        column = qBound<qsizetype>(0, column, length);
        return ascii ? qreal(column) : qreal(offsets[size_t(column)]);
    };
    const auto xOf = [&](qsizetype column) { return left + cellOf(column) * m_charWidth; };

    // The UTF-16 range on screen; ASCII lines of any length paint only that.
    const qreal firstCell = std::floor((gutter - left) / m_charWidth) - 1;
    const qreal lastCell = std::ceil((width - left) / m_charWidth) + 1;
    qsizetype visibleBegin = 0;
    qsizetype visibleEnd = length;
    if (ascii) {
        visibleBegin = qBound<qsizetype>(0, qsizetype(firstCell), length);
        visibleEnd = qBound<qsizetype>(0, qsizetype(lastCell), length);
    } else {
        visibleBegin =
            std::lower_bound(offsets.cbegin(), offsets.cend(), int(qMax(0.0, firstCell))) -
            offsets.cbegin();
        visibleEnd =
            std::upper_bound(offsets.cbegin(), offsets.cend(), int(lastCell)) - offsets.cbegin();
        visibleBegin = qBound<qsizetype>(0, visibleBegin, length);
        visibleEnd = qBound<qsizetype>(0, visibleEnd, length);
        if (visibleBegin > 0 && text.at(visibleBegin).isLowSurrogate())
            --visibleBegin;
        if (visibleEnd < length && visibleEnd > 0 && text.at(visibleEnd - 1).isHighSurrogate())
            ++visibleEnd;
    }

    // Style runs: [start, end) with a style id.
    const std::span<const StyleSpan> spans = m_store.spans(line);
    struct Run
    {
        qsizetype start;
        qsizetype end;
        quint32 style;
    };
    std::vector<Run> runs;
    runs.reserve(spans.size() + 1);
    qsizetype at = 0;
    quint32 styleId = 0;
    for (const StyleSpan &span : spans) {
        if (qsizetype(span.start) > at)
            runs.push_back({at, qMin<qsizetype>(span.start, length), styleId});
        at = span.start;
        styleId = span.style;
        if (at >= length)
            break;
    }
    if (at < length)
        runs.push_back({at, length, styleId});

    // Backgrounds the log asked for.
    for (const Run &run : runs) {
        const qsizetype begin = qMax(run.start, visibleBegin);
        const qsizetype end = qMin(run.end, visibleEnd);
        if (begin >= end)
            continue;
        const ResolvedStyle &style = resolved(run.style);
        if (style.background.isValid())
            painter.fillRect(QRectF(xOf(begin), y, xOf(end) - xOf(begin), m_lineHeight),
                             style.background);
    }

    // Search matches.
    while (matchIndex < qsizetype(matches.size()) && matches[size_t(matchIndex)].line < line)
        ++matchIndex;
    for (qsizetype i = matchIndex;
         i < qsizetype(matches.size()) && matches[size_t(i)].line == quint64(line); ++i) {
        const LogMatch &match = matches[size_t(i)];
        if (qsizetype(match.column) >= visibleEnd ||
            qsizetype(match.column + match.length) < visibleBegin)
            continue;
        const qreal x0 = xOf(match.column);
        const qreal x1 = xOf(match.column + match.length);
        painter.fillRect(QRectF(x0, y + 1, x1 - x0, m_lineHeight - 2),
                         i == m_currentMatch ? m_colors.currentMatch() : m_colors.match());
    }

    // The selection, over the backgrounds and under the text.
    if (hasSelection()) {
        const LogPosition start = qMin(m_anchor, m_caret);
        const LogPosition end = qMax(m_anchor, m_caret);
        if (line >= start.line && line <= end.line) {
            const qreal x0 = line == start.line ? xOf(start.column) : left;
            qreal x1 = line == end.line ? xOf(end.column) : xOf(length) + m_charWidth;
            if (line != end.line)
                x1 = qMax(x1, x0 + m_charWidth); // the line break is selected too
            painter.fillRect(QRectF(x0, y, x1 - x0, m_lineHeight), m_colors.selection());
        }
    }

    // The text, run by run.
    const quint8 headerFont = header ? FontBold : 0;
    const qreal baseline = y + m_ascent;
    for (const Run &run : runs) {
        const qsizetype begin = qMax(run.start, visibleBegin);
        const qsizetype end = qMin(run.end, visibleEnd);
        if (begin >= end)
            continue;
        const ResolvedStyle &style = resolved(run.style);
        painter.setFont(fontFor(style.fontIndex | headerFont));
        painter.setPen(style.foreground);
        painter.drawText(QPointF(xOf(begin), baseline), text.mid(begin, end - begin));
    }

    // Notes after the text: how much a long line hides, how many lines a fold hides.
    QString note;
    if (length == MaxPaintedLength) {
        const qsizetype more = m_store.lineLength(line) - length;
        if (more > 0)
            note = tr("  … %1 more characters (copy the line to get them all)")
                       .arg(QLocale().toString(more));
    }
    if (header) {
        const qsizetype section = m_store.sectionOfHeader(line);
        if (isSectionCollapsed(section))
            note = tr("  ⋯ %1 lines").arg(QLocale().toString(hiddenLines(section)));
    }
    if (!note.isEmpty()) {
        painter.setFont(fontFor(FontItalic));
        painter.setPen(m_colors.mutedText());
        painter.drawText(QPointF(xOf(length), baseline), note);
    }

    // The caret, where keyboard selection and search continue from.
    if (hasFocus() && m_caretPlaced && m_caret.line == line) {
        const qreal x = xOf(m_caret.column);
        painter.fillRect(QRectF(x, y + 1, qMax<qreal>(1.0, devicePixelRatioF() > 1 ? 1.5 : 1.0),
                                m_lineHeight - 2),
                         m_colors.text());
    }
}

void LogView::paintGutterAndHeader(QPainter &painter, qsizetype line, qreal y)
{
    const int gutter = gutterWidth();
    const bool caretLine = m_caretPlaced && m_caret.line == line;
    painter.setFont(fontFor(caretLine ? FontBold : 0));
    painter.setPen(caretLine ? m_colors.text() : m_colors.gutterText());
    painter.drawText(
        QRectF(m_lineHeight, y, gutter - m_lineHeight - GutterPadding / 2.0, m_lineHeight),
        Qt::AlignRight | Qt::AlignVCenter, QString::number(line + 1));

    const qsizetype section = m_store.sectionOfHeader(line);
    if (section < 0)
        return;

    // The fold arrow: pointing right when folded, down when open.
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing);
    const qreal size = m_lineHeight * 0.36;
    const QPointF centre(m_lineHeight / 2.0, y + m_lineHeight / 2.0);
    QPainterPath arrow;
    if (isSectionCollapsed(section)) {
        arrow.moveTo(centre + QPointF(-size / 2, -size * 0.6));
        arrow.lineTo(centre + QPointF(size * 0.6, 0));
        arrow.lineTo(centre + QPointF(-size / 2, size * 0.6));
    } else {
        arrow.moveTo(centre + QPointF(-size * 0.6, -size / 2));
        arrow.lineTo(centre + QPointF(size * 0.6, -size / 2));
        arrow.lineTo(centre + QPointF(0, size * 0.6));
    }
    arrow.closeSubpath();
    painter.fillPath(arrow, m_colors.text());
    painter.restore();

    // The duration, right-aligned over the header band.
    const QString duration = durationText(section);
    if (duration.isEmpty())
        return;
    const bool running = m_store.isSectionRunning(section);
    const QFont &durationFont = fontFor(running ? FontBold : 0);
    painter.setFont(durationFont);
    const qreal textWidth = QFontMetricsF(durationFont).horizontalAdvance(duration);
    const qreal right = viewport()->width() - TextMargin - 2;
    const QRectF box(right - textWidth - 2 * TextMargin, y, textWidth + 2 * TextMargin,
                     m_lineHeight);
    painter.fillRect(box, m_colors.headerBackground());
    painter.setPen(running
                       ? LogPalette::readable(StatusStyle::color(StatusFamily::Active, palette()),
                                              m_colors.headerBackground(), 3.0)
                       : m_colors.mutedText());
    painter.drawText(box, Qt::AlignCenter, duration);
}

} // namespace Slipway
