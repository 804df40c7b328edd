#pragma once

#include "CommandLine.h"

#include "api/ApiClient.h"
#include "util/Result.h"

#include <QByteArray>
#include <QCommandLineParser>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace Slipctl {

// What one client command works with: its parsed arguments, the app it acts on and the
// daemon's API, reached (and started when needed) only once the arguments are known good,
// so a usage error never starts a daemon.
class CommandContext
{
public:
    CommandContext(const GlobalOptions &global, const CommandSpec &command);

    // Parses the command's own arguments. Returns -1 to go on, else the exit status to
    // return at once (0 after --help, 2 after a usage error).
    int parseArguments();

    const CommandSpec &command() const { return m_command; }
    const QStringList &positionals() const { return m_positionals; }
    bool isSet(const QString &option) const { return m_parser.isSet(option); }
    QString value(const QString &option) const { return m_parser.value(option); }
    QStringList values(const QString &option) const { return m_parser.values(option); }
    bool json() const { return m_json; }
    QString app() const { return m_app; }
    // The app only when named on this command line, never from $SLIPWAY_APP.
    QString explicitApp() const { return m_explicitApp; }
    QString socketPath() const { return m_socketPath; }

    // "slipctl: <message>" and the command's synopsis on stderr; returns 2.
    int usageError(const QString &message) const;

    // "/v1/apps/<app><rest>", the app percent-encoded.
    QString appPath(const QString &rest = {}) const;
    static QString pathSegment(const QString &segment);

    // One request whose answer is a JSON object (empty for 204). An answer outside 2xx
    // becomes an error carrying the API's message.
    Slipway::Result<QJsonObject> get(const QString &path, int timeoutMs = 30000);
    Slipway::Result<QJsonObject> send(const QByteArray &method, const QString &path,
                                      const QJsonObject &body = {}, int timeoutMs = 30000);
    Slipway::Result<QJsonObject> upload(const QString &path, const QString &file);
    // A streamed answer, chunk by chunk as it comes; onChunk returns false to stop early.
    Slipway::Result<void> stream(const QByteArray &method, const QString &path,
                                 const QByteArray &body,
                                 const std::function<bool(const QByteArray &)> &onChunk);

private:
    Slipway::Result<Slipway::ApiClient *> client();
    Slipway::Result<QJsonObject> jsonAnswer(const Slipway::Result<Slipway::ApiReply> &reply) const;

    GlobalOptions m_global;
    const CommandSpec &m_command;
    QCommandLineParser m_parser;
    QStringList m_positionals;
    QString m_app;
    QString m_explicitApp;
    bool m_json = false;
    QString m_socketPath;
    std::optional<Slipway::ApiClient> m_client;
};

} // namespace Slipctl
