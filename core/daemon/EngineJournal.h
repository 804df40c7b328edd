#pragma once

#include "release/ConfigVars.h"
#include "release/Release.h"
#include "util/Result.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <functional>
#include <memory>

namespace Slipway {

class Deployment;
class Engine;
class LogFile;
class SecretVault;
class Store;
struct LogLine;

// Keeps the store in step with the engine: apps, settings, config vars (secret values go
// to the keychain, the store keeps a reference), releases, deployments with their
// timeline and log files, containers. Also reads everything back after a restart.
class EngineJournal : public QObject
{
    Q_OBJECT

public:
    EngineJournal(Engine *engine, Store *store, SecretVault *vault, QString logDirectory,
                  QObject *parent = nullptr);
    ~EngineJournal() override;

    // Marks which config vars of an app are secret, before the engine changes them.
    void setSecret(const QString &app, const QString &name, bool secret);
    bool isSecret(const QString &app, const QString &name) const;
    QSet<QString> secretNames(const QString &app) const;

    QString deploymentLogPath(const QString &deploymentId) const;
    QString appLogPath(const QString &app) const;

    // After a crash or a stop: deployments left unfinished become `aborted`, orphan
    // processes of containers are ended, and each app comes back with its current release
    // serving. `done` gets the apps restored or the first error.
    void restore(std::function<void(Result<QStringList>)> done);

Q_SIGNALS:
    void containerLogLine(const QString &app, const Slipway::LogLine &line);

private:
    void watchApp(const QString &app);
    void watchDeployment(Deployment *deployment);
    void recordConfig(const QString &app, const ConfigVars &set, const QStringList &unset);
    void recordRelease(const Release &release);
    void recordContainers(const QString &app);
    void killOrphans();
    LogFile *appLog(const QString &app);
    void report(const Result<void> &result, const char *what);

    Engine *m_engine;
    Store *m_store;
    SecretVault *m_vault;
    QString m_logDirectory;
    bool m_restoring = false;
    QHash<QString, QSet<QString>> m_secrets;              // app → secret var names
    QHash<QString, QHash<QString, QString>> m_secretRefs; // app → name → keychain reference
    QHash<QString, std::shared_ptr<LogFile>> m_appLogs;
};

} // namespace Slipway
