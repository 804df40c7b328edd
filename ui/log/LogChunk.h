#pragma once

#include <QtGlobal>

#include <memory>

namespace Slipway {

// A block of the log's plain text: whole lines, each ending with '\n', written once and
// never changed, so a worker thread can read the lines a snapshot covers while the GUI
// thread appends after them.
struct LogChunk
{
    explicit LogChunk(qsizetype capacity)
        : data(new char[size_t(capacity)])
        , capacity(capacity)
    {}

    std::unique_ptr<char[]> data;
    qsizetype capacity = 0;
    qsizetype size = 0; // bytes written so far (GUI thread only)
};

} // namespace Slipway
