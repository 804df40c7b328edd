#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>

// A private git server on loopback for one test (tests/data/fixtures/private_git_server.py):
// the bare repositories under a folder, over smart HTTP, behind HTTP Basic auth.
class PrivateGitServer
{
public:
    // `credential` is the "username:password" the server accepts. `delayMs` slows every
    // answer down.
    PrivateGitServer(const QString &directory, const QByteArray &credential, int delayMs = 0);
    ~PrivateGitServer();
    PrivateGitServer(const PrivateGitServer &) = delete;
    PrivateGitServer &operator=(const PrivateGitServer &) = delete;

    bool isReady() const { return m_port != 0; }
    quint16 port() const { return m_port; }
    // "http://127.0.0.1:PORT/<path>"
    QString url(const QString &path) const;
    // What the server logged since the last call: one line per request with its status.
    QByteArray log();

    // Makes `<servedDirectory>/<name>.git`, a bare copy of the repository at `work`.
    static bool publish(const QString &work, const QString &servedDirectory, const QString &name);

private:
    QProcess m_process;
    quint16 m_port = 0;
};
