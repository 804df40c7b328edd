#!/usr/bin/env bash
# Builds every fuzz target with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer
# (Debian's clang 16) in build-fuzz/, then runs each for SECONDS (default 60) on a copy of
# its corpus, and prints per target: executions per second, coverage, corpus size, and
# where any crash input went.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]      e.g. tests/fuzz/run.sh 600
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-60}"
shift || true
build="${SLIPWAY_FUZZ_BUILD_DIR:-$root/build-fuzz}"

"$root/packaging/setup-debian.sh" --fuzz
export CC=clang-16 CXX=clang++-16
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLIPWAY_FUZZ=ON \
  -DSLIPWAY_BUILD_BENCHMARKS=OFF "${launcher[@]}" \
  -DCMAKE_CXX_FLAGS="$sanitize -fno-omit-frame-pointer" >/dev/null

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(sed -n 's/^slipway_fuzz_target(\([a-z]*\).*/\1/p' "$root/tests/fuzz/CMakeLists.txt")
fi
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
summary=()
for name in "${targets[@]}"; do
  work="$build/fuzz-runs/$name"
  mkdir -p "$work/corpus" "$work/crashes"
  cp -n "$root/tests/fuzz/corpus/$name"/* "$work/corpus/" 2>/dev/null || true
  dict=()
  [[ -f "$root/tests/fuzz/dict/$name.dict" ]] && dict=(-dict="$root/tests/fuzz/dict/$name.dict")
  echo "-----> fuzz_$name for $seconds s"
  log="$work/last-run.log"
  if ! (cd "$work" && "$build/tests/fuzz/fuzz_$name" "${dict[@]}" -max_total_time="$seconds" \
          -timeout=10 -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
          -artifact_prefix="$work/crashes/" "$work/corpus") >"$log" 2>&1; then
    status=1
    echo " !     fuzz_$name found a problem: $(ls "$work/crashes" | head -3 | tr '\n' ' ')(log: $log)"
    grep -E "ERROR|runtime error|SUMMARY|does not hold" "$log" | head -5 || true
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  features=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  corpus=$(ls "$work/corpus" | wc -l)
  summary+=("fuzz_$name: ${execs:-?} executions, ${rate:-?}/s, coverage ${cov:-?} edges, ${features:-?} features, corpus $corpus inputs")
done
echo
printf '%s\n' "${summary[@]}"
exit $status
