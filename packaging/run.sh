#!/usr/bin/env bash
# Builds Slipway, starts slipwayd (the engine as a daemon) and deploys the bundled sample
# app with it, then shows the app answering through Slipway's router.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/build.sh"

slipctl="$root/build/app/slipctl/slipctl"
# slipctl starts slipwayd on demand, with the user's standard data folder and socket.
if ! "$slipctl" --app hello settings >/dev/null 2>&1; then
  "$slipctl" create hello
fi
"$slipctl" --app hello deploy "$root/resources/samples/hello"

url="$("$slipctl" --app hello url)"
echo
echo "-----> The sample app answers at $url"
curl --silent --show-error --max-time 10 "$url" || true
echo
cat <<TEXT
-----> Try next:
       $slipctl --app hello ps          # its containers and their readiness
       $slipctl --app hello logs -f     # its output
       $slipctl help                    # every command
       $slipctl shutdown                # stop slipwayd and every container
TEXT
