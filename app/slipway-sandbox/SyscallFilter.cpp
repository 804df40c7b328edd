#include "SyscallFilter.h"

#include <seccomp.h>

#include <cerrno>
#include <cstring>
#include <sched.h>
#include <sys/ioctl.h>

namespace Slipway {

namespace {

// Refused outright: what an app or a buildpack has no business doing, and what has been
// the way out of containers before.
constexpr const char *Refused[] = {
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "add_key",
    "request_key",
    "keyctl",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "unshare",
    "setns",
    "swapon",
    "swapoff",
    "reboot",
    "syslog",
    "acct",
    "quotactl",
    "quotactl_fd",
    "lookup_dcookie",
    "open_by_handle_at",
    "name_to_handle_at",
    "iopl",
    "ioperm",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "vhangup",
    "uselib",
    "_sysctl",
    "sysfs",
    "nfsservctl",
    "fanotify_init",
    "lsm_set_self_attr",
    "chroot",
};

std::string failure(const char *what, int error)
{
    return std::string(what) + ": " + std::strerror(error < 0 ? -error : error);
}

} // namespace

std::string SyscallFilter::install()
{
    scmp_filter_ctx context = seccomp_init(SCMP_ACT_ALLOW);
    if (!context)
        return "cannot create the system call filter";
    std::string error;
    const auto refuse = [&](int call, unsigned count, const scmp_arg_cmp *conditions) {
        if (call == __NR_SCMP_ERROR || !error.empty())
            return; // not on this architecture
        const int result =
            seccomp_rule_add_array(context, SCMP_ACT_ERRNO(EPERM), call, count, conditions);
        if (result < 0)
            error = failure(seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, call), result);
    };
    for (const char *name : Refused)
        refuse(seccomp_syscall_resolve_name(name), 0, nullptr);
    // clone() may make processes and threads, not namespaces.
    for (unsigned long flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                               CLONE_NEWNET, CLONE_NEWCGROUP}) {
        const scmp_arg_cmp withFlag = SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag);
        refuse(seccomp_syscall_resolve_name("clone"), 1, &withFlag);
    }
    // clone3 passes its flags in memory a filter cannot read: "not implemented" makes the
    // C library fall back to clone(), which is checked above.
    if (error.empty()) {
        const int result = seccomp_rule_add(context, SCMP_ACT_ERRNO(ENOSYS),
                                            seccomp_syscall_resolve_name("clone3"), 0);
        if (result < 0)
            error = failure("clone3", result);
    }
    // Typing into the terminal of someone else.
    const scmp_arg_cmp typeIntoTerminal = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI);
    refuse(seccomp_syscall_resolve_name("ioctl"), 1, &typeIntoTerminal);
    if (error.empty()) {
        const int result = seccomp_load(context);
        if (result < 0)
            error = failure("cannot load the system call filter", result);
    }
    seccomp_release(context);
    return error;
}

} // namespace Slipway
