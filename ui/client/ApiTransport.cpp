#include "client/ApiTransport.h"

#include <QJsonDocument>

namespace Slipway::ApiTransport {

ApiClient clientFor(const DaemonEndpoint &endpoint)
{
    return ApiClient::unixSocket(endpoint.socketPath);
}

ApiResult resultFrom(const Result<ApiReply> &reply)
{
    ApiResult result;
    if (!reply) {
        result.error = reply.error().message;
        return result;
    }
    result.reached = true;
    result.status = reply->status;
    result.body = reply->body;
    const QJsonDocument document = QJsonDocument::fromJson(reply->body);
    if (document.isObject())
        result.json = document.object();
    if (!reply->isSuccess())
        result.error = reply->errorMessage();
    return result;
}

bool isUnreachable(const ApiResult &result)
{
    return !result.reached;
}

} // namespace Slipway::ApiTransport
