#pragma once

#include "buildpack/BuildpackRef.h"
#include "git/GitLogins.h"
#include "release/ConfigVars.h"
#include "source/SourceSpec.h"
#include "util/Result.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>

#include <optional>

namespace Slipway {

class BuildpackFetcher;
class SourceFetcher;

// What buildpacks make of one source for one app, for the console's buildpack picker
// (POST /v1/apps/{app}/buildpacks/detect): every built-in buildpack's bin/detect, every
// configured buildpack (BUILDPACK_URL, the app's list, the source's .buildpacks) fetched
// and asked the same, which selection rule is in effect and what it hides, and what a build
// would run now. Asynchronous: fetches and scripts never block the caller's thread.
class BuildpackDetection : public QObject
{
    Q_OBJECT

public:
    struct Request
    {
        SourceSpec source;
        ConfigVars config;
        QStringList appBuildpacks;
        QString builtinDirectory;
        QString buildpackCacheDirectory;
        QString workDirectory; // empty scratch folder owned by the caller
        QString stack = QStringLiteral("debian-12");
        GitLogins gitLogins;
    };

    explicit BuildpackDetection(Request request, QObject *parent = nullptr);
    ~BuildpackDetection() override;

    void start();

Q_SIGNALS:
    // The report as docs/api.md describes it, or why the source could not be looked at.
    void finished(const Slipway::Result<QJsonObject> &report);

private:
    struct Configured
    {
        QString text;   // as configured
        QString origin; // "buildpack-url", "app-list", "buildpacks-file"
        std::optional<BuildpackRef> ref;
        QString error; // cannot parse or fetch it
        QString directory;
        bool detected = false;
        QString name;
    };

    void evaluate(const QString &appDirectory);
    void fetchNext(int index);
    void detectConfigured();

    Request m_request;
    QString m_appDirectory;
    QPointer<SourceFetcher> m_sourceFetcher;
    QPointer<BuildpackFetcher> m_buildpackFetcher;
    QJsonObject m_report;
    QList<Configured> m_configured;
};

} // namespace Slipway
