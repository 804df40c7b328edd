#include "buildpack/BuildpackRef.h"

#include <QCryptographicHash>
#include <QDir>
#include <QRegularExpression>
#include <QUrl>

namespace Slipway {

namespace {

const QString AcceptedForms = QStringLiteral(
    "Write a built-in name (nodejs), a folder (/path, ./path, ../path or ~/path), a git URL "
    "(https://, ssh://, git://, file:// or git@host:path, optionally ending in "
    "#branch-or-tag) or a .tgz/.tar.gz archive URL.");

QString quoted(const QString &text)
{
    constexpr qsizetype shown = 80;
    if (text.size() <= shown)
        return u'"' + text + u'"';
    return u'"' + text.left(shown) + QStringLiteral("…\"");
}

std::unexpected<Error> refusal(const QString &text, const QString &problem)
{
    return failure(QStringLiteral("The buildpack reference %1 %2").arg(quoted(text), problem));
}

bool isArchivePath(const QString &path)
{
    return path.endsWith(QLatin1String(".tgz"), Qt::CaseInsensitive) ||
           path.endsWith(QLatin1String(".tar.gz"), Qt::CaseInsensitive);
}

bool isGitPath(const QString &path)
{
    return path.endsWith(QLatin1String(".git"), Qt::CaseInsensitive);
}

bool isLocalPath(const QString &text)
{
    return text.startsWith(u'/') || text.startsWith(QLatin1String("./")) ||
           text.startsWith(QLatin1String("../")) || text.startsWith(QLatin1String("~/")) ||
           text == QLatin1String(".") || text == QLatin1String("..") || text == QLatin1String("~");
}

const QRegularExpression &builtInPattern()
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z0-9][a-z0-9._-]*$"));
    return pattern;
}

// A branch or tag goes to "git clone --branch", so it must not look like an option and must
// be something git could have named (git check-ref-format).
Result<void> validateGitRef(const QString &text, const QString &ref)
{
    if (ref.isEmpty())
        return refusal(text, QStringLiteral("has nothing after '#'; write the branch or tag, "
                                            "as in https://host/repo.git#main, or drop the '#'."));
    static const QRegularExpression forbidden(QStringLiteral("[\\s~^:?*\\[\\\\]|\\.\\.|@\\{"));
    if (ref.startsWith(u'-') || ref.contains(forbidden) || ref.endsWith(u'/') ||
        ref.endsWith(u'.')) {
        return refusal(text, QStringLiteral("names %1 after '#', which is not a valid git "
                                            "branch or tag name.")
                                 .arg(quoted(ref)));
    }
    return {};
}

// The part of a location whose last element names the buildpack.
QString pathOf(const QString &location)
{
    if (location.startsWith(u'/'))
        return location;
    if (location.contains(QLatin1String("://")))
        return QUrl(location).path();
    // git@host:path
    const qsizetype colon = location.indexOf(u':');
    return colon >= 0 ? location.mid(colon + 1) : location;
}

QString lastElement(QString path)
{
    while (path.endsWith(u'/'))
        path.chop(1);
    return path.mid(path.lastIndexOf(u'/') + 1);
}

} // namespace

BuildpackRef::BuildpackRef(Kind kind, QString location, QString ref, QString text)
    : m_kind(kind)
    , m_location(std::move(location))
    , m_ref(std::move(ref))
    , m_text(std::move(text))
{}

QString BuildpackRef::kindName(Kind kind)
{
    switch (kind) {
    case Kind::BuiltIn:
        return QStringLiteral("built-in");
    case Kind::Folder:
        return QStringLiteral("folder");
    case Kind::Git:
        return QStringLiteral("git");
    case Kind::Tarball:
        return QStringLiteral("tarball");
    }
    return QStringLiteral("unknown");
}

Result<BuildpackRef> BuildpackRef::parse(const QString &input, const QString &baseDirectory)
{
    const QString text = input.trimmed();
    if (text.isEmpty())
        return failure(QStringLiteral("The buildpack reference is empty. ") + AcceptedForms);
    for (const QChar c : text) {
        // Line breaks and other control characters would not survive a .buildpacks file.
        if (c.category() == QChar::Other_Control)
            return refusal(text, QStringLiteral("contains a control character such as a tab "
                                                "or line break; remove it."));
    }

    static const QRegularExpression schemePattern(QStringLiteral("^([A-Za-z][A-Za-z0-9+.-]*)://"));
    static const QRegularExpression scpPattern(
        QStringLiteral("^[A-Za-z0-9._-]+@[A-Za-z0-9][A-Za-z0-9.-]*:"));

    if (const QRegularExpressionMatch scheme = schemePattern.match(text); scheme.hasMatch())
        return parseUrl(text, scheme.captured(1));
    if (scpPattern.match(text).hasMatch())
        return parseScpAddress(text);
    if (isLocalPath(text))
        return parseLocalPath(text, baseDirectory);
    if (builtInPattern().match(text).hasMatch())
        return BuildpackRef(Kind::BuiltIn, text, {}, text);

    // Not understood: point at the most likely intent before listing every form.
    QString hint;
    static const QRegularExpression registryName(
        QStringLiteral("^[a-z0-9-]+/([a-z0-9][a-z0-9._-]*)$"));
    if (builtInPattern().match(text.toLower()).hasMatch()) {
        hint = QStringLiteral("Built-in names are lower case, as in \"%1\". ").arg(text.toLower());
    } else if (const QRegularExpressionMatch match = registryName.match(text); match.hasMatch()) {
        hint = QStringLiteral("For a folder write \"./%2\"; for a built-in buildpack write its "
                              "name alone, such as \"%1\" (registry names such as heroku/nodejs "
                              "are not supported). ")
                   .arg(match.captured(1), text);
    } else if (text.contains(u'/')) {
        hint = QStringLiteral("A relative folder starts with ./ (\"./%1\"); a URL needs its "
                              "scheme, such as https://. ")
                   .arg(text);
    }
    return failure(
        QStringLiteral("%1 is not a buildpack reference Slipway understands. ").arg(quoted(text)) +
        hint + AcceptedForms);
}

Result<BuildpackRef> BuildpackRef::parseUrl(const QString &text, const QString &scheme)
{
    const QString name = scheme.toLower();
    const bool web = name == QLatin1String("http") || name == QLatin1String("https");
    const bool file = name == QLatin1String("file");
    if (!web && !file && name != QLatin1String("ssh") && name != QLatin1String("git")) {
        return refusal(text, QStringLiteral("uses the unsupported scheme \"%1://\". ").arg(scheme) +
                                 AcceptedForms);
    }
    const qsizetype hash = text.indexOf(u'#');
    const QString location = hash < 0 ? text : text.left(hash);
    const QString ref = hash < 0 ? QString() : text.mid(hash + 1);

    const QUrl url(location, QUrl::StrictMode);
    if (!url.isValid()) {
        // "user@host:path" is git's scp-like form; inside ssh:// the ':' means a port.
        static const QRegularExpression scpInsideSsh(QStringLiteral("^ssh://[^/]*:\\D"),
                                                     QRegularExpression::CaseInsensitiveOption);
        if (scpInsideSsh.match(location).hasMatch()) {
            return refusal(text, QStringLiteral("mixes two forms: write ssh://user@host/path "
                                                "or user@host:path, without ssh://."));
        }
        // QUrl appends the whole source to its message; the reason alone is enough here.
        const QString reason = url.errorString().section(QStringLiteral("; source was"), 0, 0);
        return refusal(text, QStringLiteral("is not a valid URL: %1. Check for spaces or "
                                            "characters that need percent-encoding.")
                                 .arg(reason));
    }
    if (file) {
        if (!url.host().isEmpty() && url.host() != QLatin1String("localhost")) {
            return refusal(text, QStringLiteral("names the host \"%1\"; file:// URLs can only "
                                                "point to this computer, as in "
                                                "file:///path/to/repo.")
                                     .arg(url.host()));
        }
        if (url.path().isEmpty() || url.path() == QLatin1String("/"))
            return refusal(text, QStringLiteral("has no path; write file:///path/to/repo."));
    } else {
        if (url.host().isEmpty()) {
            return refusal(
                text, QStringLiteral("has no host name; write it as %1://host/path.").arg(name));
        }
        // A host such as "-oProxyCommand=…" would reach ssh as an option.
        if (url.host().startsWith(u'-'))
            return refusal(text, QStringLiteral("has a host name starting with '-'."));
    }

    if ((web || file) && isArchivePath(url.path())) {
        if (hash >= 0) {
            return refusal(text, QStringLiteral("points to an archive, which cannot take a "
                                                "#branch-or-tag; remove \"#%1\".")
                                     .arg(ref));
        }
        return BuildpackRef(Kind::Tarball, file ? url.toLocalFile() : location, {}, text);
    }
    if (hash >= 0) {
        if (Result<void> valid = validateGitRef(text, ref); !valid)
            return std::unexpected(std::move(valid.error()));
    }
    return BuildpackRef(Kind::Git, location, ref, text);
}

Result<BuildpackRef> BuildpackRef::parseScpAddress(const QString &text)
{
    const qsizetype hash = text.indexOf(u'#');
    const QString location = hash < 0 ? text : text.left(hash);
    const QString ref = hash < 0 ? QString() : text.mid(hash + 1);
    if (location.endsWith(u':')) {
        return refusal(text, QStringLiteral("has no repository path after ':'; write it as "
                                            "git@host:owner/repo.git."));
    }
    static const QRegularExpression space(QStringLiteral("\\s"));
    if (location.contains(space))
        return refusal(text, QStringLiteral("contains spaces, which a git address cannot."));
    if (hash >= 0) {
        if (Result<void> valid = validateGitRef(text, ref); !valid)
            return std::unexpected(std::move(valid.error()));
    }
    return BuildpackRef(Kind::Git, location, ref, text);
}

Result<BuildpackRef> BuildpackRef::parseLocalPath(const QString &text, const QString &baseDirectory)
{
    QString path = text;
    QString ref;
    // Only a path to a repository takes a ref; elsewhere '#' is part of a folder name.
    if (const qsizetype hash = text.lastIndexOf(QLatin1String(".git#")); hash >= 0) {
        path = text.left(hash + 4);
        ref = text.mid(hash + 5);
        if (Result<void> valid = validateGitRef(text, ref); !valid)
            return std::unexpected(std::move(valid.error()));
    }
    if (path == u'~' || path.startsWith(QLatin1String("~/"))) {
        path = QDir::homePath() + path.mid(1);
    } else if (!path.startsWith(u'/')) {
        path = QDir(baseDirectory.isEmpty() ? QDir::currentPath() : baseDirectory)
                   .absoluteFilePath(path);
    }
    path = QDir::cleanPath(path);

    if (!ref.isEmpty())
        return BuildpackRef(Kind::Git, path, ref, text);
    if (isArchivePath(path))
        return BuildpackRef(Kind::Tarball, path, {}, text);
    if (isGitPath(path))
        return BuildpackRef(Kind::Git, path, {}, text);
    return BuildpackRef(Kind::Folder, path, {}, text);
}

QString BuildpackRef::displayName() const
{
    if (m_kind == Kind::BuiltIn)
        return m_location;
    QString name = lastElement(pathOf(m_location));
    for (const QLatin1String suffix :
         {QLatin1String(".git"), QLatin1String(".tgz"), QLatin1String(".tar.gz")}) {
        if (name.size() > suffix.size() && name.endsWith(suffix, Qt::CaseInsensitive)) {
            name.chop(suffix.size());
            break;
        }
    }
    if (name.isEmpty()) {
        const QUrl url(m_location);
        name = url.host().isEmpty() ? m_location : url.host();
    }
    return name;
}

QString BuildpackRef::cacheKey() const
{
    QString readable;
    for (const QChar c : displayName()) {
        const bool safe = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') ||
                          (c >= u'0' && c <= u'9') || c == u'.' || c == u'_' || c == u'-';
        readable += safe ? c : u'-';
    }
    // Not hidden, not "." or "..", not mistaken for an option, and of bounded length.
    while (readable.startsWith(u'.') || readable.startsWith(u'-'))
        readable.remove(0, 1);
    readable.truncate(40);
    if (readable.isEmpty())
        readable = QStringLiteral("buildpack");

    const QByteArray identity = (kindName(m_kind) + u'\n' + m_location + u'#' + m_ref).toUtf8();
    const QByteArray digest = QCryptographicHash::hash(identity, QCryptographicHash::Sha1).toHex();
    return readable + u'-' + QString::fromLatin1(digest);
}

} // namespace Slipway
