#pragma once

#include "buildpack/Buildpack.h"
#include "git/GitLogins.h"
#include "util/Result.h"

#include <QObject>
#include <QPointer>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace Slipway {

class ProcessRunner;

// Turns buildpack references into local folders: built-in names from Slipway's own
// resources, folders in place, git repositories as cached clones updated on every use,
// tarballs downloaded and unpacked into the same cache. When an update cannot reach the
// network, a cached copy is used and the log says so.
class BuildpackFetcher : public QObject
{
    Q_OBJECT

public:
    BuildpackFetcher(QString builtinDirectory, QString cacheDirectory, QObject *parent = nullptr);

    // Logins for buildpacks kept in private repositories over http(s).
    void setGitLogins(GitLogins logins) { m_gitLogins = std::move(logins); }
    // Fetches the references in order; `finished` gets them all or the first error.
    void fetch(const QList<BuildpackRef> &refs);
    void cancel();

    static QStringList builtinNames(const QString &builtinDirectory);
    static Result<void> validate(const Buildpack &buildpack);

Q_SIGNALS:
    void logLine(const QString &line);
    // Bytes received so far while a git clone or a tarball download of `reference` runs;
    // `total` is -1 when not known (always for git).
    void progress(const QString &reference, qint64 bytes, qint64 total);
    void finished(const Slipway::Result<QList<Slipway::Buildpack>> &result);

private:
    void fetchNext();
    void fetchGit(const BuildpackRef &ref);
    void fetchTarball(const BuildpackRef &ref);
    void accept(const BuildpackRef &ref, const QString &directory);
    void fail(const QString &message);
    void runGit(const QStringList &arguments, const QString &workingDirectory,
                const BuildpackRef &ref, std::function<void(bool, QString)> then);

    QString m_builtinDirectory;
    QString m_cacheDirectory;
    QList<BuildpackRef> m_pending;
    QList<Buildpack> m_fetched;
    GitLogins m_gitLogins;
    QPointer<ProcessRunner> m_git;
    QNetworkAccessManager *m_network = nullptr;
    QPointer<QNetworkReply> m_reply;
    bool m_cancelled = false;
    bool m_done = false;
};

} // namespace Slipway
