#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QtConcurrent/QtConcurrentRun>

namespace Slipway {

// Runs blocking work (file trees, archives) on the thread pool and hands its result back
// on `context`'s thread. Nothing is delivered once `context` is gone.
template<typename Work, typename Then>
void runInBackground(QObject *context, Work work, Then then)
{
    using Value = std::invoke_result_t<Work>;
    auto *watcher = new QFutureWatcher<Value>(context);
    QObject::connect(watcher, &QFutureWatcher<Value>::finished, context,
                     [watcher, then = std::move(then)] {
                         then(watcher->result());
                         watcher->deleteLater();
                     });
    watcher->setFuture(QtConcurrent::run(std::move(work)));
}

} // namespace Slipway
