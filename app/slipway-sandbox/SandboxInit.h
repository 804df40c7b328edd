#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace Slipway {

// What runs first inside a sandbox, before the app or the buildpack:
//  1. with a user to become (a daemon running as root), it leaves root for that user in a
//     user namespace of its own, keeping no capability;
//  2. it drops every capability left, sets no_new_privs and installs the SyscallFilter;
//  3. with a socket factory descriptor, it leaves a small server behind that hands the
//     daemon unconnected TCP sockets made in this network namespace, so the router and
//     the readiness probe reach the app's loopback port while nothing else can;
//  4. with a hold descriptor, it says it is there and waits for the daemon's go: the time
//     to connect this network namespace to the outside, once bubblewrap is done with it;
//  5. it executes the command.
class SandboxInit
{
public:
    struct Options
    {
        int socketFactory = -1;
        int hold = -1;
        bool becomeUser = false;
        uid_t uid = 0;
        gid_t gid = 0;
        std::string directory; // where the command starts
        std::vector<char *> command;
    };

    // Parses `[--socket-factory FD] [--hold FD] [--user UID:GID] [--chdir DIR] -- COMMAND...`;
    // empty on success.
    static std::string parse(int argc, char **argv, Options &options);
    // Never returns on success; else the reason.
    static std::string run(const Options &options);

private:
    static std::string becomeUser(uid_t uid, gid_t gid);
    static std::string dropCapabilities();
    static void serveSockets(int channel);
    static std::string waitForGo(int hold);
};

} // namespace Slipway
