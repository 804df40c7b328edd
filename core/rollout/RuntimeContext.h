#pragma once

#include "runtime/PortAllocator.h"
#include "util/Result.h"

#include <QHash>
#include <QString>

#include <memory>

namespace Slipway {

class Router;
class Runtime;
struct AppSettings;

// What every app's runtime shares on this machine.
struct RuntimeContext
{
    RuntimeContext();
    ~RuntimeContext();

    Router *router = nullptr;
    PortAllocator ports;
    QString containersDirectory; // each container's writable copy lives below
    QString stack = QStringLiteral("debian-12");
    // Tells this slipwayd's containers on a shared engine from any other's (derived from
    // its data folder).
    QString owner;
    // The daemon's data folder: runtimes keep what must outlive a restart below it.
    QString stateDirectory;
    // Where stack images are built before they are imported into an engine.
    QString stackCacheDirectory = QStringLiteral("/var/tmp/slipway-stack");

    // The runtime an app's settings choose (`runtime`, and the engine's address for docker
    // and swarm), made on first use and shared by the apps that choose the same.
    Result<Runtime *> runtimeFor(const AppSettings &settings);
    // An engine address a user may set: empty, unix:///path or tcp://host:port (TLS).
    static Result<void> validateDockerHost(const QString &address);

private:
    QHash<QString, std::shared_ptr<Runtime>> m_runtimes; // by kind and address
};

} // namespace Slipway
