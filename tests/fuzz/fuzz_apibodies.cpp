// The JSON bodies of every API endpoint that takes one, read by the functions the daemon's
// routes call (daemon/ApiBodies.h): app creation, git logins, scale, rollback, deployments,
// settings, config vars, run, the buildpack list, detection and the buildpack check. Every
// input goes to every reader, each of which picks its own keys; what a reader accepts must
// hold the rules the engine relies on, and what it refuses gets a status and a sentence.

#include "FuzzCheck.h"
#include "daemon/ApiBodies.h"
#include "rollout/Engine.h"

#include <QByteArray>
#include <QJsonDocument>

namespace {

using namespace Slipway;
using namespace Slipway::ApiBodies;

template<typename T>
bool accepted(const BodyResult<T> &result)
{
    if (result)
        return true;
    FUZZ_CHECK(result.error().status == 400 || result.error().status == 422);
    FUZZ_CHECK(!result.error().message.isEmpty());
    return false;
}

// A reference the API keeps is read again at every build: it must parse to the same thing,
// whatever folder the daemon runs in.
void checkKeptReference(const QString &text)
{
    const Result<BuildpackRef> again = BuildpackRef::parse(text);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->text() == text);
    const Result<BuildpackRef> elsewhere =
        BuildpackRef::parse(text, QStringLiteral("/nonexistent/elsewhere"));
    FUZZ_CHECK(elsewhere.has_value());
    FUZZ_CHECK(elsewhere->location() == again->location());
}

void checkDuration(std::chrono::milliseconds value, qint64 minimum, qint64 maximum)
{
    FUZZ_CHECK(value.count() >= minimum && value.count() <= maximum);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QJsonDocument body = QJsonDocument::fromJson(
        QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size)));

    if (const auto name = newAppName(body); accepted(name))
        FUZZ_CHECK(body.isObject());

    if (const auto login = gitCredential(body); accepted(login))
        FUZZ_CHECK(GitLogins::validate(*login).has_value());

    if (const auto counts = scale(body); accepted(counts)) {
        for (const int amount : *counts)
            FUZZ_CHECK(amount >= 0);
    }

    if (const auto version = rollbackVersion(body); accepted(version))
        FUZZ_CHECK(*version >= 1);

    (void)accepted(deploymentSource(body));
    (void)accepted(detectionSource(body));

    const QString app = QStringLiteral("my-app");
    if (const auto settings = ApiBodies::settings(body, AppSettings{}, app); accepted(settings)) {
        checkDuration(settings->bootTimeout, 1000, 3600 * 1000);
        checkDuration(settings->gracePeriod, 0, 3600 * 1000);
        checkDuration(settings->probeInterval, 10, 10000);
        checkDuration(settings->hookTimeout, 1000, 24 * 3600 * 1000);
        checkDuration(settings->drainLimit, 0, 3600 * 1000);
        FUZZ_CHECK(settings->routerName != app);
        FUZZ_CHECK(settings->routerName.isEmpty() ||
                   Engine::validateAppName(settings->routerName).has_value());
    }

    if (const auto changes = variables(body); accepted(changes)) {
        for (auto it = changes->values.cbegin(); it != changes->values.cend(); ++it) {
            FUZZ_CHECK(ConfigVar::validateName(it.key()).has_value());
            FUZZ_CHECK(ConfigVar::validateValue(it.value()).has_value());
        }
        for (const QString &name : changes->secret.keys())
            FUZZ_CHECK(changes->values.contains(name));
    }

    if (const auto command = runCommand(body); accepted(command))
        FUZZ_CHECK(!command->trimmed().isEmpty());

    if (const auto references = buildpackList(body); accepted(references)) {
        for (const QString &text : *references)
            checkKeptReference(text);
    }

    if (const auto ref = buildpackToCheck(body); accepted(ref))
        checkKeptReference(ref->text());
    return 0;
}
