#pragma once

#include "util/Result.h"

#include <QString>

namespace Slipway {

// What the user asked to deploy, recognised from the text they gave.
class SourceSpec
{
public:
    enum class Kind {
        Folder,   // a working tree, taken as it is
        Git,      // a repository (URL or local path) at a ref
        Archive,  // .tar, .tar.gz/.tgz, .tar.bz2, .tar.xz, .zip from a path or http(s)
        Artifact, // a .jar or .war deployed as is
    };

    // `input` is a path, file:// URL, http(s) URL, ssh/git URL or git@host:path. A local
    // folder with `ref` set is taken as a git repository at that ref.
    static Result<SourceSpec> parse(const QString &input, const QString &ref = {});

    Kind kind() const { return m_kind; }
    const QString &location() const { return m_location; } // absolute path or URL
    // The location for logs and messages: a password written into a URL is left out.
    QString displayLocation() const;
    const QString &ref() const { return m_ref; }
    bool isRemote() const { return m_remote; }
    QString fileName() const; // last element of the location
    QString kindName() const; // "folder", "git", "archive", "artifact"
    // A name for the app when none was given: the last element without extensions.
    QString suggestedAppName() const;

private:
    Kind m_kind = Kind::Folder;
    QString m_location;
    QString m_ref;
    bool m_remote = false;
};

} // namespace Slipway
