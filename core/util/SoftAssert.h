#pragma once

#include <QtGlobal>

// Programmer errors: log where it happened and bail out of the current function instead
// of taking the whole engine down.
#define SLIPWAY_ASSERT(cond, action)                                                               \
    if (Q_LIKELY(cond)) {                                                                          \
    } else {                                                                                       \
        qWarning("SOFT ASSERT: \"%s\" in %s:%d", #cond, __FILE__, __LINE__);                       \
        action;                                                                                    \
    }                                                                                              \
    do {                                                                                           \
    } while (0)
