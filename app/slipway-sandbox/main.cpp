#include "SandboxInit.h"

#include <cstdio>

int main(int argc, char **argv)
{
    Slipway::SandboxInit::Options options;
    std::string error = Slipway::SandboxInit::parse(argc, argv, options);
    if (error.empty())
        error = Slipway::SandboxInit::run(options);
    std::fprintf(stderr, "slipway-sandbox-init: %s\n", error.c_str());
    return 127;
}
