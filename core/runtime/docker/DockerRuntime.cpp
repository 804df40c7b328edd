#include "runtime/docker/DockerRuntime.h"

#include "archive/OwnerRewriter.h"
#include "runtime/docker/DockerClient.h"
#include "runtime/docker/DockerContainer.h"
#include "runtime/docker/StackImage.h"
#include "util/Background.h"

#include <QFileInfo>
#include <QUuid>

#include <memory>
#include <utility>

namespace Slipway {

DockerRuntime::DockerRuntime(DockerEndpoint endpoint, QString owner, QString stackCacheDirectory,
                             QObject *parent)
    : Runtime(parent)
    , m_endpoint(std::move(endpoint))
    , m_owner(std::move(owner))
    , m_stackCacheDirectory(std::move(stackCacheDirectory))
    , m_client(new DockerClient(m_endpoint, this))
{}

DockerRuntime::~DockerRuntime() = default;

QString DockerRuntime::containerHost() const
{
    if (m_endpoint.kind() == DockerEndpoint::Kind::Tls)
        return m_endpoint.host();
    return QStringLiteral("127.0.0.1");
}

void DockerRuntime::prepare(const ContainerSpec &spec, Progress progress,
                            std::function<void(Result<void>)> done)
{
    m_waiting.append({std::move(progress), std::move(done)});
    if (m_preparing)
        return;
    m_preparing = true;
    const QString stack = spec.stack;
    auto tell = [this](const QString &line) {
        for (const auto &waiting : std::as_const(m_waiting)) {
            if (waiting.first)
                waiting.first(line);
        }
    };
    auto finish = [this](const Result<void> &result) {
        m_preparing = false;
        const auto waiting = std::exchange(m_waiting, {});
        for (const auto &entry : waiting)
            entry.second(result);
    };
    // The engine answers (and speaks a version we know), then has the stack image or gets
    // it: built from Debian packages and imported, once, with its progress in the log.
    m_client->version(this, [this, stack, tell, finish](const Result<DockerVersion> &version) {
        if (!version) {
            finish(std::unexpected(version.error()));
            return;
        }
        if (m_stackImage.isEmpty())
            tell(QStringLiteral("Docker engine %1 (API %2) at %3")
                     .arg(version->engineVersion, version->usedApiVersion, m_endpoint.address()));
        if (!m_stackImage.isEmpty()) {
            finish({});
            return;
        }
        auto *stack = new StackImage(m_client, this);
        if (!m_stackCacheDirectory.isEmpty())
            stack->setCacheFolder(m_stackCacheDirectory);
        auto imported = std::make_shared<int>(-1);
        stack->ensure({.line = tell,
                       .importProgress =
                           [tell, imported](qint64 sent, qint64 total) {
                               const int percent = total > 0 ? int(sent * 100 / total) : 0;
                               if (percent / 10 == *imported / 10 && sent != total)
                                   return;
                               *imported = percent;
                               tell(QStringLiteral("importing the stack image: %1%").arg(percent));
                           },
                       .done =
                           [this, stack, finish](const Result<QString> &image) {
                               stack->deleteLater();
                               if (!image) {
                                   finish(std::unexpected(image.error()));
                                   return;
                               }
                               m_stackImage = *image;
                               finish({});
                           }});
    });
}

void DockerRuntime::slugForEngine(const QString &slugPath,
                                  std::function<void(Result<QString>)> done)
{
    QString output = slugPath;
    if (output.endsWith(QLatin1String(".tgz")))
        output.chop(4);
    output += QStringLiteral(".slug-user.tgz");
    if (QFileInfo::exists(output)) {
        done(output);
        return;
    }
    QList<std::function<void(Result<QString>)>> &waiting = m_rewriting[slugPath];
    waiting.append(std::move(done));
    if (waiting.size() > 1)
        return;
    runInBackground(
        this,
        [slugPath, output]() -> Result<QString> {
            if (Result<void> rewritten = OwnerRewriter::rewrite(slugPath, output, SlugUid, SlugUid);
                !rewritten)
                return std::unexpected(rewritten.error());
            return output;
        },
        [this, slugPath](const Result<QString> &made) {
            const auto callbacks = m_rewriting.take(slugPath);
            for (const auto &callback : callbacks)
                callback(made);
        });
}

QString DockerRuntime::engineName(const ContainerSpec &spec, const QString &owner)
{
    // Engine names allow [a-zA-Z0-9][a-zA-Z0-9_.-]; app names and process types fit.
    return QStringLiteral("slipway-%1-%2-v%3-%4-%5")
        .arg(owner.left(8), spec.app)
        .arg(spec.releaseVersion)
        .arg(spec.name(), QUuid::createUuid().toString(QUuid::Id128).left(8));
}

DockerLabels DockerRuntime::labelsFor(const ContainerSpec &spec, const QString &owner)
{
    DockerLabels labels = {
        {QLatin1String(OwnerLabel), owner},
        {QLatin1String(AppLabel), spec.app},
        {QLatin1String(ReleaseLabel), QString::number(spec.releaseVersion)},
        {QLatin1String(ProcessLabel), spec.processType},
        {QLatin1String(IndexLabel), QString::number(spec.index)},
        {QLatin1String(CommandLabel), spec.command},
    };
    if (spec.port)
        labels.insert(QLatin1String(PortLabel), QString::number(spec.port));
    return labels;
}

Container *DockerRuntime::create(const ContainerSpec &spec, QObject *parent)
{
    return new DockerContainer(spec, this, parent);
}

void DockerRuntime::findRunning(const QString &app,
                                std::function<void(Result<QList<Container *>>)> done,
                                QObject *parent)
{
    const QStringList labels = {QStringLiteral("%1=%2").arg(QLatin1String(OwnerLabel), m_owner),
                                QStringLiteral("%1=%2").arg(QLatin1String(AppLabel), app)};
    const QPointer<QObject> owner = parent;
    m_client->listContainers(
        labels, this, [this, owner, done](const Result<QList<DockerContainerSummary>> &listed) {
            if (!listed) {
                done(std::unexpected(listed.error()));
                return;
            }
            struct Gathering
            {
                int pending = 0;
                QList<Container *> found;
            };
            auto gathering = std::make_shared<Gathering>();
            auto settle = [gathering, done] {
                if (--gathering->pending == 0)
                    done(gathering->found);
            };
            gathering->pending = 1;
            for (const DockerContainerSummary &summary : *listed) {
                const std::optional<ContainerSpec> spec =
                    DockerContainer::specFromLabels(summary.labels);
                if (!spec || summary.state != QLatin1String("running")) {
                    // Ended while no slipwayd watched, or not one it can tell: removed.
                    m_client->removeContainer(summary.id, true, this, [](const Result<void> &) {});
                    continue;
                }
                ++gathering->pending;
                m_client->inspectContainer(
                    summary.id, this,
                    [this, owner, spec, gathering,
                     settle](const Result<std::optional<DockerContainerInfo>> &info) {
                        if (info && *info && (*info)->state.running && owner)
                            gathering->found.append(
                                new DockerContainer(*spec, this, **info, owner));
                        settle();
                    });
            }
            settle();
        });
}

} // namespace Slipway
