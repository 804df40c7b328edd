#include "api/DaemonLauncher.h"

#include "util/Paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QThread>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace Slipway {

namespace {

constexpr int StartTimeoutMs = 10000;

// The last non-empty line the daemon wrote before it gave up, to say why in one line.
QString lastLogLine(const QString &path)
{
    QFile file(path);
    if (path.isEmpty() || !file.open(QIODevice::ReadOnly))
        return {};
    if (file.size() > 8192)
        file.seek(file.size() - 8192);
    const QList<QByteArray> lines = file.readAll().split('\n');
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        const QByteArray line = it->trimmed();
        if (!line.isEmpty())
            return QString::fromUtf8(line);
    }
    return {};
}

} // namespace

QString DaemonLauncher::defaultSocketPath()
{
    const QString fromEnvironment = qEnvironmentVariable("SLIPWAY_SOCKET");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    const QString runtimeDirectory = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtimeDirectory.isEmpty())
        return runtimeDirectory + QStringLiteral("/slipway/slipwayd.sock");
    return QStringLiteral("/tmp/slipway-%1/slipwayd.sock").arg(::getuid());
}

bool DaemonLauncher::isListening(const QString &socketPath)
{
    const QByteArray path = QFile::encodeName(socketPath);
    sockaddr_un address{};
    if (path.isEmpty() || size_t(path.size()) >= sizeof(address.sun_path))
        return false;
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    const bool connected =
        ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof(address)) == 0;
    ::close(fd);
    return connected;
}

QString DaemonLauncher::daemonProgram()
{
    const QDir here(QCoreApplication::applicationDirPath());
    for (const QString &candidate :
         {here.absoluteFilePath(QStringLiteral("slipwayd")),
          here.absoluteFilePath(QStringLiteral("../slipwayd/slipwayd"))}) {
        const QFileInfo info(candidate);
        if (info.isFile() && info.isExecutable())
            return info.canonicalFilePath();
    }
    return QStandardPaths::findExecutable(QStringLiteral("slipwayd"));
}

DaemonLauncher::DaemonLauncher(const QString &socketPath, const QString &dataDirectory)
    // The daemon runs from "/", so relative paths are made absolute here.
    : m_socketPath(QFileInfo(socketPath).absoluteFilePath())
    , m_dataDirectory(dataDirectory.isEmpty() ? QString()
                                              : QFileInfo(dataDirectory).absoluteFilePath())
{}

Result<void> DaemonLauncher::checkProgram() const
{
    if (daemonProgram().isEmpty()) {
        return failure(QStringLiteral("no daemon answers on %1 and slipwayd was found neither "
                                      "next to slipctl nor on PATH; install it or start it "
                                      "yourself with: slipwayd --socket %1")
                           .arg(m_socketPath));
    }
    return {};
}

Result<void> DaemonLauncher::start()
{
    if (Result<void> found = checkProgram(); !found)
        return found;
    const QString program = daemonProgram();

    QStringList arguments{QStringLiteral("--socket"), m_socketPath};
    if (!m_dataDirectory.isEmpty())
        arguments << QStringLiteral("--data-dir") << m_dataDirectory;

    const QString logDirectory =
        m_dataDirectory.isEmpty() ? Paths::dataDirectory() : m_dataDirectory;
    m_logFile.clear();
    int logFd = -1;
    if (QDir().mkpath(logDirectory)) {
        const QString path = logDirectory + QStringLiteral("/slipwayd.log");
        logFd = ::open(QFile::encodeName(path).constData(),
                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (logFd >= 0)
            m_logFile = path;
    }
    if (logFd < 0)
        logFd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    const int nullFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

    // Everything the child needs is prepared before fork: after it, only async-signal-safe
    // calls are allowed.
    const QByteArray programPath = QFile::encodeName(program);
    std::vector<QByteArray> storage;
    storage.push_back(programPath);
    for (const QString &argument : std::as_const(arguments))
        storage.push_back(argument.toLocal8Bit());
    std::vector<char *> argv;
    for (QByteArray &argument : storage)
        argv.push_back(argument.data());
    argv.push_back(nullptr);

    // A close-on-exec pipe tells whether exec worked: EOF means it did, an errno that it
    // did not.
    int execPipe[2];
    if (::pipe2(execPipe, O_CLOEXEC) != 0) {
        ::close(logFd);
        ::close(nullFd);
        return failure(QStringLiteral("cannot start slipwayd: %1")
                           .arg(QString::fromLocal8Bit(std::strerror(errno))));
    }

    const pid_t pid = ::fork();
    if (pid == 0) {
        // Its own session: no controlling terminal, so Ctrl-C on slipctl never reaches it.
        ::setsid();
        // Not holding the user's working folder busy (or unmountable) for the daemon's life.
        [[maybe_unused]] const int changed = ::chdir("/");
        ::dup2(nullFd, STDIN_FILENO);
        ::dup2(logFd, STDOUT_FILENO);
        ::dup2(logFd, STDERR_FILENO);
        ::execv(argv[0], argv.data());
        const int error = errno;
        [[maybe_unused]] const ssize_t written = ::write(execPipe[1], &error, sizeof error);
        ::_exit(127);
    }
    const int forkError = errno;
    ::close(execPipe[1]);
    ::close(logFd);
    ::close(nullFd);
    if (pid < 0) {
        ::close(execPipe[0]);
        return failure(QStringLiteral("cannot start slipwayd: %1")
                           .arg(QString::fromLocal8Bit(std::strerror(forkError))));
    }
    int execError = 0;
    ssize_t got;
    do {
        got = ::read(execPipe[0], &execError, sizeof execError);
    } while (got < 0 && errno == EINTR);
    ::close(execPipe[0]);
    if (got == sizeof execError) {
        ::waitpid(pid, nullptr, 0);
        return failure(QStringLiteral("cannot run %1: %2")
                           .arg(program, QString::fromLocal8Bit(std::strerror(execError))));
    }

    const QString logHint =
        m_logFile.isEmpty() ? QString() : QStringLiteral("; its log is %1").arg(m_logFile);
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < StartTimeoutMs) {
        if (isListening(m_socketPath))
            return {};
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            const QString why = lastLogLine(m_logFile);
            const QString how = WIFEXITED(status)
                                    ? QStringLiteral("exit status %1").arg(WEXITSTATUS(status))
                                    : QStringLiteral("signal %1").arg(WTERMSIG(status));
            return failure(
                QStringLiteral("slipwayd stopped at start (%1)%2%3")
                    .arg(how, why.isEmpty() ? QString() : QStringLiteral(": ") + why, logHint));
        }
        QThread::msleep(50);
    }
    return failure(QStringLiteral("started slipwayd (pid %1) but nothing answered on %2 within "
                                  "%3 s%4")
                       .arg(pid)
                       .arg(m_socketPath)
                       .arg(StartTimeoutMs / 1000)
                       .arg(logHint));
}

} // namespace Slipway
