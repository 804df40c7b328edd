#include "rollout/RuntimeContext.h"

#include "rollout/AppSettings.h"
#include "runtime/docker/DockerRuntime.h"
#include "runtime/local/LocalRuntime.h"

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
    if (kind == QLatin1String("docker")) {
        const Result<DockerEndpoint> endpoint =
            DockerEndpoint::fromSettings(settings.dockerHost, {});
        if (!endpoint)
            return std::unexpected(endpoint.error());
        std::shared_ptr<Runtime> &docker =
            m_runtimes[kind + QLatin1Char(' ') + endpoint->address()];
        if (!docker)
            docker = std::make_shared<DockerRuntime>(*endpoint, owner, stackCacheDirectory);
        return docker.get();
    }
    return failure(QStringLiteral("unknown runtime '%1': choose local or docker "
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
