// Apps and the daemon: create, apps, destroy, settings, settings-set, url, git-remote, status.

#include "ClientCommands.h"
#include "CommandContext.h"
#include "DeploymentProgress.h"
#include "Output.h"
#include "api/DaemonLauncher.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QTextStream>
#include <QThread>

#include <csignal>
#include <cstdio>

using namespace Slipway;

namespace Slipctl {

namespace {

using AppUse = CommandSpec::AppUse;

struct SettingRule
{
    QString key;
    bool numeric;
    QString meaning;
};

const QList<SettingRule> &settingRules()
{
    static const QList<SettingRule> rules = {
        {QStringLiteral("boot_timeout"), true,
         QStringLiteral("seconds a new container has to answer")},
        {QStringLiteral("grace_period"), true,
         QStringLiteral("seconds between SIGTERM and SIGKILL")},
        {QStringLiteral("drain_limit"), true,
         QStringLiteral("seconds an old web container has to finish its requests before SIGTERM")},
        {QStringLiteral("probe_interval_ms"), true,
         QStringLiteral("milliseconds between readiness probes")},
        {QStringLiteral("hook_timeout"), true,
         QStringLiteral("seconds the postdeploy hook may run")},
        {QStringLiteral("router_name"), false, QStringLiteral("host the router serves the app on")},
        {QStringLiteral("network"), false,
         QStringLiteral("outbound (containers reach the network outside) or none")},
        {QStringLiteral("runtime"), false,
         QStringLiteral("local (this machine), docker or swarm; changing it rolls the app over")},
        {QStringLiteral("docker_host"), false,
         QStringLiteral("the Docker engine (a manager for swarm): unix:///var/run/docker.sock or "
                        "tcp://host:2376")},
        {QStringLiteral("memory_mib"), true,
         QStringLiteral("memory limit of each container on docker and swarm, 0 for none")},
    };
    return rules;
}

QString settingKeys()
{
    QStringList keys;
    for (const SettingRule &rule : settingRules())
        keys.append(rule.key);
    return keys.join(QStringLiteral(", "));
}

QString formationText(const QJsonObject &formation)
{
    QStringList parts;
    for (auto it = formation.constBegin(); it != formation.constEnd(); ++it)
        parts.append(it.key() + u'=' + cellText(it.value()));
    return parts.isEmpty() ? QStringLiteral("-") : parts.join(u' ');
}

void printSettings(const QJsonObject &settings)
{
    QList<QPair<QString, QString>> fields;
    for (const SettingRule &rule : settingRules())
        fields.append({rule.key, cellText(settings.value(rule.key))});
    fields.append({QStringLiteral("formation"),
                   formationText(settings.value(QStringLiteral("formation")).toObject())});
    // Settings a newer daemon knows and this slipctl does not are shown all the same.
    for (auto it = settings.constBegin(); it != settings.constEnd(); ++it) {
        bool known = it.key() == QLatin1String("formation");
        for (const SettingRule &rule : settingRules())
            known = known || rule.key == it.key();
        if (!known)
            fields.append({it.key(), cellText(it.value())});
    }
    printFields(fields);
}

Result<QJsonObject> fetchApp(CommandContext &context)
{
    Result<QJsonObject> answer = context.get(context.appPath());
    if (!answer)
        return answer;
    return answer->value(QStringLiteral("app")).toObject();
}

int create(CommandContext &context)
{
    const QString name =
        context.positionals().isEmpty() ? context.explicitApp() : context.positionals().first();
    if (name.isEmpty())
        return context.usageError(QStringLiteral("give the new app's name"));
    Result<QJsonObject> answer = context.send(
        "POST", QStringLiteral("/v1/apps"),
        QJsonObject{{QStringLiteral("app"), QJsonObject{{QStringLiteral("name"), name}}}});
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    const QJsonObject app = answer->value(QStringLiteral("app")).toObject();
    QTextStream &out = standardOutput();
    out << "-----> App " << app.value(QStringLiteral("name")).toString(name) << " created\n";
    if (const QString url = app.value(QStringLiteral("url")).toString(); !url.isEmpty())
        out << "       URL:        " << url << '\n';
    if (const QString remote = app.value(QStringLiteral("git_remote")).toString();
        !remote.isEmpty())
        out << "       Git remote: " << remote << '\n';
    out << "       Deploy with: slipctl --app " << name << " deploy SOURCE\n";
    out.flush();
    return 0;
}

int apps(CommandContext &context)
{
    Result<QJsonObject> answer = context.get(QStringLiteral("/v1/apps"));
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    const QJsonArray list = answer->value(QStringLiteral("apps")).toArray();
    if (list.isEmpty()) {
        standardOutput() << "No apps yet; create one with: slipctl create NAME\n";
        standardOutput().flush();
        return 0;
    }
    Table table({QStringLiteral("NAME"), QStringLiteral("STATUS"), QStringLiteral("RELEASE"),
                 QStringLiteral("URL"), QStringLiteral("CREATED")});
    for (const QJsonValue &value : list) {
        const QJsonObject app = value.toObject();
        const QJsonValue release = app.value(QStringLiteral("current_release"));
        table.addRow(
            {cellText(app.value(QStringLiteral("name"))),
             cellText(app.value(QStringLiteral("status"))),
             release.isDouble() ? QStringLiteral("v%1").arg(release.toInt()) : cellText(release),
             cellText(app.value(QStringLiteral("url"))),
             formatTime(app.value(QStringLiteral("created_at")).toString())});
    }
    table.print(standardOutput());
    return 0;
}

int destroy(CommandContext &context)
{
    // $SLIPWAY_APP alone never destroys anything: the app is named on the command line.
    const QString name =
        context.positionals().isEmpty() ? context.explicitApp() : context.positionals().first();
    if (name.isEmpty())
        return context.usageError(QStringLiteral("name the app to destroy"));
    if (!context.isSet(QStringLiteral("force")) && stdinIsTerminal()) {
        standardOutput() << "This stops every container of " << name
                         << " and removes its releases, logs and config vars.\n"
                         << "Type the app's name to confirm: ";
        standardOutput().flush();
        QTextStream in(stdin);
        if (in.readLine().trimmed() != name)
            return fail(QStringLiteral("not confirmed; %1 is left as it was").arg(name));
    }
    Result<QJsonObject> answer = context.send(
        "DELETE", QStringLiteral("/v1/apps/") + CommandContext::pathSegment(name), {}, 180000);
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    standardOutput() << "-----> App " << name << " destroyed\n";
    standardOutput().flush();
    return 0;
}

int settings(CommandContext &context)
{
    Result<QJsonObject> answer = context.get(context.appPath(QStringLiteral("/settings")));
    if (!answer)
        return fail(answer.error().message);
    if (context.json())
        printJson(*answer);
    else
        printSettings(answer->value(QStringLiteral("settings")).toObject());
    return 0;
}

int settingsSet(CommandContext &context)
{
    QJsonObject changes;
    for (const QString &assignment : context.positionals()) {
        const qsizetype equals = assignment.indexOf(u'=');
        if (equals <= 0) {
            return context.usageError(
                QStringLiteral("'%1' is not KEY=VALUE; keys: %2").arg(assignment, settingKeys()));
        }
        const QString key = assignment.left(equals);
        const QString value = assignment.mid(equals + 1);
        const SettingRule *rule = nullptr;
        for (const SettingRule &candidate : settingRules()) {
            if (candidate.key == key)
                rule = &candidate;
        }
        if (!rule) {
            return context.usageError(
                QStringLiteral("unknown setting '%1'; keys: %2%3")
                    .arg(key, settingKeys(),
                         key == QLatin1String("formation")
                             ? QStringLiteral(" (change the formation with 'slipctl scale')")
                             : QString()));
        }
        if (rule->numeric) {
            bool ok = false;
            const int number = value.toInt(&ok);
            if (!ok || number < 0)
                return context.usageError(QStringLiteral("%1 takes a whole number (%2), got '%3'")
                                              .arg(key, rule->meaning, value));
            changes.insert(key, number);
        } else {
            // An empty engine address goes back to DOCKER_HOST or the default socket.
            if (value.isEmpty() && key != QLatin1String("docker_host"))
                return context.usageError(QStringLiteral("%1 cannot be empty").arg(key));
            changes.insert(key, value);
        }
    }
    Result<QJsonObject> answer = context.send("PATCH", context.appPath(QStringLiteral("/settings")),
                                              QJsonObject{{QStringLiteral("settings"), changes}});
    if (!answer)
        return fail(answer.error().message);
    if (context.json())
        printJson(*answer);
    else
        printSettings(answer->value(QStringLiteral("settings")).toObject());
    // A change of runtime moves the serving release with a rollout: followed like a deploy.
    const QString id = answer->value(QStringLiteral("deployment"))
                           .toObject()
                           .value(QStringLiteral("id"))
                           .toString();
    if (id.isEmpty() || context.json())
        return 0;
    QTextStream *log = &standardOutput();
    *log << "-----> Moving " << context.app() << " to the "
         << changes.value(QStringLiteral("runtime")).toString(QStringLiteral("new"))
         << " runtime (deployment " << id << ")\n";
    log->flush();
    Result<QJsonObject> finished = DeploymentProgress::wait(context, id, log);
    if (!finished)
        return fail(finished.error().message);
    return DeploymentProgress::report(context, *finished);
}

int appField(CommandContext &context, const QString &field, const QString &what)
{
    Result<QJsonObject> app = fetchApp(context);
    if (!app)
        return fail(app.error().message);
    if (context.json()) {
        printJson(QJsonObject{{QStringLiteral("app"), *app}});
        return 0;
    }
    const QString value = app->value(field).toString();
    if (value.isEmpty())
        return fail(QStringLiteral("the daemon gives no %1 for %2").arg(what, context.app()));
    standardOutput() << value << '\n';
    standardOutput().flush();
    return 0;
}

int shutdown(CommandContext &context)
{
    // Never starts a daemon just to stop it.
    if (!DaemonLauncher::isListening(context.socketPath())) {
        if (context.json())
            printJson(QJsonObject{{QStringLiteral("stopped"), false}});
        else
            standardOutput() << "No slipwayd answers on " << context.socketPath()
                             << "; nothing to stop\n";
        standardOutput().flush();
        return 0;
    }
    Result<QJsonObject> answer = context.send("POST", QStringLiteral("/v1/shutdown"));
    if (!answer)
        return fail(answer.error().message);
    if (!context.json()) {
        standardOutput() << "-----> Stopping slipwayd: every container gets SIGTERM, then its "
                            "grace period\n";
        standardOutput().flush();
    }
    // The socket closes once every container has stopped; the process ends just after.
    const auto pid = pid_t(answer->value(QStringLiteral("pid")).toDouble());
    QDeadlineTimer deadline(std::chrono::minutes(3));
    while (DaemonLauncher::isListening(context.socketPath()) || (pid > 0 && ::kill(pid, 0) == 0)) {
        if (deadline.hasExpired())
            return fail(
                QStringLiteral("slipwayd (pid %1) is still running after 3 minutes").arg(pid));
        QThread::msleep(50);
    }
    if (context.json())
        printJson(QJsonObject{{QStringLiteral("stopped"), true}});
    else
        standardOutput() << "-----> slipwayd stopped\n";
    standardOutput().flush();
    return 0;
}

int status(CommandContext &context)
{
    Result<QJsonObject> answer = context.get(QStringLiteral("/v1/status"));
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    const QJsonObject router = answer->value(QStringLiteral("router")).toObject();
    QString secrets = cellText(answer->value(QStringLiteral("secrets_backend")));
    if (const QString note = answer->value(QStringLiteral("secrets_note")).toString();
        !note.isEmpty())
        secrets += QStringLiteral(" (%1)").arg(note);
    QString routerText = cellText(router.value(QStringLiteral("address")));
    if (router.value(QStringLiteral("port")).isDouble())
        routerText += u':' + cellText(router.value(QStringLiteral("port")));
    printFields({
        {QStringLiteral("slipwayd"), cellText(answer->value(QStringLiteral("version")))},
        {QStringLiteral("socket"), context.socketPath()},
        {QStringLiteral("data dir"), cellText(answer->value(QStringLiteral("data_dir")))},
        {QStringLiteral("router"), routerText},
        {QStringLiteral("isolation"), cellText(answer->value(QStringLiteral("isolation")))},
        {QStringLiteral("secrets"), secrets},
    });
    return 0;
}

} // namespace

QList<CommandSpec> appCommands()
{
    CommandSpec createSpec;
    createSpec.name = QStringLiteral("create");
    createSpec.arguments = QStringLiteral("APP");
    createSpec.summary = QStringLiteral("create an app");
    createSpec.description = QStringLiteral(
        "App names: 3 to 48 lowercase letters, digits and dashes, starting with a letter.");
    createSpec.app = AppUse::None;
    createSpec.maximumPositionals = 1;
    createSpec.run = create;

    CommandSpec appsSpec;
    appsSpec.name = QStringLiteral("apps");
    appsSpec.summary = QStringLiteral("list the apps");
    appsSpec.app = AppUse::None;
    appsSpec.run = apps;

    CommandSpec destroySpec;
    destroySpec.name = QStringLiteral("destroy");
    destroySpec.aliases = {QStringLiteral("delete")};
    destroySpec.arguments = QStringLiteral("APP [--force]");
    destroySpec.summary =
        QStringLiteral("stop an app's containers and remove it with all its data");
    destroySpec.description =
        QStringLiteral("On a terminal, asks to type the app's name unless --force is given.");
    destroySpec.options = {
        QCommandLineOption(QStringLiteral("force"), QStringLiteral("do not ask for confirmation"))};
    destroySpec.app = AppUse::None;
    destroySpec.maximumPositionals = 1;
    destroySpec.run = destroy;

    CommandSpec settingsSpec;
    settingsSpec.name = QStringLiteral("settings");
    settingsSpec.summary = QStringLiteral("show the app's rollout settings and formation");
    settingsSpec.run = settings;

    CommandSpec settingsSetSpec;
    settingsSetSpec.name = QStringLiteral("settings-set");
    settingsSetSpec.arguments = QStringLiteral("KEY=VALUE...");
    settingsSetSpec.summary = QStringLiteral("change rollout settings");
    QStringList keyLines;
    for (const SettingRule &rule : settingRules())
        keyLines.append(QStringLiteral("  %1  %2").arg(rule.key.leftJustified(18), rule.meaning));
    settingsSetSpec.description = QStringLiteral("Keys:\n") + keyLines.join(u'\n');
    settingsSetSpec.minimumPositionals = 1;
    settingsSetSpec.maximumPositionals = -1;
    settingsSetSpec.run = settingsSet;

    CommandSpec urlSpec;
    urlSpec.name = QStringLiteral("url");
    urlSpec.summary = QStringLiteral("print the address the router serves the app on");
    urlSpec.run = [](CommandContext &context) {
        return appField(context, QStringLiteral("url"), QStringLiteral("URL"));
    };

    CommandSpec gitRemoteSpec;
    gitRemoteSpec.name = QStringLiteral("git-remote");
    gitRemoteSpec.summary = QStringLiteral("print the git remote that deploys the app on push");
    gitRemoteSpec.run = [](CommandContext &context) {
        return appField(context, QStringLiteral("git_remote"), QStringLiteral("git remote"));
    };

    return {createSpec,      appsSpec, destroySpec,  settingsSpec,
            settingsSetSpec, urlSpec,  gitRemoteSpec};
}

QList<CommandSpec> daemonCommands()
{
    CommandSpec statusSpec;
    statusSpec.name = QStringLiteral("status");
    statusSpec.summary =
        QStringLiteral("show the daemon's version, data folder, router and secrets store");
    statusSpec.app = AppUse::None;
    statusSpec.run = status;

    CommandSpec shutdownSpec;
    shutdownSpec.name = QStringLiteral("shutdown");
    shutdownSpec.summary = QStringLiteral(
        "stop slipwayd and every container it runs; apps come back at its next start");
    shutdownSpec.app = AppUse::None;
    shutdownSpec.run = shutdown;
    return {statusSpec, shutdownSpec};
}

} // namespace Slipctl
