#include "runtime/docker/StackImage.h"

#include "runtime/docker/DockerClient.h"

#include "util/Paths.h"
#include "util/ProcessRunner.h"

#include <QFileInfo>

namespace Slipway {

const QStringList StackImage::ImportChanges = {
    QStringLiteral("USER slug"),
    QStringLiteral("WORKDIR /app"),
    QStringLiteral("ENV HOME=/app"),
    QStringLiteral("ENV LANG=C.UTF-8"),
    QStringLiteral("ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    QStringLiteral("LABEL org.slipway.stack=debian-12")};

StackImage::StackImage(DockerClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{}

StackImage::~StackImage()
{
    cancel();
}

QString StackImage::defaultScript()
{
    const QString fromEnvironment = qEnvironmentVariable("SLIPWAY_STACK_SCRIPT");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    const QString installed =
        Paths::resourcesDirectory() + QStringLiteral("/stack/build-stack-image.sh");
    if (QFileInfo::exists(installed))
        return installed;
    return QStringLiteral(SLIPWAY_SOURCE_PACKAGING "/stack/build-stack-image.sh");
}

void StackImage::ensure(Callbacks callbacks)
{
    if (m_running) {
        if (callbacks.done)
            callbacks.done(failure(QStringLiteral("the stack image is already being prepared")));
        return;
    }
    m_callbacks = std::move(callbacks);
    m_running = true;
    m_tag.clear();
    m_tarball.clear();
    m_lastLine.clear();
    if (!m_client) {
        finish(failure(QStringLiteral("no Docker engine to put the stack image in")));
        return;
    }
    if (!QFileInfo(m_script).isFile()) {
        finish(failure(QStringLiteral("the stack image script %1 is missing: reinstall Slipway or "
                                      "set SLIPWAY_STACK_SCRIPT")
                           .arg(m_script)));
        return;
    }
    runScript(Step::PrintTag);
}

void StackImage::runScript(Step step)
{
    m_step = step;
    ProcessRunner::Spec spec;
    spec.program = QStringLiteral("bash");
    spec.arguments = {m_script};
    if (!m_cacheFolder.isEmpty())
        spec.arguments << QStringLiteral("--cache") << m_cacheFolder;
    if (step == Step::PrintTag)
        spec.arguments << QStringLiteral("--print-tag");
    spec.timeout = step == Step::Build ? std::chrono::milliseconds(BuildTimeout)
                                       : std::chrono::milliseconds(std::chrono::seconds(30));
    // mmdebstrap mounts and chroots as root: the host as it is, in a session of its own so
    // that a cancel ends the whole tree.
    spec.ownPidNamespace = false;
    m_runner = new ProcessRunner(this);
    connect(m_runner, &ProcessRunner::outputLine, this,
            [this](const QString &line, ProcessRunner::Channel) { onLine(line); });
    connect(m_runner, &ProcessRunner::finished, this, &StackImage::onScriptFinished);
    m_runner->start(spec);
}

void StackImage::onLine(const QString &text)
{
    const QString line = text.trimmed();
    if (line.startsWith(QStringLiteral("tag="))) {
        m_tag = line.mid(4);
    } else if (line.startsWith(QStringLiteral("tarball="))) {
        m_tarball = line.mid(8);
    } else if (!line.isEmpty()) {
        m_lastLine = line;
        if (m_step == Step::Build && m_callbacks.line)
            m_callbacks.line(line);
    }
}

void StackImage::onScriptFinished(const ProcessOutcome &outcome)
{
    if (m_runner)
        m_runner->deleteLater();
    if (!m_running)
        return;
    if (!outcome.succeeded()) {
        finish(
            failure(QStringLiteral("the stack image could not be built: %1 %2 (its last line: %3)")
                        .arg(QFileInfo(m_script).fileName(), outcome.describe(), m_lastLine)));
        return;
    }
    if (m_tag.isEmpty() || (m_step == Step::Build && m_tarball.isEmpty())) {
        finish(
            failure(QStringLiteral("%1 did not name the stack image (no tag= and tarball= lines)")
                        .arg(m_script)));
        return;
    }
    if (m_step == Step::PrintTag)
        checkEngine();
    else
        import();
}

void StackImage::checkEngine()
{
    if (!m_client) {
        finish(failure(QStringLiteral("the Docker engine's client went away")));
        return;
    }
    DockerCall call =
        m_client->inspectImage(m_tag, this, [this](Result<std::optional<DockerImageInfo>> image) {
            m_cancelImport = {};
            if (!image) {
                finish(std::unexpected(image.error()));
                return;
            }
            if (*image) {
                if (m_callbacks.line)
                    m_callbacks.line(QStringLiteral("stack: the engine has %1").arg(m_tag));
                finish(m_tag);
                return;
            }
            if (m_callbacks.line)
                m_callbacks.line(
                    QStringLiteral("stack: the engine has no %1 yet: preparing it").arg(m_tag));
            runScript(Step::Build);
        });
    m_cancelImport = [call]() mutable { call.cancel(); };
}

void StackImage::import()
{
    if (!m_client) {
        finish(failure(QStringLiteral("the Docker engine's client went away")));
        return;
    }
    if (m_callbacks.line)
        m_callbacks.line(QStringLiteral("stack: importing %1 as %2").arg(m_tarball, m_tag));
    const qsizetype colon = m_tag.lastIndexOf(u':');
    DockerCall call = m_client->importImage(
        m_tarball, m_tag.left(colon), m_tag.mid(colon + 1), ImportChanges, this,
        [this](qint64 sent, qint64 total) {
            if (m_callbacks.importProgress)
                m_callbacks.importProgress(sent, total);
        },
        [this](Result<QString> id) {
            m_cancelImport = {};
            if (!id) {
                finish(std::unexpected(id.error()));
                return;
            }
            if (m_callbacks.line)
                m_callbacks.line(
                    QStringLiteral("stack: imported %1 (%2)").arg(m_tag, id->left(19)));
            finish(m_tag);
        });
    m_cancelImport = [call]() mutable { call.cancel(); };
}

void StackImage::cancel()
{
    if (!m_running)
        return;
    m_running = false;
    if (m_cancelImport)
        m_cancelImport();
    m_cancelImport = {};
    if (m_runner && m_runner->isRunning()) {
        // The runner finishes ending the tree on its own, then goes.
        m_runner->disconnect(this);
        m_runner->setParent(nullptr);
        connect(m_runner, &ProcessRunner::finished, m_runner, &QObject::deleteLater);
        m_runner->cancel();
    }
}

void StackImage::finish(Result<QString> result)
{
    if (!m_running)
        return;
    m_running = false;
    const auto done = std::move(m_callbacks.done);
    m_callbacks = {};
    if (done)
        done(std::move(result));
}

} // namespace Slipway
