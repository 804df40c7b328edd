#include "client/UploadJob.h"

#include "client/ApiTransport.h"

#include <QThreadPool>

namespace Slipway {

namespace {

QByteArray contentTypeFor(const QString &file)
{
    const QString name = file.toLower();
    if (name.endsWith(QLatin1String(".zip")))
        return "application/zip";
    if (name.endsWith(QLatin1String(".jar")) || name.endsWith(QLatin1String(".war")))
        return "application/java-archive";
    return "application/octet-stream";
}

} // namespace

UploadJob::UploadJob(DaemonEndpoint endpoint, QString path, QString file, QObject *parent)
    : QObject(parent)
    , m_endpoint(std::move(endpoint))
    , m_path(std::move(path))
    , m_file(std::move(file))
{}

bool UploadJob::cancel()
{
    Stage expected = Stage::Sending;
    return m_stage->compare_exchange_strong(expected, Stage::Cancelled) ||
           expected == Stage::Cancelled;
}

void UploadJob::start(QThreadPool *pool)
{
    // The job lives until its `finished` was delivered (its client waits for the pool before
    // deleting it), so the worker may post to it.
    UploadJob *self = this;
    pool->start([self, endpoint = m_endpoint, path = m_path, file = m_file, stage = m_stage] {
        QElapsedTimer clock;
        clock.start();
        qint64 lastReport = -1000;
        ApiClient client = ApiTransport::clientFor(endpoint);
        const Result<ApiReply> reply = client.upload(
            "POST", path, file, contentTypeFor(file), 60000, [&](qint64 sent, qint64 total) {
                Stage sending = Stage::Sending;
                if (sent == total)
                    stage->compare_exchange_strong(sending, Stage::SentAll);
                // Ten reports a second are plenty for a progress bar.
                const qint64 now = clock.elapsed();
                if (now - lastReport >= 100 || sent == total) {
                    lastReport = now;
                    const double rate = now > 0 ? double(sent) * 1000.0 / double(now) : 0.0;
                    QMetaObject::invokeMethod(
                        self,
                        [self, sent, total, rate] { Q_EMIT self->progress(sent, total, rate); },
                        Qt::QueuedConnection);
                }
                return stage->load() != Stage::Cancelled;
            });
        ApiResult result = ApiTransport::resultFrom(reply);
        if (stage->load() == Stage::Cancelled && !result.ok())
            result.error = QStringLiteral("the upload was cancelled");
        QMetaObject::invokeMethod(
            self,
            [self, result] {
                Q_EMIT self->finished(result);
                self->deleteLater();
            },
            Qt::QueuedConnection);
    });
}

} // namespace Slipway
