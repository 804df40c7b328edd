#pragma once

#include "CommandLine.h"

#include <QList>
#include <QString>

namespace Slipctl {

// Every command that is a client of slipwayd's API, grouped as `slipctl help` lists them.
// Each group lives in its own file.
QList<CommandSpec> appCommands();           // AppCommands.cpp
QList<CommandSpec> deploymentCommands();    // DeploymentCommands.cpp
QList<CommandSpec> containerCommands();     // ContainerCommands.cpp
QList<CommandSpec> environmentCommands();   // EnvironmentCommands.cpp
QList<CommandSpec> releaseCommands();       // ReleaseCommands.cpp (releases, buildpacks)
QList<CommandSpec> daemonCommands();        // AppCommands.cpp
QList<CommandSpec> gitCredentialCommands(); // GitCredentialCommands.cpp

QList<CommandGroup> commandGroups();

// Runs `slipctl [GLOBAL OPTIONS] COMMAND ...` for every command but `build`; returns the
// exit status.
int runClientCommand(const GlobalOptions &options);

} // namespace Slipctl
