#include "daemon/ApiRoutes.h"

#include "api/ApiServer.h"
#include "buildpack/BuildpackFetcher.h"
#include "daemon/ApiBodies.h"
#include "daemon/BuildpackDetection.h"
#include "daemon/EngineJournal.h"
#include "daemon/GitLoginKeeper.h"
#include "release/ConfigVars.h"
#include "rollout/AppInstance.h"
#include "rollout/Deployment.h"
#include "rollout/Engine.h"
#include "rollout/RuntimeContext.h"
#include "router/Router.h"
#include "runtime/Container.h"
#include "runtime/OutboundNetwork.h"
#include "secrets/SecretVault.h"
#include "store/LogFile.h"
#include "store/Store.h"
#include "util/ProcessRunner.h"
#include "util/Sandbox.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QUrlQuery>
#include <QUuid>

namespace Slipway {

namespace {

QByteArray line(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
}

QString iso(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QJsonValue nullable(const QString &text)
{
    return text.isEmpty() ? QJsonValue() : QJsonValue(text);
}

QJsonValue nullable(const std::optional<int> &number)
{
    return number ? QJsonValue(*number) : QJsonValue();
}

QJsonObject eventJson(const TimelineEvent &event)
{
    return {{QStringLiteral("time"), iso(event.time)},
            {QStringLiteral("offset_ms"), double(event.offsetMilliseconds)},
            {QStringLiteral("kind"), TimelineEvent::kindName(event.kind)},
            {QStringLiteral("container"), nullable(event.container)},
            {QStringLiteral("text"), event.text},
            {QStringLiteral("data"), event.data}};
}

QJsonObject recordJson(const DeploymentRecord &record, const QList<TimelineEvent> &timeline)
{
    QJsonArray events;
    for (const TimelineEvent &event : timeline)
        events.append(eventJson(event));
    // A stored deployment that is not running any more waits for nothing.
    return {{QStringLiteral("id"), record.id},
            {QStringLiteral("app"), record.app},
            {QStringLiteral("trigger"), record.trigger},
            {QStringLiteral("source"), nullable(record.source)},
            {QStringLiteral("status"), deploymentStatusName(record.status)},
            {QStringLiteral("error"), nullable(record.error)},
            {QStringLiteral("release_version"), nullable(record.releaseVersion)},
            {QStringLiteral("previous_release"), nullable(record.previousRelease)},
            {QStringLiteral("waiting_for"), QJsonValue()},
            {QStringLiteral("created_at"), iso(record.createdAt)},
            {QStringLiteral("finished_at"), nullable(iso(record.finishedAt))},
            {QStringLiteral("timeline"), events}};
}

QJsonObject containerJson(const ContainerStatus &status)
{
    return {{QStringLiteral("name"), status.name},
            {QStringLiteral("type"), status.type},
            {QStringLiteral("release_version"), status.releaseVersion},
            {QStringLiteral("state"), status.state},
            {QStringLiteral("port"), status.port},
            {QStringLiteral("pid"), double(status.pid)},
            {QStringLiteral("probes"), status.probes},
            {QStringLiteral("ready"), status.ready},
            {QStringLiteral("restarts"), status.restarts},
            {QStringLiteral("isolated"), status.isolated},
            {QStringLiteral("runtime"), status.runtime},
            {QStringLiteral("node"), nullable(status.node)}};
}

QJsonArray containersJson(AppInstance *instance)
{
    QJsonArray containers;
    for (const ContainerStatus &status : instance->containerStatuses())
        containers.append(containerJson(status));
    return containers;
}

// "no app named" → 404, "already exists" → 409, the rest is the user's input → 422.
int statusFor(const QString &message)
{
    if (message.startsWith(QLatin1String("there is no app named")) ||
        message.contains(QLatin1String(" has no release v")))
        return 404;
    if (message.contains(QLatin1String("already exists")))
        return 409;
    return 422;
}

} // namespace

ApiRoutes::ApiRoutes(Context context, QObject *parent)
    : QObject(parent)
    , m_context(std::move(context))
{
    connect(m_context.engine, &Engine::deploymentCreated, this, &ApiRoutes::watchDeployment);
    connect(m_context.journal, &EngineJournal::containerLogLine, this,
            [this](const QString &app, const LogLine &logLine) {
                broadcast(app, {{QStringLiteral("type"), QStringLiteral("log")},
                                {QStringLiteral("app"), app},
                                {QStringLiteral("container"), logLine.container},
                                {QStringLiteral("time"), iso(logLine.time)},
                                {QStringLiteral("text"), logLine.text}});
            });
    connect(m_context.engine, &Engine::appCreated, this, [this](const QString &app) {
        AppInstance *instance = m_context.engine->app(app);
        connect(instance, &AppInstance::containersChanged, this, [this, app, instance] {
            broadcast(app, {{QStringLiteral("type"), QStringLiteral("containers")},
                            {QStringLiteral("app"), app},
                            {QStringLiteral("containers"), containersJson(instance)}});
        });
    });
}

ApiRoutes::~ApiRoutes() = default;

QJsonObject ApiRoutes::deploymentJson(const Deployment *deployment, bool withTimeline)
{
    QJsonObject object{
        {QStringLiteral("id"), deployment->id()},
        {QStringLiteral("app"), deployment->app()},
        {QStringLiteral("trigger"), Deployment::triggerName(deployment->trigger())},
        {QStringLiteral("source"), nullable(deployment->source())},
        {QStringLiteral("status"), deployment->statusName()},
        {QStringLiteral("error"), nullable(deployment->error())},
        {QStringLiteral("release_version"), deployment->releaseVersion() > 0
                                                ? QJsonValue(deployment->releaseVersion())
                                                : QJsonValue()},
        {QStringLiteral("previous_release"), nullable(deployment->previousRelease())},
        {QStringLiteral("waiting_for"), nullable(deployment->waitingFor())},
        {QStringLiteral("created_at"), iso(deployment->createdAt())},
        {QStringLiteral("finished_at"), nullable(iso(deployment->finishedAt()))}};
    if (withTimeline) {
        QJsonArray events;
        for (const TimelineEvent &event : deployment->timeline())
            events.append(eventJson(event));
        object.insert(QStringLiteral("timeline"), events);
    }
    return object;
}

void ApiRoutes::watchDeployment(Deployment *deployment)
{
    const QString app = deployment->app();
    connect(deployment, &Deployment::statusChanged, this,
            [this, app, deployment](DeploymentStatus status) {
                broadcast(app, {{QStringLiteral("type"), QStringLiteral("deployment")},
                                {QStringLiteral("app"), app},
                                {QStringLiteral("id"), deployment->id()},
                                {QStringLiteral("status"), deploymentStatusName(status)},
                                {QStringLiteral("error"), nullable(deployment->error())}});
            });
    connect(deployment, &Deployment::eventAdded, this,
            [this, app, deployment](const TimelineEvent &event) {
                broadcast(app, {{QStringLiteral("type"), QStringLiteral("timeline")},
                                {QStringLiteral("app"), app},
                                {QStringLiteral("id"), deployment->id()},
                                {QStringLiteral("event"), eventJson(event)}});
            });
    connect(deployment, &Deployment::progress, this,
            [this, app, deployment](const QString &phase, const QString &what, qint64 bytes,
                                    qint64 total) {
                broadcast(app, {{QStringLiteral("type"), QStringLiteral("progress")},
                                {QStringLiteral("app"), app},
                                {QStringLiteral("id"), deployment->id()},
                                {QStringLiteral("phase"), phase},
                                {QStringLiteral("what"), what},
                                {QStringLiteral("bytes"), double(bytes)},
                                {QStringLiteral("total"),
                                 total >= 0 ? QJsonValue(double(total)) : QJsonValue()}});
            });
}

void ApiRoutes::broadcast(const QString &app, const QJsonObject &event)
{
    if (m_subscribers.isEmpty())
        return;
    const QByteArray text = line(event);
    for (int i = int(m_subscribers.size()) - 1; i >= 0; --i) {
        const std::shared_ptr<ApiResponder> responder = m_subscribers.at(i).responder;
        if (!m_subscribers.at(i).context || !responder->isOpen()) {
            m_subscribers.removeAt(i);
            continue;
        }
        if (m_subscribers.at(i).app.isEmpty() || m_subscribers.at(i).app == app)
            responder->write(text);
    }
}

QJsonObject ApiRoutes::appJson(const QString &name) const
{
    AppInstance *instance = m_context.engine->app(name);
    QJsonObject object{{QStringLiteral("name"), name}};
    if (!instance)
        return object;
    if (const Result<AppRecord> record = m_context.store->app(name))
        object.insert(QStringLiteral("created_at"), iso(record->createdAt));
    const int current = instance->current().isNull() ? 0 : instance->current().version();
    object.insert(QStringLiteral("current_release"), current ? QJsonValue(current) : QJsonValue());
    object.insert(QStringLiteral("url"), QStringLiteral("http://%1.localhost:%2/")
                                             .arg(instance->routerName())
                                             .arg(m_context.router ? m_context.router->port() : 0));
    object.insert(QStringLiteral("git_remote"), QString(m_context.gitDirectory + QLatin1Char('/') +
                                                        name + QStringLiteral(".git")));
    QString state = QStringLiteral("new");
    if (instance->isBusy())
        state = QStringLiteral("deploying");
    else if (current) {
        state = QStringLiteral("running");
        for (const ContainerStatus &container : instance->containerStatuses()) {
            if (container.restarts > 0 && !container.ready &&
                container.type == QLatin1String("web"))
                state = QStringLiteral("crashed");
        }
    }
    object.insert(QStringLiteral("status"), state);
    // The current release's web containers, for a list of apps that needs one call.
    int webTotal = 0;
    int webReady = 0;
    for (const ContainerStatus &container : instance->containerStatuses()) {
        if (container.type != QLatin1String("web") || container.releaseVersion != current)
            continue;
        ++webTotal;
        if (container.ready)
            ++webReady;
    }
    object.insert(QStringLiteral("web"), QJsonObject{{QStringLiteral("ready"), webReady},
                                                     {QStringLiteral("total"), webTotal}});
    QJsonValue last;
    const Result<QList<DeploymentRecord>> newest = m_context.store->deployments(name, 1);
    if (newest && !newest->isEmpty()) {
        const DeploymentRecord &record = newest->constFirst();
        last = QJsonObject{{QStringLiteral("id"), record.id},
                           {QStringLiteral("status"), deploymentStatusName(record.status)},
                           {QStringLiteral("created_at"), iso(record.createdAt)},
                           {QStringLiteral("finished_at"), nullable(iso(record.finishedAt))},
                           {QStringLiteral("source"), nullable(record.source)}};
    }
    object.insert(QStringLiteral("last_deployment"), last);
    return object;
}

void ApiRoutes::handle(const ApiRequest &request, const std::shared_ptr<ApiResponder> &responder)
{
    QStringList parts = request.path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    if (parts.size() < 2 || parts.at(0) != QLatin1String("v1")) {
        responder->sendError(404, QStringLiteral("no such endpoint: %1 %2; see docs/api.md")
                                      .arg(request.method, request.path));
        return;
    }
    parts.removeFirst();
    const QString top = parts.takeFirst();
    if (top == QLatin1String("status") && parts.isEmpty() &&
        request.method == QLatin1String("GET")) {
        status(responder);
        return;
    }
    if (top == QLatin1String("events") && parts.isEmpty() &&
        request.method == QLatin1String("GET")) {
        events(request, responder);
        return;
    }
    if (top == QLatin1String("buildpacks") && parts == QStringList{QStringLiteral("check")} &&
        request.method == QLatin1String("POST")) {
        checkBuildpack(request, responder);
        return;
    }
    if (top == QLatin1String("shutdown") && parts.isEmpty() &&
        request.method == QLatin1String("POST")) {
        responder->send(
            202, QJsonObject{{QStringLiteral("stopping"), true},
                             {QStringLiteral("pid"), double(QCoreApplication::applicationPid())}});
        // Once the answer has gone out: stopping closes the API, and with it this connection.
        if (m_context.requestShutdown)
            responder->onDone(m_context.requestShutdown);
        return;
    }
    if (top == QLatin1String("git-credentials") && parts.size() <= 1) {
        gitCredentials(parts.value(0), request, responder);
        return;
    }
    if (top == QLatin1String("apps")) {
        if (parts.isEmpty()) {
            apps(request, responder);
            return;
        }
        const QString name = parts.takeFirst();
        app(name, parts, request, responder);
        return;
    }
    responder->sendError(404, QStringLiteral("no such endpoint: %1 %2; see docs/api.md")
                                  .arg(request.method, request.path));
}

void ApiRoutes::gitCredentials(const QString &hostText, const ApiRequest &request,
                               const Responder &responder)
{
    GitLoginKeeper *keeper = m_context.gitLogins;
    if (hostText.isEmpty()) {
        if (request.method != QLatin1String("GET")) {
            responder->sendError(405, QStringLiteral("use GET on /v1/git-credentials, and PUT or "
                                                     "DELETE on /v1/git-credentials/HOST"));
            return;
        }
        const Result<QList<GitLoginKeeper::Entry>> entries = keeper->list();
        if (!entries) {
            responder->sendError(500, entries.error().message);
            return;
        }
        QJsonArray list;
        for (const GitLoginKeeper::Entry &entry : *entries)
            list.append(gitCredentialJson(entry));
        responder->send(200, QJsonObject{{QStringLiteral("git_credentials"), list}});
        return;
    }
    const Result<QString> host = GitLogins::normalizedHost(hostText);
    if (!host) {
        responder->sendError(422, host.error().message);
        return;
    }
    if (request.method == QLatin1String("DELETE")) {
        keeper->remove(*host, [responder, host = *host](const Result<bool> &removed) {
            if (!removed)
                responder->sendError(500, removed.error().message);
            else if (!*removed)
                responder->sendError(404, QStringLiteral("no git login is kept for %1").arg(host));
            else
                responder->send(204, QByteArray(), "application/json");
        });
        return;
    }
    if (request.method != QLatin1String("PUT")) {
        responder->sendError(405, QStringLiteral("use PUT or DELETE on /v1/git-credentials/HOST"));
        return;
    }
    const ApiBodies::BodyResult<GitLogin> parsed = ApiBodies::gitCredential(request.json());
    if (!parsed) {
        responder->sendError(parsed.error().status, parsed.error().message);
        return;
    }
    const GitLogin &login = *parsed;
    const bool replacing = keeper->find(*host).has_value();
    keeper->set(*host, login, [this, responder, host = *host, replacing](const Result<void> &kept) {
        const std::optional<GitLoginKeeper::Entry> entry = m_context.gitLogins->find(host);
        if (!kept || !entry) {
            responder->sendError(500,
                                 kept ? QStringLiteral("the login for %1 was not kept").arg(host)
                                      : kept.error().message);
            return;
        }
        responder->send(replacing ? 200 : 201,
                        QJsonObject{{QStringLiteral("git_credential"), gitCredentialJson(*entry)}});
    });
}

QJsonObject ApiRoutes::gitCredentialJson(const GitLoginKeeper::Entry &entry) const
{
    return {{QStringLiteral("host"), entry.record.host},
            {QStringLiteral("username"), entry.record.username},
            {QStringLiteral("password"), SecretVault::masked()},
            {QStringLiteral("updated_at"), iso(entry.record.updatedAt)},
            {QStringLiteral("usable"), entry.problem.isEmpty()},
            {QStringLiteral("problem"), nullable(entry.problem)}};
}

void ApiRoutes::status(const Responder &responder)
{
    SecretVault *vault = m_context.vault;
    responder->send(
        200,
        QJsonObject{
            {QStringLiteral("version"), m_context.version},
            {QStringLiteral("data_dir"), m_context.dataDirectory},
            {QStringLiteral("router"),
             QJsonObject{
                 {QStringLiteral("address"), QStringLiteral("127.0.0.1")},
                 {QStringLiteral("port"), m_context.router ? m_context.router->port() : 0}}},
            {QStringLiteral("isolation"), Sandbox::isAvailable()},
            {QStringLiteral("isolation_note"), nullable(Sandbox::unavailableReason())},
            // Without isolation, containers share the host's network: nothing to connect.
            {QStringLiteral("outbound_network"),
             !Sandbox::isAvailable() || OutboundNetwork::isAvailable()},
            {QStringLiteral("outbound_network_note"),
             nullable(Sandbox::isAvailable() ? OutboundNetwork::unavailableReason() : QString())},
            {QStringLiteral("secrets_backend"), vault->backend() == SecretVault::Backend::Keychain
                                                    ? QStringLiteral("keychain")
                                                    : QStringLiteral("private-file")},
            {QStringLiteral("secrets_note"), nullable(vault->fallbackReason())},
        });
}

void ApiRoutes::apps(const ApiRequest &request, const Responder &responder)
{
    if (request.method == QLatin1String("GET")) {
        QJsonArray list;
        for (const QString &name : m_context.engine->appNames())
            list.append(appJson(name));
        responder->send(200, QJsonObject{{QStringLiteral("apps"), list}});
        return;
    }
    if (request.method != QLatin1String("POST")) {
        responder->sendError(405, QStringLiteral("use GET or POST on /v1/apps"));
        return;
    }
    const ApiBodies::BodyResult<QString> name = ApiBodies::newAppName(request.json());
    if (!name) {
        responder->sendError(name.error().status, name.error().message);
        return;
    }
    const Result<AppInstance *> created = m_context.engine->createApp(*name);
    if (!created) {
        responder->sendError(statusFor(created.error().message), created.error().message);
        return;
    }
    responder->send(201, QJsonObject{{QStringLiteral("app"), appJson(*name)}});
}

void ApiRoutes::app(const QString &name, const QStringList &rest, const ApiRequest &request,
                    const Responder &responder)
{
    AppInstance *instance = m_context.engine->app(name);
    if (!instance) {
        responder->sendError(
            404, QStringLiteral("there is no app named '%1'; `slipctl apps` lists them").arg(name));
        return;
    }
    const QString method = request.method;
    if (rest.isEmpty()) {
        if (method == QLatin1String("GET")) {
            responder->send(200, QJsonObject{{QStringLiteral("app"), appJson(name)}});
        } else if (method == QLatin1String("DELETE")) {
            const Result<void> deleted = m_context.engine->deleteApp(name);
            if (!deleted)
                responder->sendError(statusFor(deleted.error().message), deleted.error().message);
            else
                responder->send(204, QByteArray(), "application/json");
        } else {
            responder->sendError(405, QStringLiteral("use GET or DELETE on an app"));
        }
        return;
    }
    const QString what = rest.first();
    const QStringList more = rest.mid(1);
    if (what == QLatin1String("deployments")) {
        deployments(name, more, request, responder);
    } else if (what == QLatin1String("variables")) {
        variables(name, more, request, responder);
    } else if (what == QLatin1String("buildpacks")) {
        buildpacks(name, more, request, responder);
    } else if (what == QLatin1String("settings") && more.isEmpty()) {
        settings(name, request, responder);
    } else if (what == QLatin1String("containers") && more.isEmpty() &&
               method == QLatin1String("GET")) {
        responder->send(200, QJsonObject{{QStringLiteral("containers"), containersJson(instance)}});
    } else if (what == QLatin1String("scale") && more.isEmpty() &&
               method == QLatin1String("POST")) {
        const ApiBodies::BodyResult<QMap<QString, int>> counts = ApiBodies::scale(request.json());
        if (!counts) {
            responder->sendError(counts.error().status, counts.error().message);
            return;
        }
        const Result<void> scaled = m_context.engine->scale(name, *counts);
        if (!scaled) {
            responder->sendError(422, scaled.error().message);
            return;
        }
        // The formation is a setting: it survives restarts.
        m_context.store->updateSettings(name, instance->settings());
        responder->send(200, QJsonObject{{QStringLiteral("containers"), containersJson(instance)}});
    } else if (what == QLatin1String("restart") && more.isEmpty() &&
               method == QLatin1String("POST")) {
        const Result<Deployment *> restart = m_context.engine->restart(name);
        if (!restart)
            responder->sendError(422, restart.error().message);
        else
            responder->send(
                202, QJsonObject{{QStringLiteral("deployment"), deploymentJson(*restart, false)}});
    } else if (what == QLatin1String("run") && more.isEmpty() && method == QLatin1String("POST")) {
        run(name, request, responder);
    } else if (what == QLatin1String("logs") && more.isEmpty() && method == QLatin1String("GET")) {
        logs(name, request, responder);
    } else if (what == QLatin1String("releases") && more.isEmpty() &&
               method == QLatin1String("GET")) {
        QJsonArray releases;
        const int current = instance->current().isNull() ? 0 : instance->current().version();
        const Result<QList<Release>> stored = m_context.store->releases(name);
        for (const Release &release : stored.value_or(QList<Release>())) {
            QJsonObject object = release.toJson();
            object.remove(QStringLiteral("config")); // values live in `variables`, masked there
            object.insert(QStringLiteral("current"), release.version() == current);
            releases.append(object);
        }
        responder->send(200, QJsonObject{{QStringLiteral("releases"), releases}});
    } else if (what == QLatin1String("rollback") && more.isEmpty() &&
               method == QLatin1String("POST")) {
        const ApiBodies::BodyResult<int> version = ApiBodies::rollbackVersion(request.json());
        if (!version) {
            responder->sendError(version.error().status, version.error().message);
            return;
        }
        const Result<Deployment *> rollback = m_context.engine->rollback(name, *version);
        if (!rollback)
            responder->sendError(statusFor(rollback.error().message), rollback.error().message);
        else
            responder->send(
                202, QJsonObject{{QStringLiteral("deployment"), deploymentJson(*rollback, false)}});
    } else if (what == QLatin1String("cache") && more.isEmpty() &&
               method == QLatin1String("DELETE")) {
        QDir(m_context.dataDirectory + QStringLiteral("/apps/") + name + QStringLiteral("/cache"))
            .removeRecursively();
        responder->send(204, QByteArray(), "application/json");
    } else {
        responder->sendError(
            404,
            QStringLiteral("no such endpoint: %1 %2; see docs/api.md").arg(method, request.path));
    }
}

void ApiRoutes::deployments(const QString &app, const QStringList &rest, const ApiRequest &request,
                            const Responder &responder)
{
    if (rest.isEmpty()) {
        if (request.method == QLatin1String("POST")) {
            createDeployment(app, request, responder);
            return;
        }
        const Result<QList<DeploymentRecord>> records = m_context.store->deployments(app, 100);
        QJsonArray list;
        for (const DeploymentRecord &record : records.value_or(QList<DeploymentRecord>())) {
            // A deployment still in the engine knows more (what it waits for).
            const Deployment *live = m_context.engine->deployment(record.id);
            QJsonObject entry = recordJson(record, {});
            if (live) {
                entry = deploymentJson(live, false);
                entry.insert(QStringLiteral("timeline"), QJsonArray());
            }
            list.append(entry);
        }
        responder->send(200, QJsonObject{{QStringLiteral("deployments"), list}});
        return;
    }
    const QString id = rest.first();
    Deployment *live = m_context.engine->deployment(id);
    const Result<DeploymentRecord> record = m_context.store->deployment(id);
    if ((!live && !record) || (record && record->app != app)) {
        responder->sendError(404, QStringLiteral("%1 has no deployment '%2'").arg(app, id));
        return;
    }
    if (rest.size() == 1 && request.method == QLatin1String("GET")) {
        if (live)
            responder->send(
                200, QJsonObject{{QStringLiteral("deployment"), deploymentJson(live, true)}});
        else
            responder->send(200,
                            QJsonObject{{QStringLiteral("deployment"),
                                         recordJson(*record, m_context.store->timeline(id).value_or(
                                                                 QList<TimelineEvent>()))}});
        return;
    }
    if (rest.size() == 2 && rest.at(1) == QLatin1String("output") &&
        request.method == QLatin1String("GET")) {
        const bool follow =
            request.query.queryItemValue(QStringLiteral("follow")) == QLatin1String("true");
        if (live && follow) {
            followOutput(live, responder);
            return;
        }
        QFile file(m_context.journal->deploymentLogPath(id));
        QByteArray text;
        if (file.open(QIODevice::ReadOnly))
            text = file.readAll();
        responder->send(200, text, "text/plain; charset=utf-8");
        return;
    }
    if (rest.size() == 2 && rest.at(1) == QLatin1String("cancel") &&
        request.method == QLatin1String("POST")) {
        if (!live || live->isFinished()) {
            responder->sendError(409, QStringLiteral("deployment %1 has already ended").arg(id));
            return;
        }
        live->cancel();
        responder->send(200,
                        QJsonObject{{QStringLiteral("deployment"), deploymentJson(live, false)}});
        return;
    }
    responder->sendError(404, QStringLiteral("no such endpoint: %1 %2; see docs/api.md")
                                  .arg(request.method, request.path));
}

void ApiRoutes::createDeployment(const QString &app, const ApiRequest &request,
                                 const Responder &responder)
{
    AppInstance *instance = m_context.engine->app(app);
    if (request.query.queryItemValue(QStringLiteral("queue")) == QLatin1String("false") &&
        instance->isBusy()) {
        responder->sendError(
            409, QStringLiteral("a deployment of %1 is already running; wait for it, or "
                                "leave out queue=false to queue this one")
                     .arg(app));
        return;
    }
    const QByteArray contentType = request.headers.value("content-type").toLower();
    Result<SourceSpec> source = failure(QString());
    // An archive comes as the body with a binary type or a file name; anything else is the
    // JSON form (curl -d sends form-urlencoded, which is JSON all the same).
    static const QList<QByteArray> archiveTypes = {
        "application/octet-stream", "application/gzip",        "application/x-gzip",
        "application/x-tar",        "application/zip",         "application/x-bzip2",
        "application/x-xz",         "application/java-archive"};
    bool upload = request.query.hasQueryItem(QStringLiteral("filename"));
    for (const QByteArray &type : archiveTypes)
        upload = upload || contentType.startsWith(type);
    if (!upload) {
        ApiBodies::BodyResult<SourceSpec> parsed = ApiBodies::deploymentSource(request.json());
        if (!parsed) {
            responder->sendError(parsed.error().status, parsed.error().message);
            return;
        }
        source = *std::move(parsed);
    } else {
        // The archive itself is the body: keep it beside the app until the build read it.
        QString filename =
            QFileInfo(request.query.queryItemValue(QStringLiteral("filename"))).fileName();
        if (filename.isEmpty())
            filename = contentType.contains("zip") ? QStringLiteral("upload.zip")
                                                   : QStringLiteral("upload.tar.gz");
        const QString folder = m_context.dataDirectory + QStringLiteral("/uploads/") +
                               QUuid::createUuid().toString(QUuid::Id128);
        QDir().mkpath(folder);
        const QString path = folder + QLatin1Char('/') + filename;
        bool stored = false;
        if (!request.bodyFile.isEmpty())
            stored = QFile::copy(request.bodyFile, path);
        else {
            QFile file(path);
            stored =
                file.open(QIODevice::WriteOnly) && file.write(request.body) == request.body.size();
        }
        if (!stored || QFileInfo(path).size() == 0) {
            QDir(folder).removeRecursively();
            responder->sendError(400, QStringLiteral("the uploaded archive is empty"));
            return;
        }
        source = SourceSpec::parse(path);
        if (source && source->kind() != SourceSpec::Kind::Archive &&
            source->kind() != SourceSpec::Kind::Artifact) {
            QDir(folder).removeRecursively();
            responder->sendError(
                422, QStringLiteral("'%1' is not an archive name: give ?filename= with a .tar.gz, "
                                    ".tgz, .tar, .tar.bz2, .tar.xz, .zip, .jar or .war name")
                         .arg(filename));
            return;
        }
    }
    if (!source) {
        responder->sendError(422, source.error().message);
        return;
    }
    // An upload is named by its file, unless the client names it (git push does).
    // Control characters (a terminal's escape sequences) would reach every listing.
    QString description =
        request.query.queryItemValue(QStringLiteral("description"), QUrl::FullyDecoded);
    description.removeIf(
        [](QChar c) { return c.category() == QChar::Other_Control && c != u'\t'; });
    description = description.simplified().left(200);
    const bool uploaded =
        source->location().startsWith(m_context.dataDirectory + QStringLiteral("/uploads/"));
    if (description.isEmpty() && uploaded)
        description = QStringLiteral("upload %1").arg(source->fileName());
    const Result<Deployment *> deployment = m_context.engine->deploySource(
        app, *source, request.query.queryItemValue(QStringLiteral("source_version")), description);
    if (!deployment) {
        responder->sendError(statusFor(deployment.error().message), deployment.error().message);
        return;
    }
    if (uploaded) {
        const QString folder = QFileInfo(source->location()).absolutePath();
        connect(*deployment, &Deployment::finished, this,
                [folder] { QDir(folder).removeRecursively(); });
    }
    responder->send(
        201, QJsonObject{{QStringLiteral("deployment"), deploymentJson(*deployment, false)}});
}

void ApiRoutes::followOutput(Deployment *deployment, const Responder &responder)
{
    responder->beginStream(200, "text/plain; charset=utf-8");
    QByteArray backlog;
    for (const QString &text : deployment->log())
        backlog += text.toUtf8() + '\n';
    if (!backlog.isEmpty())
        responder->write(backlog);
    if (deployment->isFinished()) {
        responder->end();
        return;
    }
    // The context holds the stream open until the deployment ends or the client leaves.
    QObject *context = holdOpen(responder);
    connect(deployment, &Deployment::logAppended, context,
            [responder](const QString &text) { responder->write(text.toUtf8() + '\n'); });
    connect(deployment, &Deployment::finished, context, [responder, context] {
        responder->end();
        context->deleteLater();
    });
    connect(deployment, &QObject::destroyed, context, [responder, context] {
        responder->end();
        context->deleteLater();
    });
}

QJsonObject ApiRoutes::settingsJson(const QString &app) const
{
    AppInstance *instance = m_context.engine->app(app);
    const AppSettings &settings = instance->settings();
    QJsonObject formation;
    if (!instance->current().isNull()) {
        for (const QString &type : instance->current().release.processTypes().keys()) {
            if (type != QLatin1String("postdeploy"))
                formation.insert(type, settings.scaleOf(type));
        }
    } else {
        for (auto it = settings.formation.cbegin(); it != settings.formation.cend(); ++it)
            formation.insert(it.key(), it.value());
    }
    return {{QStringLiteral("boot_timeout"), double(settings.bootTimeout.count()) / 1000.0},
            {QStringLiteral("grace_period"), double(settings.gracePeriod.count()) / 1000.0},
            {QStringLiteral("probe_interval_ms"), double(settings.probeInterval.count())},
            {QStringLiteral("hook_timeout"), double(settings.hookTimeout.count()) / 1000.0},
            {QStringLiteral("drain_limit"), double(settings.drainLimit.count()) / 1000.0},
            {QStringLiteral("router_name"), instance->routerName()},
            {QStringLiteral("network"),
             settings.outboundNetwork ? QStringLiteral("outbound") : QStringLiteral("none")},
            {QStringLiteral("runtime"), settings.runtime},
            {QStringLiteral("docker_host"), settings.dockerHost},
            {QStringLiteral("memory_mib"), settings.memoryLimitMiB},
            {QStringLiteral("formation"), formation}};
}

void ApiRoutes::settings(const QString &app, const ApiRequest &request, const Responder &responder)
{
    if (request.method == QLatin1String("GET")) {
        responder->send(200, QJsonObject{{QStringLiteral("settings"), settingsJson(app)}});
        return;
    }
    if (request.method != QLatin1String("PATCH") && request.method != QLatin1String("PUT")) {
        responder->sendError(405, QStringLiteral("use GET or PATCH on settings"));
        return;
    }
    const ApiBodies::BodyResult<AppSettings> settings =
        ApiBodies::settings(request.json(), m_context.engine->app(app)->settings(), app);
    if (!settings) {
        responder->sendError(settings.error().status, settings.error().message);
        return;
    }
    const AppSettings before = m_context.engine->app(app)->settings();
    m_context.engine->setSettings(app, *settings);
    QJsonObject answer{{QStringLiteral("settings"), settingsJson(app)}};
    // Where the containers run changed: the serving release moves there with a normal
    // rollout (the new containers start on the new runtime, the old stop once it serves).
    const bool moved = before.runtime != settings->runtime ||
                       (settings->runtime != QLatin1String("local") &&
                        (before.dockerHost != settings->dockerHost ||
                         before.memoryLimitMiB != settings->memoryLimitMiB));
    if (moved && !m_context.engine->app(app)->current().isNull()) {
        const Result<Deployment *> deployment = m_context.engine->restart(app);
        if (!deployment) {
            responder->sendError(422, deployment.error().message);
            return;
        }
        answer.insert(QStringLiteral("deployment"), deploymentJson(*deployment, false));
    }
    responder->send(200, answer);
}

void ApiRoutes::variables(const QString &app, const QStringList &rest, const ApiRequest &request,
                          const Responder &responder)
{
    Engine *engine = m_context.engine;
    auto listJson = [this, app, engine](bool reveal) {
        QJsonArray list;
        const ConfigVars config = engine->config(app);
        for (auto it = config.cbegin(); it != config.cend(); ++it) {
            const bool secret = m_context.journal->isSecret(app, it.key());
            list.append(
                QJsonObject{{QStringLiteral("name"), it.key()},
                            {QStringLiteral("value"),
                             secret && !reveal ? SecretVault::masked(it.value()) : it.value()},
                            {QStringLiteral("secret"), secret}});
        }
        return list;
    };
    auto deploymentValue = [](const Result<Deployment *> &deployment) {
        return *deployment ? QJsonValue(deploymentJson(*deployment, false)) : QJsonValue();
    };
    if (rest.isEmpty() && request.method == QLatin1String("GET")) {
        const bool reveal =
            request.query.queryItemValue(QStringLiteral("reveal")) == QLatin1String("true");
        responder->send(200, QJsonObject{{QStringLiteral("variables"), listJson(reveal)}});
        return;
    }
    if (rest.isEmpty() &&
        (request.method == QLatin1String("POST") || request.method == QLatin1String("PUT"))) {
        const ApiBodies::BodyResult<ApiBodies::VariableChanges> changes =
            ApiBodies::variables(request.json());
        if (!changes) {
            responder->sendError(changes.error().status, changes.error().message);
            return;
        }
        for (const QString &name : changes->values.keys())
            m_context.journal->setSecret(
                app, name, changes->secret.value(name, m_context.journal->isSecret(app, name)));
        const Result<Deployment *> deployment = engine->changeConfig(app, changes->values);
        if (!deployment) {
            responder->sendError(422, deployment.error().message);
            return;
        }
        responder->send(200,
                        QJsonObject{{QStringLiteral("variables"), listJson(false)},
                                    {QStringLiteral("deployment"), deploymentValue(deployment)}});
        return;
    }
    if (rest.size() == 1 && request.method == QLatin1String("DELETE")) {
        const QString name = rest.first();
        if (!engine->config(app).contains(name)) {
            responder->sendError(404, QStringLiteral("%1 has no config var %2").arg(app, name));
            return;
        }
        const Result<Deployment *> deployment = engine->changeConfig(app, {}, {name});
        if (!deployment) {
            responder->sendError(422, deployment.error().message);
            return;
        }
        responder->send(200,
                        QJsonObject{{QStringLiteral("deployment"), deploymentValue(deployment)}});
        return;
    }
    responder->sendError(404, QStringLiteral("no such endpoint: %1 %2; see docs/api.md")
                                  .arg(request.method, request.path));
}

void ApiRoutes::run(const QString &app, const ApiRequest &request, const Responder &responder)
{
    const ApiBodies::BodyResult<QString> command = ApiBodies::runCommand(request.json());
    if (!command) {
        responder->sendError(command.error().status, command.error().message);
        return;
    }
    const Result<Container *> created = m_context.engine->run(app, *command, this);
    if (!created) {
        responder->sendError(422, created.error().message);
        return;
    }
    Container *container = *created;
    responder->beginStream(200, "application/x-ndjson");
    connect(container, &Container::logLine, container, [responder](const LogLine &logLine) {
        responder->write(
            line({{QStringLiteral("line"), logLine.text},
                  {QStringLiteral("stream"),
                   logLine.standardError ? QStringLiteral("stderr") : QStringLiteral("stdout")}}));
    });
    connect(container, &Container::exited, container,
            [responder, container](const ContainerExit &exit) {
                int status = exit.outcome.exitCode;
                if (exit.outcome.kind == ProcessOutcome::Kind::Signalled)
                    status = 128 + exit.outcome.signal;
                if (exit.outcome.kind == ProcessOutcome::Kind::FailedToStart)
                    status = 127;
                responder->write(line({{QStringLiteral("exit_status"), status},
                                       {QStringLiteral("how"), exit.describe()}}));
                responder->end();
                container->deleteLater();
            });
    // The client leaving ends the command, as closing a terminal would.
    responder->onClosed([container = QPointer<Container>(container)] {
        QMetaObject::invokeMethod(container, [container] {
            if (container)
                container->stop(std::chrono::seconds(5));
        });
    });
    container->start();
}

void ApiRoutes::logs(const QString &app, const ApiRequest &request, const Responder &responder)
{
    bool ok = false;
    int lines = request.query.queryItemValue(QStringLiteral("lines")).toInt(&ok);
    if (!ok || lines <= 0)
        lines = 100;
    lines = qMin(lines, 100000);
    const QStringList tail = LogFile::tail(m_context.journal->appLogPath(app), lines);
    QByteArray text;
    for (const QString &entry : tail)
        text += entry.toUtf8() + '\n';
    if (request.query.queryItemValue(QStringLiteral("follow")) != QLatin1String("true")) {
        responder->send(200, text, "text/plain; charset=utf-8");
        return;
    }
    responder->beginStream(200, "text/plain; charset=utf-8");
    if (!text.isEmpty())
        responder->write(text);
    QObject *context = holdOpen(responder);
    connect(m_context.journal, &EngineJournal::containerLogLine, context,
            [responder, app](const QString &from, const LogLine &logLine) {
                if (from == app)
                    responder->write(logLine.format().toUtf8() + '\n');
            });
}

void ApiRoutes::buildpacks(const QString &app, const QStringList &rest, const ApiRequest &request,
                           const Responder &responder)
{
    Engine *engine = m_context.engine;
    if (rest.isEmpty() && request.method == QLatin1String("GET")) {
        responder->send(200, QJsonObject{{QStringLiteral("buildpacks"),
                                          QJsonArray::fromStringList(engine->buildpacks(app))}});
        return;
    }
    if (rest.isEmpty() && request.method == QLatin1String("PUT")) {
        const ApiBodies::BodyResult<QStringList> references =
            ApiBodies::buildpackList(request.json());
        if (!references) {
            responder->sendError(references.error().status, references.error().message);
            return;
        }
        engine->setBuildpacks(app, *references);
        responder->send(200, QJsonObject{{QStringLiteral("buildpacks"),
                                          QJsonArray::fromStringList(*references)}});
        return;
    }
    if (rest == QStringList{QStringLiteral("detect")} && request.method == QLatin1String("POST")) {
        const ApiBodies::BodyResult<SourceSpec> source = ApiBodies::detectionSource(request.json());
        if (!source) {
            responder->sendError(source.error().status, source.error().message);
            return;
        }
        // Fetch the source into a scratch folder, then ask the buildpacks.
        const QString scratch = m_context.dataDirectory + QStringLiteral("/work");
        QDir().mkpath(scratch);
        auto work = std::make_shared<QTemporaryDir>(scratch + QStringLiteral("/detect-XXXXXX"));
        if (!work->isValid()) {
            responder->sendError(500, QStringLiteral("cannot create a scratch folder in %1: %2")
                                          .arg(scratch, work->errorString()));
            return;
        }
        BuildpackDetection::Request detection;
        detection.source = *source;
        detection.config = engine->config(app);
        detection.appBuildpacks = engine->buildpacks(app);
        detection.builtinDirectory = engine->options().builtinBuildpacksDirectory;
        detection.buildpackCacheDirectory = engine->buildpackCacheDirectory();
        detection.workDirectory = work->path();
        detection.gitLogins = engine->gitLogins();
        auto *detector = new BuildpackDetection(detection, this);
        connect(detector, &BuildpackDetection::finished, this,
                [detector, work, responder](const Result<QJsonObject> &report) {
                    detector->deleteLater();
                    if (!report)
                        responder->sendError(422, report.error().message);
                    else
                        responder->send(200, *report);
                });
        detector->start();
        return;
    }
    responder->sendError(404, QStringLiteral("no such endpoint: %1 %2; see docs/api.md")
                                  .arg(request.method, request.path));
}

void ApiRoutes::checkBuildpack(const ApiRequest &request, const Responder &responder)
{
    const ApiBodies::BodyResult<BuildpackRef> ref = ApiBodies::buildpackToCheck(request.json());
    if (!ref) {
        responder->sendError(ref.error().status, ref.error().message);
        return;
    }
    // Fetched the way a build fetches it: same cache, same logins, off this thread.
    Engine *engine = m_context.engine;
    auto *fetcher = new BuildpackFetcher(engine->options().builtinBuildpacksDirectory,
                                         engine->buildpackCacheDirectory(), this);
    fetcher->setGitLogins(engine->gitLogins());
    const BuildpackRef checked = *ref;
    connect(fetcher, &BuildpackFetcher::finished, this,
            [fetcher, checked, responder](const Result<QList<Buildpack>> &fetched) {
                fetcher->deleteLater();
                if (!fetched || fetched->isEmpty()) {
                    responder->sendError(
                        422, fetched ? QStringLiteral("could not fetch %1").arg(checked.text())
                                     : fetched.error().message);
                    return;
                }
                const Buildpack &buildpack = fetched->constFirst();
                static const QMap<BuildpackRef::Kind, QString> kinds = {
                    {BuildpackRef::Kind::BuiltIn, QStringLiteral("builtin")},
                    {BuildpackRef::Kind::Folder, QStringLiteral("folder")},
                    {BuildpackRef::Kind::Git, QStringLiteral("git")},
                    {BuildpackRef::Kind::Tarball, QStringLiteral("tarball")}};
                QString normalized = checked.location();
                if (!checked.ref().isEmpty())
                    normalized += QLatin1Char('#') + checked.ref();
                responder->send(
                    200,
                    QJsonObject{
                        {QStringLiteral("buildpack"),
                         QJsonObject{
                             {QStringLiteral("reference"), normalized},
                             {QStringLiteral("kind"), kinds.value(checked.kind())},
                             {QStringLiteral("has_detect"),
                              QFileInfo(buildpack.script(QStringLiteral("detect"))).isFile()},
                             {QStringLiteral("has_release"),
                              QFileInfo::exists(buildpack.script(QStringLiteral("release")))}}}});
            });
    fetcher->fetch({checked});
}

QObject *ApiRoutes::holdOpen(const Responder &responder)
{
    // Streams end when their client leaves; the callback comes from an I/O thread.
    auto *context = new QObject(this);
    const QPointer<QObject> guard = context;
    responder->onClosed([guard] {
        QMetaObject::invokeMethod(guard, [guard] {
            if (guard)
                guard->deleteLater();
        });
    });
    return context;
}

void ApiRoutes::events(const ApiRequest &request, const Responder &responder)
{
    responder->beginStream(200, "application/x-ndjson");
    QObject *context = holdOpen(responder);
    m_subscribers.append({responder, request.query.queryItemValue(QStringLiteral("app")), context});
    responder->write(line({{QStringLiteral("type"), QStringLiteral("hello")},
                           {QStringLiteral("version"), m_context.version}}));
}

} // namespace Slipway
