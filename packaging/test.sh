#!/usr/bin/env bash
# Installs what is missing, builds, then runs every test and prints the benchmark figures.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/packaging/build.sh"
cd "$root/build"
export QT_QPA_PLATFORM=offscreen

# Tests first, in parallel.
ctest --output-on-failure --parallel "$(nproc)" --label-exclude bench

# Then the benchmarks, one at a time so they measure alone; their figures are printed.
set +e
ctest --verbose --label-regex bench >bench.log 2>&1
status=$?
set -e
grep -E '^[0-9]+: [a-z_0-9]+: ' bench.log | sed -E 's/^[0-9]+: //'
if [[ $status -ne 0 ]]; then
  cat bench.log
fi
grep -E 'tests passed|tests failed' bench.log | tail -n 1
exit $status
