#include "build/BuildpackSelection.h"

#include "buildpack/BuildpackFetcher.h"
#include "buildpack/BuildpacksFile.h"

#include <QFile>

namespace Slipway {

namespace {

constexpr qint64 BuildpacksFileLimit = 1024 * 1024;

QStringList texts(const QList<BuildpackRef> &refs)
{
    QStringList result;
    for (const BuildpackRef &ref : refs)
        result.append(ref.text());
    return result;
}

QString counted(const QList<BuildpackRef> &refs)
{
    return QStringLiteral("%1 buildpack%2: %3")
        .arg(refs.size())
        .arg(refs.size() == 1 ? QString() : QStringLiteral("s"))
        .arg(texts(refs).join(QStringLiteral(", ")));
}

} // namespace

QList<BuildpackSelection::Rule> BuildpackSelection::allRules()
{
    return {Rule::BuildpackUrl, Rule::AppList, Rule::BuildpacksFile, Rule::BuildpackName,
            Rule::AutoDetection};
}

QString BuildpackSelection::id(Rule rule)
{
    switch (rule) {
    case Rule::BuildpackUrl:
        return QStringLiteral("buildpack-url");
    case Rule::AppList:
        return QStringLiteral("app-list");
    case Rule::BuildpacksFile:
        return QStringLiteral("buildpacks-file");
    case Rule::BuildpackName:
        return QStringLiteral("buildpack-name");
    case Rule::AutoDetection:
        return QStringLiteral("auto-detection");
    }
    return {};
}

QString BuildpackSelection::description(Rule rule)
{
    switch (rule) {
    case Rule::BuildpackUrl:
        return QStringLiteral("the BUILDPACK_URL config var");
    case Rule::AppList:
        return QStringLiteral("the buildpack list set for the app");
    case Rule::BuildpacksFile:
        return QStringLiteral("the .buildpacks file");
    case Rule::BuildpackName:
        return QStringLiteral("the BUILDPACK_NAME config var");
    case Rule::AutoDetection:
        return QStringLiteral("auto-detection");
    }
    return {};
}

QString BuildpackSelection::label(Rule rule)
{
    switch (rule) {
    case Rule::BuildpackUrl:
        return QStringLiteral("BUILDPACK_URL config var");
    case Rule::AppList:
        return QStringLiteral("App buildpack list");
    case Rule::BuildpacksFile:
        return QStringLiteral(".buildpacks file in the source");
    case Rule::BuildpackName:
        return QStringLiteral("BUILDPACK_NAME config var");
    case Rule::AutoDetection:
        return QStringLiteral("Auto-detection");
    }
    return {};
}

const BuildpackSelection::RuleState &BuildpackSelection::inEffect() const
{
    for (const RuleState &state : m_rules) {
        if (state.applies)
            return state;
    }
    return m_rules.constLast();
}

BuildpackSelection BuildpackSelection::evaluate(const ConfigVars &config,
                                                const QStringList &appBuildpacks,
                                                const QString &appDirectory,
                                                const QString &builtinDirectory)
{
    BuildpackSelection selection;

    RuleState url{Rule::BuildpackUrl};
    const QString buildpackUrl = config.value(QStringLiteral("BUILDPACK_URL")).trimmed();
    url.applies = !buildpackUrl.isEmpty();
    if (url.applies) {
        url.detail = QStringLiteral("BUILDPACK_URL is %1").arg(buildpackUrl);
        if (Result<BuildpackRef> ref = BuildpackRef::parse(buildpackUrl, appDirectory))
            url.buildpacks = {*ref};
        else
            url.error = QStringLiteral("BUILDPACK_URL: %1").arg(ref.error().message);
    } else {
        url.detail = QStringLiteral("BUILDPACK_URL is not set");
    }
    selection.m_rules.append(url);

    RuleState list{Rule::AppList};
    list.applies = !appBuildpacks.isEmpty();
    for (const QString &text : appBuildpacks) {
        Result<BuildpackRef> ref = BuildpackRef::parse(text);
        if (!ref) {
            list.error = ref.error().message;
            list.buildpacks.clear();
            break;
        }
        list.buildpacks.append(*ref);
    }
    if (!list.applies)
        list.detail = QStringLiteral("no buildpack list is set for the app");
    else if (!list.error.isEmpty())
        list.detail = QStringLiteral("the app's list cannot be used: %1").arg(list.error);
    else
        list.detail = QStringLiteral("the app's list names %1").arg(counted(list.buildpacks));
    selection.m_rules.append(list);

    RuleState file{Rule::BuildpacksFile};
    BuildpacksFileState &contents = selection.m_file;
    QFile buildpacksFile(appDirectory + QStringLiteral("/.buildpacks"));
    contents.present = !appDirectory.isEmpty() && buildpacksFile.exists();
    if (contents.present) {
        if (!buildpacksFile.open(QIODevice::ReadOnly)) {
            contents.error =
                QStringLiteral("cannot read .buildpacks: %1").arg(buildpacksFile.errorString());
            file.applies = true;
        } else {
            const QByteArray bytes = buildpacksFile.read(BuildpacksFileLimit);
            contents.text = QString::fromUtf8(bytes);
            Result<QList<BuildpackRef>> refs = BuildpacksFile::parse(bytes, appDirectory);
            if (!refs) {
                contents.error = refs.error().message;
                file.applies = true;
            } else {
                file.buildpacks = *refs;
                contents.references = texts(*refs);
                // An empty file names nothing: the next rules decide.
                file.applies = !refs->isEmpty();
            }
        }
    }
    file.error = contents.error;
    if (!contents.present)
        file.detail = QStringLiteral("the source has no .buildpacks file");
    else if (!file.error.isEmpty())
        file.detail =
            QStringLiteral("the source's .buildpacks file cannot be used: %1").arg(file.error);
    else if (file.buildpacks.isEmpty())
        file.detail = QStringLiteral("the source's .buildpacks file names no buildpack");
    else
        file.detail =
            QStringLiteral("the source's .buildpacks file names %1").arg(counted(file.buildpacks));
    selection.m_rules.append(file);

    const QStringList builtins = BuildpackFetcher::builtinNames(builtinDirectory);
    RuleState name{Rule::BuildpackName};
    const QString buildpackName = config.value(QStringLiteral("BUILDPACK_NAME")).trimmed();
    name.applies = !buildpackName.isEmpty();
    if (name.applies) {
        name.detail = QStringLiteral("BUILDPACK_NAME is %1").arg(buildpackName);
        Result<BuildpackRef> ref = BuildpackRef::parse(buildpackName);
        if (!ref || ref->kind() != BuildpackRef::Kind::BuiltIn ||
            !builtins.contains(ref->location())) {
            name.error = QStringLiteral("BUILDPACK_NAME is '%1', which is not a built-in "
                                        "buildpack; the built-in ones are: %2")
                             .arg(buildpackName, builtins.join(QStringLiteral(", ")));
        } else {
            name.buildpacks = {*ref};
        }
    } else {
        name.detail = QStringLiteral("BUILDPACK_NAME is not set");
    }
    selection.m_rules.append(name);

    RuleState automatic{Rule::AutoDetection};
    automatic.applies = true;
    for (const QString &builtin : builtins) {
        if (Result<BuildpackRef> ref = BuildpackRef::parse(builtin))
            automatic.buildpacks.append(*ref);
    }
    if (automatic.buildpacks.isEmpty()) {
        automatic.error = QStringLiteral("no built-in buildpacks were found in %1; reinstall "
                                         "Slipway")
                              .arg(builtinDirectory);
        automatic.detail = automatic.error;
    } else {
        automatic.detail = QStringLiteral("each built-in buildpack's bin/detect in turn (%1); "
                                          "the first that detects the app runs")
                               .arg(texts(automatic.buildpacks).join(QStringLiteral(", ")));
    }
    selection.m_rules.append(automatic);

    // Say what hides a rule that applies but is not the one in effect.
    const Rule chosen = selection.inEffect().rule;
    for (RuleState &state : selection.m_rules) {
        if (state.applies && state.rule != chosen)
            state.detail += QStringLiteral("; not used: %1 comes first").arg(description(chosen));
    }
    return selection;
}

} // namespace Slipway
