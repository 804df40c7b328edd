#pragma once

#include <QString>

namespace Slipway {

// A source laid out on disk, ready for buildpacks.
struct FetchedSource
{
    QString directory;    // the app's root (an archive's single top folder already applied)
    QString version;      // git commit when known, else empty
    qint64 sizeBytes = 0; // uncompressed size of the files
    bool operator==(const FetchedSource &) const = default;
};

} // namespace Slipway
