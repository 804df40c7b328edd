#pragma once

#include "client/ApiResult.h"
#include "client/DaemonEndpoint.h"

#include "api/ApiClient.h"
#include "api/ApiReply.h"
#include "util/Result.h"

namespace Slipway {

// The blocking side of the console's calls, run on worker threads only.
namespace ApiTransport {

ApiClient clientFor(const DaemonEndpoint &endpoint);
ApiResult resultFrom(const Result<ApiReply> &reply);
// True when the failure means the daemon is not there (as opposed to an HTTP error).
bool isUnreachable(const ApiResult &result);

} // namespace ApiTransport

} // namespace Slipway
