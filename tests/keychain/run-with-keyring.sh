#!/usr/bin/env bash
# Usage: run-with-keyring.sh TEST_BINARY [ARGUMENTS...]
#
# Runs a test against a real Secret Service without touching anyone's session: a private
# D-Bus session bus (dbus-run-session) with gnome-keyring-daemon on it, whose login keyring
# is created in a scratch home and unlocked with a throwaway password fed on stdin. Works
# headless and as root, as on CI. Exits with the test's status.
set -euo pipefail

if (($# < 1)); then
  echo "usage: $0 TEST_BINARY [ARGUMENTS...]" >&2
  exit 2
fi

for tool in dbus-run-session dbus-send gnome-keyring-daemon secret-tool; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run-with-keyring: $tool is missing; install dbus-daemon, dbus-bin, gnome-keyring and" \
      "libsecret-tools (packaging/setup-debian.sh does)" >&2
    exit 1
  fi
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/slipway-keyring-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -m 700 "$scratch/home" "$scratch/runtime"

# The keyring files, the daemon's control socket and anything else XDG-aware land in the
# scratch folder; no desktop session is needed or used.
export HOME="$scratch/home"
export XDG_DATA_HOME="$scratch/home/.local/share"
export XDG_CONFIG_HOME="$scratch/home/.config"
export XDG_CACHE_HOME="$scratch/home/.cache"
export XDG_RUNTIME_DIR="$scratch/runtime"
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY XDG_CURRENT_DESKTOP DESKTOP_SESSION \
  GNOME_KEYRING_CONTROL SSH_AUTH_SOCK

status=0
# shellcheck disable=SC2016 # expanded by the inner shell
dbus-run-session -- bash -c '
  set -uo pipefail
  scratch=$1
  shift

  # --unlock reads the password from stdin; on a fresh home it creates the login keyring
  # with it, which becomes the default collection. --foreground keeps the pid ours.
  printf %s slipway-test-keyring |
    gnome-keyring-daemon --foreground --unlock --components=secrets \
      >"$scratch/gnome-keyring.log" 2>&1 &
  keyring_pid=$!

  ready=0
  for _ in $(seq 1 100); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
      grep -q "boolean true"; then
      ready=1
      break
    fi
    if ! kill -0 "$keyring_pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  if ((ready == 0)); then
    echo "run-with-keyring: gnome-keyring-daemon did not come up on the session bus:" >&2
    cat "$scratch/gnome-keyring.log" >&2
    kill "$keyring_pid" 2>/dev/null
    exit 1
  fi

  "$@"
  status=$?

  kill "$keyring_pid" 2>/dev/null
  wait "$keyring_pid" 2>/dev/null
  exit "$status"
' run-with-keyring "$scratch" "$@" || status=$?
exit "$status"
