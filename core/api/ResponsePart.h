#pragma once

#include <QByteArray>

namespace Slipway {

// One step of an answer on its way from the Qt side to the connection's I/O thread.
struct ResponsePart
{
    enum class Kind {
        Whole, // status, content type and the entire body
        Head,  // status and content type of a chunked stream
        Chunk, // a piece of the stream
        End    // the stream is over
    };
    Kind kind = Kind::Whole;
    int status = 200;
    QByteArray contentType;
    QByteArray data;
};

} // namespace Slipway
