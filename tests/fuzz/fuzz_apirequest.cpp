// Requests to slipwayd's API: the header and body as the API server parses them, the path
// and query decoded as it decodes them, and the body read as JSON as every endpoint does.

#include "FuzzCheck.h"
#include "api/ApiRequest.h"

#include <boost/beast/http.hpp>

#include <QJsonObject>
#include <QUrl>

#include <stdexcept>
#include <string>

namespace http = boost::beast::http;

namespace {

int handle(const std::uint8_t *data, std::size_t size)
{
    http::request_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(4 * 1024 * 1024);
    boost::system::error_code error;
    parser.put(boost::asio::buffer(data, size), error);
    if (error == http::error::need_more && parser.is_header_done() && !parser.is_done())
        parser.put_eof(error);
    if (!parser.is_header_done())
        return 0;
    const auto &header = parser.get().base();
    const std::string_view target = header.target();
    Slipway::ApiRequest request;
    request.method = QString::fromLatin1(header.method_string().data(),
                                         qsizetype(header.method_string().size()));
    const std::size_t question = target.find('?');
    const std::string_view path = target.substr(0, question);
    request.path = QUrl::fromPercentEncoding(QByteArray(path.data(), qsizetype(path.size())));
    if (question != std::string_view::npos) {
        const std::string_view query = target.substr(question + 1);
        request.query = QUrlQuery(QString::fromUtf8(query.data(), qsizetype(query.size())));
        (void)request.query.queryItemValue(QStringLiteral("reveal"));
    }
    for (const auto &field : header) {
        const QByteArray name =
            QByteArray(field.name_string().data(), qsizetype(field.name_string().size())).toLower();
        request.headers[name] += QByteArray(field.value().data(), qsizetype(field.value().size()));
    }
    if (parser.is_done()) {
        const std::string &body = parser.get().body();
        request.body = QByteArray(body.data(), qsizetype(body.size()));
        const QJsonDocument json = request.json();
        if (json.isObject())
            (void)json.object()
                .value(QStringLiteral("app"))
                .toObject()
                .value(QStringLiteral("name"));
    }
    return 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    return runHttpTarget(handle, data, size);
}
