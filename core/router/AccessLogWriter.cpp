#include "router/AccessLogWriter.h"

#include "router/RouterLogging.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace Slipway {

namespace {

constexpr std::size_t WriteThreshold = 64 * 1024;

} // namespace

AccessLogWriter::AccessLogWriter(std::string directory, std::atomic<bool> &warned)
    : m_directory(std::move(directory))
    , m_warned(warned)
{}

AccessLogWriter::~AccessLogWriter()
{
    for (auto &[app, file] : m_files) {
        writeOut(file);
        closeFile(file);
    }
}

AccessLogWriter::File &AccessLogWriter::fileFor(std::string_view app)
{
    if (const auto it = m_files.find(app); it != m_files.end())
        return it->second;
    File &file = m_files[std::string(app)];
    const std::string path = m_directory + '/' + std::string(app) + ".log";
    file.descriptor = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (file.descriptor < 0) {
        file.failed = true;
        warn(path, errno);
    }
    return file;
}

void AccessLogWriter::append(std::string_view app, std::string_view line)
{
    if (m_directory.empty())
        return;
    File &file = fileFor(app);
    if (file.failed)
        return;
    if (file.pending.capacity() < WriteThreshold)
        file.pending.reserve(WriteThreshold + 1024);
    file.pending.append(line);
    file.pending.push_back('\n');
    if (file.pending.size() >= WriteThreshold)
        writeOut(file);
}

void AccessLogWriter::flush()
{
    for (auto &[app, file] : m_files)
        writeOut(file);
}

void AccessLogWriter::writeOut(File &file)
{
    std::size_t done = 0;
    while (done < file.pending.size() && file.descriptor >= 0) {
        const ssize_t written =
            ::write(file.descriptor, file.pending.data() + done, file.pending.size() - done);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0) {
            // A full disk: these lines are lost, the next ones are tried again.
            warn(m_directory, written < 0 ? errno : ENOSPC);
            break;
        }
        done += std::size_t(written);
    }
    file.pending.clear();
}

void AccessLogWriter::closeFile(File &file)
{
    if (file.descriptor >= 0)
        ::close(file.descriptor);
    file.descriptor = -1;
}

void AccessLogWriter::warn(const std::string &path, int error)
{
    // Said once: a full disk must not flood the daemon's own log.
    if (m_warned.exchange(true))
        return;
    qCWarning(lcRouter, "cannot write the access log %s: %s", path.c_str(), std::strerror(error));
}

std::string_view AccessLogWriter::timestamp(std::time_t seconds, int milliseconds)
{
    if (seconds != m_stampSecond) {
        std::tm utc{};
        gmtime_r(&seconds, &utc);
        std::strftime(m_stamp, sizeof m_stamp, "%Y-%m-%dT%H:%M:%S", &utc);
        m_stampSecond = seconds;
    }
    // The seconds part is 19 characters; the milliseconds follow it.
    m_stamp[19] = '.';
    m_stamp[20] = char('0' + milliseconds / 100 % 10);
    m_stamp[21] = char('0' + milliseconds / 10 % 10);
    m_stamp[22] = char('0' + milliseconds % 10);
    m_stamp[23] = 'Z';
    return {m_stamp, 24};
}

} // namespace Slipway
