#include "EngineFixture.h"

#include "TestConfig.h"
#include "TestSupport.h"

#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "router/Router.h"
#include "runtime/Container.h"
#include "runtime/LogLine.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <QtTest>

using namespace Slipway;

EngineFixture::EngineFixture()
{
    Router::Options routerOptions;
    routerOptions.accessLogDirectory = m_temp.filePath(QStringLiteral("access"));
    m_router = std::make_unique<Router>(routerOptions);
    if (Result<void> started = m_router->start(); !started)
        qFatal("router: %s", qPrintable(started.error().message));
    Engine::Options options;
    options.dataDirectory = m_temp.filePath(QStringLiteral("data"));
    options.router = m_router.get();
    options.builtinBuildpacksDirectory = QStringLiteral(SLIPWAY_RESOURCES_DIR "/buildpacks");
    m_engine = std::make_unique<Engine>(options);
}

EngineFixture::~EngineFixture()
{
    shutdown();
    m_engine.reset();
    m_router.reset();
}

quint16 EngineFixture::routerPort() const
{
    return m_router->port();
}

QString EngineFixture::fixtureSource(const QString &fixture) const
{
    return TestSupport::dataPath(QStringLiteral("fixtures/") + fixture);
}

Deployment *EngineFixture::deployFixture(const QString &app, const QMap<QString, QString> &config,
                                         int timeoutMs, const QString &fixture)
{
    if (!m_engine->app(app))
        m_engine->createApp(app);
    Result<Deployment *> changed = m_engine->changeConfig(app, config);
    if (changed && *changed) {
        // A config change on a running app is itself a rollout: wait for it first.
        waitFinished(*changed, timeoutMs);
    }
    Result<Deployment *> deployment =
        m_engine->deploySource(app, *SourceSpec::parse(fixtureSource(fixture)));
    if (!deployment)
        return nullptr;
    waitFinished(*deployment, timeoutMs);
    return *deployment;
}

bool EngineFixture::waitFinished(Deployment *deployment, int timeoutMs)
{
    if (!deployment)
        return false;
    if (deployment->isFinished())
        return true;
    QEventLoop loop;
    QObject::connect(deployment, &Deployment::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return deployment->isFinished();
}

QList<TimelineEvent> EngineFixture::eventsOf(Deployment *deployment, TimelineEvent::Kind kind)
{
    QList<TimelineEvent> found;
    for (const TimelineEvent &event : deployment->timeline()) {
        if (event.kind == kind)
            found.append(event);
    }
    return found;
}

QPair<QStringList, int> EngineFixture::runOneOff(const QString &app, const QString &command,
                                                 int timeoutMs)
{
    QObject owner;
    Result<Container *> run = m_engine->run(app, command, &owner);
    if (!run)
        return {{run.error().message}, -1};
    Container *container = *run;
    QStringList lines;
    QObject::connect(container, &Container::logLine, &owner,
                     [&lines](const LogLine &line) { lines.append(line.text); });
    container->start();
    QElapsedTimer clock;
    clock.start();
    while (container->state() != Container::State::Exited && clock.elapsed() < timeoutMs)
        QTest::qWait(20);
    return {lines, container->exit().exitStatus().value_or(-1)};
}

QString EngineFixture::describe(Deployment *deployment)
{
    if (!deployment)
        return QStringLiteral("no deployment");
    QStringList events;
    for (const TimelineEvent &event : deployment->timeline()) {
        if (event.kind != TimelineEvent::Kind::ContainerProbed)
            events.append(
                QStringLiteral("  +%1 ms %2").arg(event.offsetMilliseconds).arg(event.text));
    }
    return deployment->statusName() + QStringLiteral(": ") + deployment->error() +
           QLatin1Char('\n') + deployment->log().join(QLatin1Char('\n')) +
           QStringLiteral("\ntimeline:\n") + events.join(QLatin1Char('\n'));
}

void EngineFixture::shutdown(int timeoutMs)
{
    if (m_shutDown || !m_engine)
        return;
    m_shutDown = true;
    bool done = false;
    m_engine->shutdown([&done] { done = true; });
    QElapsedTimer timer;
    timer.start();
    while (!done && timer.elapsed() < timeoutMs)
        QTest::qWait(20);
    if (timer.elapsed() > 5000)
        qWarning("stopping every container took %lld ms", timer.elapsed());
}
