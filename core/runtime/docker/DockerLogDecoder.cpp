#include "runtime/docker/DockerLogDecoder.h"

namespace Slipway {

namespace {

constexpr qsizetype HeaderBytes = 8;
// "2006-01-02T15:04:05.000000000Z" plus room for an offset instead of the Z.
constexpr qsizetype MaxTimestampBytes = 40;

} // namespace

DockerLogDecoder::DockerLogDecoder(Framing framing, bool timestamps)
    : m_framing(framing)
    , m_timestamps(timestamps)
{}

QList<DockerLogLine> DockerLogDecoder::feed(QByteArrayView bytes)
{
    QList<DockerLogLine> lines;
    if (!m_error.isEmpty())
        return lines;
    if (m_framing == Framing::Raw) {
        takePayload(bytes, lines);
        return lines;
    }
    while (!bytes.isEmpty()) {
        if (m_payloadLeft == 0) {
            const qsizetype wanted = HeaderBytes - m_header.size();
            m_header.append(bytes.first(std::min(wanted, bytes.size())));
            bytes = bytes.sliced(std::min(wanted, bytes.size()));
            if (m_header.size() < HeaderBytes)
                break;
            const auto *header = reinterpret_cast<const uchar *>(m_header.constData());
            // 0 stdin, 1 stdout, 2 stderr, 3 the engine's own error (newer engines).
            if (header[0] > 3 || header[1] != 0 || header[2] != 0 || header[3] != 0) {
                m_error = QStringLiteral("the log stream is not multiplexed as expected (a frame "
                                         "header starts with bytes %1): was the container "
                                         "created with a TTY?")
                              .arg(QString::fromLatin1(m_header.toHex(' ')));
                return lines;
            }
            m_stream = header[0] == 2 || header[0] == 3 ? 2 : 1;
            m_payloadLeft = (quint32(header[4]) << 24) | (quint32(header[5]) << 16) |
                            (quint32(header[6]) << 8) | quint32(header[7]);
            m_header.clear();
            // Each frame is one message, with its own timestamp.
            m_messageStart = true;
            m_timestamp.clear();
            continue;
        }
        const qsizetype take = std::min<qsizetype>(bytes.size(), m_payloadLeft);
        takePayload(bytes.first(take), lines);
        bytes = bytes.sliced(take);
        m_payloadLeft -= quint32(take);
    }
    return lines;
}

void DockerLogDecoder::takePayload(QByteArrayView bytes, QList<DockerLogLine> &lines)
{
    while (!bytes.isEmpty()) {
        if (m_timestamps && m_messageStart) {
            const qsizetype space = bytes.indexOf(' ');
            const qsizetype take = space < 0 ? bytes.size() : space + 1;
            m_timestamp.append(bytes.first(take));
            bytes = bytes.sliced(take);
            if (space < 0 && m_timestamp.size() < MaxTimestampBytes)
                return; // the rest of the timestamp is still to come
            m_messageStart = false;
            const QByteArray stamp = m_timestamp.trimmed();
            m_messageTime = QDateTime::fromString(QString::fromLatin1(stamp), Qt::ISODateWithMs);
            if (!m_messageTime.isValid()) {
                // Not a timestamp after all: it was text.
                const QByteArray text = m_timestamp;
                m_timestamp.clear();
                takeText(m_stream, text, lines);
            }
            m_timestamp.clear();
            continue;
        }
        if (m_framing == Framing::Raw && m_timestamps) {
            // Raw output: a timestamp starts each line.
            const qsizetype end = bytes.indexOf('\n');
            const qsizetype take = end < 0 ? bytes.size() : end + 1;
            takeText(m_stream, bytes.first(take), lines);
            bytes = bytes.sliced(take);
            if (end >= 0)
                m_messageStart = true;
            continue;
        }
        takeText(m_stream, bytes, lines);
        return;
    }
}

void DockerLogDecoder::takeText(int stream, QByteArrayView bytes, QList<DockerLogLine> &lines)
{
    Pending &pending = m_pending[stream == 2 ? 1 : 0];
    while (!bytes.isEmpty()) {
        if (pending.bytes.isEmpty())
            pending.time = m_messageTime;
        const qsizetype end = bytes.indexOf('\n');
        const qsizetype room = MaxLineBytes - pending.bytes.size();
        if (end >= 0 && end <= room) {
            pending.bytes.append(bytes.first(end));
            bytes = bytes.sliced(end + 1);
            emitLine(stream, lines);
            continue;
        }
        const qsizetype take = std::min(bytes.size(), room);
        pending.bytes.append(bytes.first(take));
        bytes = bytes.sliced(take);
        if (pending.bytes.size() >= MaxLineBytes)
            emitLine(stream, lines);
    }
}

void DockerLogDecoder::emitLine(int stream, QList<DockerLogLine> &lines)
{
    Pending &pending = m_pending[stream == 2 ? 1 : 0];
    QByteArray &text = pending.bytes;
    if (text.endsWith('\r'))
        text.chop(1);
    lines.append(DockerLogLine{stream == 2, pending.time, QString::fromUtf8(text)});
    text.clear();
    pending.time = {};
}

QList<DockerLogLine> DockerLogDecoder::finish()
{
    QList<DockerLogLine> lines;
    for (int stream : {1, 2}) {
        if (!m_pending[stream - 1].bytes.isEmpty())
            emitLine(stream, lines);
    }
    return lines;
}

} // namespace Slipway
