#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace Slipway {

// Caps the connections one listener holds at once, in total and per client address, so a
// flood of idle connections from one place cannot take every descriptor of the daemon: the
// other listeners, the containers' logs and the store keep theirs. Thread-safe.
class ConnectionAdmission : public std::enable_shared_from_this<ConnectionAdmission>
{
public:
    ConnectionAdmission(std::size_t total, std::size_t perAddress);

    // A ticket the connection keeps while it lives; null when a limit is reached and the
    // connection should be closed at once.
    std::shared_ptr<void> admit(const std::string &address);

    std::size_t total() const { return m_totalLimit; }
    std::size_t perAddress() const { return m_perAddressLimit; }

    // `fraction` of the process's open-file limit (as raised at start), at least `floor`.
    static std::size_t shareOfDescriptors(double fraction, std::size_t floor = 64);

private:
    void release(const std::string &address);

    const std::size_t m_totalLimit;
    const std::size_t m_perAddressLimit;
    std::mutex m_mutex;
    std::size_t m_total = 0;
    std::unordered_map<std::string, std::size_t> m_perAddress;
};

} // namespace Slipway
