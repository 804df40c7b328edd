#pragma once

#include "api/ResponsePart.h"

namespace Slipway {

// The connection end of a ResponseLink: takes the parts on the connection's I/O thread.
class ResponseSink
{
public:
    virtual ~ResponseSink() = default;
    virtual void accept(ResponsePart part) = 0;
};

} // namespace Slipway
