#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QString>

#include <chrono>
#include <functional>
#include <optional>

namespace Slipway {

// Where secret values live: the OS keychain (a Secret Service on the session bus, through
// QtKeychain) or, when none answers, one file readable only by the user. Everything else in
// Slipway keeps a reference ("app/<app>/config/<NAME>", "git/<host>") and asks the vault for
// the value when it needs it. Values are never logged. Use it from the thread it lives in:
// QtKeychain answers through that thread's event loop.
class SecretVault : public QObject
{
    Q_OBJECT

public:
    enum class Backend { Keychain, PrivateFile };

    // `service` names this vault's entries in the keychain; use serviceFor() so that two
    // daemons with different data folders never share entries. `fallbackDirectory` holds the
    // private file when no keychain answers (made mode 0700; the file is 0600).
    SecretVault(QString service, QString fallbackDirectory, QObject *parent = nullptr);
    ~SecretVault() override;

    // "slipway-<hash of the data folder>".
    static QString serviceFor(const QString &dataDirectory);

    // How long one probe of the keychain may take. Default 5 s.
    void setProbeTimeout(std::chrono::milliseconds timeout);
    // How long open() keeps probing a keychain that already holds this vault's secrets (it
    // stored one before) but does not answer yet, as at a login when the keyring starts
    // late. Default 60 s.
    void setKeychainWait(std::chrono::milliseconds wait);

    // Probes the keychain (writes, reads back and deletes a probe entry) and picks the
    // backend. With no answer the private file is taken, unless the keychain already holds
    // this vault's secrets: then open() probes again until the keychain wait has passed and
    // stays on the keychain even if it never answers, so secrets are never split between
    // two stores and a read says the keychain did not answer instead of finding nothing.
    // `reason` says why the keychain was not used, or why it is not answering; empty when
    // it answered. Reads and writes before `done` has run are refused.
    void open(std::function<void(Backend backend, QString reason)> done);

    // Whether a secret was ever stored in the keychain for this vault (a marker in the
    // fallback folder says so; it holds no secret).
    bool keychainHoldsSecrets() const;

    bool isOpen() const { return m_open; }
    Backend backend() const { return m_backend; }
    QString fallbackReason() const { return m_fallbackReason; }
    QString fallbackFilePath() const;
    QString service() const { return m_service; }

    // Asynchronous; `done` always runs later from the event loop, never inside the call.
    void write(const QString &key, const QByteArray &secret,
               std::function<void(Result<void>)> done);
    void read(const QString &key, std::function<void(Result<QByteArray>)> done);
    // Removing a key that holds nothing succeeds.
    void remove(const QString &key, std::function<void(Result<void>)> done);

    // What the API and the console show instead of a value: always the same, so it tells
    // nothing, not even the length or whether the value is empty.
    static QString masked(const QString &value = {});

private:
    // Why a request for `key` cannot be served (store not open, invalid key); nothing if it can.
    std::optional<QString> refusal(const QString &key) const;
    void probeKeychain(std::function<void(Result<void>)> done);
    void probeUntil(std::chrono::steady_clock::time_point deadline, int attempt);
    QString keychainMarkerPath() const;
    void markKeychainUsed();
    void settleOpen(Backend backend, QString reason);

    void keychainWrite(const QString &key, const QByteArray &secret,
                       std::function<void(Result<void>)> done);
    void keychainRead(const QString &key, std::function<void(Result<QByteArray>)> done);
    void keychainRemove(const QString &key, std::function<void(Result<void>)> done);

    Result<void> fileWrite(const QString &key, const QByteArray &secret);
    Result<QByteArray> fileRead(const QString &key);
    Result<void> fileRemove(const QString &key);
    Result<QJsonObject> loadFile();
    Result<void> saveFile(const QJsonObject &entries);
    Result<void> prepareDirectory();

    QString m_service;
    QString m_fallbackDirectory;
    std::chrono::milliseconds m_probeTimeout{std::chrono::seconds(5)};
    std::chrono::milliseconds m_keychainWait{std::chrono::seconds(60)};
    Backend m_backend = Backend::Keychain;
    QString m_fallbackReason;
    bool m_open = false;
    bool m_opening = false;
    std::function<void(Backend, QString)> m_openDone;
};

} // namespace Slipway
