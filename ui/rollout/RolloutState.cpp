#include "rollout/RolloutState.h"

#include <QHash>

namespace Slipway {

const RolloutState::Tile *RolloutState::tile(const QString &name) const
{
    for (const Tile &tile : tiles) {
        if (tile.name == name)
            return &tile;
    }
    return nullptr;
}

const RolloutState::OldContainer *RolloutState::oldContainer(const QString &name) const
{
    for (const OldContainer &old : oldContainers) {
        if (old.name == name)
            return &old;
    }
    return nullptr;
}

QString RolloutState::duration(qint64 milliseconds)
{
    if (milliseconds < 0)
        return QString();
    if (milliseconds < 1000)
        return QStringLiteral("%1 ms").arg(milliseconds);
    if (milliseconds < 10000)
        return QStringLiteral("%1 s").arg(double(milliseconds) / 1000.0, 0, 'f', 1);
    const qint64 seconds = milliseconds / 1000;
    if (seconds <= 60) // a 60 s boot timeout reads as set
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 3600) {
        return seconds % 60 == 0
                   ? QStringLiteral("%1 min").arg(seconds / 60)
                   : QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    }
    return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
}

QString RolloutState::remaining(qint64 milliseconds)
{
    if (milliseconds <= 0)
        return QStringLiteral("0 s");
    const qint64 seconds = (milliseconds + 999) / 1000;
    if (seconds <= 60) // "60 s left" of a 60 s timeout, not "1 min"
        return QStringLiteral("%1 s").arg(seconds);
    return seconds % 60 == 0 ? QStringLiteral("%1 min").arg(seconds / 60)
                             : QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
}

QString RolloutState::stepStateName(StepState state)
{
    switch (state) {
    case StepState::Pending:
        return QStringLiteral("pending");
    case StepState::Running:
        return QStringLiteral("running");
    case StepState::Done:
        return QStringLiteral("done");
    case StepState::Skipped:
        return QStringLiteral("skipped");
    case StepState::Failed:
        return QStringLiteral("failed");
    case StepState::NotRun:
        return QStringLiteral("not run");
    }
    return {};
}

namespace {

QString tileWords(const RolloutState::Tile &tile)
{
    if (tile.state == QLatin1String("probing") && tile.probes > 0)
        return QStringLiteral("%1 probing (%2 probe%3)")
            .arg(tile.name)
            .arg(tile.probes)
            .arg(tile.probes == 1 ? QString() : QStringLiteral("s"));
    if ((tile.state == QLatin1String("ready") || tile.state == QLatin1String("serving")) &&
        tile.timeToReadyMs >= 0)
        return QStringLiteral("%1 %2 (ready in %3)")
            .arg(tile.name, tile.state, RolloutState::duration(tile.timeToReadyMs));
    if (tile.state == QLatin1String("crashed") && !tile.outcome.isEmpty())
        return QStringLiteral("%1 crashed (%2)").arg(tile.name, tile.outcome);
    return QStringLiteral("%1 %2").arg(tile.name, tile.state);
}

// Few containers are named one by one; many are counted by state.
QString tilesWords(const QList<RolloutState::Tile> &tiles)
{
    if (tiles.isEmpty())
        return QStringLiteral("no container to start");
    if (tiles.size() <= 4) {
        QStringList words;
        for (const RolloutState::Tile &tile : tiles)
            words.append(tileWords(tile));
        return words.join(QStringLiteral(", "));
    }
    QStringList order;
    QHash<QString, int> counts;
    int mostProbes = 0;
    for (const RolloutState::Tile &tile : tiles) {
        if (!counts.contains(tile.state))
            order.append(tile.state);
        ++counts[tile.state];
        if (tile.state == QLatin1String("probing"))
            mostProbes = qMax(mostProbes, tile.probes);
    }
    QStringList words;
    for (const QString &state : std::as_const(order)) {
        QString word = QStringLiteral("%1 %2").arg(counts.value(state)).arg(state);
        if (state == QLatin1String("probing") && mostProbes > 0)
            word += QStringLiteral(" (up to %1 probes)").arg(mostProbes);
        words.append(word);
    }
    return QStringLiteral("%1 containers: %2")
        .arg(tiles.size())
        .arg(words.join(QStringLiteral(", ")));
}

QString oldWords(const RolloutState::OldContainer &old)
{
    if (old.state == QLatin1String("draining") && old.grace.known)
        return QStringLiteral("%1 (v%2) got SIGTERM, %3 left of its grace period")
            .arg(old.name)
            .arg(old.release)
            .arg(RolloutState::remaining(old.grace.remainingMs));
    if (!old.outcome.isEmpty())
        return QStringLiteral("%1 (v%2) %3").arg(old.name).arg(old.release).arg(old.outcome);
    return QStringLiteral("%1 (v%2) %3").arg(old.name).arg(old.release).arg(old.state);
}

} // namespace

QString RolloutState::summary() const
{
    QStringList sentences;
    if (failure.failed) {
        QString where;
        if (failure.stepIndex >= 0) {
            const Step &failed = steps.at(failure.stepIndex);
            where = failed.kind == StepKind::Build ? QStringLiteral(" during the build")
                                                   : QStringLiteral(" at step %1 of 4, %2")
                                                         .arg(failure.stepIndex)
                                                         .arg(failed.title.toLower());
        }
        QString sentence = QStringLiteral("%1%2").arg(status, where);
        if (!failure.reason.isEmpty())
            sentence += QStringLiteral(": ") + failure.reason;
        sentences.append(sentence);
        if (!failure.container.isEmpty() && failure.container != failure.reason.section(u' ', 0, 0))
            sentences.append(QStringLiteral("The failing container is %1").arg(failure.container));
        if (previousRelease)
            sentences.append(QStringLiteral("Release v%1 keeps serving").arg(*previousRelease));
        else
            sentences.append(QStringLiteral("No release of the app serves traffic yet"));
    } else if (currentStep >= 0) {
        const Step &current = steps.at(currentStep);
        switch (current.kind) {
        case StepKind::Build:
            sentences.append(
                QStringLiteral("Before the rollout: %1%2, %3 so far")
                    .arg(status,
                         waitingFor.isEmpty() ? QString() : QStringLiteral(" behind ") + waitingFor,
                         duration(qMax<qint64>(0, current.durationMs))));
            break;
        case StepKind::Start:
        case StepKind::WaitReady: {
            QString sentence = QStringLiteral("Step %1 of 4, %2: %3")
                                   .arg(currentStep)
                                   .arg(current.title.toLower(), tilesWords(tiles));
            if (bootTimeout.known && current.kind == StepKind::WaitReady)
                sentence += QStringLiteral(", %1 left of the boot timeout")
                                .arg(remaining(bootTimeout.remainingMs));
            sentences.append(sentence);
            break;
        }
        case StepKind::Postdeploy: {
            QString sentence =
                QStringLiteral("Step 3 of 4, postdeploy hook: %1 %2")
                    .arg(hook.command.isEmpty() ? QStringLiteral("the hook") : hook.command,
                         hook.state);
            if (hook.timeLimit.known)
                sentence += QStringLiteral(", %1 left of its time limit")
                                .arg(remaining(hook.timeLimit.remainingMs));
            sentences.append(sentence);
            break;
        }
        case StepKind::Route:
            sentences.append(
                QStringLiteral("Step 4 of 4, route traffic: the router switches to v%1")
                    .arg(release));
            break;
        case StepKind::StopOld: {
            QStringList words;
            for (const OldContainer &old : oldContainers)
                words.append(oldWords(old));
            sentences.append(QStringLiteral("Traffic goes to v%1; stopping the old containers: %2")
                                 .arg(traffic.toRelease)
                                 .arg(words.isEmpty() ? QStringLiteral("none yet")
                                                      : words.join(QStringLiteral(", "))));
            break;
        }
        }
    } else if (status == QLatin1String("success")) {
        QString sentence =
            QStringLiteral("Success: release v%1 serves the traffic").arg(traffic.toRelease);
        if (traffic.time.isValid())
            sentence += QStringLiteral(" since %1")
                            .arg(traffic.time.toLocalTime().toString(QStringLiteral("HH:mm:ss")));
        sentences.append(sentence);
        if (!oldContainers.isEmpty()) {
            QStringList words;
            for (const OldContainer &old : oldContainers)
                words.append(oldWords(old));
            sentences.append(QStringLiteral("Old containers: ") + words.join(QStringLiteral(", ")));
        }
    } else {
        const QString described = StatusStyle::describe(status);
        sentences.append(described.isEmpty() ? status : status + QStringLiteral(": ") + described);
    }
    return sentences.join(QStringLiteral(". ")) + u'.';
}

} // namespace Slipway
