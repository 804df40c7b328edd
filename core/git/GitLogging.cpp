#include "git/GitLogging.h"

Q_LOGGING_CATEGORY(lcGit, "slipway.git")
