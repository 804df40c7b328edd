#pragma once

#include <QDateTime>
#include <QString>

namespace Slipway {

// One timed step of a deployment: "web-1 ready after 4 probes (312 ms)".
struct TimelineEvent
{
    enum class Kind {
        SourceFetched,
        BuildpackDetected,
        SlugBuilt,
        ReleaseCreated,
        ContainerStarted,
        ContainerProbed,
        ContainerReady,
        ContainerCrashed,
        HookStarted,
        HookFinished,
        TrafficRouted,
        OldContainerStopped,
        NewContainerStopped,
        Failed,
        Note,
    };

    QDateTime time;
    qint64 offsetMilliseconds = 0; // since the deployment started
    Kind kind = Kind::Note;
    QString container; // when the event is about one
    QString text;

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
        case Kind::OldContainerStopped:
            return QStringLiteral("old-container-stopped");
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
