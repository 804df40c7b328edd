#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QList>
#include <QString>

namespace Slipway {

// One line of a container's (or a service's) output as the engine returned it.
struct DockerLogLine
{
    bool standardError = false;
    QDateTime time; // when the engine received it; null unless timestamps were asked for
    QString text;   // without the line end
    bool operator==(const DockerLogLine &) const = default;
};

// Turns the body of GET /containers/{id}/logs (or /services/{id}/logs) into lines, fed piece
// by piece as it arrives: pieces may cut a frame's header, a timestamp or a line anywhere.
//
// Without a TTY the engine multiplexes stdout and stderr into frames: an 8-byte header
// (stream: 1 stdout, 2 stderr; three zero bytes; the payload's length, big-endian 32 bits)
// then the payload. With a TTY the body is the raw output (Framing::Raw). With timestamps,
// each log message starts with an RFC 3339 time and a space, which is taken off and kept.
//
// Memory stays bounded: a line longer than MaxLineBytes is handed out in pieces of that size.
class DockerLogDecoder
{
public:
    enum class Framing { Multiplexed, Raw };
    static constexpr qsizetype MaxLineBytes = 64 * 1024;

    explicit DockerLogDecoder(Framing framing = Framing::Multiplexed, bool timestamps = false);

    // The lines completed by these bytes, in order.
    QList<DockerLogLine> feed(QByteArrayView bytes);
    // At the end of the stream: the unfinished lines (output without a final line end).
    QList<DockerLogLine> finish();

    // The stream was not what the framing says (a header that is no frame header): the
    // decoder stops there. Empty while all is well.
    QString error() const { return m_error; }

private:
    struct Pending
    {
        QByteArray bytes;
        QDateTime time;
    };

    void takePayload(QByteArrayView bytes, QList<DockerLogLine> &lines);
    void takeText(int stream, QByteArrayView bytes, QList<DockerLogLine> &lines);
    void emitLine(int stream, QList<DockerLogLine> &lines);

    const Framing m_framing;
    const bool m_timestamps;
    QByteArray m_header;        // the frame header read so far
    quint32 m_payloadLeft = 0;  // bytes of the current frame still to come
    int m_stream = 1;           // of the current frame: 1 stdout, 2 stderr
    bool m_messageStart = true; // the next payload byte starts a log message (a timestamp)
    QByteArray m_timestamp;     // the timestamp read so far
    QDateTime m_messageTime;    // of the message being read
    Pending m_pending[2];       // the unfinished line of stdout, of stderr
    QString m_error;
};

} // namespace Slipway
