#include "daemon/GitRepositories.h"

#include <QDir>
#include <QFile>
#include <QProcess>

namespace Slipway {

namespace {

QString shellQuoted(const QString &text)
{
    QString quoted = text;
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

} // namespace

GitRepositories::GitRepositories(QString root, QString slipctlProgram, QString socketPath)
    : m_root(std::move(root))
    , m_slipctl(std::move(slipctlProgram))
    , m_socket(std::move(socketPath))
{}

QString GitRepositories::path(const QString &app) const
{
    return m_root + QLatin1Char('/') + app + QStringLiteral(".git");
}

Result<void> GitRepositories::create(const QString &app) const
{
    const QString repository = path(app);
    if (!QDir(repository).exists()) {
        QDir().mkpath(m_root);
        QProcess git;
        git.start(QStringLiteral("git"),
                  {QStringLiteral("init"), QStringLiteral("--quiet"), QStringLiteral("--bare"),
                   QStringLiteral("--initial-branch=main"), repository});
        if (!git.waitForFinished(30000) || git.exitCode() != 0)
            return failure(QStringLiteral("cannot create the git repository of %1: %2")
                               .arg(app, QString::fromUtf8(git.readAllStandardError()).trimmed()));
    }
    return installHook(app);
}

void GitRepositories::remove(const QString &app) const
{
    QDir(path(app)).removeRecursively();
}

Result<void> GitRepositories::installHook(const QString &app) const
{
    const QString hook = path(app) + QStringLiteral("/hooks/pre-receive");
    const QString script =
        QStringLiteral(R"HOOK(#!/usr/bin/env bash
# Deploys a push to main or master; refuses other branches. Written by slipwayd.
set -uo pipefail
# slipctl (%1) does the same from a terminal: slipctl --app %3 deploy
socket=%2
app=%3
status=0
while read -r old new ref; do
  branch=${ref#refs/heads/}
  if [[ "$ref" != refs/heads/main && "$ref" != refs/heads/master ]]; then
    echo " !     Slipway deploys pushes to main or master; '$branch' was not deployed." >&2
    echo " !     To deploy it: git push slipway $branch:main" >&2
    status=1
    continue
  fi
  if [[ "$new" =~ ^0+$ ]]; then
    echo " !     Deleting $branch is refused: the app keeps its releases." >&2
    status=1
    continue
  fi
  work=$(mktemp -d) || exit 1
  trap 'rm -rf "$work"' EXIT
  # The pushed objects are still in quarantine: only this hook sees them.
  git archive --format=tar.gz -o "$work/source.tar.gz" "$new" || { status=1; continue; }
  echo "-----> Deploying $app at ${new:0:12}"
  api="http://slipwayd/v1/apps/$app/deployments"
  answer=$(curl -sS --unix-socket "$socket" -X POST -H 'Content-Type: application/octet-stream' \
      --data-binary @"$work/source.tar.gz" "$api?filename=source.tar.gz&source_version=$new&description=git%20push%20$branch%20${new:0:12}") \
      || { echo " !     slipwayd does not answer on $socket" >&2; status=1; continue; }
  id=$(printf '%s' "$answer" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
  if [[ -z "$id" ]]; then
    echo " !     $answer" >&2
    status=1
    continue
  fi
  # The build and rollout log, live, to the pushing terminal.
  curl -sSN --unix-socket "$socket" "$api/$id/output?follow=true"
  final=$(curl -sS --unix-socket "$socket" "$api/$id" | sed -n 's/.*"status":"\([a-z-]*\)".*/\1/p')
  if [[ "$final" != success ]]; then
    echo " !     Deployment $id ended as $final: the push is refused." >&2
    status=1
  fi
done
exit $status
)HOOK")
            .arg(shellQuoted(m_slipctl), shellQuoted(m_socket), shellQuoted(app));
    QFile file(hook);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(script.toUtf8()) < 0)
        return failure(
            QStringLiteral("cannot write the git hook of %1: %2").arg(app, file.errorString()));
    file.close();
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    return {};
}

} // namespace Slipway
