#include "daemon/Daemon.h"

#include "api/ApiServer.h"
#include "daemon/ApiRoutes.h"
#include "daemon/EngineJournal.h"
#include "daemon/GitLoginKeeper.h"
#include "daemon/GitRepositories.h"
#include "rollout/Engine.h"
#include "router/Router.h"
#include "secrets/SecretVault.h"
#include "store/Store.h"
#include "util/ProcessTree.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTimer>

#include <unistd.h>

namespace Slipway {

Daemon::Daemon(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{}

Daemon::~Daemon() = default;

QString Daemon::defaultSocketPath()
{
    // The same rule as slipctl's, so both find each other without being told.
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (runtime.isEmpty())
        return QStringLiteral("/tmp/slipway-%1/slipwayd.sock").arg(::getuid());
    return runtime + QStringLiteral("/slipway/slipwayd.sock");
}

QString Daemon::defaultDataDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/slipway");
}

void Daemon::start(std::function<void(Result<void>)> done)
{
    const QString data = m_options.dataDirectory;
    if (!QDir().mkpath(data)) {
        done(failure(QStringLiteral("cannot create the data folder %1").arg(data)));
        return;
    }
    QFile::setPermissions(data,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    // One daemon per data folder: a second one would fight the first over every container.
    m_lock = std::make_unique<QLockFile>(data + QStringLiteral("/slipwayd.lock"));
    m_lock->setStaleLockTime(0);
    if (!m_lock->tryLock(100)) {
        qint64 pid = 0;
        QString host;
        QString application;
        m_lock->getLockInfo(&pid, &host, &application);
        done(failure(
            QStringLiteral("another slipwayd (pid %1) already runs on %2; stop it first or give "
                           "another --data-dir")
                .arg(pid)
                .arg(data)));
        return;
    }
    // Orphans of containers whose parents died with a previous daemon come back to us.
    ProcessTree::becomeSubreaper();

    Result<std::unique_ptr<Store>> store = Store::open(data + QStringLiteral("/slipway.db"));
    if (!store) {
        done(std::unexpected(store.error()));
        return;
    }
    m_store = std::move(*store);
    m_vault =
        new SecretVault(SecretVault::serviceFor(data), data + QStringLiteral("/secrets"), this);
    m_vault->open([this, done](SecretVault::Backend backend, const QString &reason) {
        if (backend == SecretVault::Backend::PrivateFile)
            qWarning("slipwayd: secrets are kept in a private file, not the keychain: %s",
                     qPrintable(reason));
        else if (!reason.isEmpty())
            qWarning("slipwayd: %s", qPrintable(reason));
        continueStart(done);
    });
}

void Daemon::continueStart(std::function<void(Result<void>)> done)
{
    const QString data = m_options.dataDirectory;
    Router::Options routerOptions;
    routerOptions.address = m_options.routerAddress;
    routerOptions.port = m_options.routerPort;
    routerOptions.trustedProxies = m_options.trustedProxies;
    routerOptions.accessLogDirectory = data + QStringLiteral("/logs/router");
    // Without --router the port of the last run is tried first, so app URLs stay the same.
    QFile savedPort(data + QStringLiteral("/router-port"));
    const bool reuse = m_options.routerPort == 0 && savedPort.open(QIODevice::ReadOnly);
    if (reuse)
        routerOptions.port = quint16(savedPort.readAll().trimmed().toUInt());
    savedPort.close();
    m_router = std::make_unique<Router>(routerOptions);
    Result<void> started = m_router->start();
    if (!started && reuse) {
        routerOptions.port = 0;
        m_router = std::make_unique<Router>(routerOptions);
        started = m_router->start();
    }
    if (!started) {
        done(std::unexpected(started.error()));
        return;
    }
    if (savedPort.open(QIODevice::WriteOnly | QIODevice::Truncate))
        savedPort.write(QByteArray::number(m_router->port()));
    savedPort.close();

    Engine::Options engineOptions;
    engineOptions.dataDirectory = data;
    engineOptions.router = m_router.get();
    engineOptions.builtinBuildpacksDirectory = m_options.builtinBuildpacksDirectory;
    engineOptions.buildMemoryLimit = m_options.buildMemoryLimit;
    m_engine = std::make_unique<Engine>(engineOptions);
    m_journal = new EngineJournal(m_engine.get(), m_store.get(), m_vault,
                                  data + QStringLiteral("/logs"), this);
    m_gitLogins = new GitLoginKeeper(m_engine.get(), m_store.get(), m_vault, this);

    m_git = std::make_unique<GitRepositories>(data + QStringLiteral("/git"),
                                              m_options.slipctlProgram, m_options.socketPath);
    connect(m_engine.get(), &Engine::appCreated, this, [this](const QString &app) {
        if (Result<void> created = m_git->create(app); !created)
            qWarning("slipwayd: %s", qPrintable(created.error().message));
    });
    connect(m_engine.get(), &Engine::appDeleted, this,
            [this](const QString &app) { m_git->remove(app); });

    ApiRoutes::Context context;
    context.engine = m_engine.get();
    context.journal = m_journal;
    context.store = m_store.get();
    context.router = m_router.get();
    context.vault = m_vault;
    context.gitLogins = m_gitLogins;
    context.requestShutdown = [this] {
        // After the answer has gone out.
        QMetaObject::invokeMethod(this, &Daemon::shutdownRequested, Qt::QueuedConnection);
    };
    context.dataDirectory = data;
    context.gitDirectory = data + QStringLiteral("/git");
    context.version = m_options.version;
    m_routes = new ApiRoutes(context, this);

    // Logins first: a deployment asked for as soon as the API answers may need one.
    m_gitLogins->load([this, done, data] { restoreAndServe(done); });
}

void Daemon::restoreAndServe(std::function<void(Result<void>)> done)
{
    const QString data = m_options.dataDirectory;
    m_journal->restore([this, done, data](const Result<QStringList> &restored) {
        if (!restored) {
            done(std::unexpected(restored.error()));
            return;
        }
        ApiServer::Options apiOptions;
        apiOptions.socketPath = m_options.socketPath;
        apiOptions.spoolDirectory = data + QStringLiteral("/uploads");
        apiOptions.maxBodyBytes = m_options.maxUploadBytes;
        apiOptions.tcpAddress = m_options.listenAddress;
        apiOptions.tcpPort = m_options.listenPort;
        apiOptions.certificateFile = m_options.tlsCertificate;
        apiOptions.privateKeyFile = m_options.tlsKey;
        // Tokens are checked on the API's threads while the store belongs to this one: the
        // valid hashes are mirrored and refreshed every second (`slipwayd token` writes the
        // store from another process), so a revoked token stops working within a second.
        refreshTokens();
        auto *refresh = new QTimer(this);
        connect(refresh, &QTimer::timeout, this, &Daemon::refreshTokens);
        refresh->start(1000);
        apiOptions.validateToken = [tokens = m_tokens](const QByteArray &token) {
            return tokens->contains(Store::hashToken(token));
        };
        m_api = std::make_unique<ApiServer>(apiOptions);
        m_api->setHandler(
            [this](const ApiRequest &request, std::shared_ptr<ApiResponder> responder) {
                m_routes->handle(request, responder);
            });
        if (Result<void> started = m_api->start(); !started) {
            done(std::unexpected(started.error()));
            return;
        }
        for (const QString &app : m_engine->appNames())
            m_git->installHook(app);
        done({});
    });
}

void Daemon::refreshTokens()
{
    if (const Result<QSet<QByteArray>> hashes = m_store->validTokenHashes())
        m_tokens->replace(*hashes);
}

void Daemon::stop(std::function<void()> done)
{
    if (!m_engine) {
        done();
        return;
    }
    m_stopping = true;
    m_engine->shutdown([this, done] {
        if (m_api)
            m_api->stop();
        if (m_router)
            m_router->stop();
        done();
    });
}

} // namespace Slipway
