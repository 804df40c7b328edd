#!/usr/bin/env bash
# Packs the webapp/ folder into OUTDIR/hello.war with the jar tool.
# Usage: build-war.sh OUTDIR
set -euo pipefail

out_dir="${1:?usage: build-war.sh OUTDIR}"
src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"

jar --create --file "$out_dir/hello.war" -C "$src_dir/webapp" .
echo "$out_dir/hello.war"
