#pragma once

#include "log/LogSnapshot.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <vector>

namespace Slipway {

class LogStore;

// Finds every occurrence of a text in a LogStore on a worker thread, over snapshots of the
// lines, so the GUI thread never waits on a million lines. Lines appended after a search
// started are searched next, so the matches always cover the whole log soon after it
// grows.
class LogSearch : public QObject
{
    Q_OBJECT

public:
    explicit LogSearch(const LogStore *store, QObject *parent = nullptr);
    ~LogSearch() override;

    // Starts over with a new text; an empty text clears the matches.
    void setPattern(const QString &pattern, Qt::CaseSensitivity sensitivity = Qt::CaseInsensitive);
    QString pattern() const { return m_pattern; }
    Qt::CaseSensitivity caseSensitivity() const { return m_sensitivity; }

    // Lines were appended to the store: search them too.
    void linesAppended();
    // The store was cleared: the matches are gone, the pattern stays.
    void storeCleared();

    // True while some lines are not searched yet.
    bool isSearching() const { return m_searching; }
    const std::vector<LogMatch> &matches() const { return m_matches; }
    // Index of the first match on `line` or after it, or matches().size() when none.
    qsizetype firstMatchFrom(qsizetype line) const;

Q_SIGNALS:
    // Matches were added or cleared; `reset` when the list started over.
    void matchesChanged(bool reset);
    void searchingChanged(bool searching);

private:
    void restart();
    void runNext();
    void setSearching(bool searching);

    const LogStore *m_store;
    QString m_pattern;
    Qt::CaseSensitivity m_sensitivity = Qt::CaseInsensitive;
    std::vector<LogMatch> m_matches;
    qsizetype m_searchedLines = 0; // lines [0, m_searchedLines) are searched
    quint64 m_generation = 0;      // a job from an older generation is stale
    bool m_running = false;
    bool m_searching = false;
    std::shared_ptr<std::atomic_bool> m_cancel;
};

} // namespace Slipway
