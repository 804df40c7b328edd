#pragma once

#include "util/Result.h"

#include <QString>

#include <cstddef>

namespace Slipway {

// A large request body on its way to disk: a private temporary file (0600) written piece
// by piece as the body arrives, so memory stays bounded whatever the upload's size.
class SpoolFile
{
public:
    SpoolFile() = default;
    ~SpoolFile();
    SpoolFile(const SpoolFile &) = delete;
    SpoolFile &operator=(const SpoolFile &) = delete;

    Result<void> create(const QString &directory);
    Result<void> write(const char *data, std::size_t size);
    // Done writing: the file stays for the handler.
    void close();
    // Closes and deletes the file (unless the handler moved it away).
    void remove();

    bool isOpen() const { return m_descriptor >= 0; }
    bool exists() const { return !m_path.isEmpty(); }
    const QString &path() const { return m_path; }

private:
    int m_descriptor = -1;
    QString m_path;
};

} // namespace Slipway
