#pragma once

#include "runtime/docker/DockerTypes.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMap>

// The Engine API's JSON, to and from DockerTypes.h's values.
namespace Slipway::DockerJson {

// RFC 3339 with nanoseconds; the engine's zero time ("0001-01-01T00:00:00Z") is null.
QDateTime time(const QJsonValue &value);
DockerLabels labels(const QJsonValue &value);
// The `filters` query parameter: {"label": ["a=b"], "type": ["container"]}.
QByteArray filters(const QMap<QString, QStringList> &filters);

DockerVersion version(const QJsonObject &object);
DockerImageInfo image(const QJsonObject &object);
DockerContainerInfo container(const QJsonObject &object);
DockerContainerSummary containerSummary(const QJsonObject &object);
DockerEvent event(const QJsonObject &object);
DockerSwarmInfo swarmInfo(const QJsonObject &info);
DockerNode node(const QJsonObject &object);
DockerService service(const QJsonObject &object);
DockerTask task(const QJsonObject &object);

QJsonObject containerCreate(const DockerContainerConfig &config);
QJsonObject serviceSpec(const DockerServiceSpec &spec);
QJsonObject swarmInit(const DockerSwarmInit &init);
QJsonObject swarmJoin(const DockerSwarmJoin &join);

} // namespace Slipway::DockerJson
