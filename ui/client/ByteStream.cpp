#include "client/ByteStream.h"

#include "client/ApiTransport.h"

namespace Slipway {

ByteStream::ByteStream(DaemonEndpoint endpoint, QString path, QObject *parent)
    : QThread(parent)
    , m_endpoint(std::move(endpoint))
    , m_path(std::move(path))
{}

ByteStream::~ByteStream()
{
    stop();
}

void ByteStream::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        if (m_current)
            m_current->abort();
    }
    wait();
}

void ByteStream::run()
{
    ApiClient client = ApiTransport::clientFor(m_endpoint);
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping)
            return;
        m_current = &client;
    }
    // The transport reads at most 64 KiB at a time: each read is one signal, so the GUI
    // thread gets its work in small bites.
    const Result<int> streamed = client.stream(
        "GET", m_path, {},
        [this](const QByteArray &chunk) {
            Q_EMIT received(chunk);
            std::lock_guard lock(m_mutex);
            return !m_stopping;
        },
        30000);
    bool stopping = false;
    {
        std::lock_guard lock(m_mutex);
        m_current = nullptr;
        stopping = m_stopping;
    }
    if (!stopping)
        Q_EMIT ended(streamed ? QString() : streamed.error().message);
}

} // namespace Slipway
