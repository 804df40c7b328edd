#pragma once

#include "runtime/Container.h"

#include <QPointer>

namespace Slipway {

class OutboundNetwork;
class ProcessRunner;

// A container of the local runtime: a process tree in its own session, sandboxed with
// bubblewrap when available, with its own writable copy of the release's app folder.
class LocalContainer : public Container
{
    Q_OBJECT

public:
    // `workDirectory` is where this container's app copy lives; it is removed on exit.
    LocalContainer(ContainerSpec spec, QString workDirectory, QObject *parent = nullptr);
    ~LocalContainer() override;

    void start() override;
    void stop(std::chrono::milliseconds grace) override;
    void kill() override;

    QString runtimeName() const override { return QStringLiteral("local"); }
    std::shared_ptr<SandboxSocketSource> sockets() const override { return m_sockets; }
    qint64 processId() const override;
    bool isIsolated() const override { return m_isolated; }
    QMap<QString, QString> environment() const override;

private:
    void launch();
    void finish(const ProcessOutcome &outcome);
    void onNetworkFailed(const QString &reason);

    QString m_workDirectory;
    QPointer<ProcessRunner> m_runner;
    bool m_isolated = false;
    bool m_outbound = false; // a way out of its own (OutboundNetwork)
    QPointer<OutboundNetwork> m_network;
    QString m_networkFailure; // set when the network could not be connected
    std::chrono::milliseconds m_grace{0};
    std::shared_ptr<SandboxSocketSource> m_sockets;
    int m_sandboxChannel = -1; // the sandbox's end, until the runner takes it
};

} // namespace Slipway
