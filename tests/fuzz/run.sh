#!/usr/bin/env bash
# Builds the fuzz targets (clang, libFuzzer, ASan+UBSan; tests/fuzz/CMakeLists.txt) and
# runs each one for FUZZ_SECONDS seconds, after replaying its saved regressions.
# FUZZ_SECONDS=0 only replays (regressions and the committed seed corpus): deterministic,
# what `make test` does, so CI never fails on a find of the day (`make fuzz` hunts).
# Fails on the first crash, sanitizer report, broken property, leak or timeout; the input
# is left in <build>/artifacts/<target>/ (copy it to tests/fuzz/regressions/<target>/).
#
#   tests/fuzz/run.sh [build-dir]       FUZZ_SECONDS=60 FUZZ_TARGETS="fuzz_http_request ..."
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(realpath -m "${1:-$here/../../build-fuzz}")"
seconds="${FUZZ_SECONDS:-60}"
all_targets="fuzz_http_request fuzz_http_response fuzz_config_loader fuzz_plugin_config fuzz_aws_masker"
targets="${FUZZ_TARGETS:-$all_targets}"
jobs="${JOBS:-$(nproc)}"

declare -A max_len=([fuzz_http_request]=4096 [fuzz_http_response]=4096 [fuzz_config_loader]=8192
                    [fuzz_plugin_config]=2048 [fuzz_aws_masker]=4096)
declare -A dict=([fuzz_http_request]=http [fuzz_http_response]=http [fuzz_config_loader]=config
                 [fuzz_plugin_config]=json [fuzz_aws_masker]=aws)

started=$(date +%s)
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$here" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
fi
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets
echo "fuzz: built in $(( $(date +%s) - started ))s"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
failed=()
for t in $targets; do
  bin="$build/$t"
  regressions="$here/regressions/$t"
  if compgen -G "$regressions/*" >/dev/null; then
    if ! "$bin" -runs=1 "$regressions"/* >"$build/$t.regressions.log" 2>&1; then
      echo "fuzz: $t FAILED on a saved regression (log: $build/$t.regressions.log)"
      tail -n 30 "$build/$t.regressions.log"
      failed+=("$t")
      continue
    fi
  fi
  if [[ $seconds == 0 ]]; then
    if ! "$bin" -runs=1 "$here/corpus/$t"/* >"$build/$t.seeds.log" 2>&1; then
      echo "fuzz: $t FAILED on a committed seed (log: $build/$t.seeds.log)"
      tail -n 30 "$build/$t.seeds.log"
      failed+=("$t")
    else
      echo "fuzz: $t ok: regressions and $(ls "$here/corpus/$t" | wc -l) seeds replayed"
    fi
    continue
  fi
  corpus="$build/corpus/$t"  # new inputs land here; the committed seeds stay as they are
  artifacts="$build/artifacts/$t/"
  mkdir -p "$corpus" "$artifacts"
  log="$build/$t.log"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${max_len[$t]}" \
      -dict="$here/dict/${dict[$t]}.dict" -artifact_prefix="$artifacts" -print_final_stats=1 \
      "$corpus" "$here/corpus/$t" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    echo "fuzz: $t ok: ${runs:-?} runs in ${seconds}s (${rate:-?}/s), ${cov:-cov: ?}"
  else
    echo "fuzz: $t FAILED (log: $log, input: $(ls -t "$artifacts" | head -n 1))"
    grep -m 1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|property broken' "$log" || true
    tail -n 40 "$log"
    failed+=("$t")
  fi
done
echo "fuzz: total $(( $(date +%s) - started ))s"
if (( ${#failed[@]} )); then
  echo "fuzz: failing targets: ${failed[*]}"
  exit 1
fi
