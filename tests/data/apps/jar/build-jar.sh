#!/usr/bin/env bash
# Compiles Hello.java into an executable OUTDIR/hello.jar (javac + jar).
# Usage: build-jar.sh OUTDIR
set -euo pipefail

out_dir="${1:?usage: build-jar.sh OUTDIR}"
src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"

classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT

javac -d "$classes" "$src_dir/Hello.java"
jar --create --file "$out_dir/hello.jar" --main-class Hello -C "$classes" .
echo "$out_dir/hello.jar"
