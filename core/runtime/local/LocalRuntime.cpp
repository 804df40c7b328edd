#include "runtime/local/LocalRuntime.h"

#include "runtime/local/LocalContainer.h"

#include <QUuid>

#include <utility>

namespace Slipway {

LocalRuntime::LocalRuntime(QString containersDirectory, QObject *parent)
    : Runtime(parent)
    , m_containersDirectory(std::move(containersDirectory))
{}

Container *LocalRuntime::create(const ContainerSpec &spec, QObject *parent)
{
    const QString work = QStringLiteral("%1/%2/%3-%4")
                             .arg(m_containersDirectory, spec.app, spec.name(),
                                  QUuid::createUuid().toString(QUuid::Id128).left(12));
    return new LocalContainer(spec, work, parent);
}

} // namespace Slipway
