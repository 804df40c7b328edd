#pragma once

#include <string>

namespace Slipway {

// The system calls a container or a build never needs, refused with EPERM: mounting,
// tracing, kernel modules and keyrings, new namespaces, clock and swap changes, BPF, ...
// Everything else is allowed, as in Docker's default profile.
class SyscallFilter
{
public:
    // Loads the filter into the calling process (and every process it starts). Needs
    // no_new_privs or CAP_SYS_ADMIN. Empty on success, else why it failed.
    static std::string install();
};

} // namespace Slipway
