#!/usr/bin/env bash
# Installs every Debian 12 package Slipway needs to build, run and test.
# Idempotent: packages already present are left alone; runs as root or through sudo.
# --fuzz adds the compiler of the fuzzing and sanitizer builds.
set -euo pipefail

packages=(
  # toolchain
  cmake ninja-build g++ pkg-config clang-format git
  # libraries
  qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite qtkeychain-qt6-dev
  # the console's window: Qt's platform plugins (X11, Wayland, offscreen for the GUI tests)
  qt6-qpa-plugins fonts-dejavu-core
  libarchive-dev libyaml-cpp-dev libboost1.81-dev
  # the system call filter of containers and builds (slipway-sandbox-init)
  libseccomp-dev
  # container runtime; slirp4netns gives each container and build its outbound network
  bash bubblewrap procps slirp4netns
  # the stack the built-in buildpacks compile and run on
  python3 python3-venv nodejs npm golang-go default-jdk-headless tomcat10-user
  # tools the tests and benchmarks use; iproute2 and dnsmasq-base make the outbound network
  # tests' own "outside" host and resolver
  curl tar gzip bzip2 xz-utils zip unzip nginx-light wrk iproute2 dnsmasq-base
  # the docker and swarm runtimes: the stack image is made with mmdebstrap; the tests run
  # private engines (docker.io's dockerd) on a busybox-static image of their own
  mmdebstrap docker.io busybox-static
  # screenshots of the console in a real X server (tests/gui/screenshots.sh)
  xvfb xauth
  # secrets: QtKeychain loads libsecret at run time and its package does not pull it in;
  # the keychain tests run gnome-keyring on a private session bus and check with secret-tool
  libsecret-1-0 gnome-keyring dbus-daemon dbus-bin libsecret-tools
)

# The fuzzing and sanitizer builds (tests/fuzz/run.sh, test.sh --sanitize=...) use clang.
if [[ "${1:-}" == --fuzz ]]; then
  packages+=(clang-16 libclang-rt-16-dev)
fi

missing=()
for p in "${packages[@]}"; do
  # A package counts as present only when dpkg says it is fully installed.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js may come from outside Debian's archive (a newer node with its own npm):
# then Debian's nodejs/npm are not needed and would conflict.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do
    [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p")
  done
  missing=("${filtered[@]}")
fi

# slirp4netns makes a tap device through /dev/net/tun as slipwayd's user; Debian's udev
# opens it to every user, some machines (containers, hardened hosts) keep it to root.
check_tun() {
  if [[ ! -e /dev/net/tun ]]; then
    echo "setup: /dev/net/tun is missing: containers and builds get no network of their own" >&2
    echo "setup: load the tun module (modprobe tun) or pass the device into this machine" >&2
  elif [[ $(id -u) -ne 0 && ! ( -r /dev/net/tun && -w /dev/net/tun ) ]]; then
    echo "setup: /dev/net/tun is closed to $(id -un): run slipwayd as a user who may open it," >&2
    echo "setup: or give it mode 0666 as Debian does (chmod 0666 /dev/net/tun)" >&2
  fi
}

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages are installed"
  check_tun
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "setup: these packages are missing and neither root nor sudo is available: ${missing[*]}" >&2
    echo "setup: install them as root, then run this again." >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
check_tun
