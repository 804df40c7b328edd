#include "router/CloseOnExec.h"

#include <fcntl.h>

namespace Slipway {

void setCloseOnExec(int descriptor)
{
    if (descriptor < 0)
        return;
    const int flags = ::fcntl(descriptor, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC))
        ::fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC);
}

} // namespace Slipway
