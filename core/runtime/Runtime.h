#pragma once

#include "runtime/Container.h"
#include "util/Result.h"

#include <QObject>

#include <functional>

namespace Slipway {

// Where an app's containers run: this machine (local), a Docker engine (docker), a Swarm
// cluster (swarm). Each runtime lives in its own folder below runtime/ and is all that
// changes between them: the rollout, the router and the store see only Containers.
class Runtime : public QObject
{
    Q_OBJECT

public:
    using Progress = std::function<void(const QString &line)>;

    using QObject::QObject;
    ~Runtime() override = default;

    // local, docker, swarm.
    virtual QString name() const = 0;

    // Makes ready what the containers of `spec.stack` need before the first starts (the
    // stack image in an engine, say); lines for the deployment log through `progress`.
    // `done` on this thread.
    virtual void prepare(const ContainerSpec &spec, Progress progress,
                         std::function<void(Result<void>)> done)
    {
        Q_UNUSED(spec)
        Q_UNUSED(progress)
        done({});
    }

    // A container, not started yet. The caller owns it.
    virtual Container *create(const ContainerSpec &spec, QObject *parent) = 0;

    // Containers of `app` a previous slipwayd left running, to be taken over rather than
    // started again; what cannot be taken over is removed. Empty for runtimes whose
    // containers end with the daemon.
    virtual void findRunning(const QString &app,
                             std::function<void(Result<QList<Container *>>)> done, QObject *parent)
    {
        Q_UNUSED(app)
        Q_UNUSED(parent)
        done(QList<Container *>{});
    }
};

} // namespace Slipway
