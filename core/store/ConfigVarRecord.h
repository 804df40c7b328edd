#pragma once

#include <QString>

#include <optional>

namespace Slipway {

// One config var of an app. A secret's value lives in the OS keychain: the store keeps
// only the reference to it there, never the value.
struct ConfigVarRecord
{
    QString name;
    std::optional<QString> value; // none for a secret
    bool secret = false;
    QString secretRef; // the keychain entry, for a secret

    bool operator==(const ConfigVarRecord &) const = default;
};

} // namespace Slipway
