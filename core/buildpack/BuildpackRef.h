#pragma once

#include "util/Result.h"

#include <QString>

namespace Slipway {

// What the user wrote to name a buildpack (console, CLI, BUILDPACK_URL, .buildpacks),
// parsed into where to get it from. Parsing never touches the file system or network;
// fetching is the fetcher's job.
class BuildpackRef
{
public:
    enum class Kind {
        BuiltIn, // a bare name such as "nodejs", looked up among the built-in buildpacks
        Folder,  // a local folder used in place
        Git,     // a repository to clone, optionally at a branch or tag
        Tarball, // a .tgz/.tar.gz archive, remote or local
    };

    // An empty reference, only so containers can hold the type; parse() makes real ones.
    BuildpackRef() = default;

    // Accepted forms:
    //   nodejs                                  built-in ([a-z0-9][a-z0-9._-]*)
    //   /abs/path  ./rel  ../rel  ~/path         folder; relative ones against baseDirectory
    //                                            (the current directory when empty)
    //   https://, http://, ssh://, git://, file:// URLs and git@host:path
    //                                            git, with an optional #branch-or-tag
    //   a local path ending in .git             git, with an optional #branch-or-tag
    //   http(s) URL or local path ending in .tgz or .tar.gz
    //                                            tarball
    static Result<BuildpackRef> parse(const QString &text, const QString &baseDirectory = {});

    // "built-in", "folder", "git", "tarball": for logs and the API.
    static QString kindName(Kind kind);

    Kind kind() const { return m_kind; }
    // The built-in name, an absolute path, or the URL without its #ref.
    QString location() const { return m_location; }
    // The branch or tag after '#' for git references; empty otherwise.
    QString ref() const { return m_ref; }
    // As the user wrote it, trimmed: what .buildpacks and the console show.
    QString text() const { return m_text; }
    // Short name for logs: the built-in name, or the last path element without .git,
    // .tgz or .tar.gz.
    QString displayName() const;
    // A stable name for the folder holding a fetched copy: safe as a single path element,
    // readable ("heroku-buildpack-nodejs-…"), and different for every location and ref.
    QString cacheKey() const;

    friend bool operator==(const BuildpackRef &a, const BuildpackRef &b)
    {
        return a.m_kind == b.m_kind && a.m_location == b.m_location && a.m_ref == b.m_ref;
    }

private:
    BuildpackRef(Kind kind, QString location, QString ref, QString text);

    // text is trimmed and free of control characters by then.
    static Result<BuildpackRef> parseUrl(const QString &text, const QString &scheme);
    static Result<BuildpackRef> parseScpAddress(const QString &text);
    static Result<BuildpackRef> parseLocalPath(const QString &text, const QString &baseDirectory);

    Kind m_kind = Kind::BuiltIn;
    QString m_location;
    QString m_ref;
    QString m_text;
};

} // namespace Slipway
