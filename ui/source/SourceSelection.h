#pragma once

#include <QString>

namespace Slipway {

// What the user chose to deploy, as the console hands it to the daemon.
struct SourceSelection
{
    enum class Kind { None, Folder, Git, Archive, Artifact };

    Kind kind = Kind::None;
    QString location; // absolute path, or URL
    QString ref;      // git branch, tag or commit; empty for the default branch

    // Reads what a user typed or dropped: a path (folder, archive, .jar/.war) or a URL.
    static SourceSelection fromText(const QString &text, const QString &ref = {});

    bool isValid() const { return kind != Kind::None && !location.isEmpty(); }
    // A file on this machine that the daemon gets as an upload (archives, .jar/.war).
    bool isUpload() const;
    bool isRemote() const; // a URL the daemon fetches itself
    QString kindName() const;
    // "~/src/shop", "https://…/shop.git#v2", "shop-1.2.tar.gz"
    QString describe() const;
    // For the recent list: kind, location and ref on one line.
    QString serialize() const;
    static SourceSelection deserialize(const QString &line);

    bool operator==(const SourceSelection &) const = default;
};

} // namespace Slipway
