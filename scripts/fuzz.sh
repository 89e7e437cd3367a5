#!/usr/bin/env bash
# Builds every libFuzzer target (TRELLIS_FUZZ=ON, clang 14, ASan + UBSan) into ./build-fuzz and
# runs each for SECONDS (default 25) on a copy of its seed corpus fuzz/corpus/<name>/. Exit code
# 0 means no target crashed, leaked, hit undefined behaviour, timed out or ran out of memory;
# otherwise the input that did it is in build-fuzz/fuzz-artifacts/ (commit it to the corpus with
# the fix). SECONDS 0 only builds. Targets: trellis_add_fuzzer() in cmake/trellis.cmake;
# docs/testing.md has the conventions and the longer local run.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (default: every target in build-fuzz/fuzz/)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-25}
shift $(($# > 0 ? 1 : 0))
bash scripts/install-deps.sh

# Small: no tests, no examples; only the fuzz targets and the libraries they link are built.
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTRELLIS_FUZZ=ON -DTRELLIS_BUILD_TESTS=OFF -DTRELLIS_BUILD_EXAMPLES=OFF >/dev/null
ninja -C build-fuzz -j"$(nproc)" trellis_fuzzers
if [[ $seconds == 0 ]]; then exit 0; fi

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in build-fuzz/fuzz/*; do [[ -x $f ]] && targets+=("$(basename "$f")"); done
fi
artifacts=build-fuzz/fuzz-artifacts
mkdir -p "$artifacts"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
failed=()
for t in "${targets[@]}"; do
  work=build-fuzz/fuzz-run/$t
  rm -rf "$work"
  mkdir -p "$work/corpus"
  if [[ -d fuzz/corpus/$t ]]; then
    cp -r "fuzz/corpus/$t/." "$work/corpus/"
  else
    echo "fuzz: $t: no seed corpus in fuzz/corpus/$t" >&2
  fi
  echo "fuzz: $t for ${seconds}s on $(ls "$work/corpus" | wc -l) seeds" >&2
  # -timeout: seconds one input may take; -rss_limit_mb: memory cap (also for one malloc).
  if ! "build-fuzz/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "$work/corpus" \
      >"$work/log" 2>&1; then
    failed+=("$t")
    echo "fuzz: $t FAILED; last lines of $work/log:" >&2
    tail -40 "$work/log" >&2
  else
    grep -E "^stat::number_of_executed_units|^Done" "$work/log" | tr '\n' ' ' >&2
    echo >&2
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz: failed: ${failed[*]} (inputs in $artifacts/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no failures" >&2
