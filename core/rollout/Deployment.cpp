#include "rollout/Deployment.h"

namespace Slipway {

Deployment::Deployment(QString id, QString app, Trigger trigger, QString source, QObject *parent)
    : QObject(parent)
    , m_id(std::move(id))
    , m_app(std::move(app))
    , m_trigger(trigger)
    , m_source(std::move(source))
    , m_createdAt(QDateTime::currentDateTimeUtc())
    , m_step(trigger == Trigger::Source ? QStringLiteral("build") : QStringLiteral("start"))
{
    m_clock.start();
    connect(&m_progress, &ProgressThrottle::progress, this, &Deployment::progress);
}

QString Deployment::triggerName(Trigger trigger)
{
    switch (trigger) {
    case Trigger::Source:
        return QStringLiteral("source");
    case Trigger::Release:
        return QStringLiteral("release");
    case Trigger::Rollback:
        return QStringLiteral("rollback");
    case Trigger::ConfigChange:
        return QStringLiteral("config-change");
    case Trigger::Restart:
        return QStringLiteral("restart");
    case Trigger::Boot:
        return QStringLiteral("boot");
    }
    return {};
}

qint64 Deployment::elapsedMilliseconds() const
{
    return m_clock.elapsed();
}

void Deployment::cancel()
{
    if (isFinished() || m_cancelRequested)
        return;
    m_cancelRequested = true;
    Q_EMIT cancelRequested();
}

void Deployment::setStatus(DeploymentStatus status, const QString &error)
{
    if (isFinished() || status == m_status)
        return;
    m_status = status;
    if (!error.isEmpty()) {
        m_error = error;
        // The build already said it when it failed; once is enough.
        const QString said = QStringLiteral(" !     ") + error;
        if (m_log.isEmpty() || m_log.last() != said)
            appendLog(said);
        addEvent(TimelineEvent::Kind::Failed, error, {},
                 {{QStringLiteral("status"), deploymentStatusName(status)},
                  {QStringLiteral("step"), m_step}});
    }
    if (isFinal(status))
        m_progress.finish();
    if (isFinal(status))
        m_finishedAt = QDateTime::currentDateTimeUtc();
    appendLog(QStringLiteral("-----> Deployment %1").arg(deploymentStatusName(status)));
    Q_EMIT statusChanged(status);
    if (isFinal(status))
        Q_EMIT finished(status);
}

void Deployment::addEvent(TimelineEvent::Kind kind, const QString &text, const QString &container,
                          const QJsonObject &data)
{
    TimelineEvent event;
    event.time = QDateTime::currentDateTimeUtc();
    event.offsetMilliseconds = m_clock.elapsed();
    event.kind = kind;
    event.container = container;
    event.text = text;
    event.data = data;
    if (kind == TimelineEvent::Kind::StepStarted)
        m_step = data.value(QStringLiteral("step")).toString(m_step);
    m_timeline.append(event);
    Q_EMIT eventAdded(event);
}

void Deployment::appendLog(const QString &lines)
{
    static const QString SectionMark = QStringLiteral("-----> ");
    // One entry per line, so that an index here is the same line in the stored log.
    const QStringList pieces = lines.split(QLatin1Char('\n'));
    for (const QString &line : pieces) {
        const int index = int(m_log.size());
        m_log.append(line);
        Q_EMIT logAppended(line);
        if (line.startsWith(SectionMark)) {
            const QString title = line.mid(SectionMark.size()).trimmed();
            addEvent(TimelineEvent::Kind::LogSection, title, {},
                     {{QStringLiteral("line"), index}, {QStringLiteral("title"), title}});
        }
    }
}

void Deployment::reportProgress(const QString &phase, const QString &what, qint64 bytes,
                                qint64 total)
{
    if (!isFinished())
        m_progress.report(phase, what, bytes, total);
}

void Deployment::endProgress()
{
    m_progress.finish();
}

} // namespace Slipway
