// Slipway's router against nginx in the same role, on this machine, under the same load.
// Both stand in front of the same small backend (a thread of this process) and do the same
// work: as many nginx workers as the router has I/O threads, an access log line per request
// on both sides (same fields, same 64 KB buffer written at least every second), the same
// forwarded headers, an upstream keep-alive pool of the same size. wrk loads each at
// -t1 -c32, -t2 -c50 and -t2 -c256; at each load the proxies take turns (who goes first
// alternates), three runs each, and the median of the runs counts for every figure:
// requests per second, latency p50, p99 and p99.9 (wrk's own clock), and the CPU time the
// proxy spent per request (the router's threads, nginx's processes, from /proc). That last
// figure hardly depends on the neighbours on a shared machine, unlike the others.
// Prints figures and asserts nothing about time; exits non-zero only when something could
// not run (no nginx, no wrk, a proxy that would not start) or a load had no clean run.
//
// Usage: bench_router [seconds per run, default 5]
// BENCH_ROUTER_THREADS=N: router I/O threads and nginx workers (default: the router's own).
// BENCH_ROUTER_LOADS=32,256: only these loads (connections; -t1 for 32, -t2 otherwise).
// BENCH_ROUTER_RUNS=N: runs per proxy and load (at least 3).
// BENCH_ROUTER_SANDBOXED=1 puts the router's backend inside a sandbox's network namespace;
// BENCH_ROUTER_SANDBOXED=outbound gives that namespace its outbound network too, as
// containers have, which the router's traffic must not go through.
// BENCH_ROUTER_VERBOSE=1 prints wrk's full output. BENCH_ROUTER_HOLD=S sets everything up,
// prints the ports, and waits S seconds instead of measuring (for profiling by hand).

#include "router/Router.h"
#include "runtime/OutboundNetwork.h"
#include "util/ProcessRunner.h"
#include "util/Sandbox.h"
#include "util/SandboxSocketSource.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>

#include <csignal>
#include <fcntl.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view Reply =
    "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/plain\r\n"
    "Content-Length: 13\r\n\r\nHello, world\n";

// The load target: answers every request with the same small 200, keeping connections
// alive, on one thread of its own. It only needs to find where each GET ends (wrk sends no
// bodies), so it looks for the blank line instead of parsing: it has to be much faster than
// the proxies in front of it, or they would all measure the same.
class FixedReplyServer
{
public:
    // On a free loopback port of this machine, or on `listening`, a socket already bound
    // and listening (inside a sandbox's network namespace).
    explicit FixedReplyServer(int listening = -1)
        : m_acceptor(m_context)
    {
        if (listening >= 0) {
            m_acceptor.assign(tcp::v4(), listening);
        } else {
            const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
            m_acceptor.open(endpoint.protocol());
            m_acceptor.bind(endpoint);
            m_acceptor.listen();
        }
        accept();
        std::promise<pid_t> started;
        m_thread = std::thread([this, &started] {
            started.set_value(::gettid());
            m_context.run();
        });
        m_threadId = started.get_future().get();
    }

    ~FixedReplyServer()
    {
        m_context.stop();
        m_thread.join();
    }

    quint16 port() const { return m_acceptor.local_endpoint().port(); }
    pid_t threadId() const { return m_threadId; }

private:
    class Connection : public std::enable_shared_from_this<Connection>
    {
    public:
        explicit Connection(tcp::socket socket)
            : m_socket(std::move(socket))
        {
            m_socket.set_option(tcp::no_delay(true));
        }

        void read()
        {
            m_socket.async_read_some(
                asio::buffer(m_input.data() + m_used, m_input.size() - m_used),
                [self = shared_from_this()](const boost::system::error_code &error,
                                            std::size_t received) {
                    if (!error)
                        self->answer(received);
                });
        }

    private:
        void answer(std::size_t received)
        {
            m_used += received;
            std::string_view pending(m_input.data(), m_used);
            m_output.clear();
            for (std::size_t end; (end = pending.find("\r\n\r\n")) != std::string_view::npos;) {
                m_output.append(Reply);
                pending.remove_prefix(end + 4);
            }
            if (pending.size() == m_input.size())
                return; // a request bigger than the buffer: not from wrk; drop it
            std::memmove(m_input.data(), pending.data(), pending.size());
            m_used = pending.size();
            if (m_output.empty()) {
                read();
                return;
            }
            asio::async_write(
                m_socket, asio::buffer(m_output),
                [self = shared_from_this()](const boost::system::error_code &error, std::size_t) {
                    if (!error)
                        self->read();
                });
        }

        tcp::socket m_socket;
        std::array<char, 16384> m_input{};
        std::size_t m_used = 0;
        std::string m_output;
    };

    void accept()
    {
        m_acceptor.async_accept([this](const boost::system::error_code &error, tcp::socket socket) {
            if (!error)
                std::make_shared<Connection>(std::move(socket))->read();
            accept();
        });
    }

    asio::io_context m_context{1};
    tcp::acceptor m_acceptor;
    std::thread m_thread;
    pid_t m_threadId = 0;
};

// One load, as wrk is told it.
struct Load
{
    int threads = 2;
    int connections = 50;
    QString name() const { return u"c%1"_s.arg(connections); }
};

struct Figures
{
    double requestsPerSecond = 0;
    double p50Ms = 0;
    double p99Ms = 0;
    double p999Ms = 0;
    qint64 requests = 0;
    double cpuMicrosecondsPerRequest = 0;
    QString problem; // why the run did not count
};

// utime + stime of a process or thread, in clock ticks, from its /proc stat line.
qint64 cpuTicks(const QString &statPath)
{
    QFile stat(statPath);
    if (!stat.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray line = stat.readAll();
    // The command name may contain spaces; the fields after it don't.
    const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    return fields.size() > 12 ? fields[11].toLongLong() + fields[12].toLongLong() : 0;
}

QList<qint64> childProcesses(qint64 parent)
{
    QList<qint64> children;
    const QStringList entries = QDir(u"/proc"_s).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool isPid = false;
        const qint64 pid = entry.toLongLong(&isPid);
        if (!isPid)
            continue;
        QFile stat(u"/proc/%1/stat"_s.arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields[1].toLongLong() == parent)
            children.append(pid);
    }
    return children;
}

// CPU time a proxy used, in ticks, measured around each run.
using CpuMeter = std::function<qint64()>;

// Children get none of this process's descriptors: Asio's sockets (the backend's here) are
// not close-on-exec, and wrk fails connections whose descriptor numbers run past what it
// sized its event loop for. They also go when this process goes, however it ends.
void prepareChild(QProcess &process)
{
    process.setChildProcessModifier([] {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
            for (int descriptor = 3; descriptor < 4096; ++descriptor)
                ::fcntl(descriptor, F_SETFD, FD_CLOEXEC);
        }
    });
}

quint16 freePort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();
}

bool waitForPort(quint16 port, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, port);
        if (probe.waitForConnected(200))
            return true;
        QThread::msleep(50);
    }
    return false;
}

// wrk prints p50/p75/p90/p99 only; this script adds p99.9 (all in microseconds).
constexpr QByteArrayView PercentileScript =
    "done = function(summary, latency, requests)\n"
    "  io.write(string.format(\"bench-latency-us %d %d %d\\n\", latency:percentile(50),\n"
    "           latency:percentile(99), latency:percentile(99.9)))\n"
    "end\n";

// Runs wrk while this thread's event loop goes on (the router hands its access log lines
// to it, as to the daemon's), and reads its figures.
Figures runWrk(const QString &wrk, const QString &script, const Load &load, quint16 port,
               int seconds, const CpuMeter &cpu = {})
{
    const qint64 ticksBefore = cpu ? cpu() : 0;
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    prepareChild(process);
    QEventLoop loop;
    QObject::connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
    QObject::connect(&process, &QProcess::errorOccurred, &loop, &QEventLoop::quit);
    QTimer limit;
    limit.setSingleShot(true);
    QObject::connect(&limit, &QTimer::timeout, &loop, &QEventLoop::quit);
    process.start(wrk, {u"-t%1"_s.arg(load.threads), u"-c%1"_s.arg(load.connections),
                        u"-d%1s"_s.arg(seconds), u"--latency"_s, u"-s"_s, script, u"-H"_s,
                        u"Host: bench.localhost"_s, u"http://127.0.0.1:%1/"_s.arg(port)});
    limit.start((seconds + 30) * 1000);
    loop.exec();
    Figures figures;
    if (process.state() != QProcess::NotRunning || process.exitStatus() != QProcess::NormalExit ||
        process.exitCode() != 0) {
        process.kill();
        process.waitForFinished(2000);
        figures.problem = u"wrk failed: "_s + QString::fromUtf8(process.readAll());
        return figures;
    }
    const qint64 ticksUsed = cpu ? cpu() - ticksBefore : 0;
    const QString output = QString::fromUtf8(process.readAll());
    const auto rate = QRegularExpression(u"Requests/sec:\\s+([\\d.]+)"_s).match(output);
    const auto latency =
        QRegularExpression(u"bench-latency-us (\\d+) (\\d+) (\\d+)"_s).match(output);
    if (!rate.hasMatch() || !latency.hasMatch()) {
        figures.problem = u"unexpected wrk output: "_s + output;
        return figures;
    }
    figures.requestsPerSecond = rate.captured(1).toDouble();
    figures.requests =
        QRegularExpression(u"(\\d+) requests in"_s).match(output).captured(1).toLongLong();
    figures.p50Ms = latency.captured(1).toDouble() / 1000.0;
    figures.p99Ms = latency.captured(2).toDouble() / 1000.0;
    figures.p999Ms = latency.captured(3).toDouble() / 1000.0;
    if (figures.requests > 0)
        figures.cpuMicrosecondsPerRequest =
            double(ticksUsed) * 1e6 / double(::sysconf(_SC_CLK_TCK)) / double(figures.requests);
    // Errors make a fast run meaningless: a proxy answering 502 quickly is not fast.
    const auto bad = QRegularExpression(u"Non-2xx or 3xx responses:\\s+(\\d+)"_s).match(output);
    const auto socketErrors = QRegularExpression(u"Socket errors:([^\\n]*)"_s).match(output);
    if (bad.hasMatch())
        figures.problem = u"%1 non-2xx answers"_s.arg(bad.captured(1));
    else if (socketErrors.hasMatch())
        figures.problem = u"socket errors:"_s + socketErrors.captured(1);
    if (qEnvironmentVariableIsSet("BENCH_ROUTER_VERBOSE"))
        std::printf("%s\n", qPrintable(output));
    return figures;
}

// nginx from Debian, configured for the router's job: as many workers as the router has I/O
// threads, HTTP/1.1 keep-alive to the backend with an idle pool as large as the router's
// (32 per worker), the same forwarded headers, and an access log line per request with the
// same fields, buffered as the router buffers its own (64 KB, written at least every second).
class Nginx
{
public:
    Nginx(const QString &binary, const QString &directory, quint16 backendPort, int workers)
        : m_directory(directory)
        , m_port(freePort())
    {
        QDir().mkpath(directory + u"/logs"_s);
        QFile config(directory + u"/nginx.conf"_s);
        if (!config.open(QIODevice::WriteOnly))
            return;
        const QByteArray dir = directory.toUtf8();
        QByteArray text;
        if (::geteuid() == 0)
            text += "user root;\n";
        text += "worker_processes " + QByteArray::number(workers) +
                ";\n"
                "daemon off;\n"
                "pid " +
                dir + "/nginx.pid;\nerror_log " + dir +
                "/logs/error.log warn;\n"
                "events { worker_connections 4096; }\n"
                "http {\n"
                "  log_format slipway '$time_iso8601 $remote_addr $request_method $request_uri "
                "$status $body_bytes_sent ${request_time}s $upstream_addr $request_id';\n"
                "  access_log " +
                dir +
                "/logs/access.log slipway buffer=64k flush=1s;\n"
                "  client_body_temp_path " +
                dir + "/body;\n  proxy_temp_path " + dir + "/proxy;\n  fastcgi_temp_path " + dir +
                "/fastcgi;\n  uwsgi_temp_path " + dir + "/uwsgi;\n  scgi_temp_path " + dir +
                "/scgi;\n"
                "  upstream backend { server 127.0.0.1:" +
                QByteArray::number(backendPort) +
                "; keepalive 32; }\n"
                "  server {\n"
                "    listen 127.0.0.1:" +
                QByteArray::number(m_port) +
                ";\n"
                "    location / {\n"
                "      proxy_pass http://backend;\n"
                "      proxy_http_version 1.1;\n"
                "      proxy_set_header Connection \"\";\n"
                "      proxy_set_header Host $http_host;\n"
                "      proxy_set_header X-Forwarded-For $remote_addr;\n"
                "      proxy_set_header Forwarded \"\";\n"
                "      proxy_set_header X-Real-IP \"\";\n"
                "      proxy_set_header X-Forwarded-Proto $scheme;\n"
                "      proxy_set_header X-Forwarded-Host $http_host;\n"
                "      proxy_set_header X-Request-Id $request_id;\n"
                "      add_header X-Request-Id $request_id;\n"
                "    }\n"
                "  }\n"
                "}\n";
        config.write(text);
        config.close();
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        prepareChild(m_process);
        m_process.start(binary, {u"-p"_s, directory, u"-e"_s, directory + u"/logs/error.log"_s,
                                 u"-c"_s, directory + u"/nginx.conf"_s});
        m_started = m_process.waitForStarted(5000) && waitForPort(m_port, 10000);
    }

    ~Nginx()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.terminate(); // SIGTERM: nginx's fast shutdown, workers included
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished(2000);
        }
    }

    bool isRunning() const { return m_started && m_process.state() == QProcess::Running; }
    qint64 processId() const { return m_process.processId(); }
    quint16 port() const { return m_port; }
    QString diagnostics()
    {
        QFile log(m_directory + u"/logs/error.log"_s);
        log.open(QIODevice::ReadOnly);
        return QString::fromUtf8(m_process.readAll() + log.readAll());
    }

private:
    QString m_directory;
    quint16 m_port = 0;
    QProcess m_process;
    bool m_started = false;
};

double median(QList<double> values)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const qsizetype middle = values.size() / 2;
    return values.size() % 2 ? values.at(middle) : (values.at(middle - 1) + values.at(middle)) / 2;
}

// The median of each figure over the clean runs (each figure on its own).
Figures medianOf(const QList<Figures> &runs)
{
    QList<double> rates, p50, p99, p999, cpu;
    for (const Figures &run : runs) {
        if (!run.problem.isEmpty())
            continue;
        rates.append(run.requestsPerSecond);
        p50.append(run.p50Ms);
        p99.append(run.p99Ms);
        p999.append(run.p999Ms);
        cpu.append(run.cpuMicrosecondsPerRequest);
    }
    Figures result;
    result.requests = rates.size(); // here: how many runs counted
    result.requestsPerSecond = median(rates);
    result.p50Ms = median(p50);
    result.p99Ms = median(p99);
    result.p999Ms = median(p999);
    result.cpuMicrosecondsPerRequest = median(cpu);
    return result;
}

QString describe(const Figures &run)
{
    if (!run.problem.isEmpty() && run.requestsPerSecond == 0)
        return run.problem;
    QString text =
        u"%1 req/s p50 %2 p99 %3 p99.9 %4 ms cpu %5 us/req"_s.arg(run.requestsPerSecond, 0, 'f', 0)
            .arg(run.p50Ms, 0, 'f', 2)
            .arg(run.p99Ms, 0, 'f', 2)
            .arg(run.p999Ms, 0, 'f', 2)
            .arg(run.cpuMicrosecondsPerRequest, 0, 'f', 1);
    if (!run.problem.isEmpty())
        text += u" ("_s + run.problem + u")"_s;
    return text;
}

QList<Load> loadsToRun()
{
    const QList<Load> all = {{1, 32}, {2, 50}, {2, 256}};
    const QString chosen = qEnvironmentVariable("BENCH_ROUTER_LOADS");
    if (chosen.isEmpty())
        return all;
    QList<Load> loads;
    for (const QString &each : chosen.split(u',', Qt::SkipEmptyParts)) {
        const int connections = each.trimmed().toInt();
        if (connections <= 0)
            continue;
        const auto known = std::find_if(all.begin(), all.end(), [&](const Load &load) {
            return load.connections == connections;
        });
        loads.append(known != all.end() ? *known : Load{2, connections});
    }
    return loads;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication application(argc, argv);
    const int seconds = argc > 1 ? std::max(1, QString::fromLocal8Bit(argv[1]).toInt()) : 5;
    const int runs = std::max(3, qEnvironmentVariableIntValue("BENCH_ROUTER_RUNS"));

    const QStringList sbin = {u"/usr/sbin"_s, u"/usr/local/sbin"_s, u"/sbin"_s};
    const QString wrk = QStandardPaths::findExecutable(u"wrk"_s);
    QString nginxBinary = QStandardPaths::findExecutable(u"nginx"_s);
    if (nginxBinary.isEmpty())
        nginxBinary = QStandardPaths::findExecutable(u"nginx"_s, sbin);
    if (wrk.isEmpty() || nginxBinary.isEmpty()) {
        std::fprintf(
            stderr,
            "bench_router: needs wrk and nginx (packaging/setup-debian.sh installs them)\n");
        return 2;
    }
    QTemporaryDir work;
    if (!work.isValid())
        return 2;
    const QString script = work.filePath(u"percentiles.lua"_s);
    {
        QFile file(script);
        if (!file.open(QIODevice::WriteOnly) || file.write(PercentileScript.toByteArray()) < 0)
            return 2;
    }

    FixedReplyServer backend;

    Slipway::Router::Options options;
    if (qEnvironmentVariableIsSet("BENCH_ROUTER_THREADS"))
        options.threads = std::max(1, qEnvironmentVariableIntValue("BENCH_ROUTER_THREADS"));
    options.accessLogDirectory = work.filePath(u"slipway-logs"_s);
    const QList<Load> loads = loadsToRun();
    QStringList loadNames;
    for (const Load &load : loads)
        loadNames.append(u"-t%1 -c%2"_s.arg(load.threads).arg(load.connections));
    std::printf("router_setup: %d s per run, %d runs per proxy and load (median), wrk %s, "
                "%d router threads = %d nginx workers, access logs on, %d CPUs\n",
                seconds, runs, qPrintable(loadNames.join(u", "_s)), options.threads,
                options.threads, QThread::idealThreadCount());
    Slipway::Router router(options);
    if (const Slipway::Result<void> started = router.start(); !started) {
        std::fprintf(stderr, "bench_router: %s\n", qPrintable(started.error().message));
        return 2;
    }
    // BENCH_ROUTER_SANDBOXED=1: the router's backend listens inside a container's network
    // namespace, reached the way the router reaches containers (sockets made there by
    // slipway-sandbox-init); nginx and the reference keep the host's loopback.
    std::unique_ptr<Slipway::ProcessRunner> sandbox;
    std::unique_ptr<Slipway::OutboundNetwork> network;
    std::unique_ptr<FixedReplyServer> sandboxedBackend;
    Slipway::Backend routed{u"web-1"_s, u"127.0.0.1"_s, backend.port(), {}};
    if (qEnvironmentVariableIsSet("BENCH_ROUTER_SANDBOXED")) {
        int channel[2] = {-1, -1};
        if (!Slipway::Sandbox::isAvailable() ||
            !Slipway::SandboxSocketSource::makeChannel(channel)) {
            std::fprintf(stderr, "bench_router: no sandbox here: %s\n",
                         qPrintable(Slipway::Sandbox::unavailableReason()));
            return 2;
        }
        routed.sockets = std::make_shared<Slipway::SandboxSocketSource>(channel[0]);
        Slipway::Sandbox::Setup setup;
        setup.socketChannel = channel[1];
        Slipway::ProcessRunner::Spec spec;
        spec.program = u"/bin/sleep"_s;
        spec.arguments = {u"100000"_s};
        spec.passedDescriptors = {channel[1]};
        if (qgetenv("BENCH_ROUTER_SANDBOXED") == "outbound") {
            network = std::make_unique<Slipway::OutboundNetwork>();
            const auto ends = network->prepare();
            if (!Slipway::OutboundNetwork::isAvailable() || !ends) {
                std::fprintf(stderr, "bench_router: no outbound network here: %s\n",
                             qPrintable(Slipway::OutboundNetwork::unavailableReason()));
                return 2;
            }
            setup.infoDescriptor = ends->info;
            setup.holdDescriptor = ends->hold;
            spec.passedDescriptors << ends->info << ends->hold;
        }
        spec.sandboxArguments = Slipway::Sandbox::arguments(setup);
        sandbox = std::make_unique<Slipway::ProcessRunner>();
        sandbox->start(spec);
        if (network)
            network->connectSandbox();
        QElapsedTimer waited;
        waited.start();
        // Measured with the way out in place, as a container runs.
        while (network && !network->isReady() && waited.elapsed() < 15000) {
            QCoreApplication::processEvents();
            QThread::msleep(5);
        }
        if (network && !network->isReady()) {
            std::fprintf(stderr, "bench_router: the sandbox's outbound network did not come up\n");
            return 2;
        }
        int listening = -1;
        while (listening < 0 && waited.elapsed() < 10000) {
            QCoreApplication::processEvents();
            listening = routed.sockets->makeSocket(false, 0); // never waits while it starts
            if (listening < 0)
                QThread::msleep(20);
        }
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (listening < 0 ||
            ::bind(listening, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
            ::listen(listening, 1024) != 0) {
            std::fprintf(stderr, "bench_router: cannot listen inside the sandbox\n");
            return 2;
        }
        sandboxedBackend = std::make_unique<FixedReplyServer>(listening);
        routed.port = sandboxedBackend->port();
        std::printf(
            "router_setup: the router's backend is inside a sandbox's network namespace%s\n",
            network && network->isReady() ? ", which has its outbound network" : "");
    }
    router.setBackends(u"bench"_s, {routed});

    Nginx nginx(nginxBinary, work.filePath(u"nginx"_s), backend.port(), options.threads);
    if (!nginx.isRunning()) {
        std::fprintf(stderr, "bench_router: nginx did not start: %s\n",
                     qPrintable(nginx.diagnostics()));
        return 2;
    }

    if (qEnvironmentVariableIsSet("BENCH_ROUTER_HOLD")) {
        std::printf("HOLD backend %d router %d nginx %d\n", backend.port(), router.port(),
                    nginx.port());
        std::fflush(stdout);
        QEventLoop hold;
        QTimer::singleShot(qEnvironmentVariableIntValue("BENCH_ROUTER_HOLD") * 1000, &hold,
                           &QEventLoop::quit);
        hold.exec(); // the router's access log goes on being written meanwhile
        return 0;
    }

    // The router's share of this process: every thread but the backends' (the main thread
    // included: it is where the router's access log lines may end up).
    const CpuMeter routerCpu = [&] {
        return cpuTicks(u"/proc/self/stat"_s) -
               cpuTicks(u"/proc/self/task/%1/stat"_s.arg(backend.threadId())) -
               (sandboxedBackend
                    ? cpuTicks(u"/proc/self/task/%1/stat"_s.arg(sandboxedBackend->threadId()))
                    : 0);
    };
    const QList<qint64> nginxWorkers = childProcesses(nginx.processId());
    const CpuMeter nginxCpu = [&] {
        qint64 ticks = cpuTicks(u"/proc/%1/stat"_s.arg(nginx.processId()));
        for (const qint64 worker : nginxWorkers)
            ticks += cpuTicks(u"/proc/%1/stat"_s.arg(worker));
        return ticks;
    };

    bool complete = true;
    for (const Load &load : loads) {
        const QString name = load.name();
        const Figures direct = runWrk(wrk, script, load, backend.port(), std::max(1, seconds / 2));
        if (!direct.problem.isEmpty()) {
            std::fprintf(stderr, "bench_router: backend alone: %s\n", qPrintable(direct.problem));
            return 2;
        }
        std::printf("router_%s_direct: backend alone %s (reference, wrk -t%d -c%d)\n",
                    qPrintable(name), qPrintable(describe(direct)), load.threads, load.connections);
        // Both warmed up (pools filled, caches hot) before anything counts.
        runWrk(wrk, script, load, router.port(), 1);
        runWrk(wrk, script, load, nginx.port(), 1);

        QList<Figures> ours;
        QList<Figures> theirs;
        for (int run = 1; run <= runs; ++run) {
            // Who goes first alternates, so neither always runs right after the other.
            const bool oursFirst = run % 2 == 1;
            for (int turn = 0; turn < 2; ++turn) {
                if ((turn == 0) == oursFirst)
                    ours.append(runWrk(wrk, script, load, router.port(), seconds, routerCpu));
                else
                    theirs.append(runWrk(wrk, script, load, nginx.port(), seconds, nginxCpu));
            }
            std::printf("router_%s_run_%d: slipway %s | nginx %s\n", qPrintable(name), run,
                        qPrintable(describe(ours.constLast())),
                        qPrintable(describe(theirs.constLast())));
            std::fflush(stdout);
        }
        const Figures slipway = medianOf(ours);
        const Figures reference = medianOf(theirs);
        if (slipway.requests == 0 || reference.requests == 0) {
            std::printf("router_%s: no clean run for %s\n", qPrintable(name),
                        slipway.requests == 0 ? "slipway" : "nginx");
            complete = false;
            continue;
        }
        auto ratio = [](double ours, double theirs) { return theirs > 0 ? ours / theirs : 0.0; };
        std::printf("router_%s_throughput: slipway %.0f req/s, nginx %.0f req/s, ratio %.2f "
                    "(median of %lld and %lld runs; goal >= 1.0)\n",
                    qPrintable(name), slipway.requestsPerSecond, reference.requestsPerSecond,
                    ratio(slipway.requestsPerSecond, reference.requestsPerSecond), slipway.requests,
                    reference.requests);
        const std::pair<const char *, double Figures::*> latencies[] = {
            {"p50", &Figures::p50Ms}, {"p99", &Figures::p99Ms}, {"p999", &Figures::p999Ms}};
        for (const auto &[label, field] : latencies)
            std::printf("router_%s_%s: slipway %.2f ms, nginx %.2f ms, ratio %.2f (goal <= 1.0)\n",
                        qPrintable(name), label, slipway.*field, reference.*field,
                        ratio(slipway.*field, reference.*field));
        std::printf("router_%s_cpu: slipway %.1f us/request, nginx %.1f us/request, ratio %.2f "
                    "(CPU the proxy itself spent; goal <= 1.0)\n",
                    qPrintable(name), slipway.cpuMicrosecondsPerRequest,
                    reference.cpuMicrosecondsPerRequest,
                    ratio(slipway.cpuMicrosecondsPerRequest, reference.cpuMicrosecondsPerRequest));
        std::fflush(stdout);
    }
    return complete ? 0 : 1;
}
