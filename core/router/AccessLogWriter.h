#pragma once

#include <QFile>
#include <QHash>
#include <QString>

#include <memory>

namespace Slipway {

// Appends access log lines to <directory>/<app>.log, one file per app, kept open between
// batches. Used on the router's Qt thread only.
class AccessLogWriter
{
public:
    explicit AccessLogWriter(QString directory);

    bool isEnabled() const { return !m_directory.isEmpty(); }
    QString pathFor(const QString &app) const;
    void write(const QString &app, const QString &line);
    void flush();
    void close(const QString &app);

private:
    QString m_directory;
    QHash<QString, std::shared_ptr<QFile>> m_files;
    bool m_warned = false;
};

} // namespace Slipway
