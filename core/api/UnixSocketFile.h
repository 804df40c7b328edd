#pragma once

#include "util/Result.h"

#include <QString>

#include <sys/types.h>

namespace Slipway {

// The file of the API's Unix socket: its folder (created 0700), the leftover of a daemon
// that died (replaced), a daemon still answering there (refused), its mode (0600), and its
// removal when the server stops — only while the file is still the one this server made.
class UnixSocketFile
{
public:
    explicit UnixSocketFile(QString path);

    // Before bind().
    Result<void> prepare();
    // After bind(), before listen(): nobody can connect before the mode is tightened.
    Result<void> claim();
    void release();

    const QString &path() const { return m_path; }

private:
    QString m_path;
    dev_t m_device = 0;
    ino_t m_inode = 0;
    bool m_claimed = false;
};

} // namespace Slipway
