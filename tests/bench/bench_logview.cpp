// The build log view against the plain widget a console would otherwise use: a million
// lines of typical build output with ANSI colours (npm, pip and go style lines, "-----> "
// steps every few thousand lines, progress bars, a few minified lines of tens of KB) fed
// to a shown LogPane as fast as it takes them, a few thousand lines per event-loop turn,
// then the same lines, ANSI stripped, appended to a QPlainTextEdit (appendPlainText).
//
// Each run is a fresh process (so memory growth is measured from a clean heap); the
// figures are the median of 3 runs. A peer run stops feeding after 120 s and reports the
// rate it reached and how many lines it took. Ratios are logview / plaintextedit.
//
// Usage: bench_logview [--lines N]            (all runs, prints the medians)
//        bench_logview --run logview|plaintextedit [--lines N]   (one run)

#include "log/AnsiParser.h"
#include "log/LogPane.h"
#include "log/LogView.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFontDatabase>
#include <QMap>
#include <QPlainTextEdit>
#include <QProcess>
#include <QTextCursor>
#include <QTextDocument>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

using namespace Slipway;

namespace {

constexpr int Runs = 3;
constexpr int LinesPerChunk = 3000;
constexpr qint64 PeerCapMs = 120000;
const char *const SearchWord = "deprecated";

// Resident memory of this process, from /proc/self/status.
double residentMb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0;
    }
    return 0;
}

// Build output as buildpacks print it, deterministic for a given line count.
std::vector<QByteArray> generateChunks(int lines)
{
    std::mt19937 random(20261204);
    const auto pick = [&](int n) { return int(random() % unsigned(n)); };
    static const char *const packages[] = {
        "express", "lodash", "react",      "webpack", "babel-core", "request", "left-pad", "chalk",
        "debug",   "uuid",   "typescript", "eslint",  "jest",       "axios",   "moment"};
    static const char *const steps[] = {"Installing dependencies",
                                        "Building the app",
                                        "Caching build",
                                        "Pruning devDependencies",
                                        "Installing requirements with pip",
                                        "Running go build",
                                        "Compiling assets",
                                        "Discovering process types"};
    std::vector<QByteArray> chunks;
    QByteArray chunk;
    int inChunk = 0;
    for (int i = 0; i < lines; ++i) {
        QByteArray line;
        const QByteArray n = QByteArray::number(i);
        const QByteArray package = packages[pick(15)];
        if (i % 3000 == 0) {
            line = "\x1b[1m-----> " + QByteArray(steps[(i / 3000) % 8]) + "\x1b[0m";
        } else if (i % 20000 == 7777) {
            // A minified bundle echoed into the log: one line of tens of kilobytes.
            line = "       ";
            const int size = 20000 + pick(60000);
            while (line.size() < size)
                line +=
                    "!function(e){var t={};function n(r){if(t[r])return t[r].exports}}(" + n + ");";
        } else {
            switch (pick(12)) {
            case 0:
                line = "       npm \x1b[33mWARN\x1b[39m deprecated " + package + "@2." + n +
                       ": this version is no longer supported, please upgrade";
                break;
            case 1:
                line = "       \x1b[32madded\x1b[39m " + QByteArray::number(pick(2000)) +
                       " packages from " + QByteArray::number(pick(900)) +
                       " contributors and audited " + n + " packages in 12.4s";
                break;
            case 2:
                line = "       \x1b[90m> " + package + "@1.0." + n + " postinstall\x1b[39m";
                break;
            case 3:
                line = "       Collecting " + package + "==2." + QByteArray::number(pick(40)) +
                       ".0 (from -r requirements.txt (line " + QByteArray::number(pick(80)) + "))";
                break;
            case 4:
                line = "         Downloading " + package +
                       "-2.31.0-py3-none-any.whl (62 kB)\r"
                       "     \x1b[38;5;70m\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81"
                       "\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\xe2\x94\x81\x1b[0m 62.6/62.6 kB "
                       "\x1b[31m4.1 MB/s\x1b[0m eta \x1b[36m0:00:00\x1b[0m";
                break;
            case 5:
                line = "       go: downloading github.com/spf13/" + package + " v1." +
                       QByteArray::number(pick(20)) + ".0";
                break;
            case 6:
                line = "       ok  \tgithub.com/acme/shop/internal/" + package + "\t0.0" +
                       QByteArray::number(pick(99)) + "s";
                break;
            case 7:
                line = "       \x1b[38;2;120;200;80masset\x1b[0m main." + n +
                       ".js \x1b[1m\x1b[33m1.2 MiB\x1b[39m\x1b[22m [emitted] [big] (name: main)";
                break;
            case 8:
                line = "       \x1b[31merror\x1b[39m TS2345: Argument of type 'string' is not "
                       "assignable to parameter of type 'number'. src/" +
                       package + ".ts:" + n;
                break;
            default:
                line = "       remote: Compressing objects: " + QByteArray::number(pick(100)) +
                       "% (" + n + "/" + QByteArray::number(i + pick(1000)) + ")";
                break;
            }
        }
        chunk += line;
        chunk += '\n';
        if (++inChunk == LinesPerChunk) {
            chunks.push_back(chunk);
            chunk.clear();
            inChunk = 0;
        }
    }
    if (!chunk.isEmpty())
        chunks.push_back(chunk);
    return chunks;
}

void print(const char *name, double value)
{
    std::printf("%s: %.1f\n", name, value);
    std::fflush(stdout);
}

// Ticks every 10 ms and keeps the longest gap: how long the event loop was blocked.
class StallMeter
{
public:
    StallMeter()
    {
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] {
            const qint64 now = m_clock.elapsed();
            m_longest = qMax(m_longest, now - m_last);
            m_last = now;
        });
        m_clock.start();
        m_timer.start();
    }
    qint64 longest()
    {
        m_longest = qMax(m_longest, m_clock.elapsed() - m_last);
        return m_longest;
    }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_longest = 0;
};

int runLogView(int lines)
{
    const std::vector<QByteArray> chunks = generateChunks(lines);
    LogPane pane;
    pane.resize(1200, 800);
    pane.show();
    QApplication::processEvents();
    const double before = residentMb();

    LogView *view = pane.view();
    size_t next = 0;
    QEventLoop loop;
    QTimer feeder;
    feeder.setInterval(0);
    // As fast as the view takes them: a chunk per turn while its queue is short.
    QObject::connect(&feeder, &QTimer::timeout, &loop, [&] {
        if (next < chunks.size()) {
            if (view->pendingBytes() < 2 * chunks.front().size())
                view->appendData(chunks[next++]);
        } else if (!view->isLoading()) {
            loop.quit();
        }
    });
    QElapsedTimer clock;
    clock.start();
    StallMeter stalls;
    feeder.start();
    loop.exec();
    const qint64 elapsed = clock.elapsed();
    const qint64 stall = stalls.longest();
    feeder.stop();
    QApplication::processEvents();
    const double memory = residentMb() - before;

    QElapsedTimer searchClock;
    searchClock.start();
    QEventLoop searchLoop;
    QObject::connect(view, &LogView::searchingChanged, &searchLoop, [&](bool searching) {
        if (!searching)
            searchLoop.quit();
    });
    view->setSearchText(QString::fromLatin1(SearchWord));
    if (view->isSearching())
        searchLoop.exec();
    const qint64 searchMs = searchClock.elapsed();
    std::fprintf(stderr, "logview: %lld lines in %lld ms, %lld matches\n",
                 qlonglong(view->store().lineCount()), qlonglong(elapsed),
                 qlonglong(view->matchCount()));

    print("logview_lines_per_s", view->store().lineCount() * 1000.0 / qMax<qint64>(1, elapsed));
    print("logview_max_stall_ms", double(stall));
    print("logview_memory_mb", memory);
    print("logview_search_ms", double(searchMs));
    return 0;
}

int runPlainTextEdit(int lines)
{
    // The peer shows text without escape codes: strip them up front, outside the timing.
    std::vector<QString> chunks;
    std::vector<int> chunkLines;
    for (const QByteArray &chunk : generateChunks(lines)) {
        QString text = AnsiParser::stripped(chunk);
        if (text.endsWith(QLatin1Char('\n')))
            text.chop(1);
        chunkLines.push_back(int(chunk.count('\n')));
        chunks.push_back(std::move(text));
    }
    QPlainTextEdit edit;
    edit.setReadOnly(true);
    edit.setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    edit.setLineWrapMode(QPlainTextEdit::NoWrap);
    edit.resize(1200, 800);
    edit.show();
    QApplication::processEvents();
    const double before = residentMb();

    size_t next = 0;
    qint64 fed = 0;
    QEventLoop loop;
    QTimer feeder;
    feeder.setInterval(0);
    QElapsedTimer clock;
    QObject::connect(&feeder, &QTimer::timeout, &loop, [&] {
        if (next < chunks.size() && clock.elapsed() < PeerCapMs) {
            edit.appendPlainText(chunks[next]);
            fed += chunkLines[next];
            ++next;
        } else {
            loop.quit();
        }
    });
    clock.start();
    StallMeter stalls;
    feeder.start();
    loop.exec();
    QApplication::processEvents(); // the last layout and paint
    const qint64 elapsed = clock.elapsed();
    const qint64 stall = stalls.longest();
    feeder.stop();
    const double memory = residentMb() - before;

    QElapsedTimer searchClock;
    searchClock.start();
    qint64 matches = 0;
    QTextCursor cursor(edit.document());
    while (true) {
        cursor = edit.document()->find(QString::fromLatin1(SearchWord), cursor);
        if (cursor.isNull())
            break;
        ++matches;
    }
    const qint64 searchMs = searchClock.elapsed();
    std::fprintf(stderr, "plaintextedit: %lld lines in %lld ms, %lld matches\n", qlonglong(fed),
                 qlonglong(elapsed), qlonglong(matches));

    print("plaintextedit_lines_per_s", fed * 1000.0 / qMax<qint64>(1, elapsed));
    print("plaintextedit_max_stall_ms", double(stall));
    print("plaintextedit_memory_mb", memory);
    print("plaintextedit_search_ms", double(searchMs));
    print("plaintextedit_lines_fed", double(fed));
    return 0;
}

double median(std::vector<double> values)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Runs this program once per measurement and collects its "name: value" lines.
bool collect(const QString &mode, int lines, QMap<QString, std::vector<double>> &figures)
{
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(),
                {QStringLiteral("--run"), mode, QStringLiteral("--lines"), QString::number(lines)});
    if (!child.waitForFinished(-1) || child.exitCode() != 0) {
        std::fprintf(stderr, "the %s run failed: %s\n", qPrintable(mode),
                     qPrintable(child.errorString()));
        return false;
    }
    for (const QByteArray &line : child.readAllStandardOutput().split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            figures[QString::fromLatin1(line.left(colon))].push_back(
                line.mid(colon + 1).toDouble());
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QStringList arguments = QCoreApplication::arguments();
    int lines = 1000000;
    if (const qsizetype at = arguments.indexOf(QStringLiteral("--lines"));
        at > 0 && at + 1 < arguments.size())
        lines = qMax(1, arguments.at(at + 1).toInt());
    if (const qsizetype at = arguments.indexOf(QStringLiteral("--run"));
        at > 0 && at + 1 < arguments.size()) {
        const QString mode = arguments.at(at + 1);
        if (mode == QLatin1String("logview"))
            return runLogView(lines);
        if (mode == QLatin1String("plaintextedit"))
            return runPlainTextEdit(lines);
        std::fprintf(stderr, "unknown run '%s': use logview or plaintextedit\n", qPrintable(mode));
        return 2;
    }

    QMap<QString, std::vector<double>> figures;
    for (int run = 0; run < Runs; ++run) {
        if (!collect(QStringLiteral("logview"), lines, figures) ||
            !collect(QStringLiteral("plaintextedit"), lines, figures))
            return 1;
    }
    for (const char *name :
         {"logview_lines_per_s", "logview_max_stall_ms", "logview_memory_mb", "logview_search_ms",
          "plaintextedit_lines_per_s", "plaintextedit_max_stall_ms", "plaintextedit_memory_mb",
          "plaintextedit_search_ms", "plaintextedit_lines_fed"})
        print(name, median(figures.value(QString::fromLatin1(name))));
    for (const char *figure : {"lines_per_s", "max_stall_ms", "memory_mb", "search_ms"}) {
        const double ours =
            median(figures.value(QStringLiteral("logview_") + QLatin1String(figure)));
        const double peer =
            median(figures.value(QStringLiteral("plaintextedit_") + QLatin1String(figure)));
        const QByteArray name = "logview_vs_plaintextedit_" + QByteArray(figure) + "_ratio";
        std::printf("%s: %.3g\n", name.constData(), peer > 0 ? ours / peer : 0.0);
    }
    return 0;
}
