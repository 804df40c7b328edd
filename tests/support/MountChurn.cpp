#include "MountChurn.h"

#include <QDir>
#include <QFile>

#include <cerrno>
#include <cstring>
#include <sys/mount.h>
#include <unistd.h>
#include <vector>

namespace TestSupport {

namespace {

constexpr int Points = 4;

QString failed(const char *what, const QString &path)
{
    return QStringLiteral("%1 %2: %3")
        .arg(QString::fromLatin1(what), path, QString::fromLocal8Bit(::strerror(errno)));
}

} // namespace

MountChurn::MountChurn(const QString &folder)
    : m_folder(folder)
{
    if (::geteuid() != 0) {
        m_problem = QStringLiteral("only root may mount");
        return;
    }
    std::vector<QByteArray> points;
    for (int i = 0; i < Points; ++i) {
        const QString point = folder + QStringLiteral("/point-%1").arg(i);
        if (!QDir().mkpath(point)) {
            m_problem = QStringLiteral("cannot make ") + point;
            return;
        }
        points.push_back(QFile::encodeName(point));
    }
    const QByteArray path = QFile::encodeName(folder);
    if (::mount(path.constData(), path.constData(), nullptr, MS_BIND, nullptr) != 0) {
        m_problem = failed("cannot bind", folder);
        return;
    }
    m_bound = true;
    if (::mount(nullptr, path.constData(), nullptr, MS_SHARED, nullptr) != 0) {
        m_problem = failed("cannot share", folder);
        return;
    }
    m_thread = std::thread([this, points] {
        while (!m_stop.load()) {
            for (const QByteArray &point : points) {
                if (::mount("churn", point.constData(), "tmpfs", 0, "size=64k") == 0 &&
                    ::umount2(point.constData(), MNT_DETACH) == 0)
                    m_mounts.fetch_add(1);
            }
        }
    });
}

MountChurn::~MountChurn()
{
    m_stop.store(true);
    if (m_thread.joinable())
        m_thread.join();
    if (m_bound)
        ::umount2(QFile::encodeName(m_folder).constData(), MNT_DETACH);
}

} // namespace TestSupport
