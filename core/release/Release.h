#pragma once

#include "util/Result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>

namespace Slipway {

// One buildpack as it took part in a build.
struct UsedBuildpack
{
    QString reference;  // as the user or the selection rule named it
    QString detectName; // first line bin/detect printed; empty when detect failed
    bool operator==(const UsedBuildpack &) const = default;
};

// What a build produced and what a rollout needs: immutable once made. A config change
// makes a new release on the same slug instead of editing this one.
class Release
{
public:
    struct Data
    {
        QString app;
        int version = 0;
        QDateTime createdAt;
        QString slugPath;
        qint64 slugSize = 0;
        QByteArray slugSha256;
        QMap<QString, QString> processTypes;
        QMap<QString, QString> configDefaults; // buildpacks' config_vars
        QMap<QString, QString> config;         // the app's config vars when it was made
        QList<UsedBuildpack> buildpacks;
        QString selectionRule;
        QString sourceVersion;
        QString stack;
    };

    Release() = default;
    explicit Release(Data data);

    const QString &app() const { return m_data.app; }
    int version() const { return m_data.version; }
    const QDateTime &createdAt() const { return m_data.createdAt; }
    const QString &slugPath() const { return m_data.slugPath; }
    qint64 slugSize() const { return m_data.slugSize; }
    const QByteArray &slugSha256() const { return m_data.slugSha256; }
    const QMap<QString, QString> &processTypes() const { return m_data.processTypes; }
    const QMap<QString, QString> &configDefaults() const { return m_data.configDefaults; }
    const QMap<QString, QString> &config() const { return m_data.config; }
    const Data &data() const { return m_data; }
    const QList<UsedBuildpack> &buildpacks() const { return m_data.buildpacks; }
    const QString &selectionRule() const { return m_data.selectionRule; }
    const QString &sourceVersion() const { return m_data.sourceVersion; }
    const QString &stack() const { return m_data.stack; }
    bool isNull() const { return m_data.slugPath.isEmpty(); }

    QJsonObject toJson() const;
    static Result<Release> fromJson(const QJsonObject &object);

    // Written next to the slug as `<slug>.release.json`, read-only.
    Result<void> save(const QString &path) const;
    static Result<Release> load(const QString &path);

private:
    Data m_data;
};

} // namespace Slipway
