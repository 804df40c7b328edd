#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QString>

namespace Slipway {

// One timed step of a deployment: "web-1 ready after 4 probes (312 ms)", with the same facts
// as structured `data` for programs (the console draws the rollout from them; docs/api.md
// lists the fields of each kind).
struct TimelineEvent
{
    enum class Kind {
        SourceFetched,
        BuildpackDetected,
        SlugBuilt,
        ReleaseCreated,
        LogSection,
        StepStarted,
        ContainerStarted,
        ContainerProbed,
        ContainerReady,
        ContainerCrashed,
        HookStarted,
        HookFinished,
        TrafficRouted,
        OldContainerDraining,
        OldContainerStopping,
        OldContainerStopped,
        NewContainerStopping,
        NewContainerStopped,
        Failed,
        Note,
    };

    QDateTime time;
    qint64 offsetMilliseconds = 0; // since the deployment started
    Kind kind = Kind::Note;
    QString container; // when the event is about one
    QString text;      // one sentence for people, kept as it always read
    QJsonObject data;  // the same facts for programs; {} for events recorded before it existed

    static QString kindName(Kind kind)
    {
        switch (kind) {
        case Kind::SourceFetched:
            return QStringLiteral("source-fetched");
        case Kind::BuildpackDetected:
            return QStringLiteral("buildpack-detected");
        case Kind::SlugBuilt:
            return QStringLiteral("slug-built");
        case Kind::ReleaseCreated:
            return QStringLiteral("release-created");
        case Kind::LogSection:
            return QStringLiteral("log-section");
        case Kind::StepStarted:
            return QStringLiteral("step-started");
        case Kind::ContainerStarted:
            return QStringLiteral("container-started");
        case Kind::ContainerProbed:
            return QStringLiteral("container-probed");
        case Kind::ContainerReady:
            return QStringLiteral("container-ready");
        case Kind::ContainerCrashed:
            return QStringLiteral("container-crashed");
        case Kind::HookStarted:
            return QStringLiteral("hook-started");
        case Kind::HookFinished:
            return QStringLiteral("hook-finished");
        case Kind::TrafficRouted:
            return QStringLiteral("traffic-routed");
        case Kind::OldContainerDraining:
            return QStringLiteral("old-container-draining");
        case Kind::OldContainerStopping:
            return QStringLiteral("old-container-stopping");
        case Kind::OldContainerStopped:
            return QStringLiteral("old-container-stopped");
        case Kind::NewContainerStopping:
            return QStringLiteral("new-container-stopping");
        case Kind::NewContainerStopped:
            return QStringLiteral("new-container-stopped");
        case Kind::Failed:
            return QStringLiteral("failed");
        case Kind::Note:
            return QStringLiteral("note");
        }
        return {};
    }
};

} // namespace Slipway

Q_DECLARE_METATYPE(Slipway::TimelineEvent)
