#include "log/LogSearch.h"

#include "log/LogStore.h"
#include "log/OffThread.h"

#include <algorithm>

namespace Slipway {

LogSearch::LogSearch(const LogStore *store, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_cancel(std::make_shared<std::atomic_bool>(false))
{}

LogSearch::~LogSearch()
{
    m_cancel->store(true);
}

void LogSearch::setPattern(const QString &pattern, Qt::CaseSensitivity sensitivity)
{
    if (pattern == m_pattern && sensitivity == m_sensitivity)
        return;
    m_pattern = pattern;
    m_sensitivity = sensitivity;
    restart();
}

void LogSearch::storeCleared()
{
    restart();
}

void LogSearch::restart()
{
    // A running job learns it is stale through its own flag and stops early; its result is
    // dropped by generation.
    m_cancel->store(true);
    m_cancel = std::make_shared<std::atomic_bool>(false);
    ++m_generation;
    m_matches.clear();
    m_searchedLines = 0;
    Q_EMIT matchesChanged(true);
    runNext();
    if (!m_running)
        setSearching(false);
}

void LogSearch::linesAppended()
{
    runNext();
}

void LogSearch::runNext()
{
    if (m_running || m_pattern.isEmpty())
        return;
    if (m_searchedLines >= m_store->lineCount()) {
        setSearching(false);
        return;
    }
    m_running = true;
    setSearching(true);
    LogSnapshot snapshot = m_store->snapshot(m_searchedLines);
    const quint64 generation = m_generation;
    const qsizetype endLine = snapshot.endLine();
    runOffThread(
        this,
        [snapshot = std::move(snapshot), pattern = m_pattern, sensitivity = m_sensitivity,
         cancel = m_cancel] { return snapshot.search(pattern, sensitivity, cancel.get()); },
        [this, generation, endLine](std::vector<LogMatch> found) {
            m_running = false;
            if (generation == m_generation) {
                m_searchedLines = endLine;
                if (!found.empty()) {
                    m_matches.insert(m_matches.end(), found.begin(), found.end());
                    Q_EMIT matchesChanged(false);
                }
            }
            runNext();
        });
}

void LogSearch::setSearching(bool searching)
{
    if (m_searching == searching)
        return;
    m_searching = searching;
    Q_EMIT searchingChanged(searching);
}

qsizetype LogSearch::firstMatchFrom(qsizetype line) const
{
    const auto found =
        std::lower_bound(m_matches.cbegin(), m_matches.cend(), line,
                         [](const LogMatch &match, qsizetype value) { return match.line < value; });
    return qsizetype(found - m_matches.cbegin());
}

} // namespace Slipway
