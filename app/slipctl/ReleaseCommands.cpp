// Releases and buildpacks: releases, rollback, buildpacks, buildpacks-set, buildpacks-detect.

#include "ClientCommands.h"
#include "CommandContext.h"
#include "DeploymentProgress.h"
#include "Output.h"

#include "source/SourceSpec.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTextStream>

using namespace Slipway;

namespace Slipctl {

namespace {

using AppUse = CommandSpec::AppUse;

int releases(CommandContext &context)
{
    Result<QJsonObject> answer = context.get(context.appPath(QStringLiteral("/releases")));
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    const QJsonArray list = answer->value(QStringLiteral("releases")).toArray();
    if (list.isEmpty()) {
        standardOutput() << context.app()
                         << " has no release yet; make one with: slipctl deploy SOURCE\n";
        standardOutput().flush();
        return 0;
    }
    Table table({QStringLiteral("VERSION"), QStringLiteral("CURRENT"), QStringLiteral("CREATED"),
                 QStringLiteral("BUILDPACKS"), QStringLiteral("PROCESS TYPES"),
                 QStringLiteral("SOURCE")});
    for (const QJsonValue &value : list) {
        const QJsonObject release = value.toObject();
        const QJsonValue version = release.value(QStringLiteral("version"));
        QStringList buildpacks;
        for (const QJsonValue &used : release.value(QStringLiteral("buildpacks")).toArray()) {
            buildpacks.append(used.isObject()
                                  ? used.toObject().value(QStringLiteral("reference")).toString()
                                  : used.toString());
        }
        const QStringList types = release.value(QStringLiteral("process_types")).toObject().keys();
        table.addRow(
            {version.isDouble() ? QStringLiteral("v%1").arg(version.toInt()) : cellText(version),
             release.value(QStringLiteral("current")).toBool() ? QStringLiteral("*") : QString(),
             formatTime(release.value(QStringLiteral("created_at")).toString()),
             buildpacks.isEmpty() ? QStringLiteral("-") : buildpacks.join(u','),
             types.isEmpty() ? QStringLiteral("-") : types.join(u','),
             cellText(release.value(QStringLiteral("source_version")))});
    }
    table.print(standardOutput());
    return 0;
}

int rollback(CommandContext &context)
{
    QString text = context.positionals().first();
    if (text.startsWith(u'v') || text.startsWith(u'V'))
        text.remove(0, 1);
    bool ok = false;
    const int version = text.toInt(&ok);
    if (!ok || version <= 0) {
        return context.usageError(
            QStringLiteral("'%1' is not a release version; give its number, e.g. 3 or v3 "
                           "('slipctl releases' lists them)")
                .arg(context.positionals().first()));
    }
    Result<QJsonObject> answer = context.send("POST", context.appPath(QStringLiteral("/rollback")),
                                              QJsonObject{{QStringLiteral("version"), version}});
    if (!answer)
        return fail(answer.error().message);
    const QString id = answer->value(QStringLiteral("deployment"))
                           .toObject()
                           .value(QStringLiteral("id"))
                           .toString();
    if (id.isEmpty())
        return fail(QStringLiteral("the daemon's answer names no deployment"));
    const bool wait = !context.isSet(QStringLiteral("no-wait"));
    if (!context.json()) {
        standardOutput() << "-----> Rolling " << context.app() << " back to v" << version
                         << " (deployment " << id << ")\n";
        standardOutput().flush();
    }
    if (!wait) {
        if (context.json())
            printJson(*answer);
        return 0;
    }
    Result<QJsonObject> finished =
        DeploymentProgress::wait(context, id, context.json() ? nullptr : &standardOutput());
    if (!finished)
        return fail(finished.error().message);
    return DeploymentProgress::report(context, *finished);
}

void printBuildpacks(CommandContext &context, const QJsonArray &buildpacks)
{
    if (buildpacks.isEmpty()) {
        standardOutput() << context.app()
                         << " has no buildpacks set: they are detected from the source\n";
        standardOutput().flush();
        return;
    }
    for (qsizetype index = 0; index < buildpacks.size(); ++index)
        standardOutput() << (index + 1) << ". " << buildpacks.at(index).toString() << '\n';
    standardOutput().flush();
}

int buildpacks(CommandContext &context)
{
    Result<QJsonObject> answer = context.get(context.appPath(QStringLiteral("/buildpacks")));
    if (!answer)
        return fail(answer.error().message);
    if (context.json())
        printJson(*answer);
    else
        printBuildpacks(context, answer->value(QStringLiteral("buildpacks")).toArray());
    return 0;
}

int buildpacksSet(CommandContext &context)
{
    const QStringList references = context.positionals();
    const bool clear = context.isSet(QStringLiteral("clear"));
    const bool insert = context.isSet(QStringLiteral("index"));
    if (clear && (!references.isEmpty() || insert))
        return context.usageError(QStringLiteral("--clear takes no buildpacks and no --index"));
    if (!clear && references.isEmpty())
        return context.usageError(
            QStringLiteral("give the buildpacks in order, or --clear to go back to detection"));
    for (const QString &reference : references) {
        if (reference.trimmed().isEmpty())
            return context.usageError(QStringLiteral("a buildpack reference cannot be empty"));
    }
    int position = 0;
    if (insert) {
        bool ok = false;
        position = context.value(QStringLiteral("index")).toInt(&ok);
        if (!ok || position <= 0)
            return context.usageError(QStringLiteral("--index takes a position from 1, got '%1'")
                                          .arg(context.value(QStringLiteral("index"))));
    }

    QJsonArray list;
    if (insert) {
        // Like `heroku buildpacks:add --index`: the others keep their order around it.
        Result<QJsonObject> current = context.get(context.appPath(QStringLiteral("/buildpacks")));
        if (!current)
            return fail(current.error().message);
        list = current->value(QStringLiteral("buildpacks")).toArray();
        if (position > list.size() + 1) {
            return fail(
                QStringLiteral("--index %1 is past the end: %2 has %3 buildpack(s), so use 1 to %4")
                    .arg(position)
                    .arg(context.app())
                    .arg(list.size())
                    .arg(list.size() + 1));
        }
        for (qsizetype offset = 0; offset < references.size(); ++offset)
            list.insert(position - 1 + offset, references.at(offset));
    } else {
        list = QJsonArray::fromStringList(references);
    }
    Result<QJsonObject> answer = context.send("PUT", context.appPath(QStringLiteral("/buildpacks")),
                                              QJsonObject{{QStringLiteral("buildpacks"), list}});
    if (!answer)
        return fail(answer.error().message);
    if (context.json())
        printJson(*answer);
    else
        printBuildpacks(context, answer->value(QStringLiteral("buildpacks")).toArray());
    return 0;
}

int buildpacksDetect(CommandContext &context)
{
    Result<SourceSpec> source = SourceSpec::parse(context.positionals().first());
    if (!source)
        return context.usageError(source.error().message);
    Result<QJsonObject> answer =
        context.send("POST", context.appPath(QStringLiteral("/buildpacks/detect")),
                     QJsonObject{{QStringLiteral("source_url"), source->location()}}, 300000);
    if (!answer)
        return fail(answer.error().message);
    if (context.json()) {
        printJson(*answer);
        return 0;
    }
    Table table({QStringLiteral("BUILDPACK"), QStringLiteral("DETECTED"), QStringLiteral("NAME")});
    for (const QJsonValue &value : answer->value(QStringLiteral("results")).toArray()) {
        const QJsonObject result = value.toObject();
        table.addRow({cellText(result.value(QStringLiteral("buildpack"))),
                      result.value(QStringLiteral("detected")).toBool() ? QStringLiteral("yes")
                                                                        : QStringLiteral("no"),
                      cellText(result.value(QStringLiteral("name")))});
    }
    table.print(standardOutput());
    if (const QString rule = answer->value(QStringLiteral("rule")).toString(); !rule.isEmpty())
        standardOutput() << "\nSelection: " << rule << '\n';
    // The buildpacks configured for the app and source, and what a build would run now.
    const QJsonArray configured = answer->value(QStringLiteral("configured")).toArray();
    for (const QJsonValue &value : configured) {
        const QJsonObject entry = value.toObject();
        QString outcome = entry.value(QStringLiteral("error")).toString();
        if (outcome.isEmpty())
            outcome = entry.value(QStringLiteral("detected")).toBool()
                          ? entry.value(QStringLiteral("name")).toString()
                          : QStringLiteral("not detected");
        standardOutput() << "Configured (" << entry.value(QStringLiteral("origin")).toString()
                         << "): " << entry.value(QStringLiteral("buildpack")).toString() << " - "
                         << outcome << '\n';
    }
    if (answer->contains(QStringLiteral("would_run"))) {
        QStringList wouldRun;
        for (const QJsonValue &value : answer->value(QStringLiteral("would_run")).toArray())
            wouldRun.append(value.toString());
        standardOutput() << "Would run: "
                         << (wouldRun.isEmpty() ? QStringLiteral("nothing")
                                                : wouldRun.join(QStringLiteral(", ")))
                         << '\n';
    }
    standardOutput().flush();
    return 0;
}

} // namespace

QList<CommandSpec> releaseCommands()
{
    CommandSpec releasesSpec;
    releasesSpec.name = QStringLiteral("releases");
    releasesSpec.summary = QStringLiteral("list the app's releases; * marks the one serving");
    releasesSpec.run = releases;

    CommandSpec rollbackSpec;
    rollbackSpec.name = QStringLiteral("rollback");
    rollbackSpec.arguments = QStringLiteral("VERSION [--no-wait]");
    rollbackSpec.summary =
        QStringLiteral("roll back to an earlier release without downtime and wait for it");
    rollbackSpec.description =
        QStringLiteral("VERSION as 'slipctl releases' lists it: 3 or v3.\n"
                       "The exit status is 0 only when the rollout succeeds.");
    rollbackSpec.options = {QCommandLineOption(
        QStringLiteral("no-wait"), QStringLiteral("return once the rollback has started"))};
    rollbackSpec.minimumPositionals = 1;
    rollbackSpec.maximumPositionals = 1;
    rollbackSpec.run = rollback;

    CommandSpec buildpacksSpec;
    buildpacksSpec.name = QStringLiteral("buildpacks");
    buildpacksSpec.summary = QStringLiteral("list the app's buildpacks in the order they run");
    buildpacksSpec.run = buildpacks;

    CommandSpec setSpec;
    setSpec.name = QStringLiteral("buildpacks-set");
    setSpec.arguments = QStringLiteral("REF... [--index N] [--clear]");
    setSpec.summary =
        QStringLiteral("set the app's buildpacks, insert some at a position, or clear them");
    setSpec.description = QStringLiteral(
        "REF is a built-in name (nodejs, python, go, jvm, static, procfile), a git URL with an\n"
        "optional #ref, or a path. Without --index the list is replaced; with --index N the\n"
        "buildpacks are inserted at position N (from 1). --clear goes back to detection.");
    setSpec.options = {
        QCommandLineOption(QStringLiteral("index"),
                           QStringLiteral("insert at this position (from 1) instead of replacing"),
                           QStringLiteral("N")),
        QCommandLineOption(QStringLiteral("clear"),
                           QStringLiteral("remove them all: detect from the source again")),
    };
    setSpec.maximumPositionals = -1;
    setSpec.run = buildpacksSet;

    CommandSpec detectSpec;
    detectSpec.name = QStringLiteral("buildpacks-detect");
    detectSpec.arguments = QStringLiteral("SOURCE");
    detectSpec.summary =
        QStringLiteral("show which buildpacks detect a source, and which would run");
    detectSpec.minimumPositionals = 1;
    detectSpec.maximumPositionals = 1;
    detectSpec.run = buildpacksDetect;

    return {releasesSpec, rollbackSpec, buildpacksSpec, setSpec, detectSpec};
}

} // namespace Slipctl
