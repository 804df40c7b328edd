// SecretVault against a real Secret Service: run through run-with-keyring.sh, which puts
// gnome-keyring on a private session bus. The fallback cases run this same binary again as a
// child with a session bus that is missing or never answers.

#include "secrets/SecretVault.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalServer>
#include <QLoggingCategory>
#include <QMutex>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUuid>

#include <cstdio>
#include <memory>
#include <optional>

#include <sys/stat.h>

using namespace Slipway;
using namespace std::chrono_literals;

namespace {

const char childModeVariable[] = "SLIPWAY_VAULT_CHILD";

// Runs one asynchronous vault call to its end (bounded) and returns what it reported.
template<typename T>
std::optional<T> await(const std::function<void(std::function<void(T)>)> &start,
                       int timeoutMs = 60000)
{
    auto result = std::make_shared<std::optional<T>>();
    auto loop = std::make_shared<QEventLoop>();
    start([result, loop](T value) {
        *result = std::move(value);
        loop->quit();
    });
    if (!result->has_value()) {
        QTimer::singleShot(timeoutMs, loop.get(), &QEventLoop::quit);
        loop->exec();
    }
    return *result;
}

struct Opened
{
    SecretVault::Backend backend;
    QString reason;
};

std::optional<Opened> openVault(SecretVault &vault)
{
    return await<Opened>([&vault](std::function<void(Opened)> done) {
        vault.open([done](SecretVault::Backend backend, QString reason) {
            done(Opened{backend, std::move(reason)});
        });
    });
}

std::optional<Result<void>> writeSecret(SecretVault &vault, const QString &key,
                                        const QByteArray &value)
{
    return await<Result<void>>(
        [&](std::function<void(Result<void>)> done) { vault.write(key, value, std::move(done)); });
}

std::optional<Result<QByteArray>> readSecret(SecretVault &vault, const QString &key)
{
    return await<Result<QByteArray>>(
        [&](std::function<void(Result<QByteArray>)> done) { vault.read(key, std::move(done)); });
}

std::optional<Result<void>> removeSecret(SecretVault &vault, const QString &key)
{
    return await<Result<void>>(
        [&](std::function<void(Result<void>)> done) { vault.remove(key, std::move(done)); });
}

QString describe(const Result<void> &result)
{
    return result ? QStringLiteral("ok") : result.error().message;
}

QString describe(const Result<QByteArray> &result)
{
    return result ? QStringLiteral("ok") : result.error().message;
}

struct ToolRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

ToolRun runTool(const QString &program, const QStringList &arguments, const QByteArray &input = {})
{
    QProcess process;
    process.start(program, arguments);
    ToolRun run;
    if (!process.waitForStarted(10000))
        return run;
    process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(30000)) {
        process.kill();
        process.waitForFinished();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

// What the Secret Service itself holds under QtKeychain's attributes for this entry.
ToolRun secretToolLookup(const QString &service, const QString &key)
{
    return runTool(QStringLiteral("secret-tool"), {QStringLiteral("lookup"), QStringLiteral("user"),
                                                   key, QStringLiteral("server"), service});
}

ToolRun secretToolSearch(const QString &service, const QString &key)
{
    return runTool(QStringLiteral("secret-tool"),
                   {QStringLiteral("search"), QStringLiteral("--all"), QStringLiteral("user"), key,
                    QStringLiteral("server"), service});
}

// secret-tool search prints one "[/<item path>]" line on stdout per item it found.
int itemCount(const ToolRun &search)
{
    static const QRegularExpression itemLine(QStringLiteral("^\\[/"),
                                             QRegularExpression::MultilineOption);
    return int(QString::fromUtf8(search.out).count(itemLine));
}

QString uniqueValue(const QString &prefix)
{
    return prefix + QUuid::createUuid().toString(QUuid::Id128);
}

// Every message Qt logs while the test runs, from this test, the vault and QtKeychain.
QMutex logMutex;
QStringList capturedLog;
QtMessageHandler previousHandler = nullptr;

void captureMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    {
        QMutexLocker locker(&logMutex);
        capturedLog.append(QString::fromLatin1(context.category ? context.category : "") +
                           QStringLiteral(": ") + message);
    }
    if (previousHandler)
        previousHandler(type, context, message);
}

// The mode bits as stat(2) reports them; -1 when the path is missing.
int modeOf(const QString &path)
{
    struct stat status;
    if (::stat(QFile::encodeName(path).constData(), &status) != 0)
        return -1;
    return int(status.st_mode & 07777);
}

// The child side of the fallback tests: opens a vault, writes and reads the secret it gets on
// stdin, and prints a JSON report that holds outcomes, never the value.
int runVaultChild()
{
    const QString mode = qEnvironmentVariable(childModeVariable);
    SecretVault vault(qEnvironmentVariable("SLIPWAY_VAULT_SERVICE"),
                      qEnvironmentVariable("SLIPWAY_VAULT_DIRECTORY"));
    bool timeoutOk = false;
    const int probeTimeoutMs = qEnvironmentVariableIntValue("SLIPWAY_VAULT_PROBE_MS", &timeoutOk);
    if (timeoutOk)
        vault.setProbeTimeout(std::chrono::milliseconds(probeTimeoutMs));
    bool waitOk = false;
    const int keychainWaitMs = qEnvironmentVariableIntValue("SLIPWAY_VAULT_WAIT_MS", &waitOk);
    if (waitOk)
        vault.setKeychainWait(std::chrono::milliseconds(keychainWaitMs));

    QFile input;
    if (!input.open(stdin, QIODevice::ReadOnly))
        return 3;
    QByteArray secret = input.readLine();
    if (secret.endsWith('\n'))
        secret.chop(1);
    const QString key = QStringLiteral("app/web/config/API_TOKEN");

    QJsonObject report;
    QElapsedTimer clock;
    clock.start();
    const auto opened = openVault(vault);
    report.insert(QStringLiteral("openMs"), double(clock.elapsed()));
    if (!opened) {
        report.insert(QStringLiteral("opened"), false);
    } else {
        report.insert(QStringLiteral("opened"), true);
        report.insert(QStringLiteral("backend"), opened->backend == SecretVault::Backend::Keychain
                                                     ? QStringLiteral("keychain")
                                                     : QStringLiteral("file"));
        report.insert(QStringLiteral("reason"), opened->reason);
        report.insert(QStringLiteral("file"), vault.fallbackFilePath());
        if (mode == QLatin1String("write")) {
            const auto written = writeSecret(vault, key, secret);
            report.insert(QStringLiteral("write"),
                          written ? describe(*written) : QStringLiteral("no answer"));
        }
        const auto read = readSecret(vault, key);
        report.insert(QStringLiteral("read"), read ? describe(*read) : QStringLiteral("no answer"));
        report.insert(QStringLiteral("readMatches"), read && *read && **read == secret);
    }
    std::fputs(QJsonDocument(report).toJson(QJsonDocument::Compact).constData(), stdout);
    std::fflush(stdout);
    return 0;
}

} // namespace

class tst_SecretVault : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void opensOnTheKeychain();
    void writeReadRemove();
    void entryCarriesQtKeychainAttributes();
    void secondVaultSeesTheSameEntry();
    void otherServiceSeesNothing();
    void overwriteKeepsOneEntry();
    void binaryValueRoundTrips();
    void readingMissingKeyFails();
    void removingMissingKeySucceeds();
    void refusesBadKeys_data();
    void refusesBadKeys();
    void refusesUseBeforeOpen();
    void logsNeverHoldValues();
    void maskedRevealsNothing_data();
    void maskedRevealsNothing();
    void serviceForSeparatesDataFolders();

    void fallsBackWithoutSessionBus_data();
    void fallsBackWithoutSessionBus();
    void fallsBackWhenBusNeverAnswers();
    void fallbackRefusesFileOthersCanRead();
    void keychainHoldingSecretsIsWaitedFor();

private:
    struct ChildRun
    {
        QJsonObject report;
        QByteArray standardError;
        QByteArray standardOutput;
        int exitCode = -1;
    };
    ChildRun runChild(const QString &mode, const QByteArray &secret,
                      const QProcessEnvironment &environment, const QString &service,
                      const QString &directory);
    // The environment of a child whose session bus accepts connections and never says a
    // word (`silent` listens for it, in the scratch folder).
    [[nodiscard]] bool listenAsSilentBus(QLocalServer &silent, QProcessEnvironment &environment);

    QString m_service;
    std::unique_ptr<QTemporaryDir> m_scratch;
    QList<QPair<QString, QString>> m_cleanupEntries; // service, key
};

void tst_SecretVault::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"),
             "no session bus: run this test through tests/keychain/run-with-keyring.sh");
    QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("secret-tool")).isEmpty(),
             "secret-tool is missing: install libsecret-tools");
    QLoggingCategory::setFilterRules(QStringLiteral("slipway.*=true"));
    previousHandler = qInstallMessageHandler(captureMessage);
}

void tst_SecretVault::init()
{
    m_service = QStringLiteral("slipway-test-") + QUuid::createUuid().toString(QUuid::Id128);
    m_scratch = std::make_unique<QTemporaryDir>();
    QVERIFY(m_scratch->isValid());
    m_cleanupEntries.clear();
    QMutexLocker locker(&logMutex);
    capturedLog.clear();
}

void tst_SecretVault::cleanup()
{
    // Leave nothing behind in the keyring even when a test fails half-way.
    for (const auto &[service, key] : std::as_const(m_cleanupEntries))
        runTool(QStringLiteral("secret-tool"), {QStringLiteral("clear"), QStringLiteral("user"),
                                                key, QStringLiteral("server"), service});
    m_scratch.reset();
}

void tst_SecretVault::opensOnTheKeychain()
{
    SecretVault vault(m_service, m_scratch->filePath(QStringLiteral("fallback")));
    QVERIFY(!vault.isOpen());
    const auto opened = openVault(vault);
    QVERIFY2(opened, "open() never reported");
    QVERIFY2(opened->backend == SecretVault::Backend::Keychain, qPrintable(opened->reason));
    QVERIFY(opened->reason.isEmpty());
    QVERIFY(vault.isOpen());
    QCOMPARE(vault.backend(), SecretVault::Backend::Keychain);
    QVERIFY(vault.fallbackReason().isEmpty());
    // The probe cleaned up after itself.
    const ToolRun probes =
        runTool(QStringLiteral("secret-tool"), {QStringLiteral("search"), QStringLiteral("--all"),
                                                QStringLiteral("server"), m_service});
    QCOMPARE(itemCount(probes), 0);
}

void tst_SecretVault::writeReadRemove()
{
    const QString fallback = m_scratch->filePath(QStringLiteral("fallback"));
    SecretVault vault(m_service, fallback);
    QVERIFY(openVault(vault));
    QCOMPARE(vault.backend(), SecretVault::Backend::Keychain);

    const QString key = QStringLiteral("app/shop/config/DATABASE_URL");
    const QByteArray value = uniqueValue(QStringLiteral("postgres://shop:pw-")).toUtf8();
    m_cleanupEntries.append({m_service, key});

    const auto written = writeSecret(vault, key, value);
    QVERIFY(written);
    QVERIFY2(*written, qPrintable(describe(*written)));

    const ToolRun stored = secretToolLookup(m_service, key);
    QCOMPARE(stored.exitCode, 0);
    QCOMPARE(stored.out.trimmed(), value);

    const auto read = readSecret(vault, key);
    QVERIFY(read);
    QVERIFY2(*read, qPrintable(describe(*read)));
    QCOMPARE(**read, value);

    // With the keychain in use, no secret is written to the fallback folder: it holds only
    // the marker saying that the keychain has this vault's secrets.
    QVERIFY(!QFileInfo::exists(vault.fallbackFilePath()));
    QVERIFY(vault.keychainHoldsSecrets());
    const QStringList kept = QDir(fallback).entryList(QDir::Files | QDir::Hidden);
    QCOMPARE(kept.size(), 1);
    QVERIFY2(kept.front().endsWith(QLatin1String(".in-keychain")), qPrintable(kept.front()));
    QFile marker(QDir(fallback).filePath(kept.front()));
    QVERIFY(marker.open(QIODevice::ReadOnly));
    QVERIFY(!marker.readAll().contains(value));

    const auto removed = removeSecret(vault, key);
    QVERIFY(removed);
    QVERIFY2(*removed, qPrintable(describe(*removed)));
    const ToolRun gone = secretToolLookup(m_service, key);
    QVERIFY(gone.out.trimmed().isEmpty());
    QVERIFY(gone.exitCode != 0);

    const auto readAgain = readSecret(vault, key);
    QVERIFY(readAgain);
    QVERIFY(!*readAgain);
    QVERIFY2(readAgain->error().message.contains(key), qPrintable(readAgain->error().message));
}

void tst_SecretVault::entryCarriesQtKeychainAttributes()
{
    SecretVault vault(m_service, m_scratch->path());
    QVERIFY(openVault(vault));
    const QString key = QStringLiteral("git/git.example.com");
    const QByteArray value = uniqueValue(QStringLiteral("token-")).toUtf8();
    m_cleanupEntries.append({m_service, key});
    const auto written = writeSecret(vault, key, value);
    QVERIFY(written && *written);

    const ToolRun found = secretToolSearch(m_service, key);
    QCOMPARE(found.exitCode, 0);
    const QString listing = QString::fromUtf8(found.out + found.err);
    QCOMPARE(itemCount(found), 1);
    QVERIFY2(listing.contains(QStringLiteral("attribute.server = ") + m_service),
             qPrintable(listing));
    QVERIFY2(listing.contains(QStringLiteral("attribute.user = ") + key), qPrintable(listing));
    // Text values are stored as text, so secret-tool shows them as they are.
    QVERIFY2(listing.contains(QStringLiteral("attribute.type = plaintext")), qPrintable(listing));
}

void tst_SecretVault::secondVaultSeesTheSameEntry()
{
    const QString key = QStringLiteral("app/shop/config/SECRET_KEY_BASE");
    const QByteArray value = uniqueValue(QStringLiteral("skb-")).toUtf8();
    m_cleanupEntries.append({m_service, key});
    {
        SecretVault writer(m_service, m_scratch->path());
        QVERIFY(openVault(writer));
        const auto written = writeSecret(writer, key, value);
        QVERIFY(written && *written);
    }
    SecretVault reader(m_service, m_scratch->path());
    QVERIFY(openVault(reader));
    const auto read = readSecret(reader, key);
    QVERIFY(read);
    QVERIFY2(*read, qPrintable(describe(*read)));
    QCOMPARE(**read, value);
}

void tst_SecretVault::otherServiceSeesNothing()
{
    const QString key = QStringLiteral("app/shop/config/PASSWORD");
    const QByteArray value = uniqueValue(QStringLiteral("pw-")).toUtf8();
    m_cleanupEntries.append({m_service, key});
    SecretVault mine(m_service, m_scratch->path());
    QVERIFY(openVault(mine));
    QVERIFY(writeSecret(mine, key, value).value_or(failure(QStringLiteral("no answer"))));

    const QString otherService = m_service + QStringLiteral("-other");
    SecretVault other(otherService, m_scratch->path());
    QVERIFY(openVault(other));
    const auto read = readSecret(other, key);
    QVERIFY(read);
    QVERIFY(!*read);
}

void tst_SecretVault::overwriteKeepsOneEntry()
{
    SecretVault vault(m_service, m_scratch->path());
    QVERIFY(openVault(vault));
    const QString key = QStringLiteral("app/shop/config/API_KEY");
    m_cleanupEntries.append({m_service, key});
    const QByteArray first = uniqueValue(QStringLiteral("first-")).toUtf8();
    const QByteArray second = uniqueValue(QStringLiteral("second-")).toUtf8();
    QVERIFY(writeSecret(vault, key, first).value_or(failure(QStringLiteral("no answer"))));
    QVERIFY(writeSecret(vault, key, second).value_or(failure(QStringLiteral("no answer"))));

    const auto read = readSecret(vault, key);
    QVERIFY(read && *read);
    QCOMPARE(**read, second);
    const ToolRun found = secretToolSearch(m_service, key);
    const QString listing = QString::fromUtf8(found.out + found.err);
    QCOMPARE(itemCount(found), 1);
    QVERIFY(!listing.contains(QString::fromUtf8(first)));
}

void tst_SecretVault::binaryValueRoundTrips()
{
    SecretVault vault(m_service, m_scratch->path());
    QVERIFY(openVault(vault));
    const QString key = QStringLiteral("app/shop/config/BINARY");
    m_cleanupEntries.append({m_service, key});
    // The length comes from the literal: a count written by hand read past its end.
    static constexpr char bytes[] = "\x00\x01\xff\xfe key\nwith\0nul";
    QByteArray value(bytes, sizeof bytes - 1);
    value += QUuid::createUuid().toRfc4122();
    const auto written = writeSecret(vault, key, value);
    QVERIFY(written);
    QVERIFY2(*written, qPrintable(describe(*written)));
    const auto read = readSecret(vault, key);
    QVERIFY(read && *read);
    QCOMPARE(**read, value);

    const QByteArray empty;
    const QString emptyKey = QStringLiteral("app/shop/config/EMPTY");
    m_cleanupEntries.append({m_service, emptyKey});
    QVERIFY(writeSecret(vault, emptyKey, empty).value_or(failure(QStringLiteral("no answer"))));
    const auto readEmpty = readSecret(vault, emptyKey);
    QVERIFY(readEmpty);
    QVERIFY2(*readEmpty, qPrintable(describe(*readEmpty)));
    QCOMPARE(**readEmpty, empty);
}

void tst_SecretVault::readingMissingKeyFails()
{
    SecretVault vault(m_service, m_scratch->path());
    QVERIFY(openVault(vault));
    const QString key = QStringLiteral("app/shop/config/NEVER_SET");
    const auto read = readSecret(vault, key);
    QVERIFY(read);
    QVERIFY(!*read);
    QCOMPARE(read->error().message, QStringLiteral("no secret is stored under ") + key);
}

void tst_SecretVault::removingMissingKeySucceeds()
{
    SecretVault vault(m_service, m_scratch->path());
    QVERIFY(openVault(vault));
    const auto removed = removeSecret(vault, QStringLiteral("app/shop/config/NEVER_SET"));
    QVERIFY(removed);
    QVERIFY2(*removed, qPrintable(describe(*removed)));
}

void tst_SecretVault::refusesBadKeys_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("empty") << QString() << QStringLiteral("non-empty");
    QTest::newRow("too long") << QString(513, u'k') << QStringLiteral("at most 512");
    QTest::newRow("control character") << QStringLiteral("app/a\nb") << QStringLiteral("control");
}

void tst_SecretVault::refusesBadKeys()
{
    QFETCH(QString, key);
    QFETCH(QString, mentions);
    SecretVault vault(m_service, m_scratch->path());
    QVERIFY(openVault(vault));
    const auto written = writeSecret(vault, key, "value");
    QVERIFY(written);
    QVERIFY(!*written);
    QVERIFY2(written->error().message.contains(mentions), qPrintable(written->error().message));
    const auto read = readSecret(vault, key);
    QVERIFY(read && !*read);
    const auto removed = removeSecret(vault, key);
    QVERIFY(removed && !*removed);
}

void tst_SecretVault::refusesUseBeforeOpen()
{
    SecretVault vault(m_service, m_scratch->path());
    bool calledInline = true;
    std::optional<Result<void>> result;
    vault.write(QStringLiteral("app/a/config/X"), "value", [&](Result<void> r) { result = r; });
    calledInline = result.has_value();
    QVERIFY2(!calledInline, "callbacks must run from the event loop, not inside the call");
    QTRY_VERIFY(result.has_value());
    QVERIFY(!*result);
    QVERIFY2(result->error().message.contains(QStringLiteral("not open")),
             qPrintable(result->error().message));
    QVERIFY(!secretToolLookup(m_service, QStringLiteral("app/a/config/X")).out.contains("value"));
}

void tst_SecretVault::logsNeverHoldValues()
{
    SecretVault vault(m_service, m_scratch->path());
    QVERIFY(openVault(vault));
    const QString key = QStringLiteral("app/shop/config/STRIPE_KEY");
    const QByteArray value = uniqueValue(QStringLiteral("sk_live_")).toUtf8();
    m_cleanupEntries.append({m_service, key});
    QVERIFY(writeSecret(vault, key, value).value_or(failure(QStringLiteral("no answer"))));
    const auto read = readSecret(vault, key);
    QVERIFY(read && *read);
    QVERIFY(removeSecret(vault, key).value_or(failure(QStringLiteral("no answer"))));

    QMutexLocker locker(&logMutex);
    const QString log = capturedLog.join(u'\n');
    // The log says what happened (so there is something to look at) ...
    QVERIFY2(log.contains(QStringLiteral("stored secret ") + key), qPrintable(log));
    QVERIFY2(log.contains(QStringLiteral("removed secret ") + key), qPrintable(log));
    // ... and never with what.
    QVERIFY(!log.contains(QString::fromUtf8(value)));
    QVERIFY(!log.contains(QString::fromLatin1(value.toBase64())));
}

void tst_SecretVault::maskedRevealsNothing_data()
{
    QTest::addColumn<QString>("value");
    QTest::newRow("empty") << QString();
    QTest::newRow("one character") << QStringLiteral("x");
    QTest::newRow("typical") << QStringLiteral("postgres://user:hunter2@db:5432/shop");
    QTest::newRow("bullets themselves") << QString(3, QChar(0x2022));
    QTest::newRow("longest value") << QString(32768, u'a');
}

void tst_SecretVault::maskedRevealsNothing()
{
    QFETCH(QString, value);
    const QString mask = SecretVault::masked(value);
    QVERIFY(!mask.isEmpty());
    // The same for every value: neither length nor content shows through.
    QCOMPARE(mask, SecretVault::masked(QStringLiteral("reference value")));
    QCOMPARE(mask, SecretVault::masked());
    for (const QChar c : mask)
        QCOMPARE(c, QChar(0x2022));
    if (!value.isEmpty() && value.at(0) != QChar(0x2022))
        QVERIFY(!mask.contains(value.at(0)));
}

void tst_SecretVault::serviceForSeparatesDataFolders()
{
    const QString a = SecretVault::serviceFor(QStringLiteral("/srv/slipway/a"));
    const QString b = SecretVault::serviceFor(QStringLiteral("/srv/slipway/b"));
    QVERIFY(a.startsWith(QStringLiteral("slipway-")));
    QVERIFY(a != b);
    QCOMPARE(a, SecretVault::serviceFor(QStringLiteral("/srv/slipway/a")));
}

tst_SecretVault::ChildRun tst_SecretVault::runChild(const QString &mode, const QByteArray &secret,
                                                    const QProcessEnvironment &environment,
                                                    const QString &service,
                                                    const QString &directory)
{
    QProcessEnvironment childEnvironment = environment;
    childEnvironment.insert(QString::fromLatin1(childModeVariable), mode);
    childEnvironment.insert(QStringLiteral("SLIPWAY_VAULT_SERVICE"), service);
    childEnvironment.insert(QStringLiteral("SLIPWAY_VAULT_DIRECTORY"), directory);
    // Everything any category can say goes to stderr, to be searched for the value.
    childEnvironment.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("*=true"));
    childEnvironment.insert(QStringLiteral("G_MESSAGES_DEBUG"), QStringLiteral("all"));

    QProcess child;
    child.setProcessEnvironment(childEnvironment);
    child.start(QCoreApplication::applicationFilePath(), {});
    ChildRun run;
    if (!child.waitForStarted(10000))
        return run;
    child.write(secret + '\n');
    child.closeWriteChannel();
    if (!child.waitForFinished(60000)) {
        child.kill();
        child.waitForFinished();
    }
    run.exitCode = child.exitStatus() == QProcess::NormalExit ? child.exitCode() : -1;
    run.standardOutput = child.readAllStandardOutput();
    run.standardError = child.readAllStandardError();
    run.report = QJsonDocument::fromJson(run.standardOutput).object();
    return run;
}

void tst_SecretVault::fallsBackWithoutSessionBus_data()
{
    QTest::addColumn<QString>("busAddress"); // empty: unset

    QTest::newRow("no address") << QString();
    QTest::newRow("address of nothing")
        << QStringLiteral("unix:path=/nonexistent/slipway-test/bus");
}

void tst_SecretVault::fallsBackWithoutSessionBus()
{
    QFETCH(QString, busAddress);

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    environment.remove(QStringLiteral("DISPLAY"));
    environment.remove(QStringLiteral("WAYLAND_DISPLAY"));
    // GLib would also look for $XDG_RUNTIME_DIR/bus.
    const QString runtime = m_scratch->filePath(QStringLiteral("runtime"));
    QVERIFY(QDir().mkpath(runtime));
    environment.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime);
    if (!busAddress.isEmpty())
        environment.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), busAddress);

    const QString directory = m_scratch->filePath(QStringLiteral("state/secrets"));
    const QByteArray secret = uniqueValue(QStringLiteral("fallback-secret-")).toUtf8();
    const ChildRun run =
        runChild(QStringLiteral("write"), secret, environment, m_service, directory);
    QVERIFY2(run.exitCode == 0, run.standardError.constData());
    QVERIFY2(!run.report.isEmpty(), run.standardOutput.constData());
    QCOMPARE(run.report.value(QStringLiteral("backend")).toString(), QStringLiteral("file"));
    const QString reason = run.report.value(QStringLiteral("reason")).toString();
    QVERIFY2(reason.startsWith(QStringLiteral("no Secret Service answered on the session bus: ")),
             qPrintable(reason));
    QVERIFY2(reason.size() > 48, qPrintable(reason)); // names the cause too
    QCOMPARE(run.report.value(QStringLiteral("write")).toString(), QStringLiteral("ok"));
    QCOMPARE(run.report.value(QStringLiteral("read")).toString(), QStringLiteral("ok"));
    QVERIFY(run.report.value(QStringLiteral("readMatches")).toBool());

    const QString file = run.report.value(QStringLiteral("file")).toString();
    QVERIFY(file.startsWith(directory + u'/'));
    QVERIFY(QFileInfo(file).isFile());
    QCOMPARE(modeOf(file), 0600);
    QCOMPARE(modeOf(directory), 0700);
    // Nothing but the final file is left in the folder (QSaveFile's temporary is gone).
    QCOMPARE(QDir(directory).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
             QStringList{QFileInfo(file).fileName()});

    QFile stored(file);
    QVERIFY(stored.open(QIODevice::ReadOnly));
    const QByteArray contents = stored.readAll();
    QVERIFY2(contents.contains(secret.toBase64()), "the private file must hold the value");

    // The daemon says why; no log line holds the value.
    QVERIFY2(run.standardError.contains(reason.toUtf8()), run.standardError.constData());
    QVERIFY(!run.standardError.contains(secret));
    QVERIFY(!run.standardError.contains(secret.toBase64()));
    QVERIFY(!run.standardOutput.contains(secret));
    QVERIFY(!run.standardOutput.contains(secret.toBase64()));

    // A later daemon on the same folder reads it back.
    const ChildRun again =
        runChild(QStringLiteral("read"), secret, environment, m_service, directory);
    QCOMPARE(again.report.value(QStringLiteral("backend")).toString(), QStringLiteral("file"));
    QVERIFY2(again.report.value(QStringLiteral("readMatches")).toBool(),
             qPrintable(again.report.value(QStringLiteral("read")).toString()));
}

bool tst_SecretVault::listenAsSilentBus(QLocalServer &silent, QProcessEnvironment &environment)
{
    const QString socketPath = m_scratch->filePath(QStringLiteral("silent-bus"));
    if (!silent.listen(socketPath)) {
        qWarning("cannot listen on %s: %s", qPrintable(socketPath),
                 qPrintable(silent.errorString()));
        return false;
    }
    environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"),
                       QStringLiteral("unix:path=") + socketPath);
    return true;
}

void tst_SecretVault::fallsBackWhenBusNeverAnswers()
{
    // A socket that accepts connections and never says a word: the probe must give up.
    QLocalServer silent;
    QProcessEnvironment environment;
    QVERIFY(listenAsSilentBus(silent, environment));
    environment.insert(QStringLiteral("SLIPWAY_VAULT_PROBE_MS"), QStringLiteral("1500"));

    const QString directory = m_scratch->filePath(QStringLiteral("secrets"));
    const QByteArray secret = uniqueValue(QStringLiteral("silent-")).toUtf8();
    QElapsedTimer clock;
    clock.start();
    const ChildRun run =
        runChild(QStringLiteral("write"), secret, environment, m_service, directory);
    QVERIFY2(!run.report.isEmpty(), run.standardError.constData());
    QCOMPARE(run.report.value(QStringLiteral("backend")).toString(), QStringLiteral("file"));
    const QString reason = run.report.value(QStringLiteral("reason")).toString();
    QVERIFY2(reason.contains(QStringLiteral("no answer within 1.5 s")), qPrintable(reason));
    const double openMs = run.report.value(QStringLiteral("openMs")).toDouble();
    QVERIFY2(openMs >= 1400 && openMs < 10000, qPrintable(QString::number(openMs)));
    QVERIFY(run.report.value(QStringLiteral("readMatches")).toBool());
    QVERIFY(!run.standardError.contains(secret));
}

void tst_SecretVault::keychainHoldingSecretsIsWaitedFor()
{
    // This vault stored a secret in the keychain before...
    const QString directory = m_scratch->filePath(QStringLiteral("secrets"));
    const QString key = QStringLiteral("app/web/config/API_TOKEN");
    const QByteArray secret = uniqueValue(QStringLiteral("kept-")).toUtf8();
    {
        SecretVault vault(m_service, directory);
        QVERIFY(openVault(vault));
        m_cleanupEntries.append({m_service, key});
        const auto written = writeSecret(vault, key, secret);
        QVERIFY(written && *written);
        QVERIFY(vault.keychainHoldsSecrets());
    }
    // ...and now the keychain does not answer (the session bus is silent): the vault asks
    // again for the whole wait, then stays on the keychain rather than on an empty file.
    QLocalServer silent;
    QProcessEnvironment environment;
    QVERIFY(listenAsSilentBus(silent, environment));
    environment.insert(QStringLiteral("SLIPWAY_VAULT_PROBE_MS"), QStringLiteral("400"));
    environment.insert(QStringLiteral("SLIPWAY_VAULT_WAIT_MS"), QStringLiteral("2000"));
    const ChildRun run =
        runChild(QStringLiteral("read"), secret, environment, m_service, directory);
    QVERIFY2(!run.report.isEmpty(), run.standardError.constData());
    QCOMPARE(run.report.value(QStringLiteral("backend")).toString(), QStringLiteral("keychain"));
    const QString reason = run.report.value(QStringLiteral("reason")).toString();
    QVERIFY2(reason.contains(QStringLiteral("holds this daemon's secrets but did not answer")),
             qPrintable(reason));
    QVERIFY2(run.standardError.contains("asking again (attempt 2)"), run.standardError.constData());
    QVERIFY(run.report.value(QStringLiteral("openMs")).toDouble() >= 1900);
    QVERIFY(!run.report.value(QStringLiteral("readMatches")).toBool());
    // Nothing went to the private file.
    QVERIFY(!QFile::exists(run.report.value(QStringLiteral("file")).toString()));
    QVERIFY(!run.standardError.contains(secret));
}

void tst_SecretVault::fallbackRefusesFileOthersCanRead()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"),
                       QStringLiteral("unix:path=/nonexistent/slipway-test/bus"));
    const QString directory = m_scratch->filePath(QStringLiteral("secrets"));
    const QByteArray secret = uniqueValue(QStringLiteral("loose-")).toUtf8();
    const ChildRun first =
        runChild(QStringLiteral("write"), secret, environment, m_service, directory);
    QVERIFY(first.report.value(QStringLiteral("readMatches")).toBool());
    const QString file = first.report.value(QStringLiteral("file")).toString();

    QVERIFY(QFile::setPermissions(file, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther));
    const ChildRun second =
        runChild(QStringLiteral("read"), secret, environment, m_service, directory);
    QVERIFY(!second.report.value(QStringLiteral("readMatches")).toBool());
    const QString message = second.report.value(QStringLiteral("read")).toString();
    QVERIFY2(message.contains(QStringLiteral("can be read by other users (mode 0604)")),
             qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("chmod 600")), qPrintable(message));
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (qEnvironmentVariableIsSet(childModeVariable))
        return runVaultChild();
    tst_SecretVault test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_secretvault.moc"
