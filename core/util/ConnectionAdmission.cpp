#include "util/ConnectionAdmission.h"

#include <algorithm>
#include <sys/resource.h>

namespace Slipway {

ConnectionAdmission::ConnectionAdmission(std::size_t total, std::size_t perAddress)
    : m_totalLimit(total)
    , m_perAddressLimit(perAddress)
{}

std::shared_ptr<void> ConnectionAdmission::admit(const std::string &address)
{
    {
        const std::lock_guard lock(m_mutex);
        std::size_t &fromThere = m_perAddress[address];
        if (m_total >= m_totalLimit || fromThere >= m_perAddressLimit) {
            if (fromThere == 0)
                m_perAddress.erase(address);
            return nullptr;
        }
        ++fromThere;
        ++m_total;
    }
    // The ticket owns nothing but its release; it keeps this object alive until then.
    return std::shared_ptr<void>(
        static_cast<void *>(this),
        [self = shared_from_this(), address](void *) { self->release(address); });
}

void ConnectionAdmission::release(const std::string &address)
{
    const std::lock_guard lock(m_mutex);
    --m_total;
    const auto it = m_perAddress.find(address);
    if (it != m_perAddress.end() && --it->second == 0)
        m_perAddress.erase(it);
}

std::size_t ConnectionAdmission::shareOfDescriptors(double fraction, std::size_t floor)
{
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY)
        return std::max<std::size_t>(floor, 4096);
    return std::max<std::size_t>(floor, std::size_t(double(files.rlim_cur) * fraction));
}

} // namespace Slipway
