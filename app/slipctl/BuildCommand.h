#pragma once

#include <QStringList>

// `slipctl build SOURCE --slug OUT.tgz ...`: the whole build pipeline in this process,
// without a daemon. Returns the process exit status.
int runBuildCommand(const QStringList &arguments);
