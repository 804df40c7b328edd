#pragma once

#include "runtime/PortAllocator.h"

#include <QString>

namespace Slipway {

class Router;

// What every app's runtime shares on this machine.
struct RuntimeContext
{
    Router *router = nullptr;
    PortAllocator ports;
    QString containersDirectory; // each container's writable copy lives below
    QString stack = QStringLiteral("debian-12");
};

} // namespace Slipway
