// slipwayd: the engine as a daemon for one user. The console and slipctl are its clients.

#include "daemon/Daemon.h"
#include "store/Store.h"
#include "util/Paths.h"
#include "util/SignalWatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTextStream>
#include <QTimer>

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace Slipway;

namespace {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

bool parseHostPort(const QString &text, QString *host, quint16 *port)
{
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    bool ok = false;
    const uint value = text.mid(colon + 1).toUInt(&ok);
    if (!ok || value > 65535)
        return false;
    *host = text.left(colon);
    *port = quint16(value);
    return true;
}

QString slipctlBeside()
{
    const QDir here(QCoreApplication::applicationDirPath());
    for (const QString &candidate : {here.filePath(QStringLiteral("slipctl")),
                                     here.filePath(QStringLiteral("../slipctl/slipctl"))}) {
        if (QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).canonicalFilePath();
    }
    return QStringLiteral("slipctl");
}

// `slipwayd token create|revoke|list`: works on the store directly, daemon running or not.
int tokenCommand(const QString &dataDirectory, const QStringList &arguments)
{
    Result<std::unique_ptr<Store>> store =
        Store::open(dataDirectory + QStringLiteral("/slipway.db"));
    if (!store) {
        err() << "slipwayd: " << store.error().message << '\n';
        return 1;
    }
    const QString action = arguments.value(0);
    if (action == QLatin1String("create") && arguments.size() == 2) {
        QByteArray token(32, Qt::Uninitialized);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(token.data()),
                                              token.size() / 4);
        const QByteArray text = "slp_" + token.toHex();
        const Result<TokenRecord> added =
            (*store)->addToken(arguments.at(1), Store::hashToken(text));
        if (!added) {
            err() << "slipwayd: " << added.error().message << '\n';
            return 1;
        }
        out() << text << '\n';
        err() << "Token '" << arguments.at(1) << "' created; it is shown only now.\n";
        return 0;
    }
    if (action == QLatin1String("revoke") && arguments.size() == 2) {
        if (const Result<void> revoked = (*store)->revokeToken(arguments.at(1)); !revoked) {
            err() << "slipwayd: " << revoked.error().message << '\n';
            return 1;
        }
        out() << "Token '" << arguments.at(1) << "' revoked.\n";
        return 0;
    }
    if (action == QLatin1String("list") && arguments.size() == 1) {
        const Result<QList<TokenRecord>> tokens = (*store)->tokens();
        for (const TokenRecord &token : tokens.value_or(QList<TokenRecord>())) {
            out() << token.name << '\t' << token.createdAt.toString(Qt::ISODate) << '\t'
                  << (token.isRevoked() ? QStringLiteral("revoked") : QStringLiteral("valid"))
                  << '\n';
        }
        return 0;
    }
    err()
        << "Usage: slipwayd [--data-dir DIR] token create NAME | token revoke NAME | token list\n";
    return 2;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("slipwayd"));
    QCoreApplication::setOrganizationName(QStringLiteral("slipway"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SLIPWAY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Slipway's engine: apps, containers, router and API for one user."));
    const QCommandLineOption dataOption(QStringLiteral("data-dir"),
                                        QStringLiteral("where apps, releases and logs are kept"),
                                        QStringLiteral("DIR"));
    const QCommandLineOption socketOption(
        QStringLiteral("socket"), QStringLiteral("the API's Unix socket"), QStringLiteral("PATH"));
    const QCommandLineOption routerOption(
        QStringLiteral("router"),
        QStringLiteral("the router's address (default 127.0.0.1:0, any free port)"),
        QStringLiteral("HOST:PORT"));
    const QCommandLineOption trustedProxyOption(
        QStringLiteral("trusted-proxy"),
        QStringLiteral("a proxy in front of the router whose X-Forwarded-For is kept "
                       "(repeatable)"),
        QStringLiteral("ADDRESS"));
    const QCommandLineOption listenOption(
        QStringLiteral("listen"),
        QStringLiteral("also serve the API over TLS on TCP (needs --tls-cert and --tls-key)"),
        QStringLiteral("HOST:PORT"));
    const QCommandLineOption certOption(QStringLiteral("tls-cert"),
                                        QStringLiteral("PEM certificate for --listen"),
                                        QStringLiteral("FILE"));
    const QCommandLineOption keyOption(QStringLiteral("tls-key"),
                                       QStringLiteral("PEM private key for --listen"),
                                       QStringLiteral("FILE"));
    const QCommandLineOption uploadOption(
        QStringLiteral("max-upload"),
        QStringLiteral("largest uploaded archive in MB (default 512)"), QStringLiteral("MB"));
    const QCommandLineOption buildMemoryOption(
        QStringLiteral("max-build-memory"),
        QStringLiteral("memory a build's bin/compile may use in MB (default: half the machine's, "
                       "at most 4096; 0: no limit)"),
        QStringLiteral("MB"));
    parser.addOptions({dataOption, socketOption, routerOption, trustedProxyOption, listenOption,
                       certOption, keyOption, uploadOption, buildMemoryOption});
    parser.addPositionalArgument(
        QStringLiteral("token"),
        QStringLiteral("token create NAME | token revoke NAME | token list"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.process(app);

    Daemon::Options options;
    options.dataDirectory = parser.isSet(dataOption)
                                ? QFileInfo(parser.value(dataOption)).absoluteFilePath()
                                : Daemon::defaultDataDirectory();
    if (parser.positionalArguments().value(0) == QLatin1String("token"))
        return tokenCommand(options.dataDirectory, parser.positionalArguments().mid(1));
    if (!parser.positionalArguments().isEmpty()) {
        err() << "slipwayd: unknown command '" << parser.positionalArguments().first() << "'\n";
        return 2;
    }
    options.socketPath = parser.isSet(socketOption)
                             ? QFileInfo(parser.value(socketOption)).absoluteFilePath()
                             : Daemon::defaultSocketPath();
    if (parser.isSet(routerOption) &&
        !parseHostPort(parser.value(routerOption), &options.routerAddress, &options.routerPort)) {
        err() << "slipwayd: --router takes HOST:PORT, such as 127.0.0.1:8080\n";
        return 2;
    }
    if (parser.isSet(listenOption)) {
        if (!parseHostPort(parser.value(listenOption), &options.listenAddress,
                           &options.listenPort)) {
            err() << "slipwayd: --listen takes HOST:PORT, such as 0.0.0.0:7443\n";
            return 2;
        }
        options.tlsCertificate = parser.value(certOption);
        options.tlsKey = parser.value(keyOption);
    }
    if (parser.isSet(uploadOption)) {
        bool ok = false;
        const qint64 megabytes = parser.value(uploadOption).toLongLong(&ok);
        if (!ok || megabytes <= 0) {
            err() << "slipwayd: --max-upload takes a positive number of MB\n";
            return 2;
        }
        options.maxUploadBytes = megabytes * 1024 * 1024;
    }
    if (parser.isSet(buildMemoryOption)) {
        bool ok = false;
        const qint64 megabytes = parser.value(buildMemoryOption).toLongLong(&ok);
        if (!ok || megabytes < 0) {
            err() << "slipwayd: --max-build-memory takes a number of MB (0 for no limit)\n";
            return 2;
        }
        options.buildMemoryLimit = megabytes * 1024 * 1024;
    }
    options.trustedProxies = parser.values(trustedProxyOption);
    options.slipctlProgram = slipctlBeside();
    options.builtinBuildpacksDirectory = Paths::builtinBuildpacksDirectory();
    options.version = QCoreApplication::applicationVersion();

    // Every client, backend and container log is a descriptor: the usual soft limit of
    // 1024 is gone after a few hundred idle connections, and then nothing answers.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    if (::geteuid() == 0)
        err() << "slipwayd: running as root is not needed; apps and builds run as 'nobody' in "
                 "their sandboxes anyway. Run slipwayd as an ordinary user when you can.\n";
    err().flush();

    Daemon daemon(options);
    SignalWatcher interrupts;
    bool stopping = false;
    auto stop = [&] {
        if (stopping)
            return;
        stopping = true;
        err() << "slipwayd: stopping every container\n";
        err().flush();
        daemon.stop([] { QCoreApplication::exit(0); });
    };
    QObject::connect(&interrupts, &SignalWatcher::interrupted, &daemon, stop);
    QObject::connect(&daemon, &Daemon::shutdownRequested, &daemon, stop);
    int status = 0;
    daemon.start([&](const Result<void> &started) {
        if (!started) {
            err() << "slipwayd: " << started.error().message << '\n';
            err().flush();
            status = 1;
            QCoreApplication::exit(1);
            return;
        }
        out() << "slipwayd " << options.version << " ready: API on " << options.socketPath << '\n';
        out().flush();
    });
    // The router and the API allocate and free many small buffers per request on several
    // threads; glibc keeps the pages they freed in its arenas, so after a busy hour the
    // daemon's resident memory stays near its high-water mark while its heap holds a
    // fraction of it (the soak: 35 → 200 MB resident over 30 minutes, though heap profiling
    // never found more than 36 MB in use). Once a minute the free pages go back.
    QTimer trimmer;
    QObject::connect(&trimmer, &QTimer::timeout, [] { ::malloc_trim(0); });
    trimmer.start(std::chrono::minutes(1));
    const int code = QCoreApplication::exec();
    return status ? status : code;
}
