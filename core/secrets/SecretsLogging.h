#pragma once

#include <QLoggingCategory>

// Names keys and backends, never values.
Q_DECLARE_LOGGING_CATEGORY(lcSecrets)
