#include "rollout/RolloutView.h"

#include <QAccessible>
#include <QFontDatabase>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QPainter>
#include <QPainterPath>
#include <QRegularExpression>
#include <QToolTip>

namespace Slipway {

namespace {

using StepKind = RolloutState::StepKind;
using StepState = RolloutState::StepState;

constexpr int ShownFailureLines = 8;
constexpr int TooltipLines = 6;
const QString OldPrefix = QStringLiteral("old:");

QFont scaled(const QFont &font, qreal factor)
{
    QFont result(font);
    if (font.pointSizeF() > 0)
        result.setPointSizeF(font.pointSizeF() * factor);
    else
        result.setPixelSize(qMax(1, qRound(font.pixelSize() * factor)));
    return result;
}

QFont bold(const QFont &font)
{
    QFont result(font);
    result.setBold(true);
    return result;
}

QFont monospace(const QFont &font)
{
    QFont result = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    if (font.pointSizeF() > 0)
        result.setPointSizeF(font.pointSizeF() * 0.9);
    else
        result.setPixelSize(qMax(1, qRound(font.pixelSize() * 0.9)));
    return result;
}

QColor mix(const QColor &from, const QColor &to, qreal amount)
{
    return QColor::fromRgbF(float(from.redF() + (to.redF() - from.redF()) * amount),
                            float(from.greenF() + (to.greenF() - from.greenF()) * amount),
                            float(from.blueF() + (to.blueF() - from.blueF()) * amount));
}

// The few colours the view paints with, all derived from the palette and StatusStyle so a
// light and a dark theme both read well.
struct Colors
{
    explicit Colors(const QPalette &palette)
        : window(palette.color(QPalette::Window))
        , base(palette.color(QPalette::Base))
        , text(palette.color(QPalette::WindowText))
        , muted(mix(text, window, 0.42))
        , border(mix(window, text, 0.22))
        , card(mix(window, base, 0.6))
        , focus(palette.color(QPalette::Highlight))
        , m_palette(palette)
    {}

    QColor family(StatusFamily family) const { return StatusStyle::color(family, m_palette); }
    QColor tint(StatusFamily family, qreal amount = 0.12) const
    {
        return mix(card, this->family(family), amount);
    }

    QColor window, base, text, muted, border, card, focus;

private:
    QPalette m_palette;
};

StatusFamily stepFamily(StepState state, const QString &failureStatus)
{
    switch (state) {
    case StepState::Done:
        return StatusFamily::Good;
    case StepState::Running:
        return StatusFamily::Active;
    case StepState::Failed:
        return StatusStyle::family(failureStatus);
    default:
        return StatusFamily::Waiting;
    }
}

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

QString linesHtml(const QStringList &lines, int count)
{
    if (lines.isEmpty())
        return QStringLiteral("<p><i>No output from it in the deployment log.</i></p>");
    QStringList shown = lines.mid(qMax(0, int(lines.size()) - count));
    for (QString &line : shown)
        line = escaped(line);
    return QStringLiteral("<pre>") + shown.join(u'\n') + QStringLiteral("</pre>");
}

QString stepNumber(StepKind kind)
{
    switch (kind) {
    case StepKind::Start:
        return QStringLiteral("1");
    case StepKind::WaitReady:
        return QStringLiteral("2");
    case StepKind::Postdeploy:
        return QStringLiteral("3");
    case StepKind::Route:
        return QStringLiteral("4");
    default:
        return QString();
    }
}

// The first of `candidates`, longest first, that fits `width`; else the last one elided.
QString fitting(const QStringList &candidates, const QFontMetrics &metrics, int width)
{
    for (const QString &candidate : candidates) {
        if (metrics.horizontalAdvance(candidate) <= width)
            return candidate;
    }
    return metrics.elidedText(candidates.last(), Qt::ElideRight, width);
}

// The step title that fits: the full one, else a short one, numbered while there is room.
QString stepTitle(const RolloutState::Step &step, const QFontMetrics &metrics, int width)
{
    const QString number = stepNumber(step.kind);
    static const QHash<QString, QString> shortTitles = {
        {QStringLiteral("build"), QStringLiteral("Build")},
        {QStringLiteral("start"), QStringLiteral("Start")},
        {QStringLiteral("wait-ready"), QStringLiteral("Wait ready")},
        {QStringLiteral("postdeploy"), QStringLiteral("Postdeploy")},
        {QStringLiteral("route"), QStringLiteral("Route")},
        {QStringLiteral("stop-old"), QStringLiteral("Stop old")},
    };
    const QString shortTitle = shortTitles.value(step.key, step.title);
    if (number.isEmpty())
        return fitting({step.title, shortTitle}, metrics, width);
    const QString prefix = number + QStringLiteral(". ");
    return fitting({prefix + step.title, prefix + shortTitle, shortTitle}, metrics, width);
}

// "2 of 12 ready" -> "2/12 ready"; "building · Node.js" -> "building".
QString stepDetail(const QString &detail, const QFontMetrics &metrics, int width)
{
    static const QRegularExpression counts(QStringLiteral("(\\d+) of (\\d+)"));
    QString compact = detail;
    compact.replace(counts, QStringLiteral("\\1/\\2"));
    const QString first = compact.section(QStringLiteral(" · "), 0, 0);
    return fitting({detail, compact, first, first.section(u' ', 0, 0)}, metrics, width);
}

// The state line of a step, longest first: "done in 1.4 s", "done · 1.4 s", "1.4 s".
QStringList stepStateLines(const RolloutState::Step &step, const QString &failureStatus = {})
{
    // A cancelled step was not a failure of the app: it says "aborted".
    const QString word =
        step.state == StepState::Failed && failureStatus == QLatin1String("aborted")
            ? failureStatus
            : RolloutState::stepStateName(step.state);
    const QString took = RolloutState::duration(step.durationMs);
    if (step.durationMs < 0)
        return {step.state == StepState::Running ? QStringLiteral("now") : word};
    switch (step.state) {
    case StepState::Done:
        return {QStringLiteral("done in %1").arg(took), QStringLiteral("done · %1").arg(took),
                took};
    case StepState::Running:
        return {QStringLiteral("now · %1").arg(took), took};
    case StepState::Failed:
        return {QStringLiteral("%1 after %2").arg(word, took),
                QStringLiteral("%1 · %2").arg(word, took), word};
    default:
        return {word};
    }
}

QString stepStateLine(const RolloutState::Step &step, const QString &failureStatus = {})
{
    return stepStateLines(step, failureStatus).first();
}

QString tileStateLine(const RolloutState::Tile &tile)
{
    if (tile.state == QLatin1String("probing"))
        return QStringLiteral("probing · %1 probe%2")
            .arg(tile.probes)
            .arg(tile.probes == 1 ? QString() : QStringLiteral("s"));
    if ((tile.state == QLatin1String("ready") || tile.state == QLatin1String("serving")) &&
        tile.timeToReadyMs >= 0)
        return QStringLiteral("%1 · ready in %2")
            .arg(tile.state, RolloutState::duration(tile.timeToReadyMs));
    if (tile.state == QLatin1String("stopping") && tile.grace.known)
        return QStringLiteral("stopping · %1 left")
            .arg(RolloutState::remaining(tile.grace.remainingMs));
    return tile.state;
}

QString tileDetailLine(const RolloutState::Tile &tile, qint64 now)
{
    if (!tile.outcome.isEmpty() &&
        (tile.state == QLatin1String("crashed") || tile.state == QLatin1String("timed out")))
        return tile.outcome;
    if (tile.state == QLatin1String("stopped"))
        return tile.stop;
    if (tile.state == QLatin1String("stopping"))
        return QStringLiteral("SIGTERM sent");
    if (tile.state == QLatin1String("probing") || tile.state == QLatin1String("starting")) {
        if (tile.startedMs >= 0)
            return QStringLiteral("started %1 ago%2")
                .arg(RolloutState::duration(qMax<qint64>(0, now - tile.startedMs)),
                     tile.pid > 0 ? QStringLiteral(" · pid %1").arg(tile.pid) : QString());
        return QStringLiteral("launching");
    }
    if (tile.state == QLatin1String("ready") || tile.state == QLatin1String("serving"))
        return QStringLiteral("accepted after %1 probe%2")
            .arg(tile.probes)
            .arg(tile.probes == 1 ? QString() : QStringLiteral("s"));
    if (tile.state == QLatin1String("running"))
        return QStringLiteral("%1: not probed").arg(tile.type);
    return tile.outcome;
}

} // namespace

RolloutView::RolloutView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("rolloutView"));
    setAccessibleName(tr("Rollout"));
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(false);
    QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
    relayout();
}

void RolloutView::setState(const RolloutState &state)
{
    const QString current = currentItem();
    const int heightBefore = m_layout.height;
    m_state = state;
    const QStringList names = itemNames();
    m_current = current.isEmpty() ? (names.isEmpty() ? -1 : qMin(m_current, int(names.size()) - 1))
                                  : int(names.indexOf(current));
    if (m_current < 0 && hasFocus() && !names.isEmpty())
        m_current = 0;
    relayout();
    // New tiles, a failure panel or the hook's output change the height the view needs.
    if (m_layout.height != heightBefore)
        updateGeometry();
    updateAccessibleText();
    update();
}

QStringList RolloutView::itemNames() const
{
    QStringList names;
    for (const RolloutState::Tile &tile : m_state.tiles)
        names.append(tile.name);
    if (m_state.hook.startedMs >= 0)
        names.append(QStringLiteral("postdeploy-1"));
    return names;
}

QString RolloutView::currentItem() const
{
    const QStringList names = itemNames();
    return m_current >= 0 && m_current < names.size() ? names.at(m_current) : QString();
}

void RolloutView::setCurrentItem(const QString &name)
{
    setCurrentIndex(int(itemNames().indexOf(name)));
}

void RolloutView::setCurrentIndex(int index)
{
    const int count = int(itemNames().size());
    if (count == 0)
        index = -1;
    else
        index = qBound(0, index, count - 1);
    if (index == m_current)
        return;
    m_current = index;
    updateAccessibleText();
    update();
    Q_EMIT currentItemChanged(currentItem());
}

QRect RolloutView::itemRect(const QString &name) const
{
    if (name.startsWith(OldPrefix)) {
        const QString old = name.mid(OldPrefix.size());
        for (int i = 0; i < m_state.oldContainers.size() && i < m_layout.old.size(); ++i) {
            if (m_state.oldContainers.at(i).name == old)
                return m_layout.old.at(i);
        }
        return {};
    }
    return itemRectAt(int(itemNames().indexOf(name)));
}

QRect RolloutView::itemRectAt(int index) const
{
    if (index < 0)
        return {};
    if (index < m_layout.tiles.size())
        return m_layout.tiles.at(index);
    if (index == m_state.tiles.size() && m_state.hook.startedMs >= 0)
        return m_layout.hook;
    return {};
}

int RolloutView::itemAt(const QPoint &position) const
{
    const int count = int(itemNames().size());
    for (int i = 0; i < count; ++i) {
        if (itemRectAt(i).contains(position))
            return i;
    }
    return -1;
}

// ---- layout --------------------------------------------------------------------------

int RolloutView::heightForWidth(int width) const
{
    return computeLayout(width).height;
}

QSize RolloutView::sizeHint() const
{
    const int width = qMax(900, m_layout.width);
    return {width, computeLayout(width).height};
}

QSize RolloutView::minimumSizeHint() const
{
    // The height follows the width (heightForWidth); a fixed minimum here would make a
    // scroll area keep the height of the narrowest layout.
    return {560, fontMetrics().lineSpacing() * 8};
}

void RolloutView::relayout()
{
    m_layout = computeLayout(width());
}

int RolloutView::failureHeight(int width) const
{
    const QFontMetrics metrics(font());
    const QFontMetrics boldMetrics(bold(font()));
    const QFontMetrics mono(monospace(font()));
    const int pad = qMax(6, metrics.lineSpacing() / 2);
    const int inner = width - 2 * pad;
    const bool sideBySide = inner >= 700 && !m_state.failure.lastLines.isEmpty();
    const int textWidth = sideBySide ? inner * 9 / 20 : inner;
    const int reason =
        metrics
            .boundingRect(QRect(0, 0, textWidth, 10000), Qt::TextWordWrap, m_state.failure.reason)
            .height();
    const int text = boldMetrics.lineSpacing() + reason + metrics.lineSpacing() * 2;
    const int lines =
        m_state.failure.lastLines.isEmpty()
            ? 0
            : metrics.lineSpacing() +
                  int(qMin<qsizetype>(ShownFailureLines, m_state.failure.lastLines.size())) *
                      mono.lineSpacing() +
                  pad;
    return 2 * pad + (sideBySide ? qMax(text, lines) : text + lines);
}

RolloutView::Layout RolloutView::computeLayout(int width) const
{
    Layout layout;
    layout.width = width;
    const QFontMetrics metrics(font());
    const QFontMetrics boldMetrics(bold(font()));
    const QFontMetrics small(scaled(font(), 0.9));
    const QFontMetrics mono(monospace(font()));
    const int line = metrics.lineSpacing();
    const int margin = line;
    const int gap = qMax(6, line / 2);
    const int pad = qMax(6, line / 2);
    const int inner = qMax(200, width - 2 * margin);
    int y = margin;

    // The strip: build, then the four steps, then the old containers' retirement.
    const int stepHeight = 2 * pad + boldMetrics.lineSpacing() + 2 * line;
    const int stepCount = int(m_state.steps.size());
    const int stepGap = 3;
    for (int i = 0; i < stepCount; ++i) {
        const int left = margin + (inner + stepGap) * i / stepCount;
        const int right = margin + (inner + stepGap) * (i + 1) / stepCount - stepGap;
        layout.steps.append(QRect(left, y, right - left, stepHeight));
    }
    y += stepHeight + gap + 4; // room for the marker under the current step

    if (m_state.failure.failed) {
        layout.failure = QRect(margin, y, inner, failureHeight(inner));
        y = layout.failure.bottom() + 1 + gap * 2;
    } else {
        y += gap;
    }

    // New containers.
    const int headerHeight = qMax(line * 2 + 4, boldMetrics.lineSpacing() + small.lineSpacing());
    layout.tilesHeader = QRect(margin, y, inner, headerHeight);
    y += headerHeight + gap / 2;
    // Wide enough for its longest state line, "serving · ready in 999 ms", in bold.
    const int tileMinimum =
        qMax(160, boldMetrics.horizontalAdvance(QStringLiteral("serving · ready in 999 ms")) +
                      2 * pad + 12);
    layout.columns = qMax(1, (inner + gap) / (tileMinimum + gap));
    const int tileWidth = (inner - (layout.columns - 1) * gap) / layout.columns;
    const int tileHeight =
        2 * pad + boldMetrics.lineSpacing() + line + small.lineSpacing() + mono.lineSpacing() + 2;
    if (m_state.tiles.isEmpty()) {
        layout.tilesEmpty = QRect(margin, y, inner, line * 2);
        y += line * 2 + gap;
    } else {
        for (int i = 0; i < m_state.tiles.size(); ++i) {
            const int row = i / layout.columns;
            const int column = i % layout.columns;
            layout.tiles.append(QRect(margin + column * (tileWidth + gap),
                                      y + row * (tileHeight + gap), tileWidth, tileHeight));
        }
        const int rows = int((m_state.tiles.size() + layout.columns - 1) / layout.columns);
        y += rows * (tileHeight + gap);
    }
    y += gap;

    // Postdeploy hook and traffic, side by side when there is room.
    // The hook's box holds its last output lines once it ran.
    const int hookHeight = 2 * pad + boldMetrics.lineSpacing() + line +
                           (m_state.hook.startedMs >= 0 ? 2 * mono.lineSpacing() : 0);
    const int trafficHeight =
        2 * pad + boldMetrics.lineSpacing() + boldMetrics.lineSpacing() + pad + small.lineSpacing();
    if (inner >= 1000) {
        const int half = (inner - gap) / 2;
        const int height = qMax(hookHeight, trafficHeight);
        layout.hook = QRect(margin, y, half, height);
        layout.traffic = QRect(margin + half + gap, y, inner - half - gap, height);
        y += height + gap * 2;
    } else {
        layout.hook = QRect(margin, y, inner, hookHeight);
        y += hookHeight + gap;
        layout.traffic = QRect(margin, y, inner, trafficHeight);
        y += trafficHeight + gap * 2;
    }

    // Old containers.
    layout.oldHeader = QRect(margin, y, inner, boldMetrics.lineSpacing() + pad);
    y += layout.oldHeader.height();
    if (m_state.oldContainers.isEmpty()) {
        layout.oldEmpty = QRect(margin, y, inner, line * 2);
        y += line * 2;
    } else {
        const int oldHeight =
            2 * pad + boldMetrics.lineSpacing() + line + 2 * small.lineSpacing() + 6;
        for (int i = 0; i < m_state.oldContainers.size(); ++i) {
            const int row = i / layout.columns;
            const int column = i % layout.columns;
            layout.old.append(QRect(margin + column * (tileWidth + gap),
                                    y + row * (oldHeight + gap), tileWidth, oldHeight));
        }
        const int rows = int((m_state.oldContainers.size() + layout.columns - 1) / layout.columns);
        y += rows * (oldHeight + gap) - gap;
    }
    layout.height = y + margin;
    return layout;
}

// ---- painting ------------------------------------------------------------------------

void RolloutView::paintEvent(QPaintEvent *event)
{
    Q_UNUSED(event)
    if (m_layout.width != width())
        relayout();
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setRenderHint(QPainter::TextAntialiasing);
    painter.fillRect(rect(), palette().color(QPalette::Window));
    paintSteps(painter);
    if (m_state.failure.failed)
        paintFailure(painter);
    paintTiles(painter);
    paintHook(painter);
    paintTraffic(painter);
    paintOld(painter);
}

void RolloutView::paintSteps(QPainter &painter) const
{
    const Colors colors(palette());
    const QFont boldFont = bold(font());
    const QFontMetrics metrics(font());
    const QFontMetrics boldMetrics(boldFont);
    const int pad = qMax(6, metrics.lineSpacing() / 2);
    // Narrow steps (a 700 px window) write a little smaller rather than cut words; all of
    // them alike, judged by a middle one (the first and last have no notch to spare).
    const bool narrow =
        !m_layout.steps.isEmpty() && m_layout.steps.first().width() - 2 * pad - 18 < 110;
    for (int i = 0; i < m_state.steps.size() && i < m_layout.steps.size(); ++i) {
        const RolloutState::Step &step = m_state.steps.at(i);
        const QRectF box = QRectF(m_layout.steps.at(i)).adjusted(0.5, 0.5, -0.5, -0.5);
        const qreal notch = qMin<qreal>(box.height() / 4.0, 12.0);
        const bool first = i == 0;
        const bool last = i == m_state.steps.size() - 1;
        // A chevron: each step points to the next; the first and last have a flat side.
        QPolygonF shape;
        shape << box.topLeft() << QPointF(box.right() - (last ? 0 : notch), box.top());
        if (!last)
            shape << QPointF(box.right(), box.center().y());
        shape << QPointF(box.right() - (last ? 0 : notch), box.bottom()) << box.bottomLeft();
        if (!first)
            shape << QPointF(box.left() + notch, box.center().y());
        const StatusFamily family = stepFamily(step.state, m_state.failure.status);
        const QColor accent = colors.family(family);
        const bool current = i == m_state.currentStep;
        QColor fill = colors.card;
        QPen pen(colors.border, 1);
        switch (step.state) {
        case StepState::Done:
            fill = colors.tint(StatusFamily::Good, 0.12);
            pen = QPen(mix(colors.border, accent, 0.5), 1);
            break;
        case StepState::Running:
            fill = colors.tint(StatusFamily::Active, 0.22);
            pen = QPen(accent, 2);
            break;
        case StepState::Failed:
            fill = colors.tint(family, 0.2);
            pen = QPen(accent, 2);
            break;
        case StepState::Skipped:
            pen = QPen(colors.border, 1, Qt::DashLine);
            break;
        case StepState::NotRun:
            fill = colors.window;
            pen = QPen(colors.border, 1, Qt::DotLine);
            break;
        case StepState::Pending:
            break;
        }
        painter.setPen(pen);
        painter.setBrush(fill);
        painter.drawPolygon(shape);

        const int left = int(box.left()) + pad + (first ? 0 : int(notch));
        const int right = int(box.right()) - pad - (last ? 0 : int(notch) / 2);
        const int textWidth = qMax(10, right - left);
        const QFont plain = narrow ? scaled(font(), 0.9) : font();
        const QFont strong = bold(plain);
        const QFontMetrics plainMetrics(plain);
        const QFontMetrics strongMetrics(strong);
        int y = int(box.top()) + pad;
        const bool quiet = step.state == StepState::Pending || step.state == StepState::Skipped ||
                           step.state == StepState::NotRun;
        painter.setFont(strong);
        painter.setPen(quiet ? colors.muted : colors.text);
        painter.drawText(QRect(left, y, textWidth, boldMetrics.lineSpacing()),
                         Qt::AlignLeft | Qt::AlignVCenter,
                         stepTitle(step, strongMetrics, textWidth));
        y += boldMetrics.lineSpacing();
        painter.setFont(plain);
        painter.setPen(colors.muted);
        painter.drawText(QRect(left, y, textWidth, metrics.lineSpacing()),
                         Qt::AlignLeft | Qt::AlignVCenter,
                         stepDetail(step.detail, plainMetrics, textWidth));
        y += metrics.lineSpacing();
        painter.setFont(current ? strong : plain);
        painter.setPen(quiet ? colors.muted : accent);
        painter.drawText(QRect(left, y, textWidth, metrics.lineSpacing()),
                         Qt::AlignLeft | Qt::AlignVCenter,
                         fitting(stepStateLines(step, m_state.failure.status),
                                 QFontMetrics(painter.font()), textWidth));
        if (current) {
            // A bar under the step that runs (or failed) now.
            painter.setPen(Qt::NoPen);
            painter.setBrush(accent);
            painter.drawRoundedRect(QRectF(box.left() + (first ? 0 : notch), box.bottom() + 3,
                                           box.width() - notch * (first ? 1 : 2), 3),
                                    1.5, 1.5);
        }
    }
}

void RolloutView::paintFailure(QPainter &painter) const
{
    const Colors colors(palette());
    const RolloutState::Failure &failure = m_state.failure;
    const QRect box = m_layout.failure;
    const QFont boldFont = bold(font());
    const QFontMetrics metrics(font());
    const QFontMetrics boldMetrics(boldFont);
    const QFont monoFont = monospace(font());
    const QFontMetrics mono(monoFont);
    const int pad = qMax(6, metrics.lineSpacing() / 2);
    const QColor accent = colors.family(StatusStyle::family(failure.status));

    painter.setPen(QPen(accent, 1.5));
    painter.setBrush(colors.tint(StatusStyle::family(failure.status), 0.1));
    painter.drawRoundedRect(QRectF(box).adjusted(0.75, 0.75, -0.75, -0.75), 6, 6);
    painter.setPen(Qt::NoPen);
    painter.setBrush(accent);
    painter.drawRoundedRect(QRectF(box.left(), box.top(), 5, box.height()), 2.5, 2.5);

    const QRect inner = box.adjusted(pad + 4, pad, -pad, -pad);
    const bool sideBySide = inner.width() >= 700 - 4 && !failure.lastLines.isEmpty();
    const int textWidth = sideBySide ? inner.width() * 9 / 20 : inner.width();
    int y = inner.top();
    QString where;
    if (failure.stepIndex >= 0) {
        const RolloutState::Step &step = m_state.steps.at(failure.stepIndex);
        where = step.kind == StepKind::Build
                    ? tr(" during the build")
                    : tr(" at step %1, %2").arg(stepNumber(step.kind), step.title.toLower());
    }
    painter.setFont(boldFont);
    painter.setPen(accent);
    painter.drawText(QRect(inner.left(), y, textWidth, boldMetrics.lineSpacing()),
                     Qt::AlignLeft | Qt::AlignVCenter,
                     boldMetrics.elidedText(QStringLiteral("✖ %1%2").arg(failure.status, where),
                                            Qt::ElideRight, textWidth));
    y += boldMetrics.lineSpacing();
    painter.setFont(font());
    painter.setPen(colors.text);
    const QRect reason = metrics.boundingRect(QRect(inner.left(), y, textWidth, 10000),
                                              Qt::TextWordWrap, failure.reason);
    painter.drawText(QRect(inner.left(), y, textWidth, reason.height()), Qt::TextWordWrap,
                     failure.reason);
    y += reason.height() + metrics.lineSpacing() / 2;
    const QColor good = colors.family(StatusFamily::Good);
    painter.setPen(m_state.previousRelease ? good : colors.muted);
    const QString serving =
        m_state.previousRelease
            ? tr("Release v%1 keeps serving: the router never left it.")
                  .arg(*m_state.previousRelease)
            : tr("No release served the app before: the router answers 503 until one succeeds.");
    painter.drawText(QRect(inner.left(), y, textWidth, metrics.lineSpacing() * 2), Qt::TextWordWrap,
                     serving);

    if (failure.lastLines.isEmpty())
        return;
    QRect lines;
    if (sideBySide) {
        lines = QRect(inner.left() + textWidth + pad * 2, inner.top(),
                      inner.width() - textWidth - pad * 2, inner.height());
    } else {
        const int height =
            metrics.lineSpacing() + pad +
            int(qMin<qsizetype>(ShownFailureLines, failure.lastLines.size())) * mono.lineSpacing();
        lines = QRect(inner.left(), inner.bottom() + 1 - height, inner.width(), height);
    }
    painter.setPen(colors.muted);
    painter.setFont(font());
    painter.drawText(QRect(lines.left(), lines.top(), lines.width(), metrics.lineSpacing()),
                     Qt::AlignLeft | Qt::AlignVCenter,
                     tr("Last lines of %1").arg(failure.container));
    const QRect console = lines.adjusted(0, metrics.lineSpacing(), 0, 0);
    painter.setPen(QPen(colors.border, 1));
    painter.setBrush(colors.base);
    painter.drawRoundedRect(QRectF(console).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4);
    painter.setFont(monoFont);
    painter.setPen(colors.text);
    const QStringList shown =
        failure.lastLines.mid(qMax(0, int(failure.lastLines.size()) - ShownFailureLines));
    int lineY = console.top() + pad / 2;
    for (const QString &text : shown) {
        painter.drawText(
            QRect(console.left() + pad, lineY, console.width() - 2 * pad, mono.lineSpacing()),
            Qt::AlignLeft | Qt::AlignVCenter,
            mono.elidedText(text, Qt::ElideRight, console.width() - 2 * pad));
        lineY += mono.lineSpacing();
    }
}

void RolloutView::paintRing(QPainter &painter, const QRect &rect,
                            const RolloutState::Countdown &countdown, const QColor &color) const
{
    const Colors colors(palette());
    const qreal thickness = qMax<qreal>(3.0, rect.width() / 7.0);
    const QRectF ring =
        QRectF(rect).adjusted(thickness / 2, thickness / 2, -thickness / 2, -thickness / 2);
    painter.setBrush(Qt::NoBrush);
    painter.setPen(
        QPen(mix(colors.window, colors.text, 0.15), thickness, Qt::SolidLine, Qt::FlatCap));
    painter.drawEllipse(ring);
    if (!countdown.running) {
        // Over: a whole ring in the colour of how it ended; the words say the numbers.
        painter.setPen(QPen(color, thickness, Qt::SolidLine, Qt::FlatCap));
        painter.drawEllipse(ring);
        return;
    }
    if (countdown.totalMs <= 0 || countdown.remainingMs <= 0)
        return;
    const qreal fraction =
        qBound<qreal>(0.0, qreal(countdown.remainingMs) / countdown.totalMs, 1.0);
    painter.setPen(QPen(color, thickness, Qt::SolidLine, Qt::FlatCap));
    painter.drawArc(ring, 90 * 16, -int(fraction * 360 * 16));
}

void RolloutView::paintTiles(QPainter &painter) const
{
    const Colors colors(palette());
    const QFont boldFont = bold(font());
    const QFontMetrics metrics(font());
    const QFontMetrics boldMetrics(boldFont);
    const QFont smallFont = scaled(font(), 0.9);
    const QFontMetrics small(smallFont);
    const QRect header = m_layout.tilesHeader;

    // Header: what these containers are, and the boot timeout running down.
    painter.setFont(boldFont);
    painter.setPen(colors.text);
    const QString title = m_state.release > 0
                              ? tr("New containers · release v%1").arg(m_state.release)
                              : tr("New containers");
    painter.drawText(
        QRect(header.left(), header.top(), header.width() / 2, boldMetrics.lineSpacing()),
        Qt::AlignLeft | Qt::AlignVCenter, title);
    painter.setFont(smallFont);
    painter.setPen(colors.muted);
    QString subtitle;
    if (!m_state.tiles.isEmpty()) {
        int probed = 0;
        for (const RolloutState::Tile &tile : m_state.tiles)
            probed += tile.probed ? 1 : 0;
        subtitle =
            m_state.probeIntervalMs > 0
                ? tr("%1 container(s); web and tcp ones are probed with a TCP connect every %2")
                      .arg(m_state.tiles.size())
                      .arg(RolloutState::duration(m_state.probeIntervalMs))
                : tr("%1 container(s), %2 probed until they accept connections")
                      .arg(m_state.tiles.size())
                      .arg(probed);
    }
    painter.drawText(QRect(header.left(), header.top() + boldMetrics.lineSpacing(),
                           header.width() * 3 / 5, small.lineSpacing()),
                     Qt::AlignLeft | Qt::AlignVCenter,
                     small.elidedText(subtitle, Qt::ElideRight, header.width() * 3 / 5));

    const RolloutState::Countdown &boot = m_state.bootTimeout;
    if (boot.known) {
        const bool failedHere =
            m_state.failure.failed && m_state.failure.status == QLatin1String("timeout-error");
        // Ended early by a crash or a cancel: not "ready", merely stopped.
        const bool cutShort =
            !failedHere && m_state.step(StepKind::WaitReady).state == StepState::Failed;
        // The last sixth of the boot timeout (at least 5 s) turns amber: about to fail.
        const bool late = boot.running && boot.remainingMs <= qMax<qint64>(5000, boot.totalMs / 6);
        const QColor color = failedHere || cutShort
                                 ? colors.family(StatusStyle::family(m_state.failure.status))
                             : late         ? colors.family(StatusFamily::Ended)
                             : boot.running ? colors.family(StatusFamily::Active)
                                            : colors.family(StatusFamily::Good);
        const int size = header.height() - 4;
        QString big;
        QString note;
        if (boot.running) {
            big = tr("%1 left").arg(RolloutState::remaining(boot.remainingMs));
            note = tr("of the %1 boot timeout").arg(RolloutState::duration(boot.totalMs));
        } else if (failedHere) {
            big = tr("boot timeout reached");
            note = tr("%1 ran out").arg(RolloutState::duration(boot.totalMs));
        } else if (cutShort) {
            big =
                tr("stopped after %1").arg(RolloutState::duration(boot.totalMs - boot.remainingMs));
            note = tr("of the %1 boot timeout").arg(RolloutState::duration(boot.totalMs));
        } else {
            const qint64 used = boot.totalMs - boot.remainingMs;
            big = tr("ready in %1").arg(RolloutState::duration(used));
            note = tr("of the %1 boot timeout").arg(RolloutState::duration(boot.totalMs));
        }
        const int textWidth =
            qMax(boldMetrics.horizontalAdvance(big), small.horizontalAdvance(note));
        const QRect textRect(header.right() - textWidth, header.top() + 2, textWidth, size);
        const QRect ringRect(textRect.left() - size - 8, header.top() + 2, size, size);
        paintRing(painter, ringRect, boot, color);
        painter.setFont(boldFont);
        painter.setPen(color);
        painter.drawText(
            QRect(textRect.left(), textRect.top(), textWidth, boldMetrics.lineSpacing()),
            Qt::AlignRight | Qt::AlignVCenter, big);
        painter.setFont(smallFont);
        painter.setPen(colors.muted);
        painter.drawText(QRect(textRect.left(), textRect.top() + boldMetrics.lineSpacing(),
                               textWidth, small.lineSpacing()),
                         Qt::AlignRight | Qt::AlignVCenter, note);
    }

    if (m_state.tiles.isEmpty()) {
        painter.setFont(font());
        painter.setPen(colors.muted);
        QString empty;
        if (m_state.step(StepKind::Start).state == StepState::Pending ||
            m_state.step(StepKind::Start).state == StepState::NotRun)
            empty =
                m_state.step(StepKind::Build).state == StepState::Failed
                    ? tr("No container was started: the deployment ended before its rollout.")
                    : tr("No container yet: the new release starts once it is built and pushed.");
        else
            empty = tr("No container to start: the formation runs none of this release's types.");
        painter.drawText(m_layout.tilesEmpty, Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap,
                         empty);
        return;
    }
    for (int i = 0; i < m_state.tiles.size() && i < m_layout.tiles.size(); ++i)
        paintTile(painter, m_layout.tiles.at(i), m_state.tiles.at(i), i == m_current);
}

void RolloutView::paintTile(QPainter &painter, const QRect &rect, const RolloutState::Tile &tile,
                            bool current) const
{
    const Colors colors(palette());
    const QFont boldFont = bold(font());
    const QFontMetrics metrics(font());
    const QFontMetrics boldMetrics(boldFont);
    const QFont smallFont = scaled(font(), 0.9);
    const QFontMetrics small(smallFont);
    const QFont monoFont = monospace(font());
    const QFontMetrics mono(monoFont);
    const int pad = qMax(6, metrics.lineSpacing() / 2);
    const QColor accent = colors.family(tile.family);

    const QRectF box = QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5);
    painter.setPen(QPen(current && hasFocus() ? colors.focus : mix(colors.border, accent, 0.35),
                        current && hasFocus() ? 2 : 1));
    painter.setBrush(
        colors.tint(tile.family, tile.state == QLatin1String("starting") ? 0.04 : 0.1));
    painter.drawRoundedRect(box, 5, 5);
    // A stripe in the state's colour on the left: the board reads at a glance.
    QPainterPath stripe;
    stripe.addRoundedRect(QRectF(box.left(), box.top(), 5, box.height()), 2.5, 2.5);
    painter.fillPath(stripe, accent);

    const int left = rect.left() + pad + 4;
    const int width = rect.width() - 2 * pad - 4;
    int y = rect.top() + pad;
    painter.setFont(boldFont);
    painter.setPen(colors.text);
    painter.drawText(QRect(left, y, width, boldMetrics.lineSpacing()),
                     Qt::AlignLeft | Qt::AlignVCenter, tile.name);
    QString where = tile.port > 0 ? QStringLiteral(":%1").arg(tile.port) : QString();
    if (!tile.node.isEmpty())
        where = tile.node + QLatin1Char(' ') + where;
    if (!tile.isolated)
        where = tr("not isolated ") + where;
    painter.setFont(smallFont);
    painter.setPen(tile.isolated ? colors.muted : colors.family(StatusFamily::Ended));
    const int nameWidth = boldMetrics.horizontalAdvance(tile.name) + pad;
    painter.drawText(QRect(left + nameWidth, y, width - nameWidth, boldMetrics.lineSpacing()),
                     Qt::AlignRight | Qt::AlignVCenter,
                     small.elidedText(where, Qt::ElideLeft, width - nameWidth));
    y += boldMetrics.lineSpacing();

    painter.setFont(boldFont);
    painter.setPen(accent);
    painter.drawText(QRect(left, y, width, metrics.lineSpacing()), Qt::AlignLeft | Qt::AlignVCenter,
                     boldMetrics.elidedText(tileStateLine(tile), Qt::ElideRight, width));
    y += metrics.lineSpacing();

    painter.setFont(smallFont);
    painter.setPen(colors.muted);
    painter.drawText(
        QRect(left, y, width, small.lineSpacing()), Qt::AlignLeft | Qt::AlignVCenter,
        small.elidedText(tileDetailLine(tile, m_state.offsetMs), Qt::ElideRight, width));
    y += small.lineSpacing();

    painter.setFont(monoFont);
    painter.setPen(tile.lastLines.isEmpty() ? colors.muted : mix(colors.text, colors.window, 0.2));
    const QString lastLine =
        tile.lastLines.isEmpty() ? tr("(no output yet)") : tile.lastLines.last();
    painter.drawText(QRect(left, y, width, mono.lineSpacing()), Qt::AlignLeft | Qt::AlignVCenter,
                     mono.elidedText(lastLine, Qt::ElideRight, width));

    if (tile.grace.known && tile.state == QLatin1String("stopping")) {
        const qreal fraction = qreal(tile.grace.remainingMs) / qMax<qint64>(1, tile.grace.totalMs);
        painter.fillRect(QRectF(box.left() + 6, box.bottom() - 3, (box.width() - 12) * fraction, 2),
                         accent);
    }
}

void RolloutView::paintHook(QPainter &painter) const
{
    const Colors colors(palette());
    const RolloutState::Hook &hook = m_state.hook;
    const QRect box = m_layout.hook;
    const QFont boldFont = bold(font());
    const QFontMetrics metrics(font());
    const QFontMetrics boldMetrics(boldFont);
    const QFont monoFont = monospace(font());
    const QFontMetrics mono(monoFont);
    const int pad = qMax(6, metrics.lineSpacing() / 2);
    const bool skipped = hook.state == QLatin1String("skipped");
    const bool current = m_current >= 0 && m_current == m_state.tiles.size() && hasFocus();
    const QColor accent = colors.family(hook.family);

    painter.setPen(current ? QPen(colors.focus, 2)
                           : QPen(colors.border, 1, skipped ? Qt::DashLine : Qt::SolidLine));
    painter.setBrush(skipped ? colors.window : colors.tint(hook.family, 0.08));
    painter.drawRoundedRect(QRectF(box).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5);

    const QRect inner = box.adjusted(pad, pad, -pad, -pad);
    int y = inner.top();
    painter.setFont(boldFont);
    painter.setPen(colors.text);
    const QString title = tr("Postdeploy hook");
    const int titleWidth = boldMetrics.horizontalAdvance(title);
    painter.drawText(QRect(inner.left(), y, titleWidth, boldMetrics.lineSpacing()),
                     Qt::AlignLeft | Qt::AlignVCenter, title);
    painter.setPen(accent);
    painter.drawText(
        QRect(inner.left() + titleWidth + pad, y, inner.width() / 2, boldMetrics.lineSpacing()),
        Qt::AlignLeft | Qt::AlignVCenter, hook.state);

    // Right side: the time limit running down, or how it ended.
    QString right;
    if (hook.timeLimit.known && hook.state == QLatin1String("running"))
        right = tr("%1 left of its %2 limit")
                    .arg(RolloutState::remaining(hook.timeLimit.remainingMs),
                         RolloutState::duration(hook.timeLimit.totalMs));
    else if (hook.finishedMs >= 0 && hook.startedMs >= 0) {
        const QString took = RolloutState::duration(hook.finishedMs - hook.startedMs);
        if (hook.timedOut)
            right = tr("stopped at its time limit after %1").arg(took);
        else if (hook.exitStatus)
            right = tr("exit status %1 after %2").arg(*hook.exitStatus).arg(took);
        else if (!hook.signal.isEmpty())
            right = tr("killed by %1 after %2").arg(hook.signal, took);
    }
    painter.setFont(font());
    painter.setPen(hook.exitStatus && *hook.exitStatus != 0 ? accent : colors.muted);
    const int rightStart =
        inner.left() + titleWidth + pad + boldMetrics.horizontalAdvance(hook.state) + pad;
    painter.drawText(QRect(rightStart, y, inner.right() - rightStart, boldMetrics.lineSpacing()),
                     Qt::AlignRight | Qt::AlignVCenter,
                     metrics.elidedText(right, Qt::ElideRight, inner.right() - rightStart));
    if (hook.timeLimit.known && hook.state == QLatin1String("running")) {
        const qreal fraction =
            qreal(hook.timeLimit.remainingMs) / qMax<qint64>(1, hook.timeLimit.totalMs);
        painter.fillRect(QRectF(box.left() + 6, box.bottom() - 3, (box.width() - 12) * fraction, 2),
                         accent);
    }
    y += boldMetrics.lineSpacing();

    painter.setFont(font());
    painter.setPen(colors.muted);
    QString what;
    if (skipped)
        what =
            tr("Skipped: the release has no postdeploy process type, or this rollout runs none.");
    else if (!hook.command.isEmpty())
        what = tr("runs once in postdeploy-1: %1").arg(hook.command);
    else if (m_state.step(StepKind::Postdeploy).state == StepState::Pending)
        what = tr("Runs after every web container is ready, when the release has one.");
    else if (m_state.step(StepKind::Postdeploy).state == StepState::NotRun)
        what = tr("Not run: the rollout stopped before it.");
    painter.drawText(QRect(inner.left(), y, inner.width(), metrics.lineSpacing()),
                     Qt::AlignLeft | Qt::AlignVCenter,
                     metrics.elidedText(what, Qt::ElideRight, inner.width()));
    y += metrics.lineSpacing();

    if (hook.startedMs >= 0) {
        painter.setFont(monoFont);
        painter.setPen(mix(colors.text, colors.window, 0.2));
        const QStringList shown = hook.lastLines.mid(qMax(0, int(hook.lastLines.size()) - 2));
        if (shown.isEmpty()) {
            painter.setPen(colors.muted);
            painter.drawText(QRect(inner.left(), y, inner.width(), mono.lineSpacing()),
                             Qt::AlignLeft | Qt::AlignVCenter, tr("(no output yet)"));
        }
        for (const QString &text : shown) {
            painter.drawText(QRect(inner.left(), y, inner.width(), mono.lineSpacing()),
                             Qt::AlignLeft | Qt::AlignVCenter,
                             mono.elidedText(text, Qt::ElideRight, inner.width()));
            y += mono.lineSpacing();
        }
    }
}

void RolloutView::paintTraffic(QPainter &painter) const
{
    const Colors colors(palette());
    const RolloutState::TrafficSwitch &traffic = m_state.traffic;
    const QRect box = m_layout.traffic;
    const QFont boldFont = bold(font());
    const QFontMetrics metrics(font());
    const QFontMetrics boldMetrics(boldFont);
    const QFont smallFont = scaled(font(), 0.9);
    const QFontMetrics small(smallFont);
    const int pad = qMax(6, metrics.lineSpacing() / 2);
    const QColor good = colors.family(StatusFamily::Good);
    const QColor bad = colors.family(StatusStyle::family(m_state.failure.status));

    painter.setPen(QPen(colors.border, 1));
    painter.setBrush(colors.card);
    painter.drawRoundedRect(QRectF(box).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5);
    const QRect inner = box.adjusted(pad, pad, -pad, -pad);
    int y = inner.top();
    painter.setFont(boldFont);
    painter.setPen(colors.text);
    painter.drawText(QRect(inner.left(), y, inner.width(), boldMetrics.lineSpacing()),
                     Qt::AlignLeft | Qt::AlignVCenter, tr("Traffic"));
    painter.setFont(smallFont);
    painter.setPen(colors.muted);
    const QString routing = traffic.happened && !traffic.containers.isEmpty()
                                ? tr("to %1").arg(traffic.containers.join(QStringLiteral(", ")))
                                : tr("the router switches all at once; requests in flight finish");
    const int titleWidth = boldMetrics.horizontalAdvance(tr("Traffic")) + pad;
    painter.drawText(
        QRect(inner.left() + titleWidth, y, inner.width() - titleWidth, boldMetrics.lineSpacing()),
        Qt::AlignRight | Qt::AlignVCenter,
        small.elidedText(routing, Qt::ElideRight, inner.width() - titleWidth));
    y += boldMetrics.lineSpacing() + 2;

    const QString before = traffic.fromRelease ? tr("router → v%1").arg(*traffic.fromRelease)
                                               : tr("router → no release");
    const QString after = traffic.toRelease > 0 ? tr("router → v%1").arg(traffic.toRelease)
                                                : tr("router → new release");
    const int pillHeight = boldMetrics.lineSpacing() + pad - 2;
    const int pillWidth =
        qMax(boldMetrics.horizontalAdvance(before), boldMetrics.horizontalAdvance(after)) + 2 * pad;
    const int arrowWidth = qMax(40, qMin(120, inner.width() - 2 * pillWidth - 2 * pad) / 2);
    const QRect beforeRect(inner.left(), y, pillWidth, pillHeight);
    const QRect afterRect(beforeRect.right() + 1 + arrowWidth, y, pillWidth, pillHeight);
    const bool failedBefore = m_state.failure.failed && !traffic.happened;

    auto pill = [&](const QRect &rect, const QString &text, const QColor &color, bool strong,
                    Qt::PenStyle style) {
        painter.setPen(QPen(color, strong ? 2 : 1, style));
        painter.setBrush(strong ? mix(colors.card, color, 0.15) : colors.card);
        painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), pillHeight / 2.0,
                                pillHeight / 2.0);
        painter.setFont(boldFont);
        painter.setPen(strong ? colors.text : colors.muted);
        painter.drawText(rect, Qt::AlignCenter, text);
    };
    const bool beforeServing = !traffic.happened && traffic.fromRelease;
    pill(beforeRect, before, beforeServing ? good : colors.muted, beforeServing,
         traffic.fromRelease ? Qt::SolidLine : Qt::DashLine);
    pill(afterRect, after,
         traffic.happened ? good
         : failedBefore   ? bad
                          : colors.muted,
         traffic.happened, traffic.happened ? Qt::SolidLine : Qt::DashLine);

    // The arrow between them: the moment of the switch.
    const int arrowY = y + pillHeight / 2;
    const QColor arrowColor = traffic.happened ? good : failedBefore ? bad : colors.border;
    painter.setPen(QPen(arrowColor, 2, traffic.happened ? Qt::SolidLine : Qt::DashLine));
    painter.drawLine(beforeRect.right() + 6, arrowY, afterRect.left() - 8, arrowY);
    QPolygonF head;
    head << QPointF(afterRect.left() - 3, arrowY) << QPointF(afterRect.left() - 10, arrowY - 5)
         << QPointF(afterRect.left() - 10, arrowY + 5);
    painter.setPen(Qt::NoPen);
    painter.setBrush(arrowColor);
    painter.drawPolygon(head);
    if (failedBefore) {
        // A cross on the arrow: the switch never happened.
        const QPointF middle((beforeRect.right() + afterRect.left()) / 2.0, arrowY);
        painter.setPen(QPen(bad, 2));
        painter.drawLine(middle + QPointF(-5, -5), middle + QPointF(5, 5));
        painter.drawLine(middle + QPointF(-5, 5), middle + QPointF(5, -5));
    }

    // Captions under the pills.
    y += pillHeight + pad / 2;
    painter.setFont(smallFont);
    QString beforeCaption;
    QString afterCaption;
    const QString at = traffic.time.isValid()
                           ? traffic.time.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz"))
                           : QString();
    if (traffic.happened) {
        beforeCaption = traffic.fromRelease ? tr("until the switch") : tr("nothing served before");
        afterCaption = at.isEmpty()
                           ? tr("since %1 in").arg(RolloutState::duration(traffic.atMs))
                           : tr("since %1 (%2 in)").arg(at, RolloutState::duration(traffic.atMs));
    } else if (failedBefore) {
        beforeCaption = traffic.fromRelease ? tr("still serving") : tr("nothing served");
        afterCaption = tr("never received traffic");
    } else {
        beforeCaption = traffic.fromRelease ? tr("serving now") : tr("nothing served yet");
        afterCaption = tr("once every step passed");
    }
    painter.setPen(beforeServing || (failedBefore && traffic.fromRelease) ? good : colors.muted);
    const int captionWidth = pillWidth + arrowWidth / 2;
    painter.drawText(QRect(beforeRect.left(), y, captionWidth, small.lineSpacing()),
                     Qt::AlignLeft | Qt::AlignVCenter,
                     small.elidedText(beforeCaption, Qt::ElideRight, captionWidth));
    painter.setPen(traffic.happened ? good : failedBefore ? bad : colors.muted);
    painter.drawText(
        QRect(afterRect.left(), y, inner.right() - afterRect.left(), small.lineSpacing()),
        Qt::AlignLeft | Qt::AlignVCenter,
        small.elidedText(afterCaption, Qt::ElideRight, inner.right() - afterRect.left()));
}

void RolloutView::paintOld(QPainter &painter) const
{
    const Colors colors(palette());
    const QFont boldFont = bold(font());
    const QFontMetrics metrics(font());
    const QFontMetrics boldMetrics(boldFont);
    const QFont smallFont = scaled(font(), 0.9);
    const QFontMetrics small(smallFont);
    const int pad = qMax(6, metrics.lineSpacing() / 2);

    const std::optional<int> previous = m_state.previousRelease;
    painter.setFont(boldFont);
    painter.setPen(colors.text);
    const QString title =
        previous ? tr("Old containers · release v%1").arg(*previous) : tr("Old containers");
    painter.drawText(m_layout.oldHeader, Qt::AlignLeft | Qt::AlignTop, title);
    if (m_state.oldGracePeriodMs > 0) {
        painter.setFont(smallFont);
        painter.setPen(colors.muted);
        painter.drawText(m_layout.oldHeader, Qt::AlignRight | Qt::AlignTop,
                         tr("SIGTERM, then %1 to exit before SIGKILL")
                             .arg(RolloutState::duration(m_state.oldGracePeriodMs)));
    }

    if (m_state.oldContainers.isEmpty()) {
        painter.setFont(font());
        painter.setPen(colors.muted);
        QString empty;
        if (!previous)
            empty = tr("First deployment: no older release to retire.");
        else if (m_state.failure.failed)
            empty = tr("Release v%1 was never touched and keeps serving.").arg(*previous);
        else if (m_state.step(StepKind::StopOld).state == StepState::Pending)
            empty = tr("Release v%1 serves until the switch; then its containers get SIGTERM and "
                       "their grace period.")
                        .arg(*previous);
        else
            empty = tr("Release v%1 had no container to stop.").arg(*previous);
        painter.drawText(m_layout.oldEmpty, Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap,
                         empty);
        return;
    }
    for (int i = 0; i < m_state.oldContainers.size() && i < m_layout.old.size(); ++i) {
        const RolloutState::OldContainer &old = m_state.oldContainers.at(i);
        const QRect rect = m_layout.old.at(i);
        const QColor accent = colors.family(old.family);
        const QRectF box = QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5);
        painter.setPen(QPen(mix(colors.border, accent, 0.3), 1));
        painter.setBrush(colors.tint(old.family, 0.06));
        painter.drawRoundedRect(box, 5, 5);
        QPainterPath stripe;
        stripe.addRoundedRect(QRectF(box.left(), box.top(), 5, box.height()), 2.5, 2.5);
        painter.fillPath(stripe, accent);

        const int left = rect.left() + pad + 4;
        const int width = rect.width() - 2 * pad - 4;
        int y = rect.top() + pad;
        painter.setFont(boldFont);
        painter.setPen(colors.text);
        painter.drawText(QRect(left, y, width, boldMetrics.lineSpacing()),
                         Qt::AlignLeft | Qt::AlignVCenter, old.name);
        painter.setFont(smallFont);
        painter.setPen(colors.muted);
        painter.drawText(QRect(left, y, width, boldMetrics.lineSpacing()),
                         Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("v%1").arg(old.release));
        y += boldMetrics.lineSpacing();

        QString stateLine = old.state;
        if (old.state == QLatin1String("finishing"))
            stateLine = old.inFlight < 0    ? tr("finishing its requests")
                        : old.inFlight == 1 ? tr("finishing 1 request")
                                            : tr("finishing %1 requests").arg(old.inFlight);
        if (old.state == QLatin1String("draining") && old.grace.known)
            stateLine =
                tr("draining · %1 left").arg(RolloutState::remaining(old.grace.remainingMs));
        painter.setFont(boldFont);
        painter.setPen(accent);
        painter.drawText(QRect(left, y, width, metrics.lineSpacing()),
                         Qt::AlignLeft | Qt::AlignVCenter,
                         boldMetrics.elidedText(stateLine, Qt::ElideRight, width));
        y += metrics.lineSpacing();

        // Two short lines rather than one cut sentence; the tooltip has the sentence.
        const QString took = RolloutState::duration(old.stopMs);
        QString what;
        QString how;
        if (old.state == QLatin1String("serving")) {
            what = tr("takes requests");
            how = tr("until the switch");
        } else if (old.state == QLatin1String("finishing")) {
            what = tr("no new requests");
            how = old.drainLimitMs > 0
                      ? tr("SIGTERM within %1").arg(RolloutState::duration(old.drainLimitMs))
                      : tr("SIGTERM once they are done");
        } else if (old.state == QLatin1String("draining")) {
            what = tr("SIGTERM sent");
            how =
                old.drainMs >= 0 && old.waitedRequests > 0
                    ? tr("after %1 for %2")
                          .arg(RolloutState::duration(old.drainMs),
                               old.waitedRequests == 1 ? tr("1 request")
                                                       : tr("%1 requests").arg(old.waitedRequests))
                    : tr("requests in flight finish");
        } else if (old.killed) {
            what = tr("SIGTERM ignored");
            how = tr("SIGKILL after %1").arg(RolloutState::duration(old.grace.totalMs));
        } else if (old.exitStatus) {
            what = tr("exit status %1").arg(*old.exitStatus);
            how = old.stopMs >= 0 ? tr("%1 after SIGTERM").arg(took) : tr("after SIGTERM");
        } else {
            what = old.signal.isEmpty() ? tr("stopped") : tr("ended by %1").arg(old.signal);
            how = old.stopMs >= 0 ? tr("%1 after SIGTERM").arg(took) : QString();
        }
        painter.setFont(smallFont);
        painter.setPen(colors.muted);
        painter.drawText(QRect(left, y, width, small.lineSpacing()),
                         Qt::AlignLeft | Qt::AlignVCenter,
                         small.elidedText(what, Qt::ElideRight, width));
        y += small.lineSpacing();
        painter.drawText(QRect(left, y, width, small.lineSpacing()),
                         Qt::AlignLeft | Qt::AlignVCenter,
                         small.elidedText(how, Qt::ElideRight, width));

        if (old.grace.known) {
            // The grace period as a bar: while it drains, the time left; once it ended, the
            // part of the grace period it used (all of it for a killed one).
            const qreal total = qreal(qMax<qint64>(1, old.grace.totalMs));
            const qreal fraction = old.grace.running ? old.grace.remainingMs / total
                                                     : 1.0 - old.grace.remainingMs / total;
            const QRectF track(box.left() + 8, box.bottom() - 5, box.width() - 16, 3);
            painter.fillRect(track, mix(colors.window, colors.text, 0.12));
            painter.fillRect(QRectF(track.left(), track.top(),
                                    qMax(2.0, track.width() * qBound(0.0, fraction, 1.0)), 3),
                             accent);
        }
    }
}

// ---- interaction ---------------------------------------------------------------------

void RolloutView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    relayout();
}

void RolloutView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange) {
        relayout();
        updateGeometry();
    }
    QWidget::changeEvent(event);
}

QString RolloutView::tooltipAt(const QPoint &position, QRect *area) const
{
    const int item = itemAt(position);
    if (item >= 0 && item < m_state.tiles.size()) {
        const RolloutState::Tile &tile = m_state.tiles.at(item);
        *area = itemRectAt(item);
        QStringList facts;
        facts.append(tile.state);
        if (tile.probes > 0)
            facts.append(tr("%1 probe(s)").arg(tile.probes));
        if (tile.port > 0)
            facts.append(tr("port %1").arg(tile.port));
        if (tile.pid > 0)
            facts.append(tr("pid %1").arg(tile.pid));
        if (!tile.node.isEmpty())
            facts.append(tr("on node %1 at %2").arg(tile.node, tile.host));
        else if (!tile.runtime.isEmpty() && tile.runtime != QLatin1String("local"))
            facts.append(tr("at %1").arg(tile.host));
        if (!tile.runtime.isEmpty())
            facts.append(tr("%1 runtime").arg(tile.runtime));
        if (tile.timeToReadyMs >= 0)
            facts.append(tr("ready in %1").arg(RolloutState::duration(tile.timeToReadyMs)));
        if (!tile.isolated)
            facts.append(tr("not isolated: a plain process group"));
        QString html = QStringLiteral("<b>%1</b> (release v%2): %3")
                           .arg(escaped(tile.name))
                           .arg(tile.release)
                           .arg(escaped(facts.join(QStringLiteral(", "))));
        if (!tile.outcome.isEmpty())
            html += QStringLiteral("<br>") + escaped(tile.outcome);
        return html + linesHtml(tile.lastLines, TooltipLines) +
               tr("<i>Click or press Enter for all its lines.</i>");
    }
    if (item >= 0) {
        *area = m_layout.hook;
        const RolloutState::Hook &hook = m_state.hook;
        return QStringLiteral("<b>postdeploy-1</b>: %1<br><code>%2</code>")
                   .arg(escaped(hook.state), escaped(hook.command)) +
               linesHtml(hook.lastLines, TooltipLines);
    }
    for (int i = 0; i < m_layout.steps.size() && i < m_state.steps.size(); ++i) {
        if (!m_layout.steps.at(i).contains(position))
            continue;
        const RolloutState::Step &step = m_state.steps.at(i);
        *area = m_layout.steps.at(i);
        QString html =
            QStringLiteral("<b>%1</b>: %2")
                .arg(escaped(step.title), escaped(stepStateLine(step, m_state.failure.status)));
        if (step.startedMs >= 0)
            html +=
                tr("<br>began %1 into the deployment").arg(RolloutState::duration(step.startedMs));
        if (!step.detail.isEmpty())
            html += QStringLiteral("<br>") + escaped(step.detail);
        return html;
    }
    for (int i = 0; i < m_layout.old.size() && i < m_state.oldContainers.size(); ++i) {
        if (!m_layout.old.at(i).contains(position))
            continue;
        const RolloutState::OldContainer &old = m_state.oldContainers.at(i);
        *area = m_layout.old.at(i);
        return QStringLiteral("<b>%1</b> (release v%2): %3<br>%4")
            .arg(escaped(old.name))
            .arg(old.release)
            .arg(escaped(old.state), escaped(old.outcome));
    }
    if (m_state.failure.failed && m_layout.failure.contains(position)) {
        *area = m_layout.failure;
        return QStringLiteral("<b>%1</b>: %2")
                   .arg(escaped(m_state.failure.status), escaped(m_state.failure.reason)) +
               (m_state.failure.container.isEmpty()
                    ? QString()
                    : linesHtml(m_state.failure.lastLines, ShownFailureLines * 2));
    }
    return {};
}

bool RolloutView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        QRect area;
        const QString text = tooltipAt(help->pos(), &area);
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this, area);
        return true;
    }
    return QWidget::event(event);
}

void RolloutView::mousePressEvent(QMouseEvent *event)
{
    const int item = itemAt(event->position().toPoint());
    if (item < 0 || event->button() != Qt::LeftButton) {
        QWidget::mousePressEvent(event);
        return;
    }
    setFocus(Qt::MouseFocusReason);
    setCurrentIndex(item);
    Q_EMIT itemActivated(currentItem());
}

void RolloutView::moveCurrent(int delta)
{
    const int count = int(itemNames().size());
    if (count == 0)
        return;
    setCurrentIndex(m_current < 0 ? 0 : qBound(0, m_current + delta, count - 1));
}

void RolloutView::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Left:
        moveCurrent(-1);
        return;
    case Qt::Key_Right:
        moveCurrent(1);
        return;
    case Qt::Key_Up:
        moveCurrent(m_current >= m_state.tiles.size() ? -1 : -m_layout.columns);
        return;
    case Qt::Key_Down:
        moveCurrent(m_current + m_layout.columns < m_state.tiles.size()
                        ? m_layout.columns
                        : int(m_state.tiles.size()) - m_current);
        return;
    case Qt::Key_Home:
        setCurrentIndex(0);
        return;
    case Qt::Key_End:
        setCurrentIndex(int(itemNames().size()) - 1);
        return;
    case Qt::Key_Return:
    case Qt::Key_Enter:
    case Qt::Key_Space:
        if (!currentItem().isEmpty()) {
            Q_EMIT itemActivated(currentItem());
            return;
        }
        break;
    default:
        break;
    }
    QWidget::keyPressEvent(event);
}

void RolloutView::focusInEvent(QFocusEvent *event)
{
    const int count = int(itemNames().size());
    if (count > 0) {
        if (event->reason() == Qt::BacktabFocusReason)
            setCurrentIndex(count - 1);
        else if (event->reason() == Qt::TabFocusReason || m_current < 0)
            setCurrentIndex(0);
    }
    updateAccessibleText();
    update();
    QWidget::focusInEvent(event);
}

void RolloutView::focusOutEvent(QFocusEvent *event)
{
    update();
    QWidget::focusOutEvent(event);
}

bool RolloutView::focusNextPrevChild(bool next)
{
    // Tab walks the tiles first, then leaves the view.
    const int count = int(itemNames().size());
    if (hasFocus() && count > 0) {
        const int target = m_current + (next ? 1 : -1);
        if (target >= 0 && target < count) {
            setCurrentIndex(target);
            return true;
        }
    }
    return QWidget::focusNextPrevChild(next);
}

void RolloutView::updateAccessibleText()
{
    QString description = m_state.summary();
    const QString item = currentItem();
    if (!item.isEmpty() && hasFocus()) {
        const RolloutState::Tile *tile = m_state.tile(item);
        description += tile ? tr(" Selected: %1, %2.").arg(tile->name, tileStateLine(*tile))
                            : tr(" Selected: the postdeploy hook, %1.").arg(m_state.hook.state);
    }
    if (description == accessibleDescription())
        return;
    // A countdown changes the words five times a second; assistive tools hear about a
    // change only when more than its numbers changed.
    static const QRegularExpression numbers(QStringLiteral("[0-9.]+"));
    const bool newWords =
        QString(description).remove(numbers) != accessibleDescription().remove(numbers);
    setAccessibleDescription(description);
    if (newWords && QAccessible::isActive()) {
        QAccessibleEvent changed(this, QAccessible::DescriptionChanged);
        QAccessible::updateAccessibility(&changed);
    }
}

} // namespace Slipway
