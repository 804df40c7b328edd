#!/usr/bin/env bash
# Builds Slipway, starts slipwayd (the engine as a daemon), makes sure the bundled sample app
# exists, and opens the console on it with the sample chosen as its source: one click on
# Deploy (or Ctrl+Shift+D) builds it and rolls it out.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/build.sh"

slipctl="$root/build/app/slipctl/slipctl"
slipway="$root/build/app/slipway/slipway"
sample="$root/resources/samples/hello"

# slipctl starts slipwayd on demand, with the user's standard data folder and socket.
if ! "$slipctl" --app hello settings >/dev/null 2>&1; then
  "$slipctl" create hello
fi

if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  cat <<TEXT
-----> No display here (neither DISPLAY nor WAYLAND_DISPLAY is set), so the console cannot
       open. slipwayd runs and the sample app "hello" is ready; use slipctl instead:
       $slipctl --app hello deploy $sample
       $slipctl --app hello url
       $slipctl help            # every command
TEXT
  exit 0
fi

echo "-----> Opening the console on the sample app: click Deploy (Ctrl+Shift+D)"
exec "$slipway" --app hello "$sample"
