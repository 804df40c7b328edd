#include "buildpack/BuildpackFetcher.h"

#include "archive/ArchiveExtractor.h"
#include "git/GitCommand.h"
#include "util/Background.h"
#include "util/FileTree.h"
#include "util/ProcessRunner.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QUrl>
#include <QUuid>

namespace Slipway {

namespace {

bool looksLikeCommit(const QString &ref)
{
    static const QRegularExpression hex(QStringLiteral("^[0-9a-fA-F]{7,40}$"));
    return hex.match(ref).hasMatch();
}

} // namespace

BuildpackFetcher::BuildpackFetcher(QString builtinDirectory, QString cacheDirectory,
                                   QObject *parent)
    : QObject(parent)
    , m_builtinDirectory(std::move(builtinDirectory))
    , m_cacheDirectory(std::move(cacheDirectory))
{}

QStringList BuildpackFetcher::builtinNames(const QString &builtinDirectory)
{
    QStringList names;
    const QStringList entries =
        QDir(builtinDirectory).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    for (const QString &entry : entries) {
        if (QFileInfo::exists(builtinDirectory + QLatin1Char('/') + entry +
                              QStringLiteral("/bin/compile")))
            names.append(entry);
    }
    return names;
}

Result<void> BuildpackFetcher::validate(const Buildpack &buildpack)
{
    const QFileInfo compile(buildpack.script(QStringLiteral("compile")));
    if (!compile.exists())
        return failure(QStringLiteral("buildpack '%1' has no bin/compile in %2; a buildpack needs "
                                      "bin/detect and bin/compile")
                           .arg(buildpack.ref.text(), buildpack.directory));
    if (!compile.isFile())
        return failure(QStringLiteral("buildpack '%1': bin/compile in %2 is not a file")
                           .arg(buildpack.ref.text(), buildpack.directory));
    // Without the executable bit it still runs, from the build's own copy.
    return {};
}

void BuildpackFetcher::fetch(const QList<BuildpackRef> &refs)
{
    m_pending = refs;
    m_fetched.clear();
    QMetaObject::invokeMethod(this, &BuildpackFetcher::fetchNext, Qt::QueuedConnection);
}

void BuildpackFetcher::cancel()
{
    m_cancelled = true;
    if (m_git)
        m_git->cancel();
    if (m_reply)
        m_reply->abort();
}

void BuildpackFetcher::fail(const QString &message)
{
    if (m_done)
        return;
    m_done = true;
    Q_EMIT finished(failure(m_cancelled ? QStringLiteral("cancelled") : message));
}

void BuildpackFetcher::accept(const BuildpackRef &ref, const QString &directory)
{
    const Buildpack buildpack{ref, directory};
    if (Result<void> valid = validate(buildpack); !valid) {
        fail(valid.error().message);
        return;
    }
    m_fetched.append(buildpack);
    fetchNext();
}

void BuildpackFetcher::fetchNext()
{
    if (m_cancelled) {
        fail(QStringLiteral("cancelled"));
        return;
    }
    if (m_pending.isEmpty()) {
        m_done = true;
        Q_EMIT finished(m_fetched);
        return;
    }
    const BuildpackRef ref = m_pending.takeFirst();
    switch (ref.kind()) {
    case BuildpackRef::Kind::BuiltIn: {
        const QString directory = m_builtinDirectory + QLatin1Char('/') + ref.location();
        if (!QFileInfo(directory).isDir()) {
            fail(QStringLiteral("there is no built-in buildpack named '%1'; the built-in ones are: "
                                "%2")
                     .arg(ref.location(),
                          builtinNames(m_builtinDirectory).join(QStringLiteral(", "))));
            return;
        }
        accept(ref, directory);
        return;
    }
    case BuildpackRef::Kind::Folder:
        if (!QFileInfo(ref.location()).isDir()) {
            fail(QStringLiteral("the buildpack folder '%1' does not exist").arg(ref.location()));
            return;
        }
        accept(ref, ref.location());
        return;
    case BuildpackRef::Kind::Git:
        fetchGit(ref);
        return;
    case BuildpackRef::Kind::Tarball:
        fetchTarball(ref);
        return;
    }
}

void BuildpackFetcher::runGit(const QStringList &arguments, const QString &workingDirectory,
                              const BuildpackRef &ref, std::function<void(bool, QString)> then)
{
    GitCommand command;
    command.arguments = arguments;
    command.workingDirectory = workingDirectory;
    command.timeout = std::chrono::minutes(5);
    command.ownPidNamespace = false;
    command.login = m_gitLogins.forUrl(ref.location());
    if (arguments.value(0) == QLatin1String("clone")) {
        const QString reference = ref.text();
        command.progress = [this, reference](qint64 bytes) {
            Q_EMIT progress(reference, bytes, -1);
        };
    }
    m_git = command.start(this, [this, then = std::move(then)](const GitCommand::Outcome &outcome) {
        if (m_cancelled) {
            fail(QStringLiteral("cancelled"));
            return;
        }
        then(outcome.succeeded(), outcome.reason());
    });
}

void BuildpackFetcher::fetchGit(const BuildpackRef &ref)
{
    const QString cached = m_cacheDirectory + QLatin1Char('/') + ref.cacheKey();
    // A folder of its own for each clone: several fetches of one buildpack may run at once
    // (builds of two apps, a detection in the console).
    const QString fresh =
        cached + QStringLiteral(".new-") + QUuid::createUuid().toString(QUuid::Id128).left(12);
    QDir().mkpath(m_cacheDirectory);
    Q_EMIT logLine(QStringLiteral("-----> Cloning custom buildpack: '%1'").arg(ref.text()));

    // A fresh shallow clone each time keeps branches and moved tags current; the previous
    // clone stays as the fallback when the remote cannot be reached.
    auto useFresh = [this, ref, cached, fresh] {
        QDir(cached).removeRecursively();
        QDir().rename(fresh, cached);
        accept(ref, cached);
    };
    auto fallBack = [this, ref, cached, fresh](const QString &reason) {
        QDir(fresh).removeRecursively();
        if (QFileInfo(cached + QStringLiteral("/bin")).isDir()) {
            Q_EMIT logLine(QStringLiteral(" !     Could not update the buildpack (%1); using the "
                                          "copy cached earlier")
                               .arg(reason));
            accept(ref, cached);
            return;
        }
        fail(QStringLiteral("cannot fetch the buildpack '%1': %2").arg(ref.text(), reason));
    };

    QStringList clone = {QStringLiteral("clone"),
                         QStringLiteral("--progress"),
                         QStringLiteral("--depth"),
                         QStringLiteral("1"),
                         QStringLiteral("--recurse-submodules"),
                         QStringLiteral("--shallow-submodules")};
    const bool byCommit = looksLikeCommit(ref.ref());
    if (!ref.ref().isEmpty() && !byCommit)
        clone << QStringLiteral("--branch") << ref.ref();
    if (byCommit)
        clone = {QStringLiteral("clone"), QStringLiteral("--progress"),
                 QStringLiteral("--no-checkout")};
    clone << QStringLiteral("--") << ref.location() << fresh;
    runGit(clone, m_cacheDirectory, ref,
           [this, ref, byCommit, fresh, useFresh, fallBack](bool ok, const QString &reason) {
               if (!ok) {
                   fallBack(reason);
                   return;
               }
               if (!byCommit) {
                   useFresh();
                   return;
               }
               runGit({QStringLiteral("checkout"), QStringLiteral("--quiet"),
                       QStringLiteral("--detach"), ref.ref()},
                      fresh, ref, [useFresh, fallBack, ref](bool ok, const QString &) {
                          if (ok)
                              useFresh();
                          else
                              fallBack(
                                  QStringLiteral("the commit '%1' does not exist").arg(ref.ref()));
                      });
           });
}

void BuildpackFetcher::fetchTarball(const BuildpackRef &ref)
{
    const QString cached = m_cacheDirectory + QLatin1Char('/') + ref.cacheKey();
    QDir().mkpath(m_cacheDirectory);
    // Names of their own: several fetches of one buildpack may run at once.
    const QString unique = QUuid::createUuid().toString(QUuid::Id128).left(12);
    const QString archive = cached + QStringLiteral(".download-") + unique + QStringLiteral(".tgz");

    auto unpack = [this, ref, cached, unique](const QString &archivePath) {
        const QString fresh = cached + QStringLiteral(".new-") + unique;
        QDir().mkpath(fresh);
        runInBackground(
            this,
            [archivePath, fresh] {
                return ArchiveExtractor::extract(archivePath, fresh,
                                                 ArchiveExtractor::DefaultSizeLimit);
            },
            [this, ref, cached, fresh, archivePath](const Result<ExtractedArchive> &extracted) {
                // A downloaded archive was only needed for this.
                if (archivePath != ref.location())
                    QFile::remove(archivePath);
                if (!extracted) {
                    QDir(fresh).removeRecursively();
                    fail(QStringLiteral("cannot unpack the buildpack '%1': %2")
                             .arg(ref.text(), extracted.error().message));
                    return;
                }
                QDir(cached).removeRecursively();
                if (extracted->sourceRoot != fresh) {
                    // A single top folder is the buildpack.
                    if (Result<void> moved = FileTree::moveContents(extracted->sourceRoot, cached);
                        !moved) {
                        fail(moved.error().message);
                        return;
                    }
                    QDir(fresh).removeRecursively();
                } else {
                    QDir().rename(fresh, cached);
                }
                accept(ref, cached);
            });
    };

    if (!ref.location().contains(QLatin1String("://"))) {
        if (!QFileInfo::exists(ref.location())) {
            fail(QStringLiteral("the buildpack archive '%1' does not exist").arg(ref.location()));
            return;
        }
        unpack(ref.location());
        return;
    }

    Q_EMIT logLine(QStringLiteral("-----> Downloading custom buildpack: '%1'").arg(ref.text()));
    if (!m_network)
        m_network = new QNetworkAccessManager(this);
    QNetworkRequest request{QUrl(ref.location())};
    request.setTransferTimeout(60000);
    QNetworkReply *reply = m_network->get(request);
    m_reply = reply;
    const QString reference = ref.text();
    connect(reply, &QNetworkReply::downloadProgress, this,
            [this, reference](qint64 received, qint64 total) {
                Q_EMIT progress(reference, received, total);
            });
    connect(reply, &QNetworkReply::finished, this, [this, reply, ref, cached, archive, unpack] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (reply->error() != QNetworkReply::NoError || status >= 400) {
            const QString reason = status >= 400
                                       ? QStringLiteral("the server answered HTTP %1").arg(status)
                                       : reply->errorString();
            if (QFileInfo(cached + QStringLiteral("/bin")).isDir()) {
                Q_EMIT logLine(QStringLiteral(" !     Could not download the buildpack (%1); "
                                              "using the copy cached earlier")
                                   .arg(reason));
                accept(ref, cached);
                return;
            }
            fail(QStringLiteral("cannot fetch the buildpack '%1': %2").arg(ref.text(), reason));
            return;
        }
        QFile file(archive);
        if (!file.open(QIODevice::WriteOnly)) {
            fail(QStringLiteral("cannot write '%1': %2").arg(archive, file.errorString()));
            return;
        }
        file.write(reply->readAll());
        file.close();
        unpack(archive);
    });
}

} // namespace Slipway
