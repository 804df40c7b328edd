#include "secrets/SecretVault.h"

#include "secrets/SecretsLogging.h"

#include <qt6keychain/keychain.h>

#include <QAbstractEventDispatcher>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QStringDecoder>
#include <QTimer>
#include <QUuid>

#include <memory>
#include <optional>

#include <unistd.h>

namespace Slipway {

namespace {

using namespace std::chrono_literals;

// Regular operations get a longer bound than the probe: a keychain that answered the probe
// is there, but a prompt nobody can see must not hold a deployment forever.
constexpr std::chrono::milliseconds operationTimeout = 30s;
constexpr int maximumKeyLength = 512;

constexpr QFile::Permissions ownerOnlyFile = QFile::ReadOwner | QFile::WriteOwner;
constexpr QFile::Permissions ownerOnlyDirectory =
    QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
constexpr QFile::Permissions othersMask = QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup |
                                          QFile::ReadOther | QFile::WriteOther | QFile::ExeOther;

QString seconds(std::chrono::milliseconds duration)
{
    return QString::number(double(duration.count()) / 1000.0, 'g', 3) + QStringLiteral(" s");
}

// libsecret keeps passwords as C strings: text goes in as text (readable with secret-tool),
// anything else as QtKeychain's base64 form.
bool isStorableAsText(const QByteArray &secret)
{
    if (secret.contains('\0'))
        return false;
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decoder.decode(secret);
    Q_UNUSED(text)
    return !decoder.hasError();
}

std::optional<QString> invalidKey(const QString &key)
{
    if (key.isEmpty())
        return QStringLiteral("a secret needs a non-empty key");
    if (key.size() > maximumKeyLength)
        return QStringLiteral("a secret key is at most %1 characters").arg(maximumKeyLength);
    for (const QChar c : key) {
        if (c.category() == QChar::Other_Control)
            return QStringLiteral("a secret key cannot contain control characters");
    }
    return std::nullopt;
}

// Starts a QtKeychain job and calls `finished` once: with the job when it ends, or with
// nullptr when `timeout` passes first. A job that never ends is left to itself rather than
// deleted: QtKeychain still holds it in a pending D-Bus call.
void runJob(QObject *context, QKeychain::Job *job, std::chrono::milliseconds timeout,
            std::function<void(QKeychain::Job *)> finished)
{
    auto settled = std::make_shared<bool>(false);
    auto callback = std::make_shared<std::function<void(QKeychain::Job *)>>(std::move(finished));
    auto *timer = new QTimer(context);
    timer->setSingleShot(true);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    QObject::connect(job, &QKeychain::Job::finished, context,
                     [settled, callback, timer](QKeychain::Job *finishedJob) {
                         if (*settled)
                             return;
                         *settled = true;
                         timer->stop();
                         timer->deleteLater();
                         (*callback)(finishedJob);
                     });
    QObject::connect(timer, &QTimer::timeout, context, [settled, callback, timer] {
        if (*settled)
            return;
        *settled = true;
        timer->deleteLater();
        (*callback)(nullptr);
    });
    timer->start(timeout);
    job->start();
}

QString jobError(QKeychain::Job *job, std::chrono::milliseconds timeout)
{
    if (!job) {
        QString text = QStringLiteral("no answer within %1").arg(seconds(timeout));
        // libsecret answers through GLib's main loop; without it nothing ever comes back.
        const QAbstractEventDispatcher *dispatcher = QAbstractEventDispatcher::instance();
        if (dispatcher && !QByteArray(dispatcher->metaObject()->className()).contains("Glib"))
            text += QStringLiteral(" (this process's event loop does not run GLib, which "
                                   "libsecret needs: is QT_NO_GLIB set?)");
        return text;
    }
    const QString text = job->errorString().trimmed();
    return text.isEmpty() ? QStringLiteral("error %1").arg(int(job->error())) : text;
}

QString fileNameFor(const QString &service)
{
    QString name;
    for (const QChar c : service)
        name += (c.isLetterOrNumber() || c == u'-' || c == u'_' || c == u'.') ? c : QChar(u'_');
    if (name.isEmpty() || name.startsWith(u'.'))
        name.prepend(u's');
    return name + QStringLiteral(".secrets.json");
}

QString octal(QFile::Permissions permissions)
{
    // Qt's flags hold each permission class in its own nibble; fold to the usual form.
    const uint p = uint(permissions);
    const uint user = (p >> 12) & 7;
    const uint group = (p >> 4) & 7;
    const uint other = p & 7;
    return QStringLiteral("0%1%2%3").arg(user).arg(group).arg(other);
}

} // namespace

SecretVault::SecretVault(QString service, QString fallbackDirectory, QObject *parent)
    : QObject(parent)
    , m_service(std::move(service))
    , m_fallbackDirectory(std::move(fallbackDirectory))
{}

SecretVault::~SecretVault() = default;

QString SecretVault::serviceFor(const QString &dataDirectory)
{
    const QString canonical = QFileInfo(dataDirectory).absoluteFilePath();
    const QByteArray hash =
        QCryptographicHash::hash(canonical.toUtf8(), QCryptographicHash::Sha256).toHex();
    return QStringLiteral("slipway-") + QString::fromLatin1(hash.left(16));
}

void SecretVault::setProbeTimeout(std::chrono::milliseconds timeout)
{
    m_probeTimeout = timeout;
}

void SecretVault::setKeychainWait(std::chrono::milliseconds wait)
{
    m_keychainWait = wait;
}

QString SecretVault::fallbackFilePath() const
{
    return QDir(m_fallbackDirectory).filePath(fileNameFor(m_service));
}

QString SecretVault::masked(const QString &)
{
    return QString(8, QChar(0x2022));
}

void SecretVault::open(std::function<void(Backend, QString)> done)
{
    if (m_open) {
        QMetaObject::invokeMethod(
            this, [this, done = std::move(done)] { done(m_backend, m_fallbackReason); },
            Qt::QueuedConnection);
        return;
    }
    if (m_opening) {
        // A second caller waits for the same probe.
        auto first = std::move(m_openDone);
        m_openDone = [first = std::move(first), done = std::move(done)](Backend b, QString r) {
            if (first)
                first(b, r);
            done(b, r);
        };
        return;
    }
    m_opening = true;
    m_openDone = std::move(done);
    probeUntil(std::chrono::steady_clock::now() + m_keychainWait, 1);
}

void SecretVault::probeUntil(std::chrono::steady_clock::time_point deadline, int attempt)
{
    probeKeychain([this, deadline, attempt](Result<void> probed) {
        if (probed) {
            settleOpen(Backend::Keychain, {});
            return;
        }
        if (!keychainHoldsSecrets()) {
            settleOpen(Backend::PrivateFile, probed.error().message);
            return;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            settleOpen(Backend::Keychain,
                       QStringLiteral("the keychain holds this daemon's secrets but did not "
                                      "answer (%1); they are read from it once it does")
                           .arg(probed.error().message));
            return;
        }
        qCWarning(lcSecrets,
                  "the keychain holds this daemon's secrets but does not answer yet (%s); "
                  "asking again (attempt %d)",
                  qPrintable(probed.error().message), attempt + 1);
        QTimer::singleShot(std::chrono::milliseconds(500), this,
                           [this, deadline, attempt] { probeUntil(deadline, attempt + 1); });
    });
}

bool SecretVault::keychainHoldsSecrets() const
{
    return QFileInfo::exists(keychainMarkerPath());
}

QString SecretVault::keychainMarkerPath() const
{
    QString path = fallbackFilePath();
    path.replace(QStringLiteral(".secrets.json"), QStringLiteral(".in-keychain"));
    return path;
}

void SecretVault::markKeychainUsed()
{
    if (keychainHoldsSecrets())
        return;
    if (Result<void> prepared = prepareDirectory(); !prepared) {
        qCWarning(lcSecrets, "%s", qPrintable(prepared.error().message));
        return;
    }
    QFile marker(keychainMarkerPath());
    if (!marker.open(QIODevice::WriteOnly) ||
        marker.write("secrets of this vault are kept in the OS keychain\n") < 0)
        qCWarning(lcSecrets, "cannot write %s", qPrintable(keychainMarkerPath()));
}

void SecretVault::probeKeychain(std::function<void(Result<void>)> done)
{
    const QString key =
        QStringLiteral("slipway-probe/") + QUuid::createUuid().toString(QUuid::Id128);
    const QByteArray value = QByteArray::number(QRandomGenerator::system()->generate64(), 16);
    const auto timeout = m_probeTimeout;
    auto fail = [done](const QString &what) {
        done(failure(QStringLiteral("no Secret Service answered on the session bus: ") + what));
    };

    auto *write = new QKeychain::WritePasswordJob(m_service);
    write->setKey(key);
    write->setTextData(QString::fromLatin1(value));
    runJob(this, write, timeout, [this, key, value, timeout, done, fail](QKeychain::Job *job) {
        if (!job || job->error() != QKeychain::NoError) {
            fail(jobError(job, timeout));
            return;
        }
        auto *read = new QKeychain::ReadPasswordJob(m_service);
        read->setKey(key);
        runJob(this, read, timeout, [this, key, value, timeout, done, fail](QKeychain::Job *job) {
            if (!job || job->error() != QKeychain::NoError) {
                fail(jobError(job, timeout));
                return;
            }
            if (static_cast<QKeychain::ReadPasswordJob *>(job)->binaryData() != value) {
                fail(QStringLiteral("the probe entry read back differs from what was written"));
                return;
            }
            auto *remove = new QKeychain::DeletePasswordJob(m_service);
            remove->setKey(key);
            runJob(this, remove, timeout, [timeout, done, fail](QKeychain::Job *job) {
                if (!job || job->error() != QKeychain::NoError) {
                    fail(jobError(job, timeout));
                    return;
                }
                done({});
            });
        });
    });
}

void SecretVault::settleOpen(Backend backend, QString reason)
{
    m_backend = backend;
    m_fallbackReason = std::move(reason);
    m_open = true;
    m_opening = false;
    if (backend == Backend::Keychain) {
        qCInfo(lcSecrets, "secrets are kept in the OS keychain (service %s)",
               qPrintable(m_service));
    } else {
        qCWarning(lcSecrets, "%s; secrets are kept in %s, readable only by this user",
                  qPrintable(m_fallbackReason), qPrintable(fallbackFilePath()));
    }
    if (auto done = std::move(m_openDone))
        done(m_backend, m_fallbackReason);
}

namespace {

// Hands `result` to `done` from `context`'s event loop, never inside the caller.
template<typename T>
void deliverLater(QObject *context, const std::function<void(Result<T>)> &done, Result<T> result)
{
    QMetaObject::invokeMethod(
        context, [done, result = std::move(result)] { done(result); }, Qt::QueuedConnection);
}

} // namespace

std::optional<QString> SecretVault::refusal(const QString &key) const
{
    if (!m_open)
        return QStringLiteral("the secret store is not open yet");
    return invalidKey(key);
}

void SecretVault::write(const QString &key, const QByteArray &secret,
                        std::function<void(Result<void>)> done)
{
    if (auto problem = refusal(key))
        return deliverLater<void>(this, done, failure(*problem));
    if (m_backend == Backend::Keychain)
        return keychainWrite(key, secret, std::move(done));
    deliverLater(this, done, fileWrite(key, secret));
}

void SecretVault::read(const QString &key, std::function<void(Result<QByteArray>)> done)
{
    if (auto problem = refusal(key))
        return deliverLater<QByteArray>(this, done, failure(*problem));
    if (m_backend == Backend::Keychain)
        return keychainRead(key, std::move(done));
    deliverLater(this, done, fileRead(key));
}

void SecretVault::remove(const QString &key, std::function<void(Result<void>)> done)
{
    if (auto problem = refusal(key))
        return deliverLater<void>(this, done, failure(*problem));
    if (m_backend == Backend::Keychain)
        return keychainRemove(key, std::move(done));
    deliverLater(this, done, fileRemove(key));
}

void SecretVault::keychainWrite(const QString &key, const QByteArray &secret,
                                std::function<void(Result<void>)> done)
{
    auto *job = new QKeychain::WritePasswordJob(m_service);
    job->setKey(key);
    if (isStorableAsText(secret))
        job->setTextData(QString::fromUtf8(secret));
    else
        job->setBinaryData(secret);
    runJob(this, job, operationTimeout, [this, key, done = std::move(done)](QKeychain::Job *job) {
        if (!job || job->error() != QKeychain::NoError) {
            done(failure(QStringLiteral("the keychain could not store secret %1: %2")
                             .arg(key, jobError(job, operationTimeout))));
            return;
        }
        markKeychainUsed();
        qCDebug(lcSecrets, "stored secret %s in the keychain", qPrintable(key));
        done({});
    });
}

void SecretVault::keychainRead(const QString &key, std::function<void(Result<QByteArray>)> done)
{
    auto *job = new QKeychain::ReadPasswordJob(m_service);
    job->setKey(key);
    runJob(this, job, operationTimeout, [key, done = std::move(done)](QKeychain::Job *job) {
        if (job && job->error() == QKeychain::EntryNotFound) {
            done(failure(QStringLiteral("no secret is stored under %1").arg(key)));
            return;
        }
        if (!job || job->error() != QKeychain::NoError) {
            done(failure(QStringLiteral("the keychain could not read secret %1: %2")
                             .arg(key, jobError(job, operationTimeout))));
            return;
        }
        done(static_cast<QKeychain::ReadPasswordJob *>(job)->binaryData());
    });
}

void SecretVault::keychainRemove(const QString &key, std::function<void(Result<void>)> done)
{
    auto *job = new QKeychain::DeletePasswordJob(m_service);
    job->setKey(key);
    runJob(this, job, operationTimeout, [key, done = std::move(done)](QKeychain::Job *job) {
        if (job && job->error() == QKeychain::EntryNotFound) {
            done({});
            return;
        }
        if (!job || job->error() != QKeychain::NoError) {
            done(failure(QStringLiteral("the keychain could not remove secret %1: %2")
                             .arg(key, jobError(job, operationTimeout))));
            return;
        }
        qCDebug(lcSecrets, "removed secret %s from the keychain", qPrintable(key));
        done({});
    });
}

Result<void> SecretVault::prepareDirectory()
{
    const QString directory = QDir(m_fallbackDirectory).absolutePath();
    if (!QDir().mkpath(directory))
        return failure(QStringLiteral("cannot create the secrets folder %1").arg(directory));
    const QFileInfo info(directory);
    if (info.ownerId() != uint(::geteuid()))
        return failure(QStringLiteral("the secrets folder %1 belongs to another user; choose a "
                                      "folder of your own")
                           .arg(directory));
    if (!QFile::setPermissions(directory, ownerOnlyDirectory) ||
        (QFileInfo(directory).permissions() & othersMask))
        return failure(
            QStringLiteral("cannot make the secrets folder %1 private (chmod 700)").arg(directory));
    return {};
}

Result<QJsonObject> SecretVault::loadFile()
{
    const QString path = fallbackFilePath();
    QFile file(path);
    if (!file.exists())
        return QJsonObject();
    const QFileInfo info(path);
    if (info.permissions() & othersMask)
        return failure(QStringLiteral("%1 can be read by other users (mode %2); its secrets may "
                                      "have been seen: run chmod 600 on it and change them")
                           .arg(path, octal(info.permissions())));
    if (!file.open(QIODevice::ReadOnly))
        return failure(QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return failure(QStringLiteral("%1 is damaged (%2); restore it from a backup or remove it "
                                      "and set the secrets again")
                           .arg(path, error.errorString()));
    return document.object().value(QStringLiteral("secrets")).toObject();
}

Result<void> SecretVault::saveFile(const QJsonObject &entries)
{
    if (auto prepared = prepareDirectory(); !prepared)
        return prepared;
    const QString path = fallbackFilePath();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return failure(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    // The temporary file QSaveFile writes into starts with the umask's mode: narrow it
    // before a single byte of a secret goes in.
    if (!file.setPermissions(ownerOnlyFile) || (file.permissions() & othersMask)) {
        file.cancelWriting();
        return failure(QStringLiteral("cannot make %1 private (chmod 600)").arg(path));
    }
    QJsonObject root;
    root.insert(QStringLiteral("format"), 1);
    root.insert(QStringLiteral("service"), m_service);
    root.insert(QStringLiteral("secrets"), entries);
    file.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return failure(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return {};
}

Result<void> SecretVault::fileWrite(const QString &key, const QByteArray &secret)
{
    auto entries = loadFile();
    if (!entries)
        return std::unexpected(entries.error());
    entries->insert(key, QString::fromLatin1(secret.toBase64()));
    if (auto saved = saveFile(*entries); !saved)
        return saved;
    qCDebug(lcSecrets, "stored secret %s in the private file", qPrintable(key));
    return {};
}

Result<QByteArray> SecretVault::fileRead(const QString &key)
{
    auto entries = loadFile();
    if (!entries)
        return std::unexpected(entries.error());
    const QJsonValue value = entries->value(key);
    if (!value.isString())
        return failure(QStringLiteral("no secret is stored under %1").arg(key));
    return QByteArray::fromBase64(value.toString().toLatin1());
}

Result<void> SecretVault::fileRemove(const QString &key)
{
    auto entries = loadFile();
    if (!entries)
        return std::unexpected(entries.error());
    if (!entries->contains(key))
        return {};
    entries->remove(key);
    if (auto saved = saveFile(*entries); !saved)
        return saved;
    qCDebug(lcSecrets, "removed secret %s from the private file", qPrintable(key));
    return {};
}

} // namespace Slipway
