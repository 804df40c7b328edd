#pragma once

#include <utility>

#include <unistd.h>

namespace Slipway {

// Owns one file descriptor and closes it when it goes out of scope, unless release() handed
// it on to something that closes it itself (a socket object, another process).
class FileDescriptor
{
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int descriptor)
        : m_descriptor(descriptor)
    {}
    ~FileDescriptor() { reset(); }

    FileDescriptor(FileDescriptor &&other) noexcept
        : m_descriptor(other.release())
    {}
    FileDescriptor &operator=(FileDescriptor &&other) noexcept
    {
        if (this != &other)
            reset(other.release());
        return *this;
    }
    FileDescriptor(const FileDescriptor &) = delete;
    FileDescriptor &operator=(const FileDescriptor &) = delete;

    int get() const { return m_descriptor; }
    bool isValid() const { return m_descriptor >= 0; }

    // Gives the descriptor up without closing it.
    [[nodiscard]] int release() { return std::exchange(m_descriptor, -1); }
    // Closes the one held (if any) and holds `descriptor` instead.
    void reset(int descriptor = -1)
    {
        if (m_descriptor >= 0)
            ::close(m_descriptor);
        m_descriptor = descriptor;
    }

private:
    int m_descriptor = -1;
};

} // namespace Slipway
