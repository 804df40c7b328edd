#include "SandboxInit.h"

#include "SyscallFilter.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace Slipway {

namespace {

std::string failure(const std::string &what)
{
    return what + ": " + std::strerror(errno);
}

bool writeFile(const char *path, const std::string &text)
{
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool written = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    ::close(fd);
    return written;
}

int lastCapability()
{
    const int fd = ::open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return CAP_LAST_CAP;
    char text[16] = {};
    const ssize_t length = ::read(fd, text, sizeof text - 1);
    ::close(fd);
    return length > 0 ? std::atoi(text) : CAP_LAST_CAP;
}

} // namespace

std::string SandboxInit::parse(int argc, char **argv, Options &options)
{
    int i = 1;
    for (; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--") {
            ++i;
            break;
        }
        if (i + 1 >= argc)
            return "option " + argument + " needs a value";
        const std::string value = argv[++i];
        if (argument == "--socket-factory") {
            options.socketFactory = std::atoi(value.c_str());
        } else if (argument == "--hold") {
            options.hold = std::atoi(value.c_str());
        } else if (argument == "--chdir") {
            options.directory = value;
        } else if (argument == "--user") {
            unsigned uid = 0;
            unsigned gid = 0;
            if (std::sscanf(value.c_str(), "%u:%u", &uid, &gid) != 2 || uid == 0)
                return "--user wants UID:GID of an unprivileged user, not '" + value + "'";
            options.becomeUser = true;
            options.uid = uid;
            options.gid = gid;
        } else {
            return "unknown option " + argument;
        }
    }
    for (; i < argc; ++i)
        options.command.push_back(argv[i]);
    if (options.command.empty())
        return "no command to run";
    options.command.push_back(nullptr);
    return {};
}

std::string SandboxInit::becomeUser(uid_t uid, gid_t gid)
{
    if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0)
        return failure("cannot change to group " + std::to_string(gid));
    // Leaving uid 0 clears every capability this process had outside.
    if (::setresuid(uid, uid, uid) != 0)
        return failure("cannot change to user " + std::to_string(uid));
    // Changing user made this process undumpable, which would hide /proc/self from it.
    ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    // A user namespace of its own, mapping only that user: what it is given inside never
    // counts outside.
    if (::unshare(CLONE_NEWUSER) != 0)
        return failure("cannot create a user namespace");
    if (!writeFile("/proc/self/setgroups", "deny") ||
        !writeFile("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1") ||
        !writeFile("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1"))
        return failure("cannot map the user namespace");
    return {};
}

std::string SandboxInit::dropCapabilities()
{
    // The bounding set first (needs CAP_SETPCAP, which a fresh user namespace gives), so
    // that nothing executed later can gain one back; then what is held now.
    for (int cap = 0; cap <= lastCapability(); ++cap) {
        if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
            ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return failure("cannot drop capability " + std::to_string(cap));
    }
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capset, &header, data) != 0)
        return failure("cannot drop capabilities");
    return {};
}

std::string SandboxInit::run(const Options &options)
{
    if (options.becomeUser) {
        if (std::string error = becomeUser(options.uid, options.gid); !error.empty())
            return error;
    }
    // As the user the command runs as: a folder given to it may be closed to root without
    // its capabilities.
    if (!options.directory.empty() && ::chdir(options.directory.c_str()) != 0)
        return failure("cannot enter " + options.directory);
    if (std::string error = dropCapabilities(); !error.empty())
        return error;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return failure("cannot set no_new_privs");
    if (std::string error = SyscallFilter::install(); !error.empty())
        return error;

    if (options.socketFactory >= 0) {
        // Two forks: the server is adopted by the sandbox's init, never a child the app
        // would see in `wait`.
        const pid_t first = ::fork();
        if (first < 0)
            return failure("cannot start the socket server");
        if (first == 0) {
            if (::fork() == 0)
                serveSockets(options.socketFactory);
            ::_exit(0);
        }
        while (::waitpid(first, nullptr, 0) < 0 && errno == EINTR) {
        }
        ::close(options.socketFactory);
    }
    if (options.hold >= 0) {
        if (std::string error = waitForGo(options.hold); !error.empty())
            return error;
    }
    ::execvp(options.command.front(), options.command.data());
    return failure(std::string("cannot run ") + options.command.front());
}

std::string SandboxInit::waitForGo(int hold)
{
    const char here = 'h';
    if (::send(hold, &here, 1, MSG_NOSIGNAL) != 1)
        return failure("the daemon is gone");
    char go = 0;
    ssize_t received = 0;
    while ((received = ::recv(hold, &go, 1, 0)) < 0 && errno == EINTR) {
    }
    ::close(hold);
    if (received != 1 || go != 'g')
        return "the sandbox's network could not be set up";
    return {};
}

void SandboxInit::serveSockets(int channel)
{
    ::setsid();
    ::signal(SIGPIPE, SIG_IGN);
    const int devNull = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd)
        ::dup2(devNull, fd);
    // Nothing of the app's stays open here.
    if (channel > 3)
        ::close_range(3, unsigned(channel - 1), 0);
    ::close_range(unsigned(channel + 1), ~0u, 0);
    // One request byte ('4' or '6'), one answer: a byte and, when it worked, the socket.
    for (;;) {
        char request = 0;
        const ssize_t received = ::recv(channel, &request, 1, 0);
        if (received == 0)
            ::_exit(0);
        if (received < 0) {
            if (errno == EINTR)
                continue;
            ::_exit(1);
        }
        const int family = request == '6' ? AF_INET6 : AF_INET;
        const int made = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        char answer = made >= 0 ? 'k' : 'e';
        iovec part{&answer, 1};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
        msghdr message{};
        message.msg_iov = &part;
        message.msg_iovlen = 1;
        if (made >= 0) {
            message.msg_control = control;
            message.msg_controllen = sizeof control;
            cmsghdr *header = CMSG_FIRSTHDR(&message);
            header->cmsg_level = SOL_SOCKET;
            header->cmsg_type = SCM_RIGHTS;
            header->cmsg_len = CMSG_LEN(sizeof(int));
            std::memcpy(CMSG_DATA(header), &made, sizeof(int));
        }
        const ssize_t sent = ::sendmsg(channel, &message, MSG_NOSIGNAL);
        if (made >= 0)
            ::close(made);
        if (sent < 0)
            ::_exit(0);
    }
}

} // namespace Slipway
