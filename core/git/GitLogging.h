#pragma once

#include <QLoggingCategory>

// Names hosts and users, never passwords.
Q_DECLARE_LOGGING_CATEGORY(lcGit)
