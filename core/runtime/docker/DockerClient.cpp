#include "runtime/docker/DockerClient.h"

#include "runtime/docker/DockerClientIo.h"
#include "runtime/docker/DockerJson.h"
#include "runtime/docker/DockerJsonStream.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>
#include <QUrlQuery>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <mutex>

namespace asio = boost::asio;

namespace Slipway {

namespace {

using namespace std::chrono_literals;

// Import and archive uploads wait for the engine to unpack what it received.
constexpr std::chrono::milliseconds UploadTimeout = 10min;

QByteArray segment(const QString &name)
{
    return QUrl::toPercentEncoding(name);
}

QByteArray withQuery(QByteArray path, const QUrlQuery &query)
{
    if (!query.isEmpty())
        path += '?' + query.toString(QUrl::FullyEncoded).toLatin1();
    return path;
}

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

std::pair<int, int> versionNumbers(const QString &version)
{
    const QStringList parts = version.split(u'.');
    return {parts.value(0).toInt(), parts.value(1).toInt()};
}

// "cannot start container web-1: the Docker engine answered 404: No such container: web-1"
std::unexpected<Error> engineError(const QString &what, const DockerResponse &response)
{
    return failure(QStringLiteral("%1: the Docker engine answered %2: %3")
                       .arg(what)
                       .arg(response.status)
                       .arg(response.engineMessage()));
}

std::unexpected<Error> transportError(const QString &what, const Error &error)
{
    return failure(what + QStringLiteral(": ") + error.message);
}

Result<QJsonDocument> parseJson(const QString &what, const QByteArray &body)
{
    QJsonParseError problem{};
    QJsonDocument document = QJsonDocument::fromJson(body, &problem);
    if (problem.error != QJsonParseError::NoError)
        return failure(QStringLiteral("%1: the Docker engine's answer is not JSON (%2)")
                           .arg(what, problem.errorString()));
    return document;
}

QString timestampParameter(const QDateTime &time)
{
    // Seconds since the epoch, with nanoseconds after the point.
    const qint64 ms = time.toMSecsSinceEpoch();
    return QStringLiteral("%1.%2").arg(ms / 1000).arg(ms % 1000 * 1000000, 9, 10, QLatin1Char('0'));
}

QUrlQuery logQuery(const DockerLogOptions &options)
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("follow"),
                       options.follow ? QStringLiteral("1") : QStringLiteral("0"));
    query.addQueryItem(QStringLiteral("stdout"),
                       options.standardOutput ? QStringLiteral("1") : QStringLiteral("0"));
    query.addQueryItem(QStringLiteral("stderr"),
                       options.standardError ? QStringLiteral("1") : QStringLiteral("0"));
    query.addQueryItem(QStringLiteral("timestamps"),
                       options.timestamps ? QStringLiteral("1") : QStringLiteral("0"));
    if (options.since.isValid())
        query.addQueryItem(QStringLiteral("since"), timestampParameter(options.since));
    query.addQueryItem(QStringLiteral("tail"),
                       options.tail < 0 ? QStringLiteral("all") : QString::number(options.tail));
    return query;
}

// A request that either succeeds (2xx, or exactly `accepted` or `alsoAccepted` when given)
// or becomes an error saying `what` was being done.
Io::Task<Result<DockerResponse>> call(DockerClientIo &io, DockerJob &job, DockerRequest request,
                                      QString what, int accepted = 0, int alsoAccepted = 0)
{
    auto response = co_await io.send(job, std::move(request));
    if (!response)
        co_return transportError(what, response.error());
    const bool fine = accepted == 0
                          ? response->isSuccess()
                          : response->status == accepted || response->status == alsoAccepted;
    if (!fine)
        co_return engineError(what, *response);
    co_return response;
}

template<typename T, typename Convert>
Io::Task<Result<T>> callJson(DockerClientIo &io, DockerJob &job, DockerRequest request,
                             QString what, Convert convert)
{
    auto response = co_await call(io, job, std::move(request), what);
    if (!response)
        co_return std::unexpected(response.error());
    auto document = parseJson(what, response->body);
    if (!document)
        co_return std::unexpected(document.error());
    co_return convert(*document);
}

// A followed log (of a container or a service): lines handed over in batches as they come.
Io::Task<Result<void>> followLog(DockerClientIo &io, DockerJob &job, QByteArray target,
                                 DockerLogOptions options, DockerClient::LinesCallback lines,
                                 QString what)
{
    auto decoder = std::make_shared<DockerLogDecoder>(
        options.tty ? DockerLogDecoder::Framing::Raw : DockerLogDecoder::Framing::Multiplexed,
        options.timestamps);
    // Lines wait in one outbox until the caller's thread takes them all: while it is behind,
    // new lines join the batch already on its way instead of queueing an event each.
    struct Outbox
    {
        std::mutex mutex;
        QList<DockerLogLine> lines;
        qint64 bytes = 0;
        bool posted = false;
    };
    auto outbox = std::make_shared<Outbox>();
    // The backlog counts what the lines hold, not the bytes read: a piece may end no line.
    const auto hand = [&job, lines, outbox](QList<DockerLogLine> batch) {
        if (batch.isEmpty())
            return;
        qint64 bytes = 0;
        for (const DockerLogLine &line : batch)
            bytes += line.text.size() * qint64(sizeof(QChar)) + qint64(sizeof(DockerLogLine));
        job.state().queuedBytes += bytes;
        std::lock_guard lock(outbox->mutex);
        outbox->lines += std::move(batch);
        outbox->bytes += bytes;
        if (outbox->posted)
            return;
        outbox->posted = true;
        job.post([lines, outbox, state = job.sharedState()] {
            QList<DockerLogLine> taken;
            {
                std::lock_guard lock(outbox->mutex);
                taken.swap(outbox->lines);
                state->queuedBytes -= outbox->bytes;
                outbox->bytes = 0;
                outbox->posted = false;
            }
            lines(taken);
        });
    };
    DockerRequest request;
    request.target = target;
    request.onPiece = [decoder, hand](const QByteArray &piece) {
        hand(decoder->feed(piece));
        return decoder->error().isEmpty();
    };
    auto response = co_await call(io, job, std::move(request), what);
    if (!response)
        co_return std::unexpected(response.error());
    if (!decoder->error().isEmpty())
        co_return failure(what + QStringLiteral(": ") + decoder->error());
    hand(decoder->finish());
    co_return Result<void>();
}

} // namespace

// --- DockerCall

void DockerCall::cancel()
{
    if (!m_state)
        return;
    m_state->cancelled = true;
    if (const auto io = m_io.lock()) {
        io->post([state = m_state] {
            if (state->closeConnection)
                state->closeConnection();
        });
    }
}

// --- DockerClientIo

DockerClientIo::DockerClientIo(const DockerEndpoint &endpoint)
    : m_guard(m_context->get_executor())
    , m_transport(m_context->get_executor(), endpoint)
{
    m_thread = std::thread([this] { m_context->run(); });
}

DockerClientIo::~DockerClientIo()
{
    // Calls still running are dropped: their connections close with their coroutines.
    m_guard.reset();
    m_context->stop();
    if (m_thread.joinable())
        m_thread.join();
    m_context.reset();
}

void DockerClientIo::post(std::function<void()> step)
{
    asio::post(*m_context, std::move(step));
}

QString DockerClientIo::apiVersion() const
{
    std::lock_guard lock(m_mutex);
    return m_apiVersion;
}

Io::Task<Result<DockerVersion>> DockerClientIo::negotiate(DockerCallState &state)
{
    const QString where = m_transport.endpoint().address();
    DockerRequest request;
    request.target = "/version";
    request.timeout = 30s;
    auto response = co_await m_transport.exchange(request, state);
    if (!response)
        co_return std::unexpected(response.error());
    if (!response->isSuccess())
        co_return failure(
            QStringLiteral("the Docker engine at %1 answered GET /version with %2: %3")
                .arg(where)
                .arg(response->status)
                .arg(response->engineMessage()));
    const QJsonObject object = QJsonDocument::fromJson(response->body).object();
    DockerVersion version = DockerJson::version(object);
    if (version.apiVersion.isEmpty())
        co_return failure(QStringLiteral("the server at %1 does not answer as a Docker engine "
                                         "(GET /version gave no ApiVersion): check docker-host")
                              .arg(where));
    const auto engine = versionNumbers(version.apiVersion);
    const auto minimum = versionNumbers(QString::fromLatin1(DockerClient::MinimumApiVersion));
    const auto maximum = versionNumbers(QString::fromLatin1(DockerClient::MaximumApiVersion));
    if (engine < minimum)
        co_return failure(QStringLiteral("the Docker engine at %1 is version %2, with API %3; "
                                         "Slipway needs API %4 or newer (Docker 20.10 or later): "
                                         "upgrade the engine")
                              .arg(where, version.engineVersion, version.apiVersion,
                                   QString::fromLatin1(DockerClient::MinimumApiVersion)));
    version.usedApiVersion = engine < maximum
                                 ? version.apiVersion
                                 : QString::fromLatin1(DockerClient::MaximumApiVersion);
    {
        std::lock_guard lock(m_mutex);
        m_apiVersion = version.usedApiVersion;
    }
    co_return version;
}

Io::Task<Result<DockerResponse>> DockerClientIo::send(DockerJob &job, DockerRequest request)
{
    QString version = apiVersion();
    if (version.isEmpty()) {
        auto negotiated = co_await negotiate(job.state());
        if (!negotiated)
            co_return std::unexpected(negotiated.error());
        version = negotiated->usedApiVersion;
    }
    request.target = "/v" + version.toLatin1() + request.target;
    co_return co_await m_transport.exchange(request, job.state());
}

// --- DockerClient

DockerClient::DockerClient(DockerEndpoint endpoint, QObject *parent)
    : QObject(parent)
    , m_endpoint(std::move(endpoint))
    , m_io(std::make_shared<DockerClientIo>(m_endpoint))
{}

DockerClient::~DockerClient()
{
    m_io.reset();
}

QString DockerClient::apiVersion() const
{
    return m_io->apiVersion();
}

DockerCall DockerClient::version(QObject *context, Callback<DockerVersion> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<DockerVersion>(
        this, context,
        [io](DockerJob &job) -> Io::Task<Result<DockerVersion>> {
            co_return co_await io->negotiate(job.state());
        },
        std::move(done));
}

DockerCall DockerClient::ping(QObject *context, Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io](DockerJob &job) -> Io::Task<Result<void>> {
            DockerRequest request;
            request.target = "/_ping";
            request.timeout = 10s;
            auto response =
                co_await call(*io, job, request, QStringLiteral("cannot ping the Docker engine"));
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::inspectImage(const QString &reference, QObject *context,
                                      Callback<std::optional<DockerImageInfo>> done)
{
    DockerClientIo *io = m_io.get();
    using Answer = std::optional<DockerImageInfo>;
    return m_io->run<Answer>(
        this, context,
        [io, reference](DockerJob &job) -> Io::Task<Result<Answer>> {
            const QString what = QStringLiteral("cannot inspect image %1").arg(reference);
            DockerRequest request;
            request.target = "/images/" + segment(reference) + "/json";
            auto response = co_await call(*io, job, request, what, 200, 404);
            if (!response)
                co_return std::unexpected(response.error());
            if (response->status == 404)
                co_return Answer();
            auto document = parseJson(what, response->body);
            if (!document)
                co_return std::unexpected(document.error());
            co_return Answer(DockerJson::image(document->object()));
        },
        std::move(done));
}

DockerCall DockerClient::importImage(const QString &tarball, const QString &repository,
                                     const QString &tag, const QStringList &changes,
                                     QObject *context, ProgressCallback progress,
                                     Callback<QString> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<QString>(
        this, context,
        [io, tarball, repository, tag, changes,
         progress](DockerJob &job) -> Io::Task<Result<QString>> {
            const QString what =
                QStringLiteral("cannot import %1 as image %2:%3").arg(tarball, repository, tag);
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("fromSrc"), QStringLiteral("-"));
            query.addQueryItem(QStringLiteral("repo"), repository);
            query.addQueryItem(QStringLiteral("tag"), tag);
            for (const QString &change : changes)
                query.addQueryItem(QStringLiteral("changes"), change);
            DockerRequest request;
            request.method = "POST";
            request.target = withQuery("/images/create", query);
            request.bodyFile = tarball;
            request.contentType = "application/x-tar";
            request.timeout = UploadTimeout;
            if (progress) {
                // At most a hundred reports for the whole upload.
                auto reported = std::make_shared<qint64>(-1);
                request.onSent = [&job, progress, reported](qint64 sent, qint64 total) {
                    const qint64 step = std::max<qint64>(total / 100, 1);
                    if (sent != total && *reported >= 0 && sent - *reported < step)
                        return;
                    *reported = sent;
                    job.post([progress, sent, total] { progress(sent, total); });
                };
            }
            // The answer streams JSON progress; a failure comes as {"error": ...} in it.
            auto stream = std::make_shared<DockerJsonStream>();
            auto last = std::make_shared<QString>();
            auto problem = std::make_shared<QString>();
            request.onPiece = [stream, last, problem](const QByteArray &piece) {
                for (const QJsonObject &object : stream->feed(piece)) {
                    if (object.contains(QStringLiteral("error")))
                        *problem = object.value(QStringLiteral("error")).toString();
                    else if (object.contains(QStringLiteral("status")))
                        *last = object.value(QStringLiteral("status")).toString();
                }
                return stream->error().isEmpty();
            };
            auto response = co_await call(*io, job, std::move(request), what);
            if (!response)
                co_return std::unexpected(response.error());
            for (const QJsonObject &object : stream->finish()) {
                if (object.contains(QStringLiteral("error")))
                    *problem = object.value(QStringLiteral("error")).toString();
                else if (object.contains(QStringLiteral("status")))
                    *last = object.value(QStringLiteral("status")).toString();
            }
            if (!problem->isEmpty())
                co_return failure(
                    QStringLiteral("%1: the Docker engine said: %2").arg(what, *problem));
            if (!stream->error().isEmpty())
                co_return failure(what + QStringLiteral(": ") + stream->error());
            if (!last->startsWith(QStringLiteral("sha256:")))
                co_return failure(QStringLiteral("%1: the Docker engine gave no image id (its last "
                                                 "word was '%2')")
                                      .arg(what, *last));
            co_return *last;
        },
        std::move(done));
}

DockerCall DockerClient::removeImage(const QString &reference, bool force, QObject *context,
                                     Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, reference, force](DockerJob &job) -> Io::Task<Result<void>> {
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("force"),
                               force ? QStringLiteral("1") : QStringLiteral("0"));
            DockerRequest request;
            request.method = "DELETE";
            request.target = withQuery("/images/" + segment(reference), query);
            auto response =
                co_await call(*io, job, request,
                              QStringLiteral("cannot remove image %1").arg(reference), 200, 404);
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::createContainer(const DockerContainerConfig &config, QObject *context,
                                         Callback<QString> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<QString>(
        this, context,
        [io, config](DockerJob &job) -> Io::Task<Result<QString>> {
            const QString what =
                QStringLiteral("cannot create container %1 from image %2")
                    .arg(config.name.isEmpty() ? QStringLiteral("(unnamed)") : config.name,
                         config.image);
            QUrlQuery query;
            if (!config.name.isEmpty())
                query.addQueryItem(QStringLiteral("name"), config.name);
            DockerRequest request;
            request.method = "POST";
            request.target = withQuery("/containers/create", query);
            request.body = json(DockerJson::containerCreate(config));
            co_return co_await callJson<QString>(
                *io, job, std::move(request), what, [](const QJsonDocument &document) {
                    return document.object().value(QStringLiteral("Id")).toString();
                });
        },
        std::move(done));
}

DockerCall DockerClient::putArchive(const QString &container, const QString &path,
                                    const QString &tarFile, QObject *context,
                                    ProgressCallback progress, Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, container, path, tarFile, progress](DockerJob &job) -> Io::Task<Result<void>> {
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("path"), path);
            DockerRequest request;
            request.method = "PUT";
            request.target = withQuery("/containers/" + segment(container) + "/archive", query);
            request.bodyFile = tarFile;
            request.contentType = "application/x-tar";
            request.timeout = UploadTimeout;
            if (progress) {
                auto reported = std::make_shared<qint64>(-1);
                request.onSent = [&job, progress, reported](qint64 sent, qint64 total) {
                    const qint64 step = std::max<qint64>(total / 100, 1);
                    if (sent != total && *reported >= 0 && sent - *reported < step)
                        return;
                    *reported = sent;
                    job.post([progress, sent, total] { progress(sent, total); });
                };
            }
            auto response = co_await call(*io, job, std::move(request),
                                          QStringLiteral("cannot copy %1 into %2 of container %3")
                                              .arg(tarFile, path, container));
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::startContainer(const QString &container, QObject *context,
                                        Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, container](DockerJob &job) -> Io::Task<Result<void>> {
            DockerRequest request;
            request.method = "POST";
            request.target = "/containers/" + segment(container) + "/start";
            auto response =
                co_await call(*io, job, request,
                              QStringLiteral("cannot start container %1").arg(container), 204, 304);
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::stopContainer(const QString &container, std::chrono::seconds grace,
                                       QObject *context, Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, container, grace](DockerJob &job) -> Io::Task<Result<void>> {
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("t"), QString::number(grace.count()));
            DockerRequest request;
            request.method = "POST";
            request.target = withQuery("/containers/" + segment(container) + "/stop", query);
            // The engine answers once the container stopped, the grace period included.
            request.timeout = grace + CallTimeout;
            auto response =
                co_await call(*io, job, request,
                              QStringLiteral("cannot stop container %1").arg(container), 204, 304);
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::killContainer(const QString &container, const QString &signal,
                                       QObject *context, Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, container, signal](DockerJob &job) -> Io::Task<Result<void>> {
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("signal"), signal);
            DockerRequest request;
            request.method = "POST";
            request.target = withQuery("/containers/" + segment(container) + "/kill", query);
            auto response = co_await call(
                *io, job, request,
                QStringLiteral("cannot send %1 to container %2").arg(signal, container), 204);
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::waitContainer(const QString &container, DockerWaitCondition condition,
                                       QObject *context, Callback<DockerWaitResult> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<DockerWaitResult>(
        this, context,
        [io, container, condition](DockerJob &job) -> Io::Task<Result<DockerWaitResult>> {
            QUrlQuery query;
            query.addQueryItem(
                QStringLiteral("condition"),
                condition == DockerWaitCondition::NextExit  ? QStringLiteral("next-exit")
                : condition == DockerWaitCondition::Removed ? QStringLiteral("removed")
                                                            : QStringLiteral("not-running"));
            DockerRequest request;
            request.method = "POST";
            request.target = withQuery("/containers/" + segment(container) + "/wait", query);
            request.timeout = 0ms; // a long poll
            co_return co_await callJson<DockerWaitResult>(
                *io, job, std::move(request),
                QStringLiteral("cannot wait for container %1").arg(container),
                [](const QJsonDocument &document) {
                    const QJsonObject object = document.object();
                    return DockerWaitResult{object.value(QStringLiteral("StatusCode")).toInt(),
                                            object.value(QStringLiteral("Error"))
                                                .toObject()
                                                .value(QStringLiteral("Message"))
                                                .toString()};
                });
        },
        std::move(done));
}

DockerCall DockerClient::inspectContainer(const QString &container, QObject *context,
                                          Callback<std::optional<DockerContainerInfo>> done)
{
    DockerClientIo *io = m_io.get();
    using Answer = std::optional<DockerContainerInfo>;
    return m_io->run<Answer>(
        this, context,
        [io, container](DockerJob &job) -> Io::Task<Result<Answer>> {
            const QString what = QStringLiteral("cannot inspect container %1").arg(container);
            DockerRequest request;
            request.target = "/containers/" + segment(container) + "/json";
            auto response = co_await call(*io, job, request, what, 200, 404);
            if (!response)
                co_return std::unexpected(response.error());
            if (response->status == 404)
                co_return Answer();
            auto document = parseJson(what, response->body);
            if (!document)
                co_return std::unexpected(document.error());
            co_return Answer(DockerJson::container(document->object()));
        },
        std::move(done));
}

DockerCall DockerClient::listContainers(const QStringList &labels, QObject *context,
                                        Callback<QList<DockerContainerSummary>> done)
{
    DockerClientIo *io = m_io.get();
    using Answer = QList<DockerContainerSummary>;
    return m_io->run<Answer>(
        this, context,
        [io, labels](DockerJob &job) -> Io::Task<Result<Answer>> {
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("all"), QStringLiteral("true"));
            if (!labels.isEmpty())
                query.addQueryItem(
                    QStringLiteral("filters"),
                    QString::fromUtf8(DockerJson::filters({{QStringLiteral("label"), labels}})));
            DockerRequest request;
            request.target = withQuery("/containers/json", query);
            co_return co_await callJson<Answer>(
                *io, job, std::move(request), QStringLiteral("cannot list containers"),
                [](const QJsonDocument &document) {
                    Answer list;
                    for (const QJsonValue &item : document.array())
                        list.append(DockerJson::containerSummary(item.toObject()));
                    return list;
                });
        },
        std::move(done));
}

DockerCall DockerClient::removeContainer(const QString &container, bool force, QObject *context,
                                         Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, container, force](DockerJob &job) -> Io::Task<Result<void>> {
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("force"),
                               force ? QStringLiteral("1") : QStringLiteral("0"));
            query.addQueryItem(QStringLiteral("v"), QStringLiteral("1"));
            DockerRequest request;
            request.method = "DELETE";
            request.target = withQuery("/containers/" + segment(container), query);
            auto response = co_await call(
                *io, job, request, QStringLiteral("cannot remove container %1").arg(container), 204,
                404);
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::containerLogs(const QString &container, const DockerLogOptions &options,
                                       QObject *context, LinesCallback lines, Callback<void> ended)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, container, options, lines](DockerJob &job) -> Io::Task<Result<void>> {
            co_return co_await followLog(
                *io, job,
                withQuery("/containers/" + segment(container) + "/logs", logQuery(options)),
                options, lines,
                QStringLiteral("cannot read the output of container %1").arg(container));
        },
        std::move(ended));
}

DockerCall DockerClient::events(const DockerEventFilter &filter, QObject *context,
                                EventCallback event, Callback<void> ended)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, filter, event](DockerJob &job) -> Io::Task<Result<void>> {
            const QString what = QStringLiteral("cannot follow the Docker engine's events");
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("filters"),
                               QString::fromUtf8(DockerJson::filters(
                                   {{QStringLiteral("type"), filter.types},
                                    {QStringLiteral("event"), filter.actions},
                                    {QStringLiteral("label"), filter.labels},
                                    {QStringLiteral("container"), filter.containers}})));
            if (filter.since.isValid())
                query.addQueryItem(QStringLiteral("since"), timestampParameter(filter.since));
            auto stream = std::make_shared<DockerJsonStream>();
            DockerRequest request;
            request.target = withQuery("/events", query);
            request.onPiece = [&job, stream, event](const QByteArray &piece) {
                const QList<QJsonObject> objects = stream->feed(piece);
                for (const QJsonObject &object : objects) {
                    job.post([event, parsed = DockerJson::event(object)] { event(parsed); },
                             piece.size() / std::max<qsizetype>(objects.size(), 1));
                }
                return stream->error().isEmpty();
            };
            auto response = co_await call(*io, job, std::move(request), what);
            if (!response)
                co_return std::unexpected(response.error());
            if (!stream->error().isEmpty())
                co_return failure(what + QStringLiteral(": ") + stream->error());
            if (!job.state().cancelled)
                co_return failure(what + QStringLiteral(": the engine ended the stream"));
            co_return Result<void>();
        },
        std::move(ended));
}

DockerCall DockerClient::swarmInfo(QObject *context, Callback<DockerSwarmInfo> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<DockerSwarmInfo>(
        this, context,
        [io](DockerJob &job) -> Io::Task<Result<DockerSwarmInfo>> {
            DockerRequest request;
            request.target = "/info";
            co_return co_await callJson<DockerSwarmInfo>(
                *io, job, std::move(request),
                QStringLiteral("cannot read the Docker engine's Swarm state"),
                [](const QJsonDocument &document) {
                    return DockerJson::swarmInfo(document.object());
                });
        },
        std::move(done));
}

DockerCall DockerClient::initSwarm(const DockerSwarmInit &init, QObject *context,
                                   Callback<QString> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<QString>(
        this, context,
        [io, init](DockerJob &job) -> Io::Task<Result<QString>> {
            DockerRequest request;
            request.method = "POST";
            request.target = "/swarm/init";
            request.body = json(DockerJson::swarmInit(init));
            auto response = co_await call(*io, job, std::move(request),
                                          QStringLiteral("cannot create a Swarm advertised at %1")
                                              .arg(init.advertiseAddress));
            if (!response)
                co_return std::unexpected(response.error());
            // The answer is the node's id as a JSON string.
            QByteArray id = response->body.trimmed();
            if (id.startsWith('"') && id.endsWith('"'))
                id = id.mid(1, id.size() - 2);
            co_return QString::fromUtf8(id);
        },
        std::move(done));
}

DockerCall DockerClient::joinSwarm(const DockerSwarmJoin &join, QObject *context,
                                   Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, join](DockerJob &job) -> Io::Task<Result<void>> {
            DockerRequest request;
            request.method = "POST";
            request.target = "/swarm/join";
            request.body = json(DockerJson::swarmJoin(join));
            auto response =
                co_await call(*io, job, std::move(request),
                              QStringLiteral("cannot join the Swarm of %1")
                                  .arg(join.remoteAddresses.join(QStringLiteral(", "))));
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::leaveSwarm(bool force, QObject *context, Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, force](DockerJob &job) -> Io::Task<Result<void>> {
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("force"),
                               force ? QStringLiteral("1") : QStringLiteral("0"));
            DockerRequest request;
            request.method = "POST";
            request.target = withQuery("/swarm/leave", query);
            auto response = co_await call(*io, job, std::move(request),
                                          QStringLiteral("cannot leave the Swarm"));
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::swarmJoinTokens(QObject *context, Callback<DockerSwarmTokens> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<DockerSwarmTokens>(
        this, context,
        [io](DockerJob &job) -> Io::Task<Result<DockerSwarmTokens>> {
            DockerRequest request;
            request.target = "/swarm";
            co_return co_await callJson<DockerSwarmTokens>(
                *io, job, std::move(request),
                QStringLiteral("cannot read the Swarm's join tokens (is this engine a manager?)"),
                [](const QJsonDocument &document) {
                    const QJsonObject tokens =
                        document.object().value(QStringLiteral("JoinTokens")).toObject();
                    return DockerSwarmTokens{tokens.value(QStringLiteral("Worker")).toString(),
                                             tokens.value(QStringLiteral("Manager")).toString()};
                });
        },
        std::move(done));
}

DockerCall DockerClient::listNodes(QObject *context, Callback<QList<DockerNode>> done)
{
    DockerClientIo *io = m_io.get();
    using Answer = QList<DockerNode>;
    return m_io->run<Answer>(
        this, context,
        [io](DockerJob &job) -> Io::Task<Result<Answer>> {
            DockerRequest request;
            request.target = "/nodes";
            co_return co_await callJson<Answer>(
                *io, job, std::move(request), QStringLiteral("cannot list the Swarm's nodes"),
                [](const QJsonDocument &document) {
                    Answer list;
                    for (const QJsonValue &item : document.array())
                        list.append(DockerJson::node(item.toObject()));
                    return list;
                });
        },
        std::move(done));
}

DockerCall DockerClient::setNodeAvailability(const QString &node, const QString &availability,
                                             QObject *context, Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, node, availability](DockerJob &job) -> Io::Task<Result<void>> {
            const QString what =
                QStringLiteral("cannot set node %1's availability to %2").arg(node, availability);
            DockerRequest inspect;
            inspect.target = "/nodes/" + segment(node);
            auto current = co_await callJson<DockerNode>(
                *io, job, std::move(inspect), what,
                [](const QJsonDocument &document) { return DockerJson::node(document.object()); });
            if (!current)
                co_return std::unexpected(current.error());
            QJsonObject spec = current->spec;
            spec.insert(QStringLiteral("Availability"), availability);
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("version"), QString::number(current->version));
            DockerRequest update;
            update.method = "POST";
            update.target = withQuery("/nodes/" + segment(node) + "/update", query);
            update.body = json(spec);
            auto response = co_await call(*io, job, std::move(update), what);
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::createService(const DockerServiceSpec &spec, QObject *context,
                                       Callback<QString> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<QString>(
        this, context,
        [io, spec](DockerJob &job) -> Io::Task<Result<QString>> {
            DockerRequest request;
            request.method = "POST";
            request.target = "/services/create";
            request.body = json(DockerJson::serviceSpec(spec));
            co_return co_await callJson<QString>(
                *io, job, std::move(request),
                QStringLiteral("cannot create service %1").arg(spec.name),
                [](const QJsonDocument &document) {
                    return document.object().value(QStringLiteral("ID")).toString();
                });
        },
        std::move(done));
}

DockerCall DockerClient::inspectService(const QString &service, QObject *context,
                                        Callback<std::optional<DockerService>> done)
{
    DockerClientIo *io = m_io.get();
    using Answer = std::optional<DockerService>;
    return m_io->run<Answer>(
        this, context,
        [io, service](DockerJob &job) -> Io::Task<Result<Answer>> {
            const QString what = QStringLiteral("cannot inspect service %1").arg(service);
            DockerRequest request;
            request.target = "/services/" + segment(service);
            auto response = co_await call(*io, job, request, what, 200, 404);
            if (!response)
                co_return std::unexpected(response.error());
            if (response->status == 404)
                co_return Answer();
            auto document = parseJson(what, response->body);
            if (!document)
                co_return std::unexpected(document.error());
            co_return Answer(DockerJson::service(document->object()));
        },
        std::move(done));
}

DockerCall DockerClient::updateService(const QString &service, quint64 version,
                                       const DockerServiceSpec &spec, QObject *context,
                                       Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, service, version, spec](DockerJob &job) -> Io::Task<Result<void>> {
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("version"), QString::number(version));
            DockerRequest request;
            request.method = "POST";
            request.target = withQuery("/services/" + segment(service) + "/update", query);
            request.body = json(DockerJson::serviceSpec(spec));
            auto response = co_await call(*io, job, std::move(request),
                                          QStringLiteral("cannot update service %1").arg(service));
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::listServices(const QStringList &labels, QObject *context,
                                      Callback<QList<DockerService>> done)
{
    DockerClientIo *io = m_io.get();
    using Answer = QList<DockerService>;
    return m_io->run<Answer>(
        this, context,
        [io, labels](DockerJob &job) -> Io::Task<Result<Answer>> {
            QUrlQuery query;
            if (!labels.isEmpty())
                query.addQueryItem(
                    QStringLiteral("filters"),
                    QString::fromUtf8(DockerJson::filters({{QStringLiteral("label"), labels}})));
            DockerRequest request;
            request.target = withQuery("/services", query);
            co_return co_await callJson<Answer>(
                *io, job, std::move(request), QStringLiteral("cannot list services"),
                [](const QJsonDocument &document) {
                    Answer list;
                    for (const QJsonValue &item : document.array())
                        list.append(DockerJson::service(item.toObject()));
                    return list;
                });
        },
        std::move(done));
}

DockerCall DockerClient::removeService(const QString &service, QObject *context,
                                       Callback<void> done)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, service](DockerJob &job) -> Io::Task<Result<void>> {
            DockerRequest request;
            request.method = "DELETE";
            request.target = "/services/" + segment(service);
            auto response =
                co_await call(*io, job, std::move(request),
                              QStringLiteral("cannot remove service %1").arg(service), 200, 404);
            if (!response)
                co_return std::unexpected(response.error());
            co_return Result<void>();
        },
        std::move(done));
}

DockerCall DockerClient::listTasks(const QString &service, QObject *context,
                                   Callback<QList<DockerTask>> done)
{
    DockerClientIo *io = m_io.get();
    using Answer = QList<DockerTask>;
    return m_io->run<Answer>(
        this, context,
        [io, service](DockerJob &job) -> Io::Task<Result<Answer>> {
            QUrlQuery query;
            query.addQueryItem(
                QStringLiteral("filters"),
                QString::fromUtf8(DockerJson::filters({{QStringLiteral("service"), {service}}})));
            DockerRequest request;
            request.target = withQuery("/tasks", query);
            co_return co_await callJson<Answer>(
                *io, job, std::move(request),
                QStringLiteral("cannot list the tasks of service %1").arg(service),
                [](const QJsonDocument &document) {
                    Answer list;
                    for (const QJsonValue &item : document.array())
                        list.append(DockerJson::task(item.toObject()));
                    std::sort(list.begin(), list.end(),
                              [](const DockerTask &a, const DockerTask &b) {
                                  return a.created > b.created;
                              });
                    return list;
                });
        },
        std::move(done));
}

DockerCall DockerClient::serviceLogs(const QString &service, const DockerLogOptions &options,
                                     QObject *context, LinesCallback lines, Callback<void> ended)
{
    DockerClientIo *io = m_io.get();
    return m_io->run<void>(
        this, context,
        [io, service, options, lines](DockerJob &job) -> Io::Task<Result<void>> {
            co_return co_await followLog(
                *io, job, withQuery("/services/" + segment(service) + "/logs", logQuery(options)),
                options, lines,
                QStringLiteral("cannot read the output of service %1").arg(service));
        },
        std::move(ended));
}

} // namespace Slipway
