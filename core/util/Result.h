#pragma once

#include <QString>

#include <expected>
#include <utility>

namespace Slipway {

// An error is a value carrying one sentence a user can act on: what was wrong and,
// where it helps, what to do about it.
struct Error
{
    QString message;
    bool operator==(const Error &) const = default;
};

template<typename T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> failure(QString message)
{
    return std::unexpected<Error>(Error{std::move(message)});
}

} // namespace Slipway
