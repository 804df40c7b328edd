#include "CommandContext.h"

#include "api/DaemonLauncher.h"
#include "Output.h"

#include <QJsonDocument>
#include <QTextStream>
#include <QUrl>

using namespace Slipway;

namespace Slipctl {

namespace {

const QString AppOption = QStringLiteral("app");
const QString JsonOption = QStringLiteral("json");
const QString HelpOption = QStringLiteral("help");

bool autostartDisabled()
{
    const QByteArray value = qgetenv("SLIPWAY_NO_AUTOSTART");
    return !value.isEmpty() && value != "0";
}

} // namespace

CommandContext::CommandContext(const GlobalOptions &global, const CommandSpec &command)
    : m_global(global)
    , m_command(command)
{}

int CommandContext::parseArguments()
{
    if (m_command.positionalsEndOptions)
        m_parser.setOptionsAfterPositionalArgumentsMode(
            QCommandLineParser::ParseAsPositionalArguments);
    m_parser.addOptions(m_command.options);
    m_parser.addOption(QCommandLineOption(QStringList{QStringLiteral("a"), AppOption}, QString(),
                                          QStringLiteral("NAME")));
    m_parser.addOption(QCommandLineOption(JsonOption));
    m_parser.addOption(QCommandLineOption(QStringList{QStringLiteral("h"), HelpOption}));

    if (!m_parser.parse(QStringList{QStringLiteral("slipctl")} + m_global.arguments))
        return usageError(m_parser.errorText());
    if (m_global.help || m_parser.isSet(HelpOption)) {
        printCommandHelp(standardOutput(), m_command);
        return 0;
    }

    m_json = m_global.json || m_parser.isSet(JsonOption);
    m_explicitApp = m_parser.isSet(AppOption) ? m_parser.value(AppOption) : m_global.app;
    m_app = m_explicitApp.isEmpty() ? qEnvironmentVariable("SLIPWAY_APP") : m_explicitApp;
    m_socketPath =
        m_global.socketPath.isEmpty() ? DaemonLauncher::defaultSocketPath() : m_global.socketPath;

    m_positionals = m_parser.positionalArguments();
    const qsizetype count = m_positionals.size();
    if (count < m_command.minimumPositionals)
        return usageError(QStringLiteral("'%1' needs %2").arg(m_command.name, m_command.arguments));
    if (m_command.maximumPositionals >= 0 && count > m_command.maximumPositionals) {
        if (m_command.maximumPositionals == 0) {
            return usageError(QStringLiteral("'%1' takes no arguments, got '%2'")
                                  .arg(m_command.name, m_positionals.join(u' ')));
        }
        return usageError(QStringLiteral("'%1' takes %2, got '%3'")
                              .arg(m_command.name, m_command.arguments, m_positionals.join(u' ')));
    }
    if (m_command.app == CommandSpec::AppUse::Required && m_app.isEmpty())
        return usageError(
            QStringLiteral("no app given; name it with --app NAME or set SLIPWAY_APP"));
    return -1;
}

int CommandContext::usageError(const QString &message) const
{
    standardOutput().flush();
    standardError() << "slipctl: " << message << '\n' << "Usage: " << m_command.synopsis() << '\n';
    standardError().flush();
    return 2;
}

QString CommandContext::pathSegment(const QString &segment)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(segment));
}

QString CommandContext::appPath(const QString &rest) const
{
    return QStringLiteral("/v1/apps/") + pathSegment(m_app) + rest;
}

Result<ApiClient *> CommandContext::client()
{
    if (m_client)
        return &*m_client;
    if (!DaemonLauncher::isListening(m_socketPath)) {
        if (autostartDisabled()) {
            return failure(QStringLiteral("no daemon answers on %1 (SLIPWAY_NO_AUTOSTART is set); "
                                          "start one with: slipwayd --socket %1")
                               .arg(m_socketPath));
        }
        DaemonLauncher launcher(m_socketPath, m_global.dataDirectory);
        if (Result<void> found = launcher.checkProgram(); !found)
            return std::unexpected(found.error());
        standardError() << "-----> Starting slipwayd on " << m_socketPath << '\n';
        standardError().flush();
        if (Result<void> started = launcher.start(); !started)
            return std::unexpected(started.error());
    }
    m_client.emplace(ApiClient::unixSocket(m_socketPath));
    return &*m_client;
}

Result<QJsonObject> CommandContext::jsonAnswer(const Result<ApiReply> &reply) const
{
    if (!reply)
        return std::unexpected(reply.error());
    if (reply->status < 200 || reply->status >= 300)
        return failure(reply->errorMessage());
    if (reply->body.trimmed().isEmpty())
        return QJsonObject();
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(reply->body, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) {
        return failure(QStringLiteral("the daemon's answer is not a JSON object (%1)")
                           .arg(error.error != QJsonParseError::NoError
                                    ? error.errorString()
                                    : QStringLiteral("not an object")));
    }
    return document.object();
}

Result<QJsonObject> CommandContext::get(const QString &path, int timeoutMs)
{
    Result<ApiClient *> api = client();
    if (!api)
        return std::unexpected(api.error());
    return jsonAnswer((*api)->request("GET", path, {}, "application/json", timeoutMs));
}

Result<QJsonObject> CommandContext::send(const QByteArray &method, const QString &path,
                                         const QJsonObject &body, int timeoutMs)
{
    Result<ApiClient *> api = client();
    if (!api)
        return std::unexpected(api.error());
    const QByteArray payload = method == "DELETE" && body.isEmpty()
                                   ? QByteArray()
                                   : QJsonDocument(body).toJson(QJsonDocument::Compact);
    return jsonAnswer((*api)->request(method, path, payload, "application/json", timeoutMs));
}

Result<QJsonObject> CommandContext::upload(const QString &path, const QString &file)
{
    Result<ApiClient *> api = client();
    if (!api)
        return std::unexpected(api.error());
    return jsonAnswer((*api)->upload("POST", path, file, "application/octet-stream"));
}

Result<void> CommandContext::stream(const QByteArray &method, const QString &path,
                                    const QByteArray &body,
                                    const std::function<bool(const QByteArray &)> &onChunk)
{
    Result<ApiClient *> api = client();
    if (!api)
        return std::unexpected(api.error());
    // An error answer comes back whole, as the error, never as chunks.
    Result<int> status = (*api)->stream(method, path, body, onChunk);
    if (!status)
        return std::unexpected(status.error());
    if (*status < 200 || *status >= 300)
        return failure(QStringLiteral("slipwayd answered HTTP %1").arg(*status));
    return {};
}

} // namespace Slipctl
