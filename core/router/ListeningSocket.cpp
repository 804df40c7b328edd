#include "router/ListeningSocket.h"

#include "router/CloseOnExec.h"
#include "router/RouterLogging.h"

namespace Slipway {

boost::system::error_code listenOn(Io::Acceptor &acceptor,
                                   const boost::asio::ip::tcp::endpoint &endpoint)
{
    using tcp = boost::asio::ip::tcp;
    boost::system::error_code error;
    acceptor.open(endpoint.protocol(), error);
    if (!error) {
        setCloseOnExec(acceptor.native_handle());
        acceptor.set_option(tcp::acceptor::reuse_address(true), error);
    }
    if (!error)
        acceptor.bind(endpoint, error);
    if (!error)
        acceptor.listen(tcp::acceptor::max_listen_connections, error);
    return error;
}

void logConnectionFailure(const char *what, std::exception_ptr failure)
{
    if (!failure)
        return;
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception &error) {
        qCWarning(lcRouter, "%s ended with an error: %s", what, error.what());
    }
}

} // namespace Slipway
