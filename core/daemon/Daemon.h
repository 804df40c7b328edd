#pragma once

#include "build/BuildRequest.h"
#include "util/Result.h"

#include <QLockFile>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>

namespace Slipway {

class ApiRoutes;
class ApiServer;
class Engine;
class EngineJournal;
class GitLoginKeeper;
class GitRepositories;
class Router;
class SecretVault;
class Store;

// slipwayd's engine for one user: the store, the keychain, the router, the engine, the
// API on a Unix socket (and optionally TLS TCP), and git repositories for pushes.
class Daemon : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QString dataDirectory;
        QString socketPath;
        QString routerAddress = QStringLiteral("127.0.0.1");
        quint16 routerPort = 0;     // 0: the saved port, else any free one
        QStringList trustedProxies; // see Router::Options
        QString listenAddress;      // optional TLS listener
        quint16 listenPort = 0;
        QString tlsCertificate;
        QString tlsKey;
        QString slipctlProgram; // for git hooks
        QString builtinBuildpacksDirectory;
        QString version;
        qint64 maxUploadBytes = 512LL * 1024 * 1024;
        qint64 buildMemoryLimit = BuildRequest::defaultMemoryLimit();
    };

    explicit Daemon(Options options, QObject *parent = nullptr);
    ~Daemon() override;

    // Takes the data dir's lock, opens everything, restores the apps; `done` once the
    // API answers (or with the reason it cannot).
    void start(std::function<void(Result<void>)> done);
    // Stops every container (SIGTERM, grace, SIGKILL), then the API and the router.
    void stop(std::function<void()> done);

    static QString defaultSocketPath();
    static QString defaultDataDirectory();

Q_SIGNALS:
    // A client asked the daemon to stop (POST /v1/shutdown); whoever runs it calls stop().
    void shutdownRequested();

private:
    void continueStart(std::function<void(Result<void>)> done);
    void restoreAndServe(std::function<void(Result<void>)> done);
    void refreshTokens();

    // The hashes of the valid API tokens, read by the API's threads.
    class TokenSet
    {
    public:
        bool contains(const QByteArray &hash) const
        {
            QMutexLocker locker(&m_mutex);
            return m_hashes.contains(hash);
        }
        void replace(const QSet<QByteArray> &hashes)
        {
            QMutexLocker locker(&m_mutex);
            m_hashes = hashes;
        }

    private:
        mutable QMutex m_mutex;
        QSet<QByteArray> m_hashes;
    };

    Options m_options;
    std::unique_ptr<QLockFile> m_lock;
    std::unique_ptr<Store> m_store;
    SecretVault *m_vault = nullptr;
    std::unique_ptr<Router> m_router;
    std::unique_ptr<Engine> m_engine;
    EngineJournal *m_journal = nullptr;
    GitLoginKeeper *m_gitLogins = nullptr;
    ApiRoutes *m_routes = nullptr;
    std::unique_ptr<ApiServer> m_api;
    std::unique_ptr<GitRepositories> m_git;
    std::atomic<bool> m_stopping{false};
    std::shared_ptr<TokenSet> m_tokens = std::make_shared<TokenSet>();
};

} // namespace Slipway
