#include "buildpack/BuildpackScripts.h"

#include "util/FileTree.h"

#include <QDir>
#include <QFileInfo>

namespace Slipway {

const QStringList &BuildpackScripts::names()
{
    static const QStringList scripts = {QStringLiteral("detect"), QStringLiteral("compile"),
                                        QStringLiteral("release"), QStringLiteral("test-compile"),
                                        QStringLiteral("test")};
    return scripts;
}

Result<BuildpackScripts::Copy> BuildpackScripts::copy(const Buildpack &buildpack,
                                                      const QString &target)
{
    if (!QDir().mkpath(target))
        return failure(QStringLiteral("cannot create the folder '%1' for buildpack %2")
                           .arg(target, buildpack.name()));
    if (Result<void> copied = FileTree::copyContents(buildpack.directory, target); !copied)
        return failure(QStringLiteral("cannot copy buildpack %1: %2")
                           .arg(buildpack.name(), copied.error().message));
    Copy result{Buildpack{buildpack.ref, target}, {}};
    for (const QString &name : names()) {
        const QString path = result.buildpack.script(name);
        const QFileInfo info(path);
        // Links were copied as links; only a regular file of the copy is ours to change.
        if (!info.exists() || info.isSymLink() || !info.isFile() || info.isExecutable())
            continue;
        QFile::Permissions permissions = info.permissions() | QFile::ReadOwner | QFile::ExeOwner;
        if (permissions & QFile::ReadGroup)
            permissions |= QFile::ExeGroup;
        if (permissions & QFile::ReadOther)
            permissions |= QFile::ExeOther;
        if (!QFile::setPermissions(path, permissions))
            return failure(QStringLiteral("buildpack %1: bin/%2 is not executable and its copy "
                                          "in '%3' could not be made so")
                               .arg(buildpack.name(), name, target));
        result.madeExecutable.append(QStringLiteral("bin/") + name);
    }
    return result;
}

QString BuildpackScripts::madeExecutableNotice(const Copy &copy)
{
    if (copy.madeExecutable.isEmpty())
        return {};
    const QString scripts = copy.madeExecutable.join(QStringLiteral(", "));
    return QStringLiteral(" !     Buildpack %1: %2 %3 committed without the executable bit; it "
                          "runs anyway, as on Heroku. To fix the buildpack: "
                          "git update-index --chmod=+x %4")
        .arg(copy.buildpack.name(), scripts,
             copy.madeExecutable.size() == 1 ? QStringLiteral("was") : QStringLiteral("were"),
             copy.madeExecutable.join(QLatin1Char(' ')));
}

} // namespace Slipway
