#include "BuildRunner.h"

#include "TestConfig.h"

#include "build/BuildPipeline.h"

#include <QEventLoop>
#include <QTimer>

using namespace Slipway;

BuildRunner::BuildRunner() = default;

BuildRequest BuildRunner::request(const QString &sourcePath, const QString &app)
{
    BuildRequest request;
    Result<SourceSpec> source = SourceSpec::parse(sourcePath);
    if (source)
        request.source = *source;
    request.app = app;
    request.cacheDirectory = m_temp.filePath(QStringLiteral("cache/") + app);
    request.buildpackCacheDirectory = m_temp.filePath(QStringLiteral("buildpacks"));
    request.builtinBuildpacksDirectory = QStringLiteral(SLIPWAY_RESOURCES_DIR "/buildpacks");
    request.workDirectory = m_temp.filePath(QStringLiteral("work-%1").arg(m_builds));
    request.slugPath = m_temp.filePath(QStringLiteral("slugs/%1-%2.tgz").arg(app).arg(m_builds));
    ++m_builds;
    return request;
}

BuildOutcome BuildRunner::build(const BuildRequest &request, int timeoutMs,
                                const QString &cancelWhen)
{
    m_log.clear();
    m_progress.clear();
    BuildPipeline pipeline(request);
    QObject::connect(&pipeline, &BuildPipeline::fetchProgress, &pipeline,
                     [this](const QString &phase, const QString &what, qint64 bytes, qint64 total) {
                         m_progress.append({phase, what, bytes, total});
                     });
    BuildOutcome outcome;
    outcome.error = QStringLiteral("the build did not finish in time");
    QEventLoop loop;
    QObject::connect(&pipeline, &BuildPipeline::logLine, &loop, [&](const QString &line) {
        m_log.append(line);
        if (!cancelWhen.isEmpty() && line.contains(cancelWhen))
            pipeline.cancel();
    });
    QObject::connect(&pipeline, &BuildPipeline::finished, &loop, [&](const BuildOutcome &result) {
        outcome = result;
        loop.quit();
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    pipeline.start();
    loop.exec();
    return outcome;
}
