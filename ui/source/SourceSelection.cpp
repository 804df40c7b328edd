#include "source/SourceSelection.h"

#include <QDir>
#include <QFileInfo>
#include <QStringList>

namespace Slipway {

namespace {

bool isArchiveName(const QString &name)
{
    static const QStringList endings = {QStringLiteral(".tar"),  QStringLiteral(".tar.gz"),
                                        QStringLiteral(".tgz"),  QStringLiteral(".tar.bz2"),
                                        QStringLiteral(".tbz2"), QStringLiteral(".tar.xz"),
                                        QStringLiteral(".txz"),  QStringLiteral(".zip")};
    const QString lower = name.toLower();
    for (const QString &ending : endings) {
        if (lower.endsWith(ending))
            return true;
    }
    return false;
}

bool isArtifactName(const QString &name)
{
    const QString lower = name.toLower();
    return lower.endsWith(QLatin1String(".jar")) || lower.endsWith(QLatin1String(".war"));
}

QString withoutQuery(const QString &url)
{
    return url.section(QLatin1Char('?'), 0, 0).section(QLatin1Char('#'), 0, 0);
}

} // namespace

SourceSelection SourceSelection::fromText(const QString &input, const QString &ref)
{
    SourceSelection selection;
    QString text = input.trimmed();
    if (text.isEmpty())
        return selection;
    selection.ref = ref.trimmed();
    const bool url = text.contains(QLatin1String("://")) ||
                     (text.startsWith(QLatin1String("git@")) && text.contains(QLatin1Char(':')));
    if (url && !text.startsWith(QLatin1String("file://"))) {
        const QString path = withoutQuery(text);
        selection.location = text;
        if (isArtifactName(path))
            selection.kind = Kind::Artifact;
        else if (isArchiveName(path))
            selection.kind = Kind::Archive;
        else
            selection.kind = Kind::Git;
        if (selection.kind == Kind::Git && selection.ref.isEmpty() &&
            text.contains(QLatin1Char('#'))) {
            selection.location = text.section(QLatin1Char('#'), 0, 0);
            selection.ref = text.section(QLatin1Char('#'), 1);
        }
        return selection;
    }
    if (text.startsWith(QLatin1String("file://")))
        text = text.mid(7);
    if (text.startsWith(QLatin1String("~/")))
        text = QDir::homePath() + text.mid(1);
    const QFileInfo info(text);
    selection.location = QDir::cleanPath(info.absoluteFilePath());
    if (info.isDir()) {
        // A bare repository is a git source; a work tree is deployed as it is.
        selection.kind = QFileInfo::exists(text + QStringLiteral("/HEAD")) &&
                                 QFileInfo::exists(text + QStringLiteral("/objects"))
                             ? Kind::Git
                             : Kind::Folder;
    } else if (isArtifactName(text)) {
        selection.kind = Kind::Artifact;
    } else if (isArchiveName(text)) {
        selection.kind = Kind::Archive;
    } else {
        // Not there (yet), or not a kind we know: the chooser says so.
        selection.kind = Kind::None;
    }
    return selection;
}

bool SourceSelection::isUpload() const
{
    return (kind == Kind::Archive || kind == Kind::Artifact) && !isRemote();
}

bool SourceSelection::isRemote() const
{
    return location.contains(QLatin1String("://")) || location.startsWith(QLatin1String("git@"));
}

QString SourceSelection::kindName() const
{
    switch (kind) {
    case Kind::None:
        return QStringLiteral("none");
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

QString SourceSelection::describe() const
{
    QString where = location;
    const QString home = QDir::homePath();
    if (!isRemote() && where.startsWith(home + QLatin1Char('/')))
        where = QStringLiteral("~") + where.mid(home.size());
    if (kind == Kind::Archive || kind == Kind::Artifact)
        where = isRemote() ? where : QFileInfo(location).fileName();
    if (!ref.isEmpty())
        where += QLatin1Char('#') + ref;
    return where;
}

QString SourceSelection::serialize() const
{
    return kindName() + QLatin1Char('\t') + location + QLatin1Char('\t') + ref;
}

SourceSelection SourceSelection::deserialize(const QString &line)
{
    const QStringList parts = line.split(QLatin1Char('\t'));
    if (parts.size() < 2)
        return {};
    SourceSelection selection = fromText(parts.at(1), parts.value(2));
    // A source that moved or vanished stays in the list; the chooser says it is missing.
    if (selection.kind == Kind::None && !parts.at(1).isEmpty()) {
        static const QStringList names = {QStringLiteral("none"), QStringLiteral("folder"),
                                          QStringLiteral("git"), QStringLiteral("archive"),
                                          QStringLiteral("artifact")};
        selection.kind = Kind(qMax(0, int(names.indexOf(parts.at(0)))));
        selection.location = parts.at(1);
        selection.ref = parts.value(2);
    }
    return selection;
}

} // namespace Slipway
