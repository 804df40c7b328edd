#!/usr/bin/env bash
# Starts the app's war in Tomcat 10, in the foreground, on $PORT.
# Written by Slipway's JVM buildpack.
#
# The app folder may be read-only, so a fresh CATALINA_BASE is laid out
# under $TMPDIR (or /tmp): a copy of .tomcat/conf, writable logs/, temp/,
# work/ and webapps/ holding a link to .tomcat/webapps/ROOT.war, unpacked
# there by Tomcat. Logs go to stdout. catalina.sh replaces this shell
# (exec), so SIGTERM reaches the JVM and stops Tomcat.
#
# Environment: PORT (required), JAVA_OPTS and CATALINA_OPTS (optional),
# CATALINA_HOME (defaults to /usr/share/tomcat10). When JAVA_OPTS is unset
# it defaults to "-XX:TieredStopAtLevel=1", which about halves Tomcat's boot
# time at some cost in peak throughput; set JAVA_OPTS (even to an empty
# value) to opt out.
set -euo pipefail

tomcat_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${PORT:?PORT must be set to the port to listen on}"

export CATALINA_HOME="${CATALINA_HOME:-/usr/share/tomcat10}"
if [[ ! -x "$CATALINA_HOME/bin/catalina.sh" ]]; then
  echo " !     Tomcat was not found in $CATALINA_HOME" >&2
  exit 1
fi

base="$(mktemp -d "${TMPDIR:-/tmp}/slipway-tomcat.XXXXXX")"
cp -R "$tomcat_dir/conf" "$base/conf"
mkdir -p "$base/logs" "$base/temp" "$base/work" "$base/webapps"
ln -s "$tomcat_dir/webapps/ROOT.war" "$base/webapps/ROOT.war"

export CATALINA_BASE="$base"
export CATALINA_TMPDIR="$base/temp"
export JAVA_OPTS="${JAVA_OPTS--XX:TieredStopAtLevel=1}"
export CATALINA_OPTS="${CATALINA_OPTS:-} -Dport.http=$PORT"

exec "$CATALINA_HOME/bin/catalina.sh" run
