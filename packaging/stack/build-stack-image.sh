#!/usr/bin/env bash
# Builds the root filesystem of Slipway's debian-12 stack image with mmdebstrap, from Debian
# packages only, as a tarball for `docker import` (POST /images/create?fromSrc=-).
#
#   build-stack-image.sh [--cache DIR] [--packages FILE] [--print-tag]
#
# The tarball is named after a hash of the package list and of this script, so an unchanged
# stack is built once and then found in the cache folder (default /var/tmp/slipway-stack, or
# $SLIPWAY_STACK_CACHE). Progress goes to stdout, one line at a time, for the caller to relay;
# the last two lines are "tag=<tag>" and "tarball=<path>". On failure it says why on stderr
# and exits non-zero. --print-tag only prints those two lines, building nothing, so a caller
# can look for the tag in its engine first.
#
# Environment: SLIPWAY_STACK_MIRROR (default http://deb.debian.org/debian) and
# SLIPWAY_STACK_SECURITY_MIRROR (default http://deb.debian.org/debian-security).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${SLIPWAY_STACK_CACHE:-/var/tmp/slipway-stack}"
packages_file="$here/debian-12.packages"
print_only=0
mirror="${SLIPWAY_STACK_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${SLIPWAY_STACK_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

fail() {
  echo "stack: $*" >&2
  exit 1
}

while (($#)); do
  case "$1" in
    --cache) cache="${2:?--cache needs a folder}"; shift 2 ;;
    --packages) packages_file="${2:?--packages needs a file}"; shift 2 ;;
    --print-tag) print_only=1; shift ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) fail "unknown argument '$1' (usage: build-stack-image.sh [--cache DIR] [--packages FILE] [--print-tag])" ;;
  esac
done

[[ -r "$packages_file" ]] || fail "cannot read the package list $packages_file"
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$packages_file" | grep -v '^$')
((${#packages[@]} > 0)) || fail "the package list $packages_file names no package"

# The content hash: the list as written (its order and comments aside) and this script.
hash="$( { printf '%s\n' "${packages[@]}" | LC_ALL=C sort -u; cat "${BASH_SOURCE[0]}"; } \
         | sha256sum | cut -c1-12)"
tag="slipway/stack:debian-12-$hash"
tarball="$cache/debian-12-$hash.tar"

done_lines() {
  echo "tag=$tag"
  echo "tarball=$tarball"
}

if ((print_only)); then
  done_lines
  exit 0
fi

if [[ -s "$tarball" ]]; then
  echo "stack: debian-12-$hash is already built ($(du -h "$tarball" | cut -f1)), reusing $tarball"
  done_lines
  exit 0
fi

command -v mmdebstrap >/dev/null 2>&1 \
  || fail "mmdebstrap is not installed: run packaging/setup-debian.sh (or apt-get install mmdebstrap)"
[[ $(id -u) -eq 0 ]] \
  || command -v newuidmap >/dev/null 2>&1 \
  || fail "building the stack needs root, or newuidmap (package uidmap) with a subuid range for $(id -un)"
mkdir -p "$cache" || fail "cannot create the cache folder $cache"
[[ -w "$cache" ]] || fail "the cache folder $cache is not writable by $(id -un): choose another with --cache"

# Built beside the final name and renamed at the end: an interrupted build leaves no tarball
# that a later run would take as done.
partial="$(mktemp --suffix=.tar "$cache/.debian-12-$hash.XXXXXX")"
log="$cache/debian-12-$hash.log"
trap 'rm -f "$partial"' EXIT

echo "stack: building debian-12-$hash from ${#packages[@]} packages of $mirror (takes a few minutes)"
started=$SECONDS
include="$(IFS=,; echo "${packages[*]}")"
# essential + the listed packages and their dependencies; no apt inside, no documentation,
# manual pages or translations; the user `slug` (10000:10000) owns /app, where the slug goes.
# openjdk's postinst links its manual page and fails when the folder is missing.
# mmdebstrap's own steps and every warning or error go to stdout, line by line and prefixed,
# for the caller's log; apt's and dpkg's hundreds of lines go to the full log beside the
# tarball.
echo "stack: the full log is $log"
set +e
mmdebstrap --variant=essential --include="$include" \
  --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --customize-hook='chroot "$1" groupadd --gid 10000 slug' \
  --customize-hook='chroot "$1" useradd --uid 10000 --gid 10000 --home-dir /app --no-create-home --shell /bin/bash slug' \
  --customize-hook='mkdir -p "$1/app" && chown 10000:10000 "$1/app" && chmod 0755 "$1/app"' \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*.log' \
  --customize-hook='echo "debian-12-'"$hash"'" > "$1/etc/slipway-stack"' \
  bookworm "$partial" \
  "deb $mirror bookworm main" \
  "deb $mirror bookworm-updates main" \
  "deb $security_mirror bookworm-security main" \
  2>&1 | tee "$log" | grep --line-buffered -E '^(I|W|E): |^dpkg: |[Ee]rror:|[Ww]arning:' | sed -u 's/^/stack: /'
status=("${PIPESTATUS[@]}")
set -e
if ((status[0] != 0)); then
  tail -n 30 "$log" | sed 's/^/stack: /' >&2
  fail "mmdebstrap failed (exit ${status[0]}): the last lines of $log are above; is $mirror reachable?"
fi

mv "$partial" "$tarball"
trap - EXIT
echo "stack: built $tarball ($(du -h "$tarball" | cut -f1)) in $((SECONDS - started)) s"
done_lines
