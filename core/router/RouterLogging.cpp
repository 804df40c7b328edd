#include "router/RouterLogging.h"

Q_LOGGING_CATEGORY(lcRouter, "slipway.router")
