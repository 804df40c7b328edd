#include "router/AccessLogWriter.h"

#include "router/RouterLogging.h"

#include <QDir>

namespace Slipway {

AccessLogWriter::AccessLogWriter(QString directory)
    : m_directory(std::move(directory))
{}

QString AccessLogWriter::pathFor(const QString &app) const
{
    if (m_directory.isEmpty())
        return {};
    return QDir(m_directory).filePath(app + QStringLiteral(".log"));
}

void AccessLogWriter::write(const QString &app, const QString &line)
{
    if (m_directory.isEmpty())
        return;
    std::shared_ptr<QFile> &file = m_files[app];
    if (!file) {
        QDir().mkpath(m_directory);
        file = std::make_shared<QFile>(pathFor(app));
        if (!file->open(QIODevice::WriteOnly | QIODevice::Append)) {
            // Said once: a full disk must not flood the daemon's own log.
            if (!m_warned)
                qCWarning(lcRouter, "cannot write the access log %s: %s",
                          qUtf8Printable(file->fileName()), qUtf8Printable(file->errorString()));
            m_warned = true;
            m_files.remove(app);
            return;
        }
    }
    file->write(line.toUtf8());
    file->write("\n", 1);
}

void AccessLogWriter::flush()
{
    for (const std::shared_ptr<QFile> &file : std::as_const(m_files))
        file->flush();
}

void AccessLogWriter::close(const QString &app)
{
    m_files.remove(app);
}

} // namespace Slipway
