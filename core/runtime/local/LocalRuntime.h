#pragma once

#include "runtime/Runtime.h"

namespace Slipway {

// The default runtime: each container a sandboxed process tree on this machine, with its
// own writable copy of the release below `containersDirectory`.
class LocalRuntime : public Runtime
{
    Q_OBJECT

public:
    explicit LocalRuntime(QString containersDirectory, QObject *parent = nullptr);

    QString name() const override { return QStringLiteral("local"); }
    Container *create(const ContainerSpec &spec, QObject *parent) override;

private:
    QString m_containersDirectory;
};

} // namespace Slipway
