#include "ParallelGzipStream.h"

#include <QIODevice>
#include <QThread>

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Slipway {

namespace {

la_ssize_t appendToByteArray(archive *, void *clientData, const void *buffer, size_t length)
{
    static_cast<QByteArray *>(clientData)
        ->append(static_cast<const char *>(buffer), qsizetype(length));
    return la_ssize_t(length);
}

} // namespace

ParallelGzipStream::ParallelGzipStream(QIODevice *output, int compressionLevel, int workers,
                                       qsizetype chunkSize)
    : m_output(output)
    , m_compressionLevel(std::clamp(compressionLevel, 1, 9))
    , m_chunkSize(chunkSize)
{
    // Past a handful of cores the single producer reading files becomes the limit, and each
    // worker holds a few chunks of memory.
    constexpr int MaxWorkers = 8;
    const int workerCount =
        workers > 0 ? workers : std::clamp(QThread::idealThreadCount(), 1, MaxWorkers);
    // Two chunks per worker keep every core busy while the producer fills the next one;
    // memory stays bounded to a few dozen MB.
    m_maxInFlight = size_t(workerCount) * 2;
    m_current.reserve(m_chunkSize + 1024 * 1024);
    m_workers.reserve(size_t(workerCount));
    for (int i = 0; i < workerCount; ++i)
        m_workers.emplace_back([this] { work(); });
}

ParallelGzipStream::~ParallelGzipStream()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        m_queued.clear();
    }
    m_workAvailable.notify_all();
    for (std::thread &worker : m_workers)
        worker.join();
}

Result<> ParallelGzipStream::write(const char *data, qsizetype size)
{
    m_current.append(data, size);
    m_uncompressedBytes += size;
    if (m_current.size() >= m_chunkSize)
        return submitCurrent();
    return {};
}

Result<> ParallelGzipStream::finish()
{
    if (!m_current.isEmpty()) {
        if (auto submitted = submitCurrent(); !submitted)
            return submitted;
    }
    if (auto drained = drain(0); !drained)
        return drained;
    m_sha256 = m_hash.result().toHex();
    return {};
}

Result<> ParallelGzipStream::submitCurrent()
{
    auto chunk = std::make_shared<Chunk>();
    chunk->input = std::move(m_current);
    m_current = QByteArray();
    m_current.reserve(m_chunkSize + 1024 * 1024);
    {
        std::lock_guard lock(m_mutex);
        m_inFlight.push_back(chunk);
        m_queued.push_back(chunk);
    }
    m_workAvailable.notify_one();
    return drain(m_maxInFlight);
}

Result<> ParallelGzipStream::drain(size_t pending)
{
    for (;;) {
        std::shared_ptr<Chunk> next;
        {
            std::unique_lock lock(m_mutex);
            if (m_inFlight.size() > pending)
                m_chunkDone.wait(lock, [this] { return m_inFlight.front()->done; });
            if (m_inFlight.empty() || !m_inFlight.front()->done)
                return {};
            next = std::move(m_inFlight.front());
            m_inFlight.pop_front();
        }
        if (!next->error.isEmpty())
            return failure(next->error);
        // Hashing here, on the producer, overlaps with the workers' compression.
        m_hash.addData(next->output);
        if (m_output->write(next->output) != next->output.size())
            return failure(u"Cannot write the archive: %1"_s.arg(m_output->errorString()));
        m_compressedBytes += next->output.size();
    }
}

void ParallelGzipStream::work()
{
    for (;;) {
        std::shared_ptr<Chunk> chunk;
        {
            std::unique_lock lock(m_mutex);
            m_workAvailable.wait(lock, [this] { return m_stopping || !m_queued.empty(); });
            if (m_stopping)
                return;
            chunk = std::move(m_queued.front());
            m_queued.pop_front();
        }
        compress(*chunk);
        {
            std::lock_guard lock(m_mutex);
            chunk->done = true;
            chunk->input = QByteArray();
        }
        m_chunkDone.notify_all();
    }
}

void ParallelGzipStream::compress(Chunk &chunk) const
{
    // libarchive's raw format with its gzip filter turns one buffer into one gzip member.
    archive *writer = archive_write_new();
    archive_entry *entry = archive_entry_new();
    chunk.output.reserve(chunk.input.size() / 2 + 64 * 1024);

    // No timestamp in the header, so the same tree always gives the same bytes.
    const QByteArray options =
        "gzip:compression-level=" + QByteArray::number(m_compressionLevel) + ",gzip:!timestamp";
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_size(entry, chunk.input.size());
    bool ok = archive_write_add_filter_gzip(writer) == ARCHIVE_OK &&
              archive_write_set_format_raw(writer) == ARCHIVE_OK &&
              archive_write_set_options(writer, options.constData()) == ARCHIVE_OK
              // Unblocked: no padding after the member, which would corrupt the next one.
              && archive_write_set_bytes_per_block(writer, 0) == ARCHIVE_OK &&
              archive_write_open2(writer, &chunk.output, nullptr, appendToByteArray, nullptr,
                                  nullptr) == ARCHIVE_OK &&
              archive_write_header(writer, entry) == ARCHIVE_OK;
    if (ok) {
        const la_ssize_t written =
            archive_write_data(writer, chunk.input.constData(), size_t(chunk.input.size()));
        ok = written == la_ssize_t(chunk.input.size()) && archive_write_close(writer) == ARCHIVE_OK;
    }
    if (!ok) {
        const char *message = archive_error_string(writer);
        chunk.error = u"Cannot compress the archive: %1"_s.arg(message ? QString::fromUtf8(message)
                                                                       : u"unknown error"_s);
    }
    archive_entry_free(entry);
    archive_write_free(writer);
}

} // namespace Slipway
