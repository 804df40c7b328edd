#include "rollout/RuntimeContext.h"

#include "rollout/AppSettings.h"
#include "runtime/docker/DockerRuntime.h"
#include "runtime/local/LocalRuntime.h"
#include "runtime/swarm/SwarmRuntime.h"

namespace Slipway {

RuntimeContext::RuntimeContext() = default;
RuntimeContext::~RuntimeContext() = default;

Result<Runtime *> RuntimeContext::runtimeFor(const AppSettings &settings)
{
    const QString kind = settings.runtime.isEmpty() ? QStringLiteral("local") : settings.runtime;
    if (kind == QLatin1String("local")) {
        std::shared_ptr<Runtime> &local = m_runtimes[kind];
        if (!local)
            local = std::make_shared<LocalRuntime>(containersDirectory);
        return local.get();
    }
    if (kind == QLatin1String("docker") || kind == QLatin1String("swarm")) {
        const Result<DockerEndpoint> endpoint =
            DockerEndpoint::fromSettings(settings.dockerHost, {});
        if (!endpoint)
            return std::unexpected(endpoint.error());
        std::shared_ptr<Runtime> &engine =
            m_runtimes[kind + QLatin1Char(' ') + endpoint->address()];
        if (!engine && kind == QLatin1String("docker"))
            engine = std::make_shared<DockerRuntime>(*endpoint, owner, stackCacheDirectory);
        if (!engine)
            engine = std::make_shared<SwarmRuntime>(*endpoint, owner, stackCacheDirectory,
                                                    stateDirectory);
        return engine.get();
    }
    return failure(QStringLiteral("unknown runtime '%1': choose local, docker or swarm "
                                  "(slipctl settings-set runtime=local)")
                       .arg(kind));
}

Result<void> RuntimeContext::validateDockerHost(const QString &address)
{
    if (address.isEmpty())
        return {};
    if (const Result<DockerEndpoint> endpoint = DockerEndpoint::fromSettings(address, {});
        !endpoint)
        return std::unexpected(endpoint.error());
    return {};
}

} // namespace Slipway
