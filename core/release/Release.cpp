#include "release/Release.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>

namespace Slipway {

namespace {

QJsonObject mapToJson(const QMap<QString, QString> &map)
{
    QJsonObject object;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        object.insert(it.key(), it.value());
    return object;
}

QMap<QString, QString> mapFromJson(const QJsonObject &object)
{
    QMap<QString, QString> map;
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        map.insert(it.key(), it.value().toString());
    return map;
}

} // namespace

Release::Release(Data data)
    : m_data(std::move(data))
{}

QJsonObject Release::toJson() const
{
    QJsonArray buildpacks;
    for (const UsedBuildpack &used : m_data.buildpacks) {
        buildpacks.append(QJsonObject{{QStringLiteral("reference"), used.reference},
                                      {QStringLiteral("detect_name"), used.detectName}});
    }
    return QJsonObject{
        {QStringLiteral("app"), m_data.app},
        {QStringLiteral("version"), m_data.version},
        {QStringLiteral("created_at"), m_data.createdAt.toUTC().toString(Qt::ISODateWithMs)},
        {QStringLiteral("slug"),
         QJsonObject{{QStringLiteral("path"), m_data.slugPath},
                     {QStringLiteral("size"), double(m_data.slugSize)},
                     {QStringLiteral("sha256"), QString::fromLatin1(m_data.slugSha256)}}},
        {QStringLiteral("process_types"), mapToJson(m_data.processTypes)},
        {QStringLiteral("config_defaults"), mapToJson(m_data.configDefaults)},
        {QStringLiteral("config"), mapToJson(m_data.config)},
        {QStringLiteral("buildpacks"), buildpacks},
        {QStringLiteral("selection_rule"), m_data.selectionRule},
        {QStringLiteral("source_version"), m_data.sourceVersion},
        {QStringLiteral("stack"), m_data.stack},
    };
}

Result<Release> Release::fromJson(const QJsonObject &object)
{
    const QJsonObject slug = object.value(QStringLiteral("slug")).toObject();
    Data data;
    data.app = object.value(QStringLiteral("app")).toString();
    data.version = object.value(QStringLiteral("version")).toInt();
    data.createdAt = QDateTime::fromString(object.value(QStringLiteral("created_at")).toString(),
                                           Qt::ISODateWithMs);
    data.slugPath = slug.value(QStringLiteral("path")).toString();
    data.slugSize = qint64(slug.value(QStringLiteral("size")).toDouble());
    data.slugSha256 = slug.value(QStringLiteral("sha256")).toString().toLatin1();
    data.processTypes = mapFromJson(object.value(QStringLiteral("process_types")).toObject());
    data.configDefaults = mapFromJson(object.value(QStringLiteral("config_defaults")).toObject());
    data.config = mapFromJson(object.value(QStringLiteral("config")).toObject());
    const QJsonArray buildpacks = object.value(QStringLiteral("buildpacks")).toArray();
    for (const QJsonValue &value : buildpacks) {
        const QJsonObject used = value.toObject();
        data.buildpacks.append({used.value(QStringLiteral("reference")).toString(),
                                used.value(QStringLiteral("detect_name")).toString()});
    }
    data.selectionRule = object.value(QStringLiteral("selection_rule")).toString();
    data.sourceVersion = object.value(QStringLiteral("source_version")).toString();
    data.stack = object.value(QStringLiteral("stack")).toString();
    if (data.slugPath.isEmpty())
        return failure(QStringLiteral("the release record names no slug"));
    return Release(std::move(data));
}

Result<void> Release::save(const QString &path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return failure(QStringLiteral("cannot write the release record '%1': %2")
                           .arg(path, file.errorString()));
    file.write(QJsonDocument(toJson()).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return failure(QStringLiteral("cannot write the release record '%1': %2")
                           .arg(path, file.errorString()));
    // Read-only, and for the owner alone: the record holds the app's config vars.
    QFile::setPermissions(path, QFileDevice::ReadOwner);
    return {};
}

Result<Release> Release::load(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return failure(QStringLiteral("cannot read the release record '%1': %2")
                           .arg(path, file.errorString()));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (!document.isObject())
        return failure(QStringLiteral("the release record '%1' is not valid JSON: %2")
                           .arg(path, error.errorString()));
    return fromJson(document.object());
}

} // namespace Slipway
