#pragma once

#include "buildpack/BuildpackRef.h"
#include "release/ConfigVars.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace Slipway {

// Which buildpacks a build of a source runs (product.md §4): the first of five rules that
// applies wins — the BUILDPACK_URL config var, the app's buildpack list, the source's
// .buildpacks file, the BUILDPACK_NAME config var, auto-detection over the built-in
// buildpacks. Every rule is evaluated, so that the console can also show what the rule in
// effect hides (an app list hides the source's .buildpacks). The build pipeline and the
// API's detection both decide through this class.
class BuildpackSelection
{
public:
    enum class Rule { BuildpackUrl, AppList, BuildpacksFile, BuildpackName, AutoDetection };

    struct RuleState
    {
        Rule rule = Rule::AutoDetection;
        bool applies = false;
        // What it runs, in order; for auto-detection, the candidates in the order tried.
        QList<BuildpackRef> buildpacks;
        // Why it cannot be used; a build where it is in effect fails with this sentence.
        QString error;
        // What the rule found, for people ("BUILDPACK_URL is https://…").
        QString detail;
    };

    struct BuildpacksFileState
    {
        bool present = false;
        QString text;           // as it is in the source (at most 1 MB read)
        QStringList references; // as written, in order; empty when the file cannot be used
        QString error;          // why it cannot be used
    };

    // `appDirectory` is the folder the build runs in (PROJECT_DIR already applied): its
    // .buildpacks file is read, and relative references resolve against it.
    static BuildpackSelection evaluate(const ConfigVars &config, const QStringList &appBuildpacks,
                                       const QString &appDirectory,
                                       const QString &builtinDirectory);

    // The five rules in order of precedence.
    const QList<RuleState> &rules() const { return m_rules; }
    // The first rule that applies (auto-detection always does).
    const RuleState &inEffect() const;
    const BuildpacksFileState &buildpacksFile() const { return m_file; }

    static QList<Rule> allRules();
    // "buildpack-url", "app-list", "buildpacks-file", "buildpack-name", "auto-detection".
    static QString id(Rule rule);
    // How logs and releases name the rule: "the BUILDPACK_URL config var", ...
    static QString description(Rule rule);
    // A short heading: "BUILDPACK_URL config var", "App buildpack list", ...
    static QString label(Rule rule);

private:
    QList<RuleState> m_rules;
    BuildpacksFileState m_file;
};

} // namespace Slipway
