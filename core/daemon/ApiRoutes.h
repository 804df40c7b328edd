#pragma once

#include "daemon/GitLoginKeeper.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>

namespace Slipway {

class ApiResponder;
class Deployment;
class Engine;
class EngineJournal;
class Router;
class SecretVault;
class Store;
struct ApiRequest;
struct LogLine;

// The endpoints of docs/api.md on top of the engine: every request is turned into engine
// calls and answered in JSON; errors carry the status and one sentence.
class ApiRoutes : public QObject
{
    Q_OBJECT

public:
    struct Context
    {
        Engine *engine = nullptr;
        EngineJournal *journal = nullptr;
        Store *store = nullptr;
        Router *router = nullptr;
        SecretVault *vault = nullptr;
        GitLoginKeeper *gitLogins = nullptr;
        std::function<void()> requestShutdown;
        QString dataDirectory;
        QString gitDirectory; // one bare repository per app below
        QString version;
    };

    explicit ApiRoutes(Context context, QObject *parent = nullptr);
    ~ApiRoutes() override;

    void handle(const ApiRequest &request, const std::shared_ptr<ApiResponder> &responder);

    // JSON forms shared with the git hook and the events stream.
    QJsonObject appJson(const QString &app) const;
    static QJsonObject deploymentJson(const Deployment *deployment, bool withTimeline);

private:
    using Responder = std::shared_ptr<ApiResponder>;
    void apps(const ApiRequest &request, const Responder &responder);
    void app(const QString &name, const QStringList &rest, const ApiRequest &request,
             const Responder &responder);
    void deployments(const QString &app, const QStringList &rest, const ApiRequest &request,
                     const Responder &responder);
    void createDeployment(const QString &app, const ApiRequest &request,
                          const Responder &responder);
    void followOutput(Deployment *deployment, const Responder &responder);
    void variables(const QString &app, const QStringList &rest, const ApiRequest &request,
                   const Responder &responder);
    void run(const QString &app, const ApiRequest &request, const Responder &responder);
    void logs(const QString &app, const ApiRequest &request, const Responder &responder);
    void buildpacks(const QString &app, const QStringList &rest, const ApiRequest &request,
                    const Responder &responder);
    void settings(const QString &app, const ApiRequest &request, const Responder &responder);
    void checkBuildpack(const ApiRequest &request, const Responder &responder);
    void events(const ApiRequest &request, const Responder &responder);
    void status(const Responder &responder);
    void gitCredentials(const QString &host, const ApiRequest &request, const Responder &responder);
    QJsonObject gitCredentialJson(const GitLoginKeeper::Entry &entry) const;
    void broadcast(const QString &app, const QJsonObject &event);
    QJsonObject settingsJson(const QString &app) const;
    void watchDeployment(Deployment *deployment);

    Context m_context;
    QObject *holdOpen(const Responder &responder);

    struct Subscriber
    {
        std::shared_ptr<ApiResponder> responder;
        QString app;               // empty: every app
        QPointer<QObject> context; // gone once the client left
    };
    QList<Subscriber> m_subscribers;
};

} // namespace Slipway
