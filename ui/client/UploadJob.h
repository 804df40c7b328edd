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
    void cancel();

Q_SIGNALS:
    void progress(qint64 sent, qint64 total, double bytesPerSecond);
    void finished(const Slipway::ApiResult &result);

private:
    const DaemonEndpoint m_endpoint;
    const QString m_path;
    const QString m_file;
    std::shared_ptr<std::atomic<bool>> m_cancelled = std::make_shared<std::atomic<bool>>(false);
};

} // namespace Slipway
