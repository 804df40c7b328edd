#include "log/LogPane.h"

#include "log/LogView.h"
#include "style/StatusStyle.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QShortcut>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace Slipway {

namespace {

QToolButton *makeButton(QWidget *parent, const QString &objectName, const QString &text,
                        const QString &accessibleName, const QString &toolTip)
{
    auto *button = new QToolButton(parent);
    button->setObjectName(objectName);
    button->setText(text);
    button->setAccessibleName(accessibleName);
    button->setToolTip(toolTip);
    button->setAutoRaise(true);
    button->setFocusPolicy(Qt::TabFocus);
    return button;
}

} // namespace

LogPane::LogPane(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("logPane"));
    setAccessibleName(tr("Build log"));

    m_searchField = new QLineEdit(this);
    m_searchField->setObjectName(QStringLiteral("searchField"));
    m_searchField->setPlaceholderText(tr("Search the log"));
    m_searchField->setAccessibleName(tr("Search the build log"));
    m_searchField->setToolTip(tr("Find text in the log (Ctrl+F). Enter: next match, "
                                 "Shift+Enter: previous, Escape: stop searching"));
    m_searchField->setClearButtonEnabled(true);
    m_searchField->setMinimumWidth(m_searchField->fontMetrics().averageCharWidth() * 24);
    m_searchField->installEventFilter(this);

    m_previousButton = makeButton(this, QStringLiteral("findPreviousButton"), tr("Previous"),
                                  tr("Previous match"), tr("Previous match (Shift+F3)"));
    m_previousButton->setIcon(style()->standardIcon(QStyle::SP_ArrowUp));
    m_previousButton->setToolButtonStyle(Qt::ToolButtonIconOnly);
    m_nextButton = makeButton(this, QStringLiteral("findNextButton"), tr("Next"), tr("Next match"),
                              tr("Next match (F3)"));
    m_nextButton->setIcon(style()->standardIcon(QStyle::SP_ArrowDown));
    m_nextButton->setToolButtonStyle(Qt::ToolButtonIconOnly);
    m_matchCaseButton = makeButton(this, QStringLiteral("matchCaseButton"), tr("Aa"),
                                   tr("Match case"), tr("Match upper and lower case exactly"));
    m_matchCaseButton->setCheckable(true);

    m_matchLabel = new QLabel(this);
    m_matchLabel->setObjectName(QStringLiteral("matchCountLabel"));
    m_matchLabel->setAccessibleName(tr("Search matches"));
    m_matchLabel->setMinimumWidth(m_matchLabel->fontMetrics().horizontalAdvance(
        tr("%1 of %2").arg(QLocale().toString(888888), QLocale().toString(8888888))));

    m_followButton = makeButton(this, QStringLiteral("followButton"), tr("Follow"),
                                tr("Follow the end of the log"),
                                tr("Keep the newest line in view as output arrives (End)"));
    m_followButton->setCheckable(true);
    m_followButton->setChecked(true);
    m_collapseAllButton = makeButton(this, QStringLiteral("collapseAllButton"), tr("Collapse all"),
                                     tr("Collapse all steps"),
                                     tr("Fold every build step to its header line (Ctrl+[)"));
    m_expandAllButton = makeButton(this, QStringLiteral("expandAllButton"), tr("Expand all"),
                                   tr("Expand all steps"), tr("Unfold every build step (Ctrl+])"));
    m_copyAllButton =
        makeButton(this, QStringLiteral("copyAllButton"), tr("Copy all"), tr("Copy the whole log"),
                   tr("Copy the whole log as plain text, without colours"));
    m_saveButton =
        makeButton(this, QStringLiteral("saveButton"), tr("Save…"), tr("Save the log to a file"),
                   tr("Save the whole log as a plain text file (Ctrl+S)"));

    m_view = new LogView(this);

    auto *tools = new QHBoxLayout;
    tools->setContentsMargins(4, 4, 4, 0);
    tools->setSpacing(2);
    tools->addWidget(m_searchField, 1);
    tools->addWidget(m_previousButton);
    tools->addWidget(m_nextButton);
    tools->addWidget(m_matchCaseButton);
    tools->addSpacing(6);
    tools->addWidget(m_matchLabel);
    tools->addStretch(1);
    tools->addWidget(m_followButton);
    tools->addWidget(m_collapseAllButton);
    tools->addWidget(m_expandAllButton);
    tools->addWidget(m_copyAllButton);
    tools->addWidget(m_saveButton);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(tools);
    layout->addWidget(m_view, 1);
    setFocusProxy(m_view);

    // Search as the user types, once the typing pauses.
    m_searchDelay.setSingleShot(true);
    m_searchDelay.setInterval(150);
    connect(&m_searchDelay, &QTimer::timeout, this, &LogPane::applySearch);
    connect(m_searchField, &QLineEdit::textChanged, this, [this] { m_searchDelay.start(); });
    connect(m_matchCaseButton, &QToolButton::toggled, this, &LogPane::applySearch);
    connect(m_previousButton, &QToolButton::clicked, this, [this] { stepMatch(false); });
    connect(m_nextButton, &QToolButton::clicked, this, [this] { stepMatch(true); });
    connect(m_view, &LogView::matchesChanged, this, &LogPane::updateMatchLabel);
    connect(m_view, &LogView::searchingChanged, this, &LogPane::updateMatchLabel);

    connect(m_followButton, &QToolButton::toggled, m_view, &LogView::setFollowing);
    connect(m_view, &LogView::followingChanged, m_followButton, &QToolButton::setChecked);
    connect(m_collapseAllButton, &QToolButton::clicked, m_view, &LogView::collapseAll);
    connect(m_expandAllButton, &QToolButton::clicked, m_view, &LogView::expandAll);
    connect(m_copyAllButton, &QToolButton::clicked, m_view, &LogView::copyAll);
    connect(m_saveButton, &QToolButton::clicked, m_view, &LogView::promptSaveToFile);

    const auto shortcut = [this](const QKeySequence &keys, auto slot) {
        auto *item = new QShortcut(keys, this);
        item->setContext(Qt::WidgetWithChildrenShortcut);
        connect(item, &QShortcut::activated, this, slot);
    };
    shortcut(QKeySequence::Find, [this] { focusSearch(); });
    shortcut(QKeySequence::FindNext, [this] { stepMatch(true); });
    shortcut(QKeySequence::FindPrevious, [this] { stepMatch(false); });

    updateMatchLabel();
}

void LogPane::appendData(const QByteArray &data)
{
    m_view->appendData(data);
}

void LogPane::finish()
{
    m_view->finish();
}

void LogPane::setText(const QByteArray &log)
{
    m_view->setText(log);
}

void LogPane::clear()
{
    m_view->clear();
}

void LogPane::focusSearch()
{
    m_searchField->setFocus(Qt::ShortcutFocusReason);
    m_searchField->selectAll();
}

Qt::CaseSensitivity LogPane::caseSensitivity() const
{
    return m_matchCaseButton->isChecked() ? Qt::CaseSensitive : Qt::CaseInsensitive;
}

void LogPane::applySearch()
{
    m_searchDelay.stop();
    m_view->setSearchText(m_searchField->text(), caseSensitivity());
    updateMatchLabel();
}

void LogPane::stepMatch(bool forward)
{
    m_searchDelay.stop();
    // A search not started yet starts now; its first match is shown when it lands.
    if (m_view->searchText() != m_searchField->text() ||
        m_view->searchCaseSensitivity() != caseSensitivity()) {
        applySearch();
        return;
    }
    if (forward)
        m_view->findNext();
    else
        m_view->findPrevious();
}

void LogPane::updateMatchLabel()
{
    const qsizetype total = m_view->matchCount();
    const qsizetype current = m_view->currentMatch();
    const bool hasPattern = !m_view->searchText().isEmpty();
    QString text;
    if (!hasPattern)
        text.clear();
    else if (total == 0)
        text = m_view->isSearching() ? tr("Searching…") : tr("No matches");
    else if (current < 0)
        text = total == 1 ? tr("1 match") : tr("%1 matches").arg(QLocale().toString(total));
    else
        text = tr("%1 of %2").arg(QLocale().toString(current + 1), QLocale().toString(total));
    m_matchLabel->setText(text);
    m_matchLabel->setAccessibleDescription(text);
    const bool none = hasPattern && total == 0 && !m_view->isSearching();
    // Only the text colour is set, so the label still follows palette changes.
    QPalette colours;
    if (none)
        colours.setColor(QPalette::WindowText, StatusStyle::color(StatusFamily::Bad, palette()));
    m_matchLabel->setPalette(colours);
    m_previousButton->setEnabled(total > 0);
    m_nextButton->setEnabled(total > 0);
}

bool LogPane::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_searchField && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        switch (key->key()) {
        case Qt::Key_Return:
        case Qt::Key_Enter:
            stepMatch(!(key->modifiers() & Qt::ShiftModifier));
            return true;
        case Qt::Key_Escape:
            // Leave the search: no more highlights, back to the log.
            m_searchField->clear();
            applySearch();
            m_view->setFocus(Qt::OtherFocusReason);
            return true;
        default:
            break;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace Slipway
