#!/usr/bin/env bash
# Fuzz every parser of outside data (the targets of fuzz/) for a fixed
# number of executions each, one target at a time in one process.
#
#   scripts/fuzz.sh                      # every target, 1,000,000 runs each
#   scripts/fuzz.sh -n 50000             # fewer runs (or FUZZ_RUNS=50000)
#   scripts/fuzz.sh -t npy -t candle_csv # only these targets
#   scripts/fuzz.sh --no-build           # reuse the binaries already built
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz
# --locked`). Each target starts from its regression corpus
# (fixtures/fuzz/<target>/) plus the real files of fixtures/ that fit it; new
# inputs go to fuzz/corpus/<target>/ and crashes to fuzz/artifacts/<target>/.
# Every run is bounded: -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10
# (seconds per input). Prints executions, exec/s and the verdict per target
# and exits non-zero when any target crashed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

all_targets=(candle_csv npy safetensors rl_selector_zip manifest_json latest_pointer_json
  linucb_model linucb_csv lightgbm_text config_toml job_json multipart_upload)
runs=${FUZZ_RUNS:-1000000}
targets=()
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--runs) runs=$2; shift 2 ;;
    -t|--target) targets+=("$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz.sh: no target $t; targets: ${all_targets[*]}" >&2; exit 2; }
done
case "$runs" in ''|*[!0-9]*) echo "fuzz.sh: runs must be a number, got $runs" >&2; exit 2 ;; esac

# Release build with debug assertions (integer overflow panics) and
# AddressSanitizer, which also backs -malloc_limit_mb.
build_flags=(--release --debug-assertions --sanitizer address --fuzz-dir fuzz)
if [ $build = 1 ]; then
  if [ ${#targets[@]} -eq ${#all_targets[@]} ]; then
    cargo +nightly fuzz build "${build_flags[@]}" >&2 || { echo "fuzz.sh: build failed" >&2; exit 2; }
  else
    for t in "${targets[@]}"; do
      cargo +nightly fuzz build "${build_flags[@]}" "$t" >&2 || { echo "fuzz.sh: build of $t failed" >&2; exit 2; }
    done
  fi
fi
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin_dir="${CARGO_TARGET_DIR:-$root/fuzz/target}/$triple/release"

# Real files of fixtures/ that each target starts from (besides its own
# fixtures/fuzz/<target>/ corpus).
seeds_for() {
  case "$1" in
    candle_csv|multipart_upload)
      ls fixtures/market/*.csv fixtures/market/bad/*.csv ;;
    safetensors) ls fixtures/lstm/*.safetensors ;;
    lightgbm_text) ls fixtures/lightgbm-interop/*.txt ;;
    linucb_csv) ls fixtures/backtest/expected_strategy_pnl.csv fixtures/meta-selector/*.csv ;;
  esac 2>/dev/null
}

report=()
failed=0
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  artifacts=fuzz/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  for f in $(seeds_for "$t"); do cp -f "$f" "$corpus/seed-$(basename "$f")"; done
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
  log=fuzz/artifacts/$t.log
  echo "== $t: $runs runs"
  start=$(date +%s%N)
  "$bin_dir/$t" "$corpus" "fixtures/fuzz/$t" "${dict[@]}" \
    -runs="$runs" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
    -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1
  rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  # Over the whole run, start-up and corpus loading included.
  per_s=$(( ${execs:-0} * 1000 / (ms > 0 ? ms : 1) ))
  secs=$(( (ms + 500) / 1000 ))
  if [ $rc -eq 0 ]; then
    verdict=ok
  else
    failed=1
    crash=$(ls -t "$artifacts" 2>/dev/null | head -1)
    verdict="CRASH (exit $rc; input $artifacts/${crash:-?}; log $log)"
    grep -m3 -E 'ERROR|panicked|SUMMARY' "$log" | sed 's/^/    /'
  fi
  line=$(printf '%-20s %12s execs %8s exec/s %7s s  %s' "$t" "${execs:-?}" "${per_s:-?}" "$secs" "$verdict")
  echo "$line"
  report+=("$line")
done

echo
echo "target               executions            speed   wall  result"
printf '%s\n' "${report[@]}"
exit $failed
