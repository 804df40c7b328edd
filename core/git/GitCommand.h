#pragma once

#include "git/GitLogins.h"
#include "util/ProcessRunner.h"

#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <chrono>
#include <functional>
#include <optional>

class QObject;

namespace Slipway {

// One run of the git CLI, the way Slipway always runs it: in a clean environment (nothing
// a hook or shell set can point git at another repository), never waiting on a prompt,
// ssh in batch mode, and with a login handed over through GitCredentials when one is given.
struct GitCommand
{
    struct Outcome
    {
        ProcessOutcome process;
        QStringList errorLines; // what git printed on stderr

        bool succeeded() const { return process.succeeded(); }
        // One line saying what went wrong, for a user's error message.
        QString reason() const;
    };

    QStringList arguments;
    QString workingDirectory;
    std::chrono::milliseconds timeout{std::chrono::minutes(10)};
    bool ownPidNamespace = true;
    std::optional<GitLogin> login;
    QMap<QString, QString> environment; // added to the clean environment
    // When set, git's progress meter (the caller passes --progress) is read: each
    // "Receiving objects" update with its bytes is handed over, and the meter's lines are
    // kept out of errorLines.
    std::function<void(qint64 bytes)> progress;

    // Starts git; `then` runs from `context`'s thread once git has ended, or could not
    // start. The runner returned can be cancelled; it deletes itself after `then`.
    ProcessRunner *start(QObject *context, std::function<void(const Outcome &)> then) const;

    // The environment every git run starts from.
    static QProcessEnvironment cleanEnvironment();
    // What git's stderr says went wrong.
    static QString reason(const QStringList &errorLines);
};

} // namespace Slipway
