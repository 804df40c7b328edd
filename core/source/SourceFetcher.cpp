#include "source/SourceFetcher.h"

#include "archive/ArchiveExtractor.h"
#include "archive/DirectoryCleaner.h"
#include "git/GitCommand.h"
#include "util/FileTree.h"
#include "util/ProcessRunner.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QUrl>
#include <QtConcurrent/QtConcurrentRun>

namespace Slipway {

namespace {

// Like runInBackground, but on the fetcher's own pool, so that destroying one fetcher
// waits for its own work only and never for unrelated work on the global pool.
template<typename Work, typename Then>
void runOnPool(QThreadPool *pool, QObject *context, Work work, Then then)
{
    using Value = std::invoke_result_t<Work>;
    auto *watcher = new QFutureWatcher<Value>(context);
    QObject::connect(watcher, &QFutureWatcher<Value>::finished, context,
                     [watcher, then = std::move(then)] {
                         then(watcher->result());
                         watcher->deleteLater();
                     });
    watcher->setFuture(QtConcurrent::run(pool, std::move(work)));
}

bool looksLikeCommit(const QString &ref)
{
    static const QRegularExpression hex(QStringLiteral("^[0-9a-fA-F]{7,40}$"));
    return hex.match(ref).hasMatch();
}

} // namespace

SourceFetcher::SourceFetcher(SourceSpec spec, QString workDirectory, Options options,
                             QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_workDirectory(std::move(workDirectory))
    , m_options(options)
{}

SourceFetcher::~SourceFetcher()
{
    // Background work holds a pointer to m_cancelled and writes into the work folder.
    m_cancelled = true;
    m_pool.waitForDone(-1);
}

QString SourceFetcher::sourceDirectory() const
{
    return m_workDirectory + QStringLiteral("/source");
}

QString SourceFetcher::tooLargeMessage(qint64 size) const
{
    // Counting stops once past the limit, so the size is a lower bound.
    return QStringLiteral("the source is at least %1 uncompressed, over the %2 limit; remove "
                          "large files from it or raise the limit")
        .arg(FileTree::humanSize(size), FileTree::humanSize(m_options.sizeLimit));
}

void SourceFetcher::start()
{
    // An empty or relative work folder would put the source (and, on failure, its removal)
    // somewhere nobody chose: "/source" or a folder of the current directory.
    if (m_workDirectory.isEmpty() || QDir::isRelativePath(m_workDirectory)) {
        fail(QStringLiteral("the build folder '%1' is not an absolute path; nothing was fetched")
                 .arg(m_workDirectory));
        return;
    }
    if (!QDir().mkpath(sourceDirectory())) {
        fail(QStringLiteral("cannot create the build folder '%1'").arg(sourceDirectory()));
        return;
    }
    switch (m_spec.kind()) {
    case SourceSpec::Kind::Folder:
        fetchFolder();
        break;
    case SourceSpec::Kind::Git:
        fetchGit();
        break;
    case SourceSpec::Kind::Archive:
        if (m_spec.isRemote())
            download([this](const QString &file) { unpackArchive(file); });
        else
            unpackArchive(m_spec.location());
        break;
    case SourceSpec::Kind::Artifact:
        if (m_spec.isRemote())
            download([this](const QString &file) { placeArtifact(file); });
        else
            placeArtifact(m_spec.location());
        break;
    }
}

void SourceFetcher::cancel()
{
    m_cancelled = true;
    if (m_git)
        m_git->cancel();
    if (m_reply)
        m_reply->abort();
}

void SourceFetcher::fail(const QString &message)
{
    if (m_done)
        return;
    m_done = true;
    // Sources may hold read-only folders, which QDir::removeRecursively() leaves behind.
    DirectoryCleaner::removePath(sourceDirectory());
    Q_EMIT finished(failure(m_cancelled ? QStringLiteral("cancelled") : message));
}

void SourceFetcher::finishWith(QString directory, QString version)
{
    if (m_done)
        return;
    if (m_cancelled) {
        fail(QStringLiteral("cancelled"));
        return;
    }
    if (FileTree::isEmpty(directory)) {
        fail(QStringLiteral("the source '%1' is empty: there is nothing to build")
                 .arg(m_spec.displayLocation()));
        return;
    }
    const qint64 size = FileTree::size(directory);
    m_done = true;
    Q_EMIT finished(FetchedSource{std::move(directory), std::move(version), size});
}

void SourceFetcher::fetchFolder()
{
    const QString from = m_spec.location();
    const QString to = sourceDirectory();
    const qint64 limit = m_options.sizeLimit;
    Q_EMIT logLine(QStringLiteral("-----> Copying folder %1").arg(from));
    runOnPool(
        &m_pool, this,
        [from, to, limit, cancelled = &m_cancelled]() -> Result<qint64> {
            const QSet<QString> excluded{QStringLiteral(".git")};
            const qint64 size = FileTree::size(from, excluded, limit);
            if (size > limit)
                return size; // reported by the caller with the limit
            if (Result<void> copied = FileTree::copyContents(from, to, excluded, cancelled);
                !copied)
                return std::unexpected(copied.error());
            return size;
        },
        [this, from](const Result<qint64> &copied) {
            if (!copied) {
                fail(QStringLiteral("cannot copy the folder '%1': %2")
                         .arg(from, copied.error().message));
                return;
            }
            if (*copied > m_options.sizeLimit) {
                fail(tooLargeMessage(*copied));
                return;
            }
            Q_EMIT logLine(QStringLiteral("       %1 copied").arg(FileTree::humanSize(*copied)));
            // A working tree of a git repository still has a commit worth recording.
            if (QFileInfo::exists(from + QStringLiteral("/.git"))) {
                readGitVersion(from, [this](const QString &version) {
                    finishWith(sourceDirectory(), version);
                });
            } else {
                finishWith(sourceDirectory(), QString());
            }
        });
}

void SourceFetcher::runGit(const QStringList &arguments, const QString &workingDirectory,
                           std::function<void(const GitCommand::Outcome &)> then)
{
    GitCommand command;
    command.arguments = arguments;
    // A clone reports what it received so far (git cannot know the total in bytes).
    if (arguments.value(0) == QLatin1String("clone"))
        command.progress = [this](qint64 bytes) { Q_EMIT downloadProgress(bytes, -1); };
    command.workingDirectory = workingDirectory;
    command.timeout = m_options.gitTimeout;
    // The login of the remote the user named, bound to its host: git's prompts for any
    // other host (a submodule kept elsewhere, a redirect) get nothing.
    command.login = m_options.gitLogins.forUrl(m_spec.location());
    m_git = command.start(this, [this, then = std::move(then)](const GitCommand::Outcome &outcome) {
        if (m_cancelled) {
            fail(QStringLiteral("cancelled"));
            return;
        }
        then(outcome);
    });
}

// What to do when a clone was refused, depending on whether a login was handed over.
QString SourceFetcher::accessHint() const
{
    const QString host = GitLogins::authority(m_spec.location());
    if (host.isEmpty())
        return QStringLiteral("check the URL and that you have access");
    if (const QString kept = m_options.gitLogins.keyForUrl(m_spec.location()); !kept.isEmpty())
        return QStringLiteral("check the URL, and that the login kept for %1 is still valid "
                              "(slipctl git-credentials-set %1 USERNAME replaces it)")
            .arg(kept);
    return QStringLiteral("check the URL; for a private repository, keep a login for its host "
                          "first (slipctl git-credentials-set %1 USERNAME)")
        .arg(host);
}

void SourceFetcher::fetchGit()
{
    QString url = m_spec.location();
    // A plain path clones by copying files and ignores --depth; file:// clones shallow.
    if (!m_spec.isRemote() && !url.contains(QLatin1String("://")))
        url = QUrl::fromLocalFile(url).toString();
    const QString ref = m_spec.ref();
    Q_EMIT logLine(
        QStringLiteral("-----> Cloning %1%2")
            .arg(m_spec.displayLocation(), ref.isEmpty() ? QString() : QLatin1Char('#') + ref));
    QStringList arguments = {QStringLiteral("clone"),
                             QStringLiteral("--progress"),
                             QStringLiteral("--depth"),
                             QStringLiteral("1"),
                             QStringLiteral("--no-tags"),
                             QStringLiteral("--recurse-submodules"),
                             QStringLiteral("--shallow-submodules")};
    if (!ref.isEmpty())
        arguments << QStringLiteral("--branch") << ref;
    arguments << QStringLiteral("--") << url << sourceDirectory();
    runGit(arguments, m_workDirectory, [this, ref](const GitCommand::Outcome &outcome) {
        if (outcome.succeeded()) {
            readGitVersion(sourceDirectory(), [this](const QString &version) {
                QDir(sourceDirectory() + QStringLiteral("/.git")).removeRecursively();
                QFile::remove(sourceDirectory() + QStringLiteral("/.git"));
                const qint64 size = FileTree::size(sourceDirectory(), {}, m_options.sizeLimit);
                if (size > m_options.sizeLimit) {
                    fail(tooLargeMessage(size));
                    return;
                }
                finishWith(sourceDirectory(), version);
            });
            return;
        }
        const QString reason = outcome.reason();
        const bool refMissing = reason.contains(QLatin1String("not found in upstream")) ||
                                reason.contains(QLatin1String("Remote branch"));
        // --branch takes branches and tags only, so a commit needs the history; and a
        // server speaking git's older "dumb" HTTP protocol cannot make a shallow clone.
        const bool noShallow = reason.contains(QLatin1String("does not support shallow"));
        if ((refMissing && looksLikeCommit(ref)) || noShallow) {
            DirectoryCleaner::removePath(sourceDirectory());
            cloneFullAndCheckout();
            return;
        }
        if (refMissing) {
            fail(QStringLiteral("the ref '%1' does not exist in %2; give an existing branch, tag "
                                "or commit")
                     .arg(ref, m_spec.displayLocation()));
            return;
        }
        fail(QStringLiteral("git could not clone %1: %2; %3")
                 .arg(m_spec.displayLocation(), reason, accessHint()));
    });
}

void SourceFetcher::cloneFullAndCheckout()
{
    QString url = m_spec.location();
    if (!m_spec.isRemote() && !url.contains(QLatin1String("://")))
        url = QUrl::fromLocalFile(url).toString();
    runGit({QStringLiteral("clone"), QStringLiteral("--progress"), QStringLiteral("--no-checkout"),
            QStringLiteral("--"), url, sourceDirectory()},
           m_workDirectory, [this](const GitCommand::Outcome &cloned) {
               if (!cloned.succeeded()) {
                   fail(QStringLiteral("git could not clone %1: %2")
                            .arg(m_spec.displayLocation(), cloned.reason()));
                   return;
               }
               const QString ref = m_spec.ref().isEmpty() ? QStringLiteral("HEAD") : m_spec.ref();
               runGit({QStringLiteral("checkout"), QStringLiteral("--quiet"),
                       QStringLiteral("--detach"), ref},
                      sourceDirectory(), [this](const GitCommand::Outcome &checkedOut) {
                          if (!checkedOut.succeeded()) {
                              fail(QStringLiteral("the ref '%1' does not exist in %2; give an "
                                                  "existing branch, tag or commit")
                                       .arg(m_spec.ref(), m_spec.displayLocation()));
                              return;
                          }
                          runGit({QStringLiteral("submodule"), QStringLiteral("update"),
                                  QStringLiteral("--init"), QStringLiteral("--recursive"),
                                  QStringLiteral("--depth"), QStringLiteral("1")},
                                 sourceDirectory(), [this](const GitCommand::Outcome &updated) {
                                     // An app missing a submodule would build wrong, or
                                     // fail later with a less helpful message.
                                     if (!updated.succeeded()) {
                                         fail(QStringLiteral("git could not fetch the submodules "
                                                             "of %1: %2")
                                                  .arg(m_spec.displayLocation(), updated.reason()));
                                         return;
                                     }
                                     readGitVersion(sourceDirectory(), [this](const QString &v) {
                                         QDir(sourceDirectory() + QStringLiteral("/.git"))
                                             .removeRecursively();
                                         const qint64 size = FileTree::size(sourceDirectory(), {},
                                                                            m_options.sizeLimit);
                                         if (size > m_options.sizeLimit) {
                                             fail(tooLargeMessage(size));
                                             return;
                                         }
                                         finishWith(sourceDirectory(), v);
                                     });
                                 });
                      });
           });
}

void SourceFetcher::readGitVersion(const QString &repository, std::function<void(QString)> then)
{
    auto *runner = new ProcessRunner(this);
    ProcessRunner::Spec spec;
    spec.program = QStringLiteral("git");
    spec.arguments = {QStringLiteral("rev-parse"), QStringLiteral("HEAD")};
    spec.workingDirectory = repository;
    spec.captureStandardOutput = true;
    spec.ownPidNamespace = false;
    spec.timeout = std::chrono::seconds(30);
    spec.environment = GitCommand::cleanEnvironment();
    // Only `repository` itself: when its .git is broken, git would otherwise go up and
    // report the commit of an enclosing repository.
    spec.environment.insert(QStringLiteral("GIT_CEILING_DIRECTORIES"),
                            QFileInfo(repository).absolutePath());
    connect(runner, &ProcessRunner::finished, this,
            [runner, then = std::move(then)](const ProcessOutcome &outcome) {
                runner->deleteLater();
                then(outcome.succeeded() ? QString::fromUtf8(outcome.standardOutput).trimmed()
                                         : QString());
            });
    runner->start(spec);
}

void SourceFetcher::download(std::function<void(QString)> then)
{
    const QUrl url(m_spec.location());
    const QString downloads = m_workDirectory + QStringLiteral("/download");
    QDir().mkpath(downloads);
    QString name = url.fileName();
    if (name.isEmpty())
        name = QStringLiteral("source");
    const QString target = downloads + QLatin1Char('/') + name;
    auto file = std::make_shared<QFile>(target);
    if (!file->open(QIODevice::WriteOnly)) {
        fail(QStringLiteral("cannot write the download to '%1': %2")
                 .arg(target, file->errorString()));
        return;
    }
    Q_EMIT logLine(QStringLiteral("-----> Downloading %1").arg(m_spec.displayLocation()));
    if (!m_network)
        m_network = new QNetworkAccessManager(this);
    QNetworkRequest request(url);
    request.setTransferTimeout(int(m_options.downloadStallTimeout.count()));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::NoLessSafeRedirectPolicy);
    QNetworkReply *reply = m_network->get(request);
    m_reply = reply;
    auto tooLarge = std::make_shared<bool>(false);
    connect(reply, &QNetworkReply::readyRead, this, [this, reply, file, tooLarge] {
        file->write(reply->readAll());
        if (file->size() > m_options.sizeLimit) {
            *tooLarge = true;
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::downloadProgress, this, &SourceFetcher::downloadProgress);
    connect(
        reply, &QNetworkReply::finished, this,
        [this, reply, file, target, tooLarge, then = std::move(then)] {
            reply->deleteLater();
            // An aborted reply is closed and has nothing left to read.
            if (reply->isOpen())
                file->write(reply->readAll());
            file->close();
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (*tooLarge) {
                fail(QStringLiteral("the download of %1 is over the %2 limit (%3 received); "
                                    "make the source smaller or raise the limit")
                         .arg(m_spec.displayLocation(), FileTree::humanSize(m_options.sizeLimit),
                              FileTree::humanSize(file->size())));
                return;
            }
            if (status >= 400) {
                const bool denied = status == 401 || status == 403;
                fail(QStringLiteral("could not download %1: the server answered HTTP %2; %3")
                         .arg(m_spec.displayLocation())
                         .arg(status)
                         .arg(denied ? QStringLiteral("check that the URL gives access "
                                                      "without a login")
                                     : QStringLiteral("check the URL")));
                return;
            }
            // Only the transfer timeout aborts a reply besides cancel() and the limit.
            if (reply->error() == QNetworkReply::OperationCanceledError) {
                fail(QStringLiteral("the download of %1 stalled: nothing arrived for %2 s "
                                    "(%3 received); check the network and try again")
                         .arg(m_spec.displayLocation())
                         .arg(m_options.downloadStallTimeout.count() / 1000.0)
                         .arg(FileTree::humanSize(file->size())));
                return;
            }
            // Refused connections, unknown hosts, and transfers cut short after a 200.
            if (reply->error() != QNetworkReply::NoError) {
                fail(QStringLiteral("could not download %1: %2; check the URL and the network")
                         .arg(m_spec.displayLocation(), reply->errorString()));
                return;
            }
            Q_EMIT logLine(QStringLiteral("       %1 downloaded")
                               .arg(FileTree::humanSize(QFileInfo(target).size())));
            then(target);
        });
}

void SourceFetcher::unpackArchive(const QString &archivePath)
{
    const QString to = sourceDirectory();
    const qint64 limit = m_options.sizeLimit;
    Q_EMIT logLine(QStringLiteral("-----> Unpacking %1").arg(QFileInfo(archivePath).fileName()));
    runOnPool(
        &m_pool, this,
        [archivePath, to, limit, cancelled = &m_cancelled] {
            return ArchiveExtractor::extract(archivePath, to, limit, cancelled);
        },
        [this](const Result<ExtractedArchive> &extracted) {
            if (!extracted) {
                fail(extracted.error().message);
                return;
            }
            Q_EMIT logLine(QStringLiteral("       %1 entries, %2")
                               .arg(extracted->entryCount)
                               .arg(FileTree::humanSize(extracted->totalBytes)));
            finishWith(extracted->sourceRoot, QString());
        });
}

void SourceFetcher::placeArtifact(const QString &artifactPath)
{
    const QFileInfo info(artifactPath);
    if (info.size() > m_options.sizeLimit) {
        fail(tooLargeMessage(info.size()));
        return;
    }
    QString name = m_spec.fileName();
    if (name.isEmpty())
        name = info.fileName();
    const QString target = sourceDirectory() + QLatin1Char('/') + name;
    if (!QFile::copy(artifactPath, target)) {
        fail(QStringLiteral("cannot copy the artifact '%1' into the build folder")
                 .arg(artifactPath));
        return;
    }
    Q_EMIT logLine(QStringLiteral("-----> Deploying the artifact %1 as is (%2)")
                       .arg(name, FileTree::humanSize(info.size())));
    finishWith(sourceDirectory(), QString());
}

} // namespace Slipway
