#pragma once

#include "util/Result.h"

#include <QString>

namespace Slipway {

// One bare repository per app for `git push` deploys. Its pre-receive hook packs the
// pushed commit (still in git's quarantine, so it can be refused) and deploys it through
// slipctl, whose output — the build and rollout log — streams back to the pushing
// terminal; a failed deployment refuses the push.
class GitRepositories
{
public:
    GitRepositories(QString root, QString slipctlProgram, QString socketPath);

    QString path(const QString &app) const;
    Result<void> create(const QString &app) const;
    void remove(const QString &app) const;
    // Rewrites the hook (after an upgrade or a socket change).
    Result<void> installHook(const QString &app) const;

private:
    QString m_root;
    QString m_slipctl;
    QString m_socket;
};

} // namespace Slipway
