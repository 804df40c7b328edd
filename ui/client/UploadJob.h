#pragma once

#include "client/ApiResult.h"
#include "client/DaemonEndpoint.h"

#include <QObject>

#include <atomic>
#include <memory>

class QThreadPool;

namespace Slipway {

// A file sent to the daemon as a request body (an archive or .jar to deploy), on a worker
// thread, with progress: bytes sent, total and rate. Owned by its DaemonClient; deletes
// itself after `finished` (never delete it otherwise: cancel() it).
class UploadJob : public QObject
{
    Q_OBJECT

public:
    UploadJob(DaemonEndpoint endpoint, QString path, QString file, QObject *parent = nullptr);

    const QString &file() const { return m_file; }
    void start(QThreadPool *pool);
    // Stops the upload while its body is on its way; false once the daemon has all of it
    // (the request then stands, and its answer comes as usual).
    bool cancel();

Q_SIGNALS:
    void progress(qint64 sent, qint64 total, double bytesPerSecond);
    void finished(const Slipway::ApiResult &result);

private:
    const DaemonEndpoint m_endpoint;
    const QString m_path;
    const QString m_file;
    // Sending until the body is all sent or the upload is cancelled, whichever comes first.
    enum class Stage { Sending, SentAll, Cancelled };
    std::shared_ptr<std::atomic<Stage>> m_stage = std::make_shared<std::atomic<Stage>>();
};

} // namespace Slipway
