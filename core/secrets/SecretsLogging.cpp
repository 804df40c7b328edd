#include "secrets/SecretsLogging.h"

Q_LOGGING_CATEGORY(lcSecrets, "slipway.secrets")
