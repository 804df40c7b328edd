#pragma once

#include "runtime/docker/DockerClient.h"
#include "runtime/docker/DockerTransport.h"

#include <QMetaObject>
#include <QPointer>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <mutex>
#include <thread>

namespace Slipway {

// One call on the I/O thread: its shared state, and the way back to the caller's thread.
class DockerJob
{
public:
    DockerJob(QObject *relay, QObject *context, std::shared_ptr<DockerCallState> state,
              std::weak_ptr<DockerClientIo> io)
        : m_relay(relay)
        , m_context(context)
        , m_guarded(context != nullptr)
        , m_state(std::move(state))
        , m_io(std::move(io))
    {}

    DockerCallState &state() { return *m_state; }
    std::shared_ptr<DockerCallState> sharedState() const { return m_state; }
    // From the I/O thread: runs `step` on the client's thread, unless the call was cancelled
    // or its context object is gone by then (which cancels the call: nobody listens any
    // more). `bytes` counts towards the call's backlog until then.
    void post(std::function<void()> step, qint64 bytes = 0) const
    {
        m_state->queuedBytes += bytes;
        QMetaObject::invokeMethod(
            m_relay,
            [state = m_state, context = m_context, guarded = m_guarded, io = m_io, bytes,
             step = std::move(step)] {
                state->queuedBytes -= bytes;
                if (guarded && !context && !state->cancelled)
                    DockerCall(state, io).cancel();
                if (state->cancelled)
                    return;
                step();
            },
            Qt::QueuedConnection);
    }

private:
    QObject *const m_relay;
    const QPointer<QObject> m_context;
    const bool m_guarded;
    const std::shared_ptr<DockerCallState> m_state;
    const std::weak_ptr<DockerClientIo> m_io;
};

// DockerClient's I/O thread, its transport and the negotiated API version.
class DockerClientIo : public std::enable_shared_from_this<DockerClientIo>
{
public:
    explicit DockerClientIo(const DockerEndpoint &endpoint);
    ~DockerClientIo();

    void post(std::function<void()> step);
    QString apiVersion() const;

    // Runs `work` on the I/O thread; its result goes to `done` on the relay's thread.
    template<typename T>
    DockerCall run(QObject *relay, QObject *context,
                   std::function<Io::Task<Result<T>>(DockerJob &job)> work,
                   std::function<void(Result<T>)> done);

    // GET /version; remembers the version to use.
    Io::Task<Result<DockerVersion>> negotiate(DockerCallState &state);
    // The request with the versioned path ("/v1.41" + request.target), negotiating first
    // when needed. A transport failure is an error; any HTTP answer is a response.
    Io::Task<Result<DockerResponse>> send(DockerJob &job, DockerRequest request);

private:
    template<typename T>
    struct Work
    {
        std::function<Io::Task<Result<T>>(DockerJob &job)> body;
        DockerJob job;
    };
    template<typename T>
    static Io::Task<Result<T>> perform(std::shared_ptr<Work<T>> work)
    {
        co_return co_await work->body(work->job);
    }

    // Destroyed first, explicitly (see ~DockerClientIo): the calls' coroutines it still holds
    // use the transport's TLS context until they are gone.
    std::unique_ptr<boost::asio::io_context> m_context =
        std::make_unique<boost::asio::io_context>(1);
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> m_guard;
    DockerTransport m_transport;
    mutable std::mutex m_mutex;
    QString m_apiVersion; // guarded by m_mutex
    std::thread m_thread;
};

template<typename T>
DockerCall DockerClientIo::run(QObject *relay, QObject *context,
                               std::function<Io::Task<Result<T>>(DockerJob &job)> work,
                               std::function<void(Result<T>)> done)
{
    auto state = std::make_shared<DockerCallState>();
    auto job = std::make_shared<Work<T>>(
        Work<T>{std::move(work), DockerJob(relay, context, state, weak_from_this())});
    boost::asio::co_spawn(
        m_context->get_executor(), perform<T>(job),
        [job, done = std::move(done)](std::exception_ptr thrown, Result<T> result) mutable {
            if (thrown)
                result =
                    failure(QStringLiteral("the call to the Docker engine failed unexpectedly"));
            job->job.post([done = std::move(done), result = std::move(result)]() mutable {
                if (done)
                    done(std::move(result));
            });
        });
    return DockerCall(std::move(state), weak_from_this());
}

} // namespace Slipway
