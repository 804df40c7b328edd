#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QPromise>
#include <QThreadPool>

#include <memory>
#include <type_traits>

namespace Slipway {

// Runs `work` on the global thread pool and hands its result to `then` on `context`'s
// thread. Nothing is delivered once `context` is gone; the work itself then runs to its end
// on data it owns.
template<typename Work, typename Then>
void runOffThread(QObject *context, Work work, Then then)
{
    using Value = std::invoke_result_t<Work>;
    auto promise = std::make_shared<QPromise<Value>>();
    auto *watcher = new QFutureWatcher<Value>(context);
    QObject::connect(watcher, &QFutureWatcher<Value>::finished, context,
                     [watcher, then = std::move(then)]() mutable {
                         then(watcher->future().takeResult());
                         watcher->deleteLater();
                     });
    watcher->setFuture(promise->future());
    promise->start();
    QThreadPool::globalInstance()->start([promise, work = std::move(work)]() mutable {
        promise->addResult(work());
        promise->finish();
    });
}

} // namespace Slipway
