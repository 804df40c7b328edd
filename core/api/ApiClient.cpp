#include "api/ApiClient.h"

#include "api/ApiClientConnection.h"

#include <QFileInfo>

namespace Slipway {

ApiClient::ApiClient(std::shared_ptr<ApiClientConnection> connection)
    : m_connection(std::move(connection))
{}

ApiClient::~ApiClient() = default;
ApiClient::ApiClient(const ApiClient &) = default;
ApiClient &ApiClient::operator=(const ApiClient &) = default;

ApiClient ApiClient::unixSocket(const QString &path)
{
    return ApiClient(std::make_shared<ApiClientConnection>(path));
}

ApiClient ApiClient::tls(const QString &host, quint16 port, const QByteArray &token,
                         const QString &caCertificateFile)
{
    return ApiClient(std::make_shared<ApiClientConnection>(host, port, token, caCertificateFile));
}

QString ApiClient::endpoint() const
{
    return m_connection->endpoint();
}

Result<ApiReply> ApiClient::request(const QByteArray &method, const QString &pathAndQuery,
                                    const QByteArray &body, const QByteArray &contentType,
                                    int timeoutMs)
{
    ApiClientConnection::Call call;
    call.kind = ApiClientConnection::Call::Kind::Whole;
    call.method = method;
    call.target = pathAndQuery.toUtf8();
    call.body = body;
    call.contentType = contentType;
    call.timeout = std::chrono::milliseconds(timeoutMs);
    return m_connection->perform(call);
}

Result<ApiReply> ApiClient::upload(const QByteArray &method, const QString &pathAndQuery,
                                   const QString &file, const QByteArray &contentType,
                                   int timeoutMs,
                                   std::function<bool(qint64 sent, qint64 total)> onProgress)
{
    const QFileInfo info(file);
    if (!info.isFile() || !info.isReadable())
        return failure(QStringLiteral("cannot upload %1: it is not a readable file").arg(file));
    ApiClientConnection::Call call;
    call.kind = ApiClientConnection::Call::Kind::Upload;
    call.method = method;
    call.target = pathAndQuery.toUtf8();
    call.file = file;
    call.contentType = contentType;
    call.timeout = std::chrono::milliseconds(timeoutMs);
    call.onProgress = std::move(onProgress);
    return m_connection->perform(call);
}

Result<int> ApiClient::stream(const QByteArray &method, const QString &pathAndQuery,
                              const QByteArray &body,
                              std::function<bool(const QByteArray &chunk)> onChunk, int timeoutMs)
{
    ApiClientConnection::Call call;
    call.kind = ApiClientConnection::Call::Kind::Stream;
    call.method = method;
    call.target = pathAndQuery.toUtf8();
    call.body = body;
    call.contentType = QByteArrayLiteral("application/json");
    call.onChunk = std::move(onChunk);
    call.timeout = std::chrono::milliseconds(timeoutMs);
    Result<ApiReply> reply = m_connection->perform(call);
    if (!reply)
        return std::unexpected(reply.error());
    if (reply->status >= 300)
        return failure(reply->errorMessage());
    return reply->status;
}

void ApiClient::disconnect()
{
    m_connection->disconnect();
}

void ApiClient::abort()
{
    m_connection->abort();
}

} // namespace Slipway
