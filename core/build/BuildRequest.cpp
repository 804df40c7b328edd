#include "build/BuildRequest.h"

#include <QtGlobal>

#include <unistd.h>

namespace Slipway {

qint64 BuildRequest::defaultMemoryLimit()
{
    constexpr qint64 ceiling = 4LL * 1024 * 1024 * 1024;
    const qint64 pages = ::sysconf(_SC_PHYS_PAGES);
    const qint64 pageSize = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || pageSize <= 0)
        return ceiling;
    return qMin(ceiling, pages * pageSize / 2);
}

} // namespace Slipway
