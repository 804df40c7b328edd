#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

// A property a fuzz target found broken: said, then the process aborts so the fuzzer keeps
// the input.
#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "fuzz: %s:%d: %s does not hold\n", __FILE__, __LINE__,            \
                         #condition);                                                              \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)

// Runs an HTTP target. Beast refuses a field longer than 64 KB (a trailer is not bound by
// the header limit) by throwing std::length_error; the router's and the API's sessions
// catch it and close that connection, which is what the targets model.
template<typename Handle>
int runHttpTarget(Handle handle, const std::uint8_t *data, std::size_t size)
{
    try {
        return handle(data, size);
    } catch (const std::length_error &) {
        return 0;
    }
}
