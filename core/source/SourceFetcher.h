#pragma once

#include "git/GitCommand.h"
#include "git/GitLogins.h"
#include "source/FetchedSource.h"
#include "source/SourceSpec.h"
#include "util/Result.h"

#include <QObject>
#include <QPointer>
#include <QThreadPool>

#include <atomic>
#include <chrono>
#include <functional>

class QNetworkAccessManager;
class QNetworkReply;
class QFile;

namespace Slipway {

class ProcessRunner;

// Lays a source out in a work folder: copies a folder, clones a git ref, downloads and
// unpacks an archive, or places a .jar/.war. Asynchronous and cancellable; refuses
// sources over the size limit and anything unsafe, writing nothing outside the work folder.
class SourceFetcher : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        qint64 sizeLimit = 300LL * 1024 * 1024;
        std::chrono::milliseconds gitTimeout{std::chrono::minutes(10)};
        std::chrono::milliseconds downloadStallTimeout{std::chrono::seconds(60)};
        GitLogins gitLogins; // for private repositories over http(s)
    };

    // `workDirectory` is owned by the caller and should be empty; the source is placed in
    // `workDirectory/source`.
    SourceFetcher(SourceSpec spec, QString workDirectory, Options options,
                  QObject *parent = nullptr);
    ~SourceFetcher() override;

    void start();
    void cancel();

Q_SIGNALS:
    void logLine(const QString &line);
    // Bytes received so far by an http(s) download or a git clone; `total` is -1 when not
    // known (always for git).
    void downloadProgress(qint64 received, qint64 total);
    void finished(const Slipway::Result<Slipway::FetchedSource> &result);

private:
    void fetchFolder();
    void fetchGit();
    void cloneFullAndCheckout();
    void readGitVersion(const QString &repository, std::function<void(QString)> then);
    void download(std::function<void(QString)> then);
    void unpackArchive(const QString &archivePath);
    void placeArtifact(const QString &artifactPath);
    void finishWith(QString directory, QString version);
    void fail(const QString &message);
    QString sourceDirectory() const;
    QString tooLargeMessage(qint64 size) const;
    void runGit(const QStringList &arguments, const QString &workingDirectory,
                std::function<void(const GitCommand::Outcome &)> then);
    QString accessHint() const;

    SourceSpec m_spec;
    QString m_workDirectory;
    Options m_options;
    std::atomic<bool> m_cancelled{false};
    bool m_done = false;
    QPointer<ProcessRunner> m_git;
    QNetworkAccessManager *m_network = nullptr;
    QPointer<QNetworkReply> m_reply;
    QThreadPool m_pool;
};

} // namespace Slipway
