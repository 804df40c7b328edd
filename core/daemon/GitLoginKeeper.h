#pragma once

#include "git/GitLogins.h"
#include "store/GitCredentialRecord.h"
#include "util/Result.h"

#include <QHash>
#include <QList>
#include <QObject>

#include <functional>
#include <optional>

namespace Slipway {

class Engine;
class SecretVault;
class Store;

// The logins for private git sources, kept the way secret config vars are: the host and
// username in the store, the password or token in the OS keychain (or the private-file
// fallback), and the engine holding them in memory to hand to git for each build.
class GitLoginKeeper : public QObject
{
    Q_OBJECT

public:
    GitLoginKeeper(Engine *engine, Store *store, SecretVault *vault, QObject *parent = nullptr);

    // Reads every kept login back from the keychain into the engine. Logins whose password
    // cannot be read stay listed, marked unusable with the reason.
    void load(std::function<void()> done);

    // `host` must be normalized already (GitLogins::normalizedHost).
    void set(const QString &host, const GitLogin &login, std::function<void(Result<void>)> done);
    // False when no login was kept for `host`.
    void remove(const QString &host, std::function<void(Result<bool>)> done);

    struct Entry
    {
        GitCredentialRecord record;
        QString problem; // why the login cannot be used; empty when it can
    };
    Result<QList<Entry>> list() const;
    // The login kept for `host`; nothing when none is (or the store cannot be read).
    std::optional<Entry> find(const QString &host) const;

    static QString secretKey(const QString &host);

private:
    Engine *m_engine;
    Store *m_store;
    SecretVault *m_vault;
    QHash<QString, QString> m_problems; // host → why its password could not be read
};

} // namespace Slipway
