#pragma once

#include "util/Result.h"

#include <QByteArray>
#include <QList>
#include <QRegularExpression>
#include <QStringList>

namespace Slipway {

// The app's `.slugignore`: files to drop before the slug is compressed (test suites, design
// sources, docs). One glob per line, as Heroku reads it:
// - blank lines and lines starting with `#` are ignored, CRLF line ends are fine;
// - a pattern without a slash matches that name at any depth (`*.psd`, `tmp`);
// - a pattern with a slash is anchored to the app root, a leading slash is optional
//   (`/docs`, `spec/fixtures`);
// - `*` and `?` stay within one path component, `**` crosses folders;
// - a trailing slash matches folders only; a matching folder takes everything under it.
// Negations (`!pattern`) are not supported by Heroku either and are skipped.
class SlugIgnore
{
public:
    static SlugIgnore parse(const QByteArray &contents);

    bool isEmpty() const;
    QStringList patterns() const;
    // `relativePath` is relative to the app root, with '/' separators.
    bool matches(const QString &relativePath, bool isDirectory) const;
    // Deletes what matches under `appDirectory` and returns the relative paths removed,
    // top-most only, in walk order. Symlinks are never followed: a matching link is removed
    // itself, a link to a folder is not descended into.
    Result<QStringList> apply(const QString &appDirectory) const;

private:
    struct Pattern
    {
        QString text;
        QRegularExpression expression;
        bool anchored = false;
        bool directoriesOnly = false;
    };

    // Whether the path itself matches, leaving out what its parent folders match.
    bool matchesEntry(const QString &relativePath, bool isDirectory) const;
    Result<> applyIn(const QString &appDirectory, const QString &relativeFolder,
                     QStringList &removed) const;

    QList<Pattern> m_patterns;
};

} // namespace Slipway
