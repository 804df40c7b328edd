#pragma once

#include "client/DaemonEndpoint.h"

#include <QByteArray>
#include <QThread>

#include <mutex>

namespace Slipway {

class ApiClient;

// One streamed answer read on a thread of its own (a deployment's output, followed while it
// runs): the bytes arrive as `received` on the owner's thread. Deleting it (or stop()) ends
// the stream.
class ByteStream : public QThread
{
    Q_OBJECT

public:
    ByteStream(DaemonEndpoint endpoint, QString path, QObject *parent = nullptr);
    ~ByteStream() override;

    const QString &path() const { return m_path; }
    void stop();

Q_SIGNALS:
    void received(const QByteArray &bytes);
    // `error` is empty when the stream ended normally.
    void ended(const QString &error);

protected:
    void run() override;

private:
    const DaemonEndpoint m_endpoint;
    const QString m_path;
    std::mutex m_mutex;
    bool m_stopping = false;
    ApiClient *m_current = nullptr;
};

} // namespace Slipway
