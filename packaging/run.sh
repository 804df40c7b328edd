#!/usr/bin/env bash
# Builds Slipway, then builds the bundled sample app into a slug with slipctl.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/build.sh"
out="$root/build/sample"
mkdir -p "$out"
"$root/build/app/slipctl/slipctl" build "$root/resources/samples/hello" --app hello --slug "$out/hello.tgz"
echo
echo "The sample app's slug is $out/hello.tgz and its release record $out/hello.release.json."
