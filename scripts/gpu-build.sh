#!/usr/bin/env bash
# Build what scripts/gpu-check.sh runs, on a CPU machine with network access,
# for a GPU machine that has PyTorch but neither Rust nor network: the
# `cointrainer` program, the burn-path equivalence tests of lstm and ppo and
# the device benches, all with the `tch` feature, linked against the libtorch
# of the same PyTorch version the GPU machine has.
#
#   scripts/gpu-build.sh [TORCH_VERSION]        default 2.11.0
#
# Writes gpu-check/ at the repository root (ignored by git): stripped
# binaries, well under 64 MiB. The GPU machine needs this directory and the
# checkout (fixtures/, scripts/), then runs scripts/gpu-check.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
torch="${1:-2.11.0}"
cache="${COINTRAINER_GPU_CACHE:-$HOME/.cache/cointrainer-gpu}"
venv="$cache/torch-$torch"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "torch==$torch"

# A target directory of its own: CI's builds link libtorch 2.9.0, and sharing
# one would rebuild torch-sys each time the two alternate.
export CARGO_TARGET_DIR="$cache/target"
export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" LIBTORCH_USE_PYTORCH=1
# tch 0.22 checks for libtorch 2.9.0 exactly; its C++ wrapper compiles
# against later releases too, and the equivalence tests are the check.
export LIBTORCH_BYPASS_VERSION_CHECK=1
export CARGO_TERM_COLOR=never

out=gpu-check
rm -rf "$out"
mkdir -p "$out"

# Each cargo command prints its artifacts as JSON; keep the executables of
# the named targets.
pick() { # pick NAME=TARGET_NAME:KIND ... < cargo JSON
  python3 -c '
import json, sys, shutil
want = {}
for arg in sys.argv[2:]:
    name, target = arg.split("=")
    want[tuple(target.split(":"))] = name
found = {}
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or not m.get("executable"):
        continue
    t = m["target"]
    key = (t["name"], t["kind"][0])
    if key in want:
        found[want[key]] = m["executable"]
for name in want.values():
    if name not in found:
        sys.exit("gpu-build: no executable for " + name)
    shutil.copy(found[name], sys.argv[1] + "/" + name)
' "$out" "$@"
}

cargo test --release -p cointrainer-lstm -p cointrainer-ppo --features tch --no-run --lib \
  --message-format=json-render-diagnostics | pick lstm-lib=lstm:lib ppo-lib=ppo:lib
# Both crates name their equivalence test `backends`: one crate at a time.
cargo test --release -p cointrainer-lstm --features tch --no-run --test backends \
  --message-format=json-render-diagnostics | pick lstm-backends=backends:test
cargo test --release -p cointrainer-ppo --features tch --no-run --test backends \
  --message-format=json-render-diagnostics | pick ppo-backends=backends:test
cargo build --release -p cointrainer-trainer --features tch --bin cointrainer \
  --message-format=json-render-diagnostics | pick cointrainer=cointrainer:bin
cargo bench -p cointrainer --bench devices --features tch --no-run \
  --message-format=json-render-diagnostics | pick devices=devices:bench

strip "$out"/cointrainer "$out"/devices "$out"/*-lib "$out"/*-backends
"$venv/bin/python" -c 'import torch; print(torch.__version__)' > "$out/torch-version"

# T4 and T6 side by side on the GPU: their datasets, and the peer libraries a
# PyTorch image may lack (stable-baselines3 and gymnasium are pure Python).
shared="${COINTRAINER_SHARED_DIR:-../shared}"
mkdir -p "$out/datasets" "$out/wheels"
for f in features_btc_1h.csv strategy_returns_btc_1h.csv; do
  cp "$shared/bench/datasets/$f" "$out/datasets/"
done
"$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
  -d "$out/wheels" stable-baselines3==2.9.2 gymnasium==1.4.0 farama-notifications==0.0.6
du -sh "$out"
ls -l "$out"
