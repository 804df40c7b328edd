#!/usr/bin/env bash
# Installs what is missing, builds, then runs every test and prints the benchmark figures.
#   packaging/test.sh                       the whole suite and the benchmarks (CI runs this)
#   packaging/test.sh --sanitize=address    the suite built with AddressSanitizer and
#                                           UndefinedBehaviorSanitizer, in build-asan/
#   packaging/test.sh --sanitize=thread     the suite built with ThreadSanitizer, in build-tsan/
# The sanitizer runs take far longer than CI allows; they skip the benchmarks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sanitize=""
for argument in "$@"; do
  case "$argument" in
    --sanitize=address | --sanitize=thread) sanitize="${argument#--sanitize=}" ;;
    *)
      echo "test.sh: unknown option '$argument'; use --sanitize=address or --sanitize=thread" >&2
      exit 2
      ;;
  esac
done
export QT_QPA_PLATFORM=offscreen

if [[ -n "$sanitize" ]]; then
  "$root/packaging/setup-debian.sh"
  launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if [[ "$sanitize" == address ]]; then
    build="$root/build-asan"
    flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
    export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  else
    build="$root/build-tsan"
    flags="-fsanitize=thread"
    # die_after_fork=0: the Docker client's I/O thread is running when QProcess forks a child.
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:die_after_fork=0:suppressions=$root/tests/sanitizers/tsan.supp"
  fi
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLIPWAY_BUILD_BENCHMARKS=OFF \
    "${launcher[@]}" -DCMAKE_CXX_FLAGS="$flags -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" >/dev/null
  cmake --build "$build" --parallel "$(nproc)"
  cd "$build"
  # Sanitized code runs several times slower: more time per test, fewer at once.
  ctest --output-on-failure --parallel "$(( ($(nproc) + 1) / 2 ))" --timeout 3000
  exit $?
fi

"$root/packaging/build.sh"
cd "$root/build"

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
