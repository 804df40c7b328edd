#include "daemon/GitLoginKeeper.h"

#include "rollout/Engine.h"
#include "secrets/SecretVault.h"
#include "store/Store.h"

#include <memory>

namespace Slipway {

GitLoginKeeper::GitLoginKeeper(Engine *engine, Store *store, SecretVault *vault, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_store(store)
    , m_vault(vault)
{}

QString GitLoginKeeper::secretKey(const QString &host)
{
    return QStringLiteral("git/") + host;
}

void GitLoginKeeper::load(std::function<void()> done)
{
    const Result<QList<GitCredentialRecord>> records = m_store->gitCredentials();
    if (!records || records->isEmpty()) {
        if (!records)
            qWarning("slipwayd: %s", qPrintable(records.error().message));
        done();
        return;
    }
    auto remaining = std::make_shared<qsizetype>(records->size());
    for (const GitCredentialRecord &record : *records) {
        m_vault->read(
            record.secretRef, [this, record, remaining, done](const Result<QByteArray> &password) {
                if (password) {
                    m_engine->setGitLogin(record.host, GitLogin{record.username, *password, {}});
                    m_problems.remove(record.host);
                } else {
                    m_problems.insert(record.host, password.error().message);
                    qWarning("slipwayd: the git login for %s cannot be used: %s",
                             qPrintable(record.host), qPrintable(password.error().message));
                }
                if (--*remaining == 0)
                    done();
            });
    }
}

void GitLoginKeeper::set(const QString &host, const GitLogin &login,
                         std::function<void(Result<void>)> done)
{
    if (Result<void> valid = GitLogins::validate(login); !valid) {
        done(valid);
        return;
    }
    const QString key = secretKey(host);
    m_vault->write(
        key, login.password, [this, host, login, key, done](const Result<void> &written) {
            if (!written) {
                done(failure(QStringLiteral("cannot keep the password for %1: %2")
                                 .arg(host, written.error().message)));
                return;
            }
            const Result<void> stored = m_store->setGitCredential({host, login.username, key, {}});
            if (!stored) {
                done(stored);
                return;
            }
            m_problems.remove(host);
            m_engine->setGitLogin(host, login);
            done({});
        });
}

void GitLoginKeeper::remove(const QString &host, std::function<void(Result<bool>)> done)
{
    const Result<bool> removed = m_store->removeGitCredential(host);
    if (!removed) {
        done(removed);
        return;
    }
    m_engine->removeGitLogin(host);
    m_problems.remove(host);
    m_vault->remove(secretKey(host), [host, existed = *removed, done](const Result<void> &gone) {
        if (!gone)
            qWarning("slipwayd: the keychain kept the git password for %s: %s", qPrintable(host),
                     qPrintable(gone.error().message));
        done(existed);
    });
}

Result<QList<GitLoginKeeper::Entry>> GitLoginKeeper::list() const
{
    const Result<QList<GitCredentialRecord>> records = m_store->gitCredentials();
    if (!records)
        return std::unexpected(records.error());
    QList<Entry> entries;
    for (const GitCredentialRecord &record : *records)
        entries.append({record, m_problems.value(record.host)});
    return entries;
}

std::optional<GitLoginKeeper::Entry> GitLoginKeeper::find(const QString &host) const
{
    const Result<QList<Entry>> entries = list();
    if (!entries)
        return std::nullopt;
    for (const Entry &entry : *entries) {
        if (entry.record.host == host)
            return entry;
    }
    return std::nullopt;
}

} // namespace Slipway
