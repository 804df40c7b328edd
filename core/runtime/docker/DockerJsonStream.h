#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace Slipway {

// Splits a streamed body of JSON objects, one a line (GET /events, the progress of
// POST /images/create), into objects, fed piece by piece as it arrives. A line longer than
// MaxLineBytes is an error, so a broken stream cannot grow the buffer without end.
class DockerJsonStream
{
public:
    static constexpr qsizetype MaxLineBytes = 1024 * 1024;

    QList<QJsonObject> feed(QByteArrayView bytes);
    // The last object when the stream ended without a line end after it.
    QList<QJsonObject> finish();
    QString error() const { return m_error; }

private:
    void parse(QByteArrayView line, QList<QJsonObject> &objects);

    QByteArray m_partial;
    QString m_error;
};

} // namespace Slipway
