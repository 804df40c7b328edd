#!/usr/bin/env bash
# Photographs the console's main views, in a light and a dark palette, into a folder:
#   tests/gui/screenshots.sh [OUT_DIR]        (default: build/screenshots)
# Starts Xvfb, a slipwayd on a temporary data folder and the console, deploys the sample
# app, a slow-booting app and one that never listens, and writes one PNG per view.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(realpath -m "${1:-$root/build/screenshots}")"
build="${SLIPWAY_BUILD_DIR:-$root/build}"
tour="$build/tests/gui/console_tour"
if [[ ! -x "$tour" ]]; then
  echo "screenshots: $tour is missing; build first: ./packaging/build.sh" >&2
  exit 1
fi
command -v xvfb-run >/dev/null || { echo "screenshots: xvfb-run is missing (apt install xvfb)" >&2; exit 1; }
mkdir -p "$out"
export SLIPWAYD="$build/app/slipwayd/slipwayd"
unset QT_QPA_PLATFORM
for variant in "" --dark; do
  xvfb-run --auto-servernum --server-args="-screen 0 1440x900x24 -dpi 96" \
    "$tour" --out "$out" $variant
done
echo "screenshots: written to $out"
