#!/usr/bin/env bash
# Build what scripts/gpu-check.sh runs, on a CPU machine with network access,
# for a GPU machine that has PyTorch but neither Rust nor network: the
# `cointrainer` program, the burn-path equivalence tests of lstm and ppo and
# the device benches, all with the `tch` feature, linked against the libtorch
# of the same PyTorch version the GPU machine has.
#
#   scripts/gpu-build.sh [TORCH_VERSION]        default 2.11.0
#
# Writes gpu-check/ and gpu-check.tar.xz at the repository root (both
# ignored by git): stripped binaries, the T4/T6 datasets and the peers' pure
# Python wheels. The GPU machine needs the .tar.xz (about 31 MiB) and the
# checkout (fixtures/, scripts/, benches/peer/), then runs scripts/gpu-check.sh.
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

# One cargo command, so that every package is built with one feature set
# (burn and libtorch's bindings once); it prints its artifacts as JSON, and
# the executables wanted are picked by package, target and kind.
cargo test --release --no-run --features tch \
  -p cointrainer-lstm -p cointrainer-ppo -p cointrainer-trainer -p cointrainer \
  --lib --test backends --test device --bench devices \
  --message-format=json-render-diagnostics |
  python3 -c '
import json, sys, shutil
out = sys.argv[1]
want = {
    ("cointrainer-lstm", "lstm", "lib", True): "lstm-lib",
    ("cointrainer-lstm", "backends", "test", True): "lstm-backends",
    ("cointrainer-ppo", "ppo", "lib", True): "ppo-lib",
    ("cointrainer-ppo", "backends", "test", True): "ppo-backends",
    # The program itself (built for the device test), not its unit tests.
    ("cointrainer-trainer", "cointrainer", "bin", False): "cointrainer",
    ("cointrainer", "devices", "bench", True): "devices",
}
found = {}
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or not m.get("executable"):
        continue
    # `<source>#<name>@<version>`, or `<source>/<name>#<version>` when the
    # directory is named after the package.
    source, _, frag = m["package_id"].rpartition("#")
    package = frag.split("@")[0] if "@" in frag else source.rstrip("/").rsplit("/", 1)[-1]
    t = m["target"]
    key = (package, t["name"], t["kind"][0], bool(m["profile"]["test"]))
    if key in want:
        found[want[key]] = m["executable"]
missing = [n for n in want.values() if n not in found]
if missing:
    sys.exit("gpu-build: no executable for " + ", ".join(missing))
for name, path in found.items():
    shutil.copy(path, out + "/" + name)
' "$out"

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
# What travels: one compressed file (the binaries and datasets are over
# 100 MiB unpacked, about 31 MiB as xz).
tar -cf - "$out" | xz -T0 -6 > "$out.tar.xz"
du -sh "$out" "$out.tar.xz"
