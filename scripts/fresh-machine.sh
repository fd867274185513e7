#!/usr/bin/env bash
# Runs the README's two commands the way a new user does: in a fresh clone,
# with an empty Cargo target directory, and prints each command's wall time
# and exit code.
#
#   scripts/fresh-machine.sh [REPO]        # REPO defaults to this checkout
#
# The clone is taken from REPO's committed HEAD (uncommitted changes are not
# part of it). CARGO_TARGET_DIR, if set, must be empty or missing; otherwise a
# new temporary one is used. The downloaded crates.io registry (~/.cargo) is
# kept: the figures are compile and run times, not download times.
# Set FRESH_SKIP_TESTS=1 to time only the first command, and FRESH_CLONE_DIR
# to clone into that (new) directory and keep it, e.g. to run more commands
# in the same clone and target directory afterwards.
set -uo pipefail

repo="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
work="$(mktemp -d)"
clone="${FRESH_CLONE_DIR:-$work/cointrainer}"
if [ -e "$clone" ]; then
  echo "FRESH_CLONE_DIR=$clone exists; name a new directory" >&2
  exit 2
fi
if [ -n "${CARGO_TARGET_DIR:-}" ] && [ -n "$(ls -A "$CARGO_TARGET_DIR" 2>/dev/null)" ]; then
  echo "CARGO_TARGET_DIR=$CARGO_TARGET_DIR is not empty; unset it or empty it" >&2
  exit 2
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$work/target}"
export CARGO_TERM_COLOR=never

echo "== machine"
echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores)"
echo "rustc:   $(rustc --version)"
if command -v cmake >/dev/null; then echo "cmake:   on PATH ($(command -v cmake))"; else echo "cmake:   not on PATH"; fi
# ldconfig lives in /sbin, which a user's PATH may lack; look for the library itself.
if compgen -G '/usr/lib/*/libclang*.so*' >/dev/null || compgen -G '/usr/lib/llvm-*/lib/libclang*.so*' >/dev/null; then
  echo "libclang: installed"
else
  echo "libclang: not installed"
fi
for py in python3 python; do
  if command -v "$py" >/dev/null; then
    if "$py" -c 'import numpy, lightgbm' 2>/dev/null; then echo "python:  $py with numpy and lightgbm"; else echo "python:  $py without numpy/lightgbm (interop tests are skipped, shown as ignored)"; fi
    break
  fi
done

git clone --quiet "$repo" "$clone" || { echo "git clone of $repo failed" >&2; exit 2; }
cd "$clone" || exit 2
echo "clone:   $(git log -1 --format='%h %s' | cut -c1-72)"
echo "target:  empty ($CARGO_TARGET_DIR)"

# Runs "$@", passing its output through, and prints the total wall time, the
# seconds until the first line on stdout (for `cargo run`: the program's first
# line, since cargo reports its progress on stderr) and the exit code.
timed() {
  local label="$1"; shift
  local t0 t1 rc first=""
  rm -f "$work/first"
  echo
  echo "== $label: $*"
  t0=$(date +%s%N)
  "$@" | while IFS= read -r line; do
    [ -e "$work/first" ] || date +%s%N >"$work/first"
    printf '%s\n' "$line"
  done
  rc=${PIPESTATUS[0]}
  t1=$(date +%s%N)
  [ -e "$work/first" ] && first=$(cat "$work/first")
  printf '\n-- %s: exit code %s, wall %d s' "$label" "$rc" $(( (t1 - t0) / 1000000000 ))
  [ -n "$first" ] && printf ', first output line after %d s' $(( (first - t0) / 1000000000 ))
  printf '\n'
  return "$rc"
}

timed "first command" cargo run --release --example train_bandit
rc1=$?
rc2=skipped
if [ "${FRESH_SKIP_TESTS:-0}" != 1 ]; then
  timed "test command" cargo test --workspace --release
  rc2=$?
fi
echo
echo "== summary: first command exit $rc1, test command exit $rc2"
rm -rf "$work"
[ "$rc1" = 0 ] && { [ "$rc2" = 0 ] || [ "$rc2" = skipped ]; }
