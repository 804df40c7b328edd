#include "daemon/ApiBodies.h"

#include "rollout/Engine.h"
#include "rollout/RuntimeContext.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cmath>
#include <limits>
#include <optional>

namespace Slipway::ApiBodies {

namespace {

std::unexpected<BodyError> refuse(int status, QString message)
{
    return std::unexpected<BodyError>(BodyError{status, std::move(message)});
}

std::unexpected<BodyError> refuse(int status, const Error &error)
{
    return refuse(status, error.message);
}

// toInt() would turn 1.5 or 1e308 into a silent 0: only whole numbers in range count.
bool isWholeNumber(double value, double minimum)
{
    return value == std::floor(value) && value >= minimum &&
           value <= double(std::numeric_limits<int>::max());
}

// The daemon's current folder is nobody's: a relative path would name some other folder,
// at every build that reads the reference again.
std::optional<BodyError> relativeFolder(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed != QLatin1String(".") && trimmed != QLatin1String("..") &&
        !trimmed.startsWith(QLatin1String("./")) && !trimmed.startsWith(QLatin1String("../")))
        return std::nullopt;
    return BodyError{422, QStringLiteral("'%1' is a relative path; give the buildpack's folder as "
                                         "an absolute path (the daemon does not share your "
                                         "current folder)")
                              .arg(trimmed)};
}

} // namespace

BodyResult<QString> newAppName(const QJsonDocument &body)
{
    const QJsonValue name =
        body.object().value(QStringLiteral("app")).toObject().value(QStringLiteral("name"));
    if (!body.isObject() || !name.isString())
        return refuse(400, QStringLiteral("send {\"app\": {\"name\": \"my-app\"}}"));
    return name.toString();
}

BodyResult<GitLogin> gitCredential(const QJsonDocument &body)
{
    const QJsonObject object = body.object().value(QStringLiteral("git_credential")).toObject();
    const QJsonValue username = object.value(QStringLiteral("username"));
    const QJsonValue password = object.value(QStringLiteral("password"));
    if (!username.isString() || !password.isString())
        return refuse(400, QStringLiteral("send {\"git_credential\": {\"username\": \"…\", "
                                          "\"password\": \"…\"}}; the password may be an "
                                          "access token"));
    const GitLogin login{username.toString(), password.toString().toUtf8(), {}};
    if (Result<void> valid = GitLogins::validate(login); !valid)
        return refuse(422, valid.error());
    return login;
}

BodyResult<QMap<QString, int>> scale(const QJsonDocument &body)
{
    const QJsonValue list = body.object().value(QStringLiteral("containers"));
    if (!list.isArray())
        return refuse(
            400, QStringLiteral("send {\"containers\": [{\"name\": \"web\", \"amount\": 2}]}"));
    QMap<QString, int> counts;
    for (const QJsonValue &entry : list.toArray()) {
        const QJsonObject object = entry.toObject();
        const QJsonValue name = object.value(QStringLiteral("name"));
        const QJsonValue amount = object.value(QStringLiteral("amount"));
        if (!name.isString() || !amount.isDouble())
            return refuse(400,
                          QStringLiteral("each entry needs a \"name\" and a numeric \"amount\""));
        if (!isWholeNumber(amount.toDouble(), 0))
            return refuse(
                422, QStringLiteral("the amount of %1 must be a whole number from 0 up, not %2")
                         .arg(name.toString())
                         .arg(amount.toDouble()));
        counts.insert(name.toString(), int(amount.toDouble()));
    }
    return counts;
}

BodyResult<int> rollbackVersion(const QJsonDocument &body)
{
    const QJsonValue version = body.object().value(QStringLiteral("version"));
    if (!version.isDouble())
        return refuse(400, QStringLiteral("send {\"version\": 3}"));
    if (!isWholeNumber(version.toDouble(), 1))
        return refuse(422, QStringLiteral("%1 is not a release version: versions are whole "
                                          "numbers from 1 up; `slipctl releases` lists them")
                               .arg(version.toDouble()));
    return int(version.toDouble());
}

BodyResult<SourceSpec> deploymentSource(const QJsonDocument &body)
{
    const QJsonObject deployment = body.object().value(QStringLiteral("deployment")).toObject();
    const QJsonValue url = deployment.value(QStringLiteral("source_url"));
    if (!url.isString())
        return refuse(400, QStringLiteral("send {\"deployment\": {\"source_url\": \"…\", "
                                          "\"git_ref\": \"…\"}} or the archive itself as the "
                                          "body"));
    Result<SourceSpec> source =
        SourceSpec::parse(url.toString(), deployment.value(QStringLiteral("git_ref")).toString());
    if (!source)
        return refuse(422, source.error());
    return *std::move(source);
}

BodyResult<AppSettings> settings(const QJsonDocument &body, AppSettings current, const QString &app)
{
    const QJsonObject changes = body.object().value(QStringLiteral("settings")).toObject();
    if (changes.isEmpty())
        return refuse(400, QStringLiteral("send {\"settings\": {\"boot_timeout\": 90}}"));
    // Seconds for timeouts, milliseconds for the probe interval; bounds keep typos harmless.
    struct Duration
    {
        const char *key;
        std::chrono::milliseconds *target;
        double scale;
        double minimum;
        double maximum;
    };
    const Duration durations[] = {
        {"boot_timeout", &current.bootTimeout, 1000, 1, 3600},
        {"grace_period", &current.gracePeriod, 1000, 0, 3600},
        {"probe_interval_ms", &current.probeInterval, 1, 10, 10000},
        {"hook_timeout", &current.hookTimeout, 1000, 1, 24 * 3600},
        {"drain_limit", &current.drainLimit, 1000, 0, 3600},
    };
    for (auto it = changes.constBegin(); it != changes.constEnd(); ++it) {
        bool known = false;
        for (const Duration &duration : durations) {
            if (it.key() != QLatin1String(duration.key))
                continue;
            known = true;
            if (!it.value().isDouble() || it.value().toDouble() < duration.minimum ||
                it.value().toDouble() > duration.maximum)
                return refuse(422, QStringLiteral("%1 must be a number from %2 to %3")
                                       .arg(it.key())
                                       .arg(duration.minimum)
                                       .arg(duration.maximum));
            *duration.target =
                std::chrono::milliseconds(qint64(it.value().toDouble() * duration.scale));
        }
        if (it.key() == QLatin1String("router_name")) {
            known = true;
            const QString routerName = it.value().toString();
            if (!Engine::validateAppName(routerName))
                return refuse(422, QStringLiteral("router_name '%1' must follow the app name "
                                                  "rule: 3 to 48 lowercase letters, digits and "
                                                  "dashes, starting with a letter")
                                       .arg(routerName));
            current.routerName = routerName == app ? QString() : routerName;
        }
        if (it.key() == QLatin1String("network")) {
            known = true;
            const QString network = it.value().toString();
            if (network != QLatin1String("outbound") && network != QLatin1String("none"))
                return refuse(422, QStringLiteral("network must be \"outbound\" (containers "
                                                  "reach the network outside) or \"none\" "
                                                  "(only their own loopback)"));
            current.outboundNetwork = network == QLatin1String("outbound");
        }
        if (it.key() == QLatin1String("runtime")) {
            known = true;
            const QString runtime = it.value().toString();
            if (runtime != QLatin1String("local") && runtime != QLatin1String("docker") &&
                runtime != QLatin1String("swarm"))
                return refuse(422, QStringLiteral("runtime must be local (this machine), docker "
                                                  "(a Docker engine, see docker_host) or swarm "
                                                  "(a Swarm cluster through a manager at "
                                                  "docker_host)"));
            current.runtime = runtime;
        }
        if (it.key() == QLatin1String("docker_host")) {
            known = true;
            if (!it.value().isString())
                return refuse(422, QStringLiteral("docker_host must be a string: "
                                                  "unix:///var/run/docker.sock, "
                                                  "tcp://HOST:PORT, or \"\" for the default"));
            const QString host = it.value().toString();
            if (Result<void> valid = RuntimeContext::validateDockerHost(host); !valid)
                return refuse(422, valid.error().message);
            current.dockerHost = host;
        }
        if (it.key() == QLatin1String("memory_mib")) {
            known = true;
            const double memory = it.value().toDouble(-1);
            if (!it.value().isDouble() || memory < 0 || memory > 1024 * 1024 ||
                memory != std::floor(memory) || (memory > 0 && memory < 6))
                return refuse(422, QStringLiteral("memory_mib must be a whole number of MiB from "
                                                  "6 to 1048576, or 0 for no limit"));
            current.memoryLimitMiB = int(memory);
        }
        if (!known)
            return refuse(422, QStringLiteral("unknown setting '%1'; settings are boot_timeout, "
                                              "grace_period, drain_limit, probe_interval_ms, "
                                              "hook_timeout, router_name, network, runtime, "
                                              "docker_host and memory_mib")
                                   .arg(it.key()));
    }
    return current;
}

BodyResult<VariableChanges> variables(const QJsonDocument &body)
{
    const QJsonValue list = body.object().value(QStringLiteral("variables"));
    if (!list.isArray())
        return refuse(400, QStringLiteral("send {\"variables\": [{\"name\": \"K\", "
                                          "\"value\": \"V\", \"secret\": false}]}"));
    VariableChanges changes;
    for (const QJsonValue &entry : list.toArray()) {
        const QJsonObject object = entry.toObject();
        const QJsonValue name = object.value(QStringLiteral("name"));
        const QJsonValue value = object.value(QStringLiteral("value"));
        if (!name.isString() || !value.isString())
            return refuse(400,
                          QStringLiteral("each variable needs a string \"name\" and \"value\""));
        if (Result<void> valid = ConfigVar::validateName(name.toString()); !valid)
            return refuse(422, valid.error());
        if (Result<void> valid = ConfigVar::validateValue(value.toString(), name.toString());
            !valid)
            return refuse(422, valid.error());
        changes.values.insert(name.toString(), value.toString());
        // A later entry for the same name decides, as it does for the value.
        const QJsonValue secret = object.value(QStringLiteral("secret"));
        if (secret.isBool())
            changes.secret.insert(name.toString(), secret.toBool());
        else
            changes.secret.remove(name.toString());
    }
    return changes;
}

BodyResult<QString> runCommand(const QJsonDocument &body)
{
    const QString command = body.object().value(QStringLiteral("command")).toString();
    if (command.trimmed().isEmpty())
        return refuse(400, QStringLiteral("send {\"command\": \"…\"}"));
    return command;
}

BodyResult<QStringList> buildpackList(const QJsonDocument &body)
{
    const QJsonValue list = body.object().value(QStringLiteral("buildpacks"));
    if (!list.isArray())
        return refuse(400, QStringLiteral("send {\"buildpacks\": [\"nodejs\", \"https://…#v2\"]}"));
    QStringList references;
    for (const QJsonValue &value : list.toArray()) {
        const Result<BuildpackRef> ref = BuildpackRef::parse(value.toString());
        if (!ref)
            return refuse(422, ref.error());
        if (std::optional<BodyError> relative = relativeFolder(value.toString()))
            return std::unexpected(*std::move(relative));
        references.append(ref->text());
    }
    return references;
}

BodyResult<SourceSpec> detectionSource(const QJsonDocument &body)
{
    const QJsonObject object = body.object();
    Result<SourceSpec> source =
        SourceSpec::parse(object.value(QStringLiteral("source_url")).toString(),
                          object.value(QStringLiteral("git_ref")).toString());
    if (!source)
        return refuse(422, source.error());
    return *std::move(source);
}

BodyResult<BuildpackRef> buildpackToCheck(const QJsonDocument &body)
{
    const QJsonValue text = body.object().value(QStringLiteral("buildpack"));
    if (!text.isString())
        return refuse(400, QStringLiteral("send {\"buildpack\": \"nodejs\"} with a built-in name, "
                                          "a folder, a git URL (#ref optional) or a .tgz URL"));
    Result<BuildpackRef> ref = BuildpackRef::parse(text.toString());
    if (!ref)
        return refuse(422, ref.error());
    if (std::optional<BodyError> relative = relativeFolder(text.toString()))
        return std::unexpected(*std::move(relative));
    return *std::move(ref);
}

} // namespace Slipway::ApiBodies
