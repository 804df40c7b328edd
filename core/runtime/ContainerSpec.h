#pragma once

#include <QMap>
#include <QString>

#include <chrono>

namespace Slipway {

// What one container runs: a process type of a release, with its environment.
struct ContainerSpec
{
    QString app;
    int releaseVersion = 0;
    QString processType; // web, worker, tcp, ... or "one-off" / "postdeploy"
    int index = 1;       // web-1, web-2, ...
    QString command;
    QString releaseDirectory;      // the release's unpacked slug, shared and never written
    QString slugPath;              // the release's slug (.tgz), for runtimes that ship it
    QMap<QString, QString> config; // config vars, buildpack defaults already merged under them
    quint16 port = 0;              // set for web and tcp containers
    QString stack = QStringLiteral("debian-12");
    std::chrono::milliseconds gracePeriod{std::chrono::seconds(30)};
    // A way out to the network (OutboundNetwork) for a sandboxed container; off, its network
    // namespace holds only its loopback.
    bool outbound = true;
    int memoryLimitMiB = 0; // for runtimes that limit it (docker, swarm); 0: none

    QString name() const { return processType + QLatin1Char('-') + QString::number(index); }
    QString version() const { return QStringLiteral("v") + QString::number(releaseVersion); }
};

} // namespace Slipway
