#include "api/ApiResponder.h"

#include "api/ApiJson.h"
#include "api/ApiLogging.h"
#include "api/ResponseLink.h"

namespace Slipway {

namespace {

int checkedStatus(int status)
{
    if (status >= 200 && status <= 999)
        return status;
    // 1xx answers are the server's business (100 Continue), not a handler's.
    qCWarning(lcApi, "ApiResponder: status %d is not a final HTTP status; 500 is sent instead",
              status);
    return 500;
}

} // namespace

ApiResponder::ApiResponder(std::shared_ptr<ResponseLink> link)
    : m_link(std::move(link))
{}

ApiResponder::~ApiResponder()
{
    m_link->abandon();
}

void ApiResponder::send(int status, const QJsonValue &json)
{
    send(status, ApiJson::serialize(json), QByteArrayLiteral("application/json"));
}

void ApiResponder::send(int status, const QByteArray &body, const QByteArray &contentType)
{
    m_link->submit(
        ResponsePart{ResponsePart::Kind::Whole, checkedStatus(status), contentType, body});
}

void ApiResponder::sendError(int status, const QString &message)
{
    const int checked = checkedStatus(status);
    send(checked, ApiJson::error(checked, message), QByteArrayLiteral("application/json"));
}

void ApiResponder::beginStream(int status, const QByteArray &contentType)
{
    m_link->submit(ResponsePart{ResponsePart::Kind::Head, checkedStatus(status), contentType, {}});
}

void ApiResponder::write(const QByteArray &chunk)
{
    m_link->submit(ResponsePart{ResponsePart::Kind::Chunk, 0, {}, chunk});
}

void ApiResponder::end()
{
    m_link->submit(ResponsePart{ResponsePart::Kind::End, 0, {}, {}});
}

bool ApiResponder::isOpen() const
{
    return m_link->isOpen();
}

void ApiResponder::onClosed(std::function<void()> callback)
{
    m_link->onClosed(std::move(callback));
}

void ApiResponder::onDone(std::function<void()> callback)
{
    m_link->onDone(std::move(callback));
}

} // namespace Slipway
