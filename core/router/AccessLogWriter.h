#pragma once

#include <atomic>
#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>
#include <unordered_map>

namespace Slipway {

// The access log lines of one router worker, appended to <directory>/<app>.log. Lines wait
// in a buffer per app and go out in one write() once 64 KB are waiting or when the worker's
// sweep comes by (four times a second), so a request costs no system call and no other
// thread for its line. Each worker has descriptors of its own, opened with O_APPEND: every
// write() lands whole at the end of the file, whatever the other workers write meanwhile.
// Used on its worker's thread only.
class AccessLogWriter
{
public:
    // An empty directory: no files. `warned` is shared by every worker, so that a full disk
    // is reported once, not once per thread.
    AccessLogWriter(std::string directory, std::atomic<bool> &warned);
    ~AccessLogWriter(); // writes what waits and closes the files
    AccessLogWriter(const AccessLogWriter &) = delete;
    AccessLogWriter &operator=(const AccessLogWriter &) = delete;

    bool isEnabled() const { return !m_directory.empty(); }

    // One line (without its newline) for `app`'s file.
    void append(std::string_view app, std::string_view line);
    // Writes every waiting line.
    void flush();
    // Writes what waits and closes the files of the apps `keep(app)` refuses (apps that left
    // the router).
    template<typename Keep>
    void closeUnless(Keep keep)
    {
        for (auto it = m_files.begin(); it != m_files.end();) {
            if (keep(it->first)) {
                ++it;
                continue;
            }
            writeOut(it->second);
            closeFile(it->second);
            it = m_files.erase(it);
        }
    }

    // "2026-12-04T10:00:00.123Z", the part up to the seconds formatted once per second.
    std::string_view timestamp(std::time_t seconds, int milliseconds);

private:
    struct File
    {
        int descriptor = -1;
        bool failed = false; // could not be opened: its lines are dropped
        std::string pending;
    };
    struct Hash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view key) const noexcept
        {
            return std::hash<std::string_view>{}(key);
        }
    };

    File &fileFor(std::string_view app);
    void writeOut(File &file);
    void closeFile(File &file);
    void warn(const std::string &path, int error);

    const std::string m_directory;
    std::atomic<bool> &m_warned;
    std::unordered_map<std::string, File, Hash, std::equal_to<>> m_files;
    std::time_t m_stampSecond = -1;
    char m_stamp[32] = {};
};

} // namespace Slipway
