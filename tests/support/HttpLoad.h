#pragma once

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QStringList>

#include <memory>

// HTTP clients that keep requesting through the router, each on a connection of its own,
// on a thread of their own (Boost.Beast), so the test's own thread stays free to run the
// engine meanwhile. Every answer and every connection error is counted: what a user of the
// app would have seen.
class HttpLoad
{
public:
    struct Options
    {
        quint16 port = 0;
        QByteArray host;            // the Host header: <app>.localhost
        QByteArray target = "/";    // what each request asks for
        int clients = 8;            // connections at once
        int newConnectionEvery = 4; // every Nth client asks for a new connection each time
                                    // (Connection: close); 0: all keep theirs
    };

    struct Totals
    {
        qint64 requests = 0; // answered or failed
        qint64 ok = 0;       // 2xx
        qint64 connectionErrors = 0;
        QMap<int, qint64> statuses;       // every non-2xx status and how often
        QMap<QByteArray, qint64> answers; // the "version=v3" word of each 2xx body
        QStringList problems;             // the first few, described

        // Nothing failed: every request answered 2xx.
        bool clean() const { return connectionErrors == 0 && statuses.isEmpty() && ok == requests; }
        // "3 connection errors of 7256 requests; first problems: ...", for a failing check.
        QString report() const;
    };

    explicit HttpLoad(Options options);
    ~HttpLoad(); // stops
    HttpLoad(const HttpLoad &) = delete;
    HttpLoad &operator=(const HttpLoad &) = delete;

    void start();
    // Each client finishes the request it is on, then the thread ends. Bounded: a client
    // stuck for more than 30 s counts as an error.
    void stop();
    Totals totals() const;

private:
    class Private;
    std::unique_ptr<Private> d;
};
