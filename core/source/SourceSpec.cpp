#include "source/SourceSpec.h"

#include "archive/ArchiveExtractor.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QUrl>

#include <algorithm>

namespace Slipway {

namespace {

bool isArtifactName(const QString &name)
{
    return name.endsWith(QLatin1String(".jar"), Qt::CaseInsensitive) ||
           name.endsWith(QLatin1String(".war"), Qt::CaseInsensitive);
}

bool isGitDirectory(const QString &path)
{
    const QDir dir(path);
    return dir.exists(QStringLiteral(".git")) ||
           (dir.exists(QStringLiteral("HEAD")) && dir.exists(QStringLiteral("objects")) &&
            dir.exists(QStringLiteral("refs")));
}

const QString acceptedForms = QStringLiteral(
    "give a folder, a git URL or repository path (with --ref), an archive (.tar, .tar.gz, "
    ".tgz, .tar.bz2, .tar.xz, .zip) as a path or http(s) URL, or a .jar/.war file");

} // namespace

Result<SourceSpec> SourceSpec::parse(const QString &rawInput, const QString &ref)
{
    const QString input = rawInput.trimmed();
    SourceSpec spec;
    spec.m_ref = ref.trimmed();
    if (input.isEmpty())
        return failure(QStringLiteral("no source given: %1").arg(acceptedForms));
    // No path or URL holds a NUL: Qt's file functions would only warn and find nothing.
    if (input.contains(QChar(u'\0')))
        return failure(QStringLiteral("the source contains a NUL character, which no path or URL "
                                      "holds; check how it was typed or pasted"));
    // git takes the ref as an argument: one starting with '-' would be read as an option, and
    // no branch, tag or commit name starts so or holds spaces or control characters.
    if (spec.m_ref.startsWith(QLatin1Char('-')) ||
        std::any_of(spec.m_ref.cbegin(), spec.m_ref.cend(),
                    [](QChar c) { return c.isSpace() || c.category() == QChar::Other_Control; }))
        return failure(QStringLiteral("'%1' is not a branch, tag or commit name: a ref does not "
                                      "start with '-' or hold spaces or control characters")
                           .arg(spec.m_ref));

    static const QRegularExpression scpLike(QStringLiteral("^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:.+"));
    const QUrl url(input);
    const QString scheme = url.scheme().toLower();

    if (scheme == QLatin1String("http") || scheme == QLatin1String("https")) {
        if (!url.isValid() || url.host().isEmpty())
            return failure(QStringLiteral("'%1' is not a valid URL").arg(input));
        spec.m_location = input;
        spec.m_remote = true;
        const QString path = url.path();
        if (ArchiveExtractor::isArchiveName(path))
            spec.m_kind = Kind::Archive;
        else if (isArtifactName(path))
            spec.m_kind = Kind::Artifact;
        else
            spec.m_kind = Kind::Git;
        if (spec.m_kind != Kind::Git && !spec.m_ref.isEmpty())
            return failure(QStringLiteral("a ref only applies to git sources, and '%1' is %2; "
                                          "drop --ref")
                               .arg(input, spec.m_kind == Kind::Archive
                                               ? QStringLiteral("an archive")
                                               : QStringLiteral("a .jar/.war file")));
        return spec;
    }
    if (scheme == QLatin1String("ssh") || scheme == QLatin1String("git") ||
        (url.scheme().isEmpty() && scpLike.match(input).hasMatch())) {
        spec.m_kind = Kind::Git;
        spec.m_location = input;
        spec.m_remote = true;
        return spec;
    }

    QString path = input;
    if (scheme == QLatin1String("file")) {
        path = url.toLocalFile();
    } else if (!url.scheme().isEmpty() && url.scheme().size() > 1) {
        return failure(QStringLiteral("'%1' uses the unsupported scheme '%2': %3")
                           .arg(input, url.scheme(), acceptedForms));
    }
    if (path == QLatin1String("~") || path.startsWith(QLatin1String("~/")))
        path = QDir::homePath() + path.mid(1);
    const QFileInfo info(path);
    if (!info.exists())
        return failure(QStringLiteral("the source '%1' does not exist; check the path").arg(input));
    // "app/", "./app" and "x/../app" name the same place.
    spec.m_location = QDir::cleanPath(info.absoluteFilePath());

    if (info.isDir()) {
        // A file:// URL names a git repository the way git does; a plain folder behind
        // one is still just a folder.
        const bool gitUrl = scheme == QLatin1String("file") && isGitDirectory(spec.m_location);
        if (!spec.m_ref.isEmpty() || gitUrl) {
            if (!isGitDirectory(spec.m_location))
                return failure(QStringLiteral("'%1' is not a git repository, so a ref cannot be "
                                              "checked out of it; drop --ref to deploy the "
                                              "folder as it is")
                                   .arg(input));
            spec.m_kind = Kind::Git;
            return spec;
        }
        spec.m_kind = Kind::Folder;
        return spec;
    }
    if (!spec.m_ref.isEmpty())
        return failure(
            QStringLiteral("a ref only applies to git sources, and '%1' is a file; drop --ref")
                .arg(input));
    if (ArchiveExtractor::isArchiveName(info.fileName())) {
        spec.m_kind = Kind::Archive;
        return spec;
    }
    if (isArtifactName(info.fileName())) {
        spec.m_kind = Kind::Artifact;
        return spec;
    }
    return failure(QStringLiteral("'%1' is not a supported source: %2").arg(input, acceptedForms));
}

QString SourceSpec::displayLocation() const
{
    if (!m_remote || !m_location.contains(u'@'))
        return m_location;
    const QUrl url(m_location);
    // scp-like "git@host:path" is not a URL and holds no password.
    if (!url.isValid() || url.scheme().isEmpty() || url.password().isEmpty())
        return m_location;
    return url.toString(QUrl::RemovePassword);
}

QString SourceSpec::fileName() const
{
    if (m_remote)
        return QUrl(m_location).fileName();
    return QFileInfo(m_location).fileName();
}

QString SourceSpec::kindName() const
{
    switch (m_kind) {
    case Kind::Folder:
        return QStringLiteral("folder");
    case Kind::Git:
        return QStringLiteral("git");
    case Kind::Archive:
        return QStringLiteral("archive");
    case Kind::Artifact:
        return QStringLiteral("artifact");
    }
    return {};
}

QString SourceSpec::suggestedAppName() const
{
    QString name = m_location;
    // A URL's query and fragment ("?token=...") are not part of the name.
    if (const QUrl url(m_location); m_remote && url.isValid() && !url.scheme().isEmpty())
        name = url.path();
    while (name.endsWith(QLatin1Char('/')))
        name.chop(1);
    name = name.section(QRegularExpression(QStringLiteral("[/:]")), -1);
    static const QRegularExpression extensions(
        QStringLiteral("(\\.git|\\.tar|\\.tar\\.gz|\\.tgz|\\.tar\\.bz2|\\.tbz2|\\.tar\\.xz|\\.txz|"
                       "\\.zip|\\.jar|\\.war)$"),
        QRegularExpression::CaseInsensitiveOption);
    name.remove(extensions);
    name = name.toLower();
    name.replace(QRegularExpression(QStringLiteral("[^a-z0-9-]+")), QStringLiteral("-"));
    static const QRegularExpression untrimmed(QStringLiteral("^[^a-z]+|-+$"));
    name.remove(untrimmed);
    if (name.isEmpty())
        return QStringLiteral("app");
    if (name.size() < 3)
        name = QStringLiteral("app-") + name;
    // Cutting may leave a dash at the end again.
    return name.left(48).remove(untrimmed);
}

} // namespace Slipway
