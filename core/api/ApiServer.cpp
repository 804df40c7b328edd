#include "api/ApiServer.h"

#include "api/ApiIoThread.h"
#include "api/ApiListener.h"
#include "api/ApiLogging.h"
#include "api/ApiSessionSettings.h"
#include "api/ApiTls.h"
#include "api/UnixSocketFile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

#include <sys/stat.h>

namespace Slipway {

ApiServer::ApiServer(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{}

ApiServer::~ApiServer()
{
    stop();
}

void ApiServer::setHandler(Handler handler)
{
    m_handler = std::move(handler);
}

Result<void> ApiServer::start()
{
    if (m_running)
        return {};
    const bool wantsTcp = !m_options.tcpAddress.isEmpty();
    if (!wantsTcp && m_options.tcpPort != 0)
        return failure(
            QStringLiteral("a TCP port (%1) was given for the API without an address to listen on")
                .arg(m_options.tcpPort));
    if (!wantsTcp && m_options.socketPath.isEmpty())
        return failure(QStringLiteral(
            "the API has nothing to listen on: give a socket path or a TCP address"));
    if (wantsTcp && (m_options.certificateFile.isEmpty() || m_options.privateKeyFile.isEmpty()))
        return failure(
            QStringLiteral("plain TCP is refused: the API listens on %1:%2 only with TLS; "
                           "give a certificate and a private key (PEM)")
                .arg(m_options.tcpAddress)
                .arg(m_options.tcpPort));
    if (wantsTcp && !m_options.validateToken)
        return failure(
            QStringLiteral(
                "TCP without bearer tokens is refused: the API on %1:%2 needs a token check")
                .arg(m_options.tcpAddress)
                .arg(m_options.tcpPort));

    auto settings = std::make_shared<ApiSessionSettings>();
    settings->maxBodyBytes = std::max<qint64>(0, m_options.maxBodyBytes);
    settings->memoryBodyLimit = std::max<qint64>(0, m_options.memoryBodyLimit);
    settings->bodyGrace = m_options.bodyGrace;
    settings->minimumBodyRate = std::max<qint64>(1, m_options.minimumBodyRate);
    settings->validateToken = m_options.validateToken;
    settings->qtSide = this;
    settings->spoolDirectory =
        m_options.spoolDirectory.isEmpty() ? QDir::tempPath() : m_options.spoolDirectory;
    if (!QFileInfo::exists(settings->spoolDirectory)) {
        if (!QDir().mkpath(settings->spoolDirectory))
            return failure(QStringLiteral("cannot create the folder %1 for large request bodies")
                               .arg(settings->spoolDirectory));
        ::chmod(QFile::encodeName(settings->spoolDirectory).constData(), 0700);
    }
    if (wantsTcp) {
        auto tls = ApiTls::serverContext(m_options.certificateFile, m_options.privateKeyFile);
        if (!tls)
            return std::unexpected(tls.error());
        settings->tls = std::move(*tls);
    }
    // Runs on I/O threads; the handler runs on ours. The threads are joined before this
    // object goes, so `this` outlives every call.
    settings->dispatch = [this](ApiRequest &&request, std::shared_ptr<ApiResponder> responder) {
        QMetaObject::invokeMethod(
            this,
            [this, request = std::move(request), responder = std::move(responder)] {
                handle(request, responder);
            },
            Qt::QueuedConnection);
    };

    std::vector<std::shared_ptr<ApiIoThread>> threads;
    std::vector<ApiIoThread *> handles;
    for (int i = 0; i < std::max(1, m_options.threads); ++i) {
        threads.push_back(std::make_shared<ApiIoThread>(i));
        handles.push_back(threads.back().get());
    }
    auto listener = std::make_shared<ApiListener>(handles, settings);
    std::unique_ptr<UnixSocketFile> socketFile;
    if (!m_options.socketPath.isEmpty()) {
        socketFile = std::make_unique<UnixSocketFile>(m_options.socketPath);
        if (Result<void> listening = listener->listenLocal(*socketFile); !listening)
            return listening;
    }
    quint16 tcpPort = 0;
    if (wantsTcp) {
        Result<quint16> listening = listener->listenTcp(m_options.tcpAddress, m_options.tcpPort);
        if (!listening) {
            listener.reset();
            if (socketFile)
                socketFile->release();
            return std::unexpected(listening.error());
        }
        tcpPort = *listening;
    }

    m_settings = std::move(settings);
    m_threads = std::move(threads);
    m_listener = std::move(listener);
    m_socketFile = std::move(socketFile);
    m_tcpPort = tcpPort;
    for (const auto &thread : m_threads)
        thread->start();
    m_listener->start();
    m_running = true;
    return {};
}

void ApiServer::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_listener->close();
    for (const auto &thread : m_threads)
        thread->stop();
    // What is bound to a thread's io_context goes before the thread object.
    m_listener.reset();
    m_threads.clear();
    if (m_socketFile)
        m_socketFile->release();
    m_socketFile.reset();
    m_tcpPort = 0;
}

void ApiServer::handle(const ApiRequest &request, const std::shared_ptr<ApiResponder> &responder)
{
    if (!m_handler) {
        responder->sendError(503, QStringLiteral("the API is not ready yet"));
        return;
    }
    try {
        m_handler(request, responder);
    } catch (const std::exception &error) {
        qCWarning(lcApi, "the handler of %s %s threw: %s", qUtf8Printable(request.method),
                  qUtf8Printable(request.path), error.what());
        responder->sendError(
            500, QStringLiteral("internal error: %1").arg(QString::fromLocal8Bit(error.what())));
    } catch (...) {
        qCWarning(lcApi, "the handler of %s %s threw", qUtf8Printable(request.method),
                  qUtf8Printable(request.path));
        responder->sendError(500, QStringLiteral("internal error"));
    }
}

} // namespace Slipway
