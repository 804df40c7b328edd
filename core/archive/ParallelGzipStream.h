#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QCryptographicHash>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

class QIODevice;

namespace Slipway {

// Compresses a byte stream with gzip on several cores. The stream is cut into chunks of a
// few MB, each compressed by libarchive into its own gzip member on a worker thread, and the
// members are written to `output` in order. Concatenated members are one valid gzip file
// (RFC 1952, section 2.2) that gzip, tar and libarchive read like any other; restarting the
// dictionary every few MB costs well under one percent in size.
class ParallelGzipStream
{
public:
    static constexpr qsizetype DefaultChunkSize = 4 * 1024 * 1024;

    // `workers` <= 0 picks one per core, up to eight.
    explicit ParallelGzipStream(QIODevice *output, int compressionLevel = 6, int workers = 0,
                                qsizetype chunkSize = DefaultChunkSize);
    ~ParallelGzipStream();

    ParallelGzipStream(const ParallelGzipStream &) = delete;
    ParallelGzipStream &operator=(const ParallelGzipStream &) = delete;

    Result<> write(const char *data, qsizetype size);
    // Compresses what is left and waits for every member to be written.
    Result<> finish();

    qint64 uncompressedBytes() const { return m_uncompressedBytes; }
    qint64 compressedBytes() const { return m_compressedBytes; }
    // Hex SHA-256 of everything written to the output; valid after finish().
    QByteArray sha256() const { return m_sha256; }

private:
    struct Chunk
    {
        QByteArray input;
        QByteArray output;
        QString error;
        bool done = false;
    };

    Result<> submitCurrent();
    // Writes finished members in order until at most `pending` chunks remain in flight.
    Result<> drain(size_t pending);
    void work();
    void compress(Chunk &chunk) const;

    QIODevice *m_output;
    const int m_compressionLevel;
    const qsizetype m_chunkSize;
    size_t m_maxInFlight = 0;
    QByteArray m_current;
    QCryptographicHash m_hash{QCryptographicHash::Sha256};
    QByteArray m_sha256;
    qint64 m_uncompressedBytes = 0;
    qint64 m_compressedBytes = 0;

    std::mutex m_mutex;
    std::condition_variable m_workAvailable;
    std::condition_variable m_chunkDone;
    std::deque<std::shared_ptr<Chunk>> m_inFlight; // in stream order
    std::deque<std::shared_ptr<Chunk>> m_queued;   // not yet picked up by a worker
    bool m_stopping = false;
    std::vector<std::thread> m_workers;
};

} // namespace Slipway
