// The API's round trip on the Unix socket, as slipctl and the console see it: ApiClient
// doing sequential GETs of a small JSON status on one kept-alive connection, through the
// I/O thread to the handler on the Qt thread and back. For comparison, curl --unix-socket
// run once per request (what a shell script would do), which includes starting a process.
// Prints figures; asserts nothing about time. Exits non-zero only when something could not
// run (the server would not start, a request failed, no curl).
//
// Usage: bench_api [requests, default 2000]

#include "api/ApiClient.h"
#include "api/ApiServer.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

using namespace Slipway;
using namespace Qt::StringLiterals;

namespace {

constexpr int WarmUp = 100;
constexpr int CurlRuns = 20;

struct Figures
{
    double median = 0;
    double p99 = 0;
};

Figures figuresOf(std::vector<double> samples)
{
    Figures figures;
    if (samples.empty())
        return figures;
    std::sort(samples.begin(), samples.end());
    figures.median = samples[samples.size() / 2];
    figures.p99 = samples[std::min(samples.size() - 1, samples.size() * 99 / 100)];
    return figures;
}

// A status like the daemon's: a few fields and a short list.
QJsonObject statusDocument()
{
    QJsonArray apps;
    for (const char *name : {"blog", "shop", "api"})
        apps.append(QJsonObject{
            {u"name"_s, QString::fromLatin1(name)}, {u"state"_s, u"running"_s}, {u"web"_s, 2}});
    return QJsonObject{{u"status"_s, u"ok"_s},
                       {u"version"_s, u"0.1.0"_s},
                       {u"apps"_s, apps},
                       {u"uptime"_s, 12345}};
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication application(argc, argv);
    const int requests = argc > 1 ? std::max(1, QString::fromLocal8Bit(argv[1]).toInt()) : 2000;

    QTemporaryDir directory;
    if (!directory.isValid()) {
        std::fprintf(stderr, "bench_api: no temporary folder\n");
        return 1;
    }
    ApiServer::Options options;
    options.socketPath = directory.filePath(u"api.sock"_s);
    options.spoolDirectory = directory.filePath(u"spool"_s);
    ApiServer server(options);
    const QJsonObject status = statusDocument();
    server.setHandler([&status](const ApiRequest &, std::shared_ptr<ApiResponder> responder) {
        responder->send(200, status);
    });
    if (const Result<void> started = server.start(); !started) {
        std::fprintf(stderr, "bench_api: %s\n", qPrintable(started.error().message));
        return 1;
    }

    const QString curl = QStandardPaths::findExecutable(u"curl"_s);
    std::vector<double> roundTrips;
    std::vector<double> curlWall;
    std::vector<double> curlOwn;
    QString failure;
    // The clients run on a thread of their own: the handler needs this thread's event loop.
    std::thread clients([&] {
        ApiClient client = ApiClient::unixSocket(options.socketPath);
        roundTrips.reserve(std::size_t(requests));
        for (int i = 0; i < WarmUp + requests && failure.isEmpty(); ++i) {
            const auto begin = std::chrono::steady_clock::now();
            const Result<ApiReply> reply = client.request("GET", u"/v1/status"_s);
            const auto end = std::chrono::steady_clock::now();
            if (!reply || reply->status != 200 || reply->body.isEmpty())
                failure = reply ? u"status %1"_s.arg(reply->status) : reply.error().message;
            else if (i >= WarmUp)
                roundTrips.push_back(
                    std::chrono::duration<double, std::milli>(end - begin).count());
        }
        for (int i = 0; i < CurlRuns && failure.isEmpty() && !curl.isEmpty(); ++i) {
            QProcess process;
            QElapsedTimer clock;
            clock.start();
            process.start(curl, {u"-sS"_s, u"-o"_s, u"/dev/null"_s, u"-w"_s,
                                 u"%{http_code} %{time_total}"_s, u"--unix-socket"_s,
                                 options.socketPath, u"http://localhost/v1/status"_s});
            const bool finished = process.waitForFinished(10000);
            const double wall = double(clock.nsecsElapsed()) / 1e6;
            const QList<QByteArray> written = process.readAllStandardOutput().split(' ');
            if (!finished || process.exitCode() != 0 || written.value(0) != "200") {
                failure = u"curl failed: %1"_s.arg(
                    QString::fromLocal8Bit(process.readAllStandardError()));
                break;
            }
            curlWall.push_back(wall);
            curlOwn.push_back(written.value(1).toDouble() * 1000.0);
        }
        QMetaObject::invokeMethod(&application, &QCoreApplication::quit, Qt::QueuedConnection);
    });
    application.exec();
    clients.join();
    server.stop();

    if (!failure.isEmpty()) {
        std::fprintf(stderr, "bench_api: %s\n", qPrintable(failure));
        return 1;
    }
    const Figures api = figuresOf(roundTrips);
    std::printf(
        "api_roundtrip: median %.2f ms, p99 %.2f ms over %zu requests (goal: median < 2 ms)\n",
        api.median, api.p99, roundTrips.size());
    if (curl.isEmpty()) {
        std::printf("peer: curl not found, no comparison\n");
        return 1;
    }
    const Figures wall = figuresOf(curlWall);
    const Figures own = figuresOf(curlOwn);
    std::printf("peer: curl --unix-socket, one process per request (includes process start): "
                "median %.2f ms, p99 %.2f ms over %zu runs\n",
                wall.median, wall.p99, curlWall.size());
    std::printf("peer: the same curl runs by curl's own clock (time_total, connection included): "
                "median %.2f ms\n",
                own.median);
    return 0;
}
