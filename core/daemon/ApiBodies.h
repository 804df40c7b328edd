#pragma once

#include "buildpack/BuildpackRef.h"
#include "git/GitLogins.h"
#include "release/ConfigVars.h"
#include "rollout/AppSettings.h"
#include "source/SourceSpec.h"

#include <QJsonDocument>
#include <QMap>
#include <QString>
#include <QStringList>

#include <expected>

namespace Slipway::ApiBodies {

// A body an endpoint refuses: 400 when its shape is not the endpoint's, 422 when a value
// breaks a rule; the message is the sentence the client gets.
struct BodyError
{
    int status = 400;
    QString message;
};

template<typename T>
using BodyResult = std::expected<T, BodyError>;

// The JSON bodies of docs/api.md read into what the engine takes. Each reads only its own
// keys, checks every rule that does not need the engine's state, and never touches the
// engine, so the daemon and the fuzz targets run the very same code.

// POST /v1/apps {"app": {"name": "…"}}: the name (its rule is the engine's, at creation).
BodyResult<QString> newAppName(const QJsonDocument &body);

// PUT /v1/git-credentials/HOST {"git_credential": {"username": "…", "password": "…"}}.
BodyResult<GitLogin> gitCredential(const QJsonDocument &body);

// POST /v1/apps/{app}/scale {"containers": [{"name": "web", "amount": 2}]}.
BodyResult<QMap<QString, int>> scale(const QJsonDocument &body);

// POST /v1/apps/{app}/rollback {"version": 3}.
BodyResult<int> rollbackVersion(const QJsonDocument &body);

// POST /v1/apps/{app}/deployments {"deployment": {"source_url": "…", "git_ref": "…"}}.
BodyResult<SourceSpec> deploymentSource(const QJsonDocument &body);

// PATCH /v1/apps/{app}/settings {"settings": {"boot_timeout": 90, …}}: `current` with the
// changes applied; `app` is the app's own name (a router_name equal to it is the default).
BodyResult<AppSettings> settings(const QJsonDocument &body, AppSettings current,
                                 const QString &app);

// POST/PUT /v1/apps/{app}/variables {"variables": [{"name": "K", "value": "V",
// "secret": false}]}.
struct VariableChanges
{
    ConfigVars values;
    // The names whose last entry said "secret"; the others keep what they were.
    QMap<QString, bool> secret;
};
BodyResult<VariableChanges> variables(const QJsonDocument &body);

// POST /v1/apps/{app}/run {"command": "…"}.
BodyResult<QString> runCommand(const QJsonDocument &body);

// PUT /v1/apps/{app}/buildpacks {"buildpacks": ["nodejs", "https://…#v2"]}: the references
// as they are kept.
BodyResult<QStringList> buildpackList(const QJsonDocument &body);

// POST /v1/apps/{app}/buildpacks/detect {"source_url": "…", "git_ref": "…"}.
BodyResult<SourceSpec> detectionSource(const QJsonDocument &body);

// POST /v1/buildpacks/check {"buildpack": "…"}.
BodyResult<BuildpackRef> buildpackToCheck(const QJsonDocument &body);

} // namespace Slipway::ApiBodies
