#include "runtime/docker/DockerJsonStream.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace Slipway {

QList<QJsonObject> DockerJsonStream::feed(QByteArrayView bytes)
{
    QList<QJsonObject> objects;
    while (m_error.isEmpty() && !bytes.isEmpty()) {
        const qsizetype end = bytes.indexOf('\n');
        if (end < 0) {
            m_partial.append(bytes);
            if (m_partial.size() > MaxLineBytes)
                m_error = QStringLiteral("the engine sent a JSON line over %1 MiB: the stream is "
                                         "not what was expected")
                              .arg(MaxLineBytes / (1024 * 1024));
            break;
        }
        if (m_partial.isEmpty()) {
            parse(bytes.first(end), objects);
        } else {
            m_partial.append(bytes.first(end));
            parse(m_partial, objects);
            m_partial.clear();
        }
        bytes = bytes.sliced(end + 1);
    }
    return objects;
}

QList<QJsonObject> DockerJsonStream::finish()
{
    QList<QJsonObject> objects;
    if (m_error.isEmpty() && !m_partial.trimmed().isEmpty())
        parse(m_partial, objects);
    m_partial.clear();
    return objects;
}

void DockerJsonStream::parse(QByteArrayView line, QList<QJsonObject> &objects)
{
    if (line.trimmed().isEmpty())
        return;
    QJsonParseError problem{};
    const QJsonDocument document = QJsonDocument::fromJson(line.toByteArray(), &problem);
    if (problem.error != QJsonParseError::NoError || !document.isObject()) {
        m_error = QStringLiteral("the engine sent a line that is no JSON object (%1): %2")
                      .arg(problem.errorString(),
                           QString::fromUtf8(line.first(std::min<qsizetype>(line.size(), 200))));
        return;
    }
    objects.append(document.object());
}

} // namespace Slipway
