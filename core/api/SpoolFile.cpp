#include "api/SpoolFile.h"

#include <QDir>
#include <QFile>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace Slipway {

SpoolFile::~SpoolFile()
{
    remove();
}

Result<void> SpoolFile::create(const QString &directory)
{
    remove();
    QByteArray pattern =
        QFile::encodeName(QDir(directory).filePath(QStringLiteral("slipway-body-XXXXXX")));
    const int descriptor = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (descriptor < 0)
        return failure(QStringLiteral("cannot store the request body in %1: %2")
                           .arg(directory, QString::fromLocal8Bit(std::strerror(errno))));
    m_descriptor = descriptor;
    m_path = QFile::decodeName(pattern);
    return {};
}

Result<void> SpoolFile::write(const char *data, std::size_t size)
{
    while (size > 0) {
        const ssize_t written = ::write(m_descriptor, data, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return failure(QStringLiteral("cannot store the request body in %1: %2")
                               .arg(m_path, QString::fromLocal8Bit(std::strerror(errno))));
        data += written;
        size -= std::size_t(written);
    }
    return {};
}

void SpoolFile::close()
{
    if (m_descriptor >= 0)
        ::close(m_descriptor);
    m_descriptor = -1;
}

void SpoolFile::remove()
{
    close();
    if (!m_path.isEmpty())
        ::unlink(QFile::encodeName(m_path).constData());
    m_path.clear();
}

} // namespace Slipway
