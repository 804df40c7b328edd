#pragma once

#include "rollout/AppSettings.h"
#include "rollout/DeploymentStatus.h"
#include "rollout/TimelineEvent.h"

#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace Slipway {
class Deployment;
class Engine;
class Router;
} // namespace Slipway

// A real engine with a real router on a free loopback port, its data in a temporary
// folder, for rollout tests.
class EngineFixture
{
public:
    EngineFixture();
    ~EngineFixture();

    Slipway::Engine &engine() { return *m_engine; }
    Slipway::Router &router() { return *m_router; }
    quint16 routerPort() const;
    QString path(const QString &relative) const { return m_temp.filePath(relative); }

    // A fixture app's folder: tests/data/fixtures/behave by default (the behaviour fixture),
    // or another one of tests/data/fixtures.
    QString fixtureSource(const QString &fixture = QStringLiteral("behave")) const;

    // Creates the app if needed, sets config, deploys the fixture and waits for the end.
    Slipway::Deployment *deployFixture(const QString &app,
                                       const QMap<QString, QString> &config = {},
                                       int timeoutMs = 120000,
                                       const QString &fixture = QStringLiteral("behave"));
    // Waits (bounded) for a deployment to reach a final status.
    static bool waitFinished(Slipway::Deployment *deployment, int timeoutMs = 120000);
    static QString describe(Slipway::Deployment *deployment); // status, error and log
    // The deployment's timeline events of one kind, in order.
    static QList<Slipway::TimelineEvent> eventsOf(Slipway::Deployment *deployment,
                                                  Slipway::TimelineEvent::Kind kind);

    // Runs a one-off command in the app's current release: its lines and exit status (-1
    // with the error as the only line when it cannot run).
    QPair<QStringList, int> runOneOff(const QString &app, const QString &command,
                                      int timeoutMs = 120000);

    // Stops every container and waits until nothing runs.
    void shutdown(int timeoutMs = 60000);

private:
    QTemporaryDir m_temp;
    std::unique_ptr<Slipway::Router> m_router;
    std::unique_ptr<Slipway::Engine> m_engine;
    bool m_shutDown = false;
};
