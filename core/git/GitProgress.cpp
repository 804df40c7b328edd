#include "git/GitProgress.h"

#include <QRegularExpression>

namespace Slipway {

std::optional<GitProgress> GitProgress::parse(const QString &line)
{
    // git writes sizes with its own units (strbuf_humanise_bytes), in the C locale here.
    static const QRegularExpression receiving(
        QStringLiteral("^Receiving objects:\\s+\\d+% \\((\\d+)/(\\d+)\\),\\s+(\\d+(?:\\.\\d+)?) "
                       "(bytes?|KiB|MiB|GiB|TiB)\\b"));
    const QRegularExpressionMatch match = receiving.match(line.trimmed());
    if (!match.hasMatch())
        return std::nullopt;
    const QString unit = match.captured(4);
    double scale = 1;
    if (unit == QLatin1String("KiB"))
        scale = 1024.0;
    else if (unit == QLatin1String("MiB"))
        scale = 1024.0 * 1024;
    else if (unit == QLatin1String("GiB"))
        scale = 1024.0 * 1024 * 1024;
    else if (unit == QLatin1String("TiB"))
        scale = 1024.0 * 1024 * 1024 * 1024;
    GitProgress progress;
    progress.objects = match.captured(1).toInt();
    progress.totalObjects = match.captured(2).toInt();
    progress.bytes = qint64(match.captured(3).toDouble() * scale);
    return progress;
}

bool GitProgress::isProgressLine(const QString &line)
{
    static const QRegularExpression meter(
        QStringLiteral("^(remote: )?[A-Z][a-z]+( [a-z]+)*:\\s+\\d+% \\(\\d+/\\d+\\)"));
    return meter.match(line.trimmed()).hasMatch();
}

} // namespace Slipway
