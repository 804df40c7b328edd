#pragma once

#include "build/BuildOutcome.h"
#include "build/BuildRequest.h"

#include <QStringList>
#include <QTemporaryDir>

// Runs a BuildPipeline to its end in a test, with every folder in a temporary place.
class BuildRunner
{
public:
    BuildRunner();

    // A request for `sourcePath` with temporary work, cache and slug paths; the built-in
    // buildpacks come from the source tree's resources/.
    Slipway::BuildRequest request(const QString &sourcePath,
                                  const QString &app = QStringLiteral("test-app"));

    // Builds and waits (bounded) for the outcome; the log lines are kept in log().
    // `cancelWhen` cancels the build as soon as a log line contains it.
    Slipway::BuildOutcome build(const Slipway::BuildRequest &request, int timeoutMs = 600000,
                                const QString &cancelWhen = {});

    // What the build reported of its long fetches (BuildPipeline::fetchProgress).
    struct Progress
    {
        QString phase;
        QString what;
        qint64 bytes = 0;
        qint64 total = -1;
    };
    const QList<Progress> &progress() const { return m_progress; }

    const QStringList &log() const { return m_log; }
    QString logText() const { return m_log.join(QLatin1Char('\n')); }
    QString path(const QString &relative) const { return m_temp.filePath(relative); }

private:
    QTemporaryDir m_temp;
    QStringList m_log;
    QList<Progress> m_progress;
    int m_builds = 0;
};
