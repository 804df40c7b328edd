#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QPromise>
#include <QThreadPool>

#include <memory>
#include <optional>
#include <type_traits>

namespace Slipway {

// Runs `work` on the global thread pool and hands its result to `then` on `context`'s
// thread, once. Nothing is delivered once `context` is gone; the work itself then runs to
// its end on data it owns.
//
// The result travels beside the future, not in it: taking a result out of a QFuture resets
// the future, and a worker that lets go of its promise after that (it may, while `then`
// runs) finishes it a second time, as canceled, which would call `then` again with nothing.
template<typename Work, typename Then>
void runOffThread(QObject *context, Work work, Then then)
{
    using Value = std::invoke_result_t<Work>;
    auto result = std::make_shared<std::optional<Value>>();
    auto promise = std::make_shared<QPromise<void>>();
    auto *watcher = new QFutureWatcher<void>(context);
    QObject::connect(watcher, &QFutureWatcher<void>::finished, context,
                     [watcher, result, then = std::move(then)]() mutable {
                         watcher->disconnect();
                         watcher->deleteLater();
                         if (result->has_value())
                             then(std::move(**result));
                     });
    watcher->setFuture(promise->future());
    promise->start();
    // finish() publishes the result: `finished` reaches the watcher after it.
    QThreadPool::globalInstance()->start([promise, result, work = std::move(work)]() mutable {
        result->emplace(work());
        promise->finish();
    });
}

} // namespace Slipway
