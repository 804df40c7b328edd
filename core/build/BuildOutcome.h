#pragma once

#include "release/Release.h"

#include <QList>
#include <QString>

namespace Slipway {

// How a build ended, with what it did on the way: enough for the log, the console and
// `slipctl build --json`.
struct BuildOutcome
{
    enum class Status { Success, BuildError, Aborted };

    struct Phase
    {
        QString name; // fetch, select, detect, compile, release, slug
        qint64 milliseconds = 0;
    };

    Status status = Status::BuildError;
    QString error;           // one sentence, empty on success
    QString selectionRule;   // which rule chose the buildpacks, for people
    QString selectionRuleId; // the same as BuildpackSelection::id(): "auto-detection", ...
    QList<UsedBuildpack> buildpacks;
    QList<Phase> phases;
    Release release; // set on success
    qint64 sourceSize = 0;
    qint64 uncompressedSlugSize = 0;
    qint64 peakCompileMemory = 0; // bytes, the most bin/compile used at once (sampled)

    bool succeeded() const { return status == Status::Success; }
    static QString statusName(Status status)
    {
        switch (status) {
        case Status::Success:
            return QStringLiteral("success");
        case Status::BuildError:
            return QStringLiteral("build-error");
        case Status::Aborted:
            return QStringLiteral("aborted");
        }
        return {};
    }
    qint64 totalMilliseconds() const
    {
        qint64 total = 0;
        for (const Phase &phase : phases)
            total += phase.milliseconds;
        return total;
    }
};

} // namespace Slipway
