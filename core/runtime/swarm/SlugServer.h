#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QHash>
#include <QString>

#include <memory>
#include <mutex>

namespace Slipway {

class ConnectionAdmission;
struct SlugServerIo;

// Hands release slugs to Swarm tasks over HTTP, the way a Heroku dyno fetches its slug at
// boot: a task's command downloads its slug from a URL only it was told, then unpacks it
// into /app. Each slug has its own unguessable path (an HMAC-SHA256 of its file name under
// a key kept in the data folder, so it stays the same across restarts of the daemon and a
// task Swarm restarts later still finds it). Only GET and HEAD of a published path answer;
// anything else gets a bare 404 or 405. A client that is slow to send its request is cut
// off after 10 s; connections are capped. Runs on an I/O thread of its own.
class SlugServer
{
public:
    static constexpr auto KeyFile = "swarm-slug-key";

    // Listens on address:port (port 0: any). The key is read from (or made in)
    // `stateDirectory`.
    static Result<std::unique_ptr<SlugServer>> start(const QString &address, quint16 port,
                                                     const QString &stateDirectory);
    ~SlugServer();
    SlugServer(const SlugServer &) = delete;
    SlugServer &operator=(const SlugServer &) = delete;

    QString address() const { return m_address; }
    quint16 port() const { return m_port; }

    // Makes `slugPath` downloadable and gives its URL ("http://10.0.0.5:43127/slugs/<hex>").
    // Publishing the same file again gives the same URL.
    QString publish(const QString &slugPath);
    // The file behind a request path ("/slugs/<hex>"); empty when none. Thread-safe.
    QString fileFor(const QByteArray &target) const;

private:
    SlugServer() = default;

    QString m_address;
    quint16 m_port = 0;
    QByteArray m_key;
    mutable std::mutex m_mutex;
    QHash<QByteArray, QString> m_files; // by request path
    std::unique_ptr<SlugServerIo> m_io;
};

} // namespace Slipway
