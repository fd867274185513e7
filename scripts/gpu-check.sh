#!/usr/bin/env bash
# The device check: run on a machine with an NVIDIA GPU (or an AMD one with a
# ROCm PyTorch) and PyTorch installed, from the repository root, with the
# gpu-check/ directory that scripts/gpu-build.sh made on a build machine.
# Needs neither Rust nor network. Prints one JSON object per line:
#
#   {"check":"gpu", ...}          the GPU and the PyTorch whose libtorch is used
#   {"check":"equivalence", ...}  the burn-path tests of lstm and ppo with the
#                                 GPU under test beside libtorch's CPU (pass
#                                 and fail counts; the log of a failure follows)
#   {"check":"program", ...}      `cointrainer train lstm|ppo --device cuda:0`
#                                 on a synthetic market, and a GPU index the
#                                 machine lacks (must fail, naming it)
#   {"check":"bench", ...}        benches/devices.rs on the GPU (median seconds)
#   {"task":"T6"|"T4", ...}       `cointrainer bench --compare` on the GPU: the
#                                 Rust task and its PyTorch/SB3 peer, both on
#                                 the same GPU, one interleaved pair each
#
#   scripts/gpu-check.sh [DEVICE]     default tch-cuda:0 (a burn backend name)
#
# Every step has its own time limit; the whole check is meant to finish in
# under 8 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
device="${1:-tch-cuda:0}"
index="${device##*:}"
py="${PYTHON:-python3}"
bin="$PWD/gpu-check"
if [ ! -x "$bin/cointrainer" ] && [ -f gpu-check.tar.xz ]; then
  "$py" -c 'import tarfile; tarfile.open("gpu-check.tar.xz").extractall(".", filter="data")' || exit 2
fi
[ -x "$bin/cointrainer" ] || { echo "gpu-check: run scripts/gpu-build.sh first ($bin is missing)" >&2; exit 2; }
# The program's device: the GPU of a GPU backend; `cpu` for a CPU backend
# (`tch`, `flex`), which makes a dry run of this script on any machine.
case "$device" in
  *:*) prog_dev="cuda:$index" ;;
  *) prog_dev=cpu ;;
esac
torch_lib="$("$py" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')" || exit 2
export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export COINTRAINER_FIXTURES="$PWD/fixtures"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0

"$py" - "$bin/torch-version" <<'PY'
import json, sys, torch
built = open(sys.argv[1]).read().strip()
print(json.dumps({
    "check": "gpu",
    "name": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    "gpus": torch.cuda.device_count(),
    "torch": torch.__version__,
    "cuda": torch.version.cuda,
    "hip": getattr(torch.version, "hip", None),
    "built_against": built,
}))
PY

# 1. Equivalence: the GPU is added to the backends under test.
for t in lstm-lib lstm-backends ppo-lib ppo-backends; do
  start=$(date +%s.%N)
  COINTRAINER_TEST_BACKENDS="$device" timeout 300 "$bin/$t" --test-threads 1 > "$work/$t.log" 2>&1
  rc=$?
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
  "$py" - "$t" "$device" "$rc" "$secs" "$work/$t.log" <<'PY'
import json, re, sys
name, device, rc, secs, log = sys.argv[1:]
text = open(log, errors="replace").read()
m = re.search(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored", text)
under = re.findall(r"backends under test: (.*)", text)
print(json.dumps({
    "check": "equivalence", "binary": name, "device": device, "exit": int(rc),
    "passed": int(m.group(1)) if m else None, "failed": int(m.group(2)) if m else None,
    "ignored": int(m.group(3)) if m else None,
    "backends": under[0] if under else None, "seconds": round(float(secs), 2),
}))
PY
  if [ "$rc" -ne 0 ]; then failed=1; tail -n 40 "$work/$t.log" >&2; fi
done

# 2. The program on the GPU: small lstm and ppo jobs on a synthetic market.
cat > "$work/c.toml" <<TOML
[store]
dir = "$work/models"
reports_dir = "$work/reports"
[data]
synthetic_seed = 7
synthetic_bars = 20000
[agents.lstm]
max_epochs = 2
[agents.ppo]
total_timesteps = 16384
TOML
for agent in lstm ppo; do
  for dev in "$prog_dev"; do
    start=$(date +%s.%N)
    timeout 300 "$bin/cointrainer" --config "$work/c.toml" train "$agent" --device "$dev" --force --json \
      > "$work/train.json" 2> "$work/train.err"
    rc=$?
    secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
    "$py" - "$agent" "$dev" "$rc" "$secs" "$work/train.json" "$work/train.err" <<'PY'
import json, sys
agent, dev, rc, secs, out, err = sys.argv[1:]
lines = [l for l in open(out) if l.strip().startswith("{")]
o = json.loads(lines[-1]) if lines else {}
m = o.get("metrics", {})
print(json.dumps({
    "check": "program", "agent": agent, "device": dev, "exit": int(rc),
    "seconds": round(float(secs), 2),
    "metrics": {k: v for k, v in m.items() if not k.startswith("s_per")} if isinstance(m, dict) else None,
    "error": open(err, errors="replace").read()[-400:] if int(rc) else None,
}))
PY
    [ "$rc" -eq 0 ] || failed=1
  done
done
# A GPU index past the last one: refused before training, naming the device.
timeout 120 "$bin/cointrainer" --config "$work/c.toml" train lstm --device cuda:63 > /dev/null 2> "$work/missing.err"
rc=$?
"$py" - "$rc" "$work/missing.err" <<'PY'
import json, sys
rc, err = sys.argv[1:]
text = open(err, errors="replace").read()
ok = int(rc) != 0 and "device cuda:63" in text and "panicked" not in text
print(json.dumps({"check": "program", "agent": "lstm", "device": "cuda:63",
                  "refused_by_name": ok, "error": text.strip()[-300:]}))
sys.exit(0 if ok else 1)
PY
[ $? -eq 0 ] || failed=1

# 3. The device benches on the GPU (criterion; short warm-up and measurement).
COINTRAINER_BENCH_DEVICE="$device" timeout 360 "$bin/devices" --bench --warm-up-time 1 \
  --measurement-time 3 --noplot > "$work/bench.log" 2>&1
rc=$?
"$py" - "$device" "$rc" "$work/bench.log" <<'PY'
import json, re, sys
device, rc, log = sys.argv[1:]
unit = {"ps": 1e-12, "ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
name = None
for line in open(log, errors="replace"):
    m = re.match(r"^(\S+/\S+)\s*(time:.*)?$", line.strip())
    if m and not line.startswith(" "):
        name = m.group(1)
    t = re.search(r"time:\s*\[([\d.]+) (\S+) ([\d.]+) (\S+) ([\d.]+) (\S+)\]", line)
    if t and name:
        print(json.dumps({"check": "bench", "id": name, "device": device,
                          "low_s": float(t.group(1)) * unit[t.group(2)],
                          "median_s": float(t.group(3)) * unit[t.group(4)],
                          "high_s": float(t.group(5)) * unit[t.group(6)]}))
if int(rc):
    print(json.dumps({"check": "bench", "device": device, "exit": int(rc)}))
PY
[ "$rc" -eq 0 ] || { failed=1; tail -n 30 "$work/bench.log" >&2; }

# 4. T6 and T4 on the GPU beside their peers on the same GPU. The peers'
# libraries that the image may lack come as wheels from gpu-build.sh.
"$py" -m pip install -q --no-index --no-deps --target "$work/site" "$bin"/wheels/*.whl \
  && export PYTHONPATH="$work/site${PYTHONPATH:+:$PYTHONPATH}"
for task in T6 T4; do
  timeout 300 "$bin/cointrainer" bench --compare "$(command -v "$py")" --task "$task" \
    --device "$prog_dev" --pairs 1 --reruns 0 --data-dir "$bin/datasets" \
    --peer-dir benches/peer --json --out "$work/$task.jsonl" 2> "$work/$task.err"
  rc=$?
  [ -f "$work/$task.jsonl" ] && cat "$work/$task.jsonl"
  [ "$rc" -eq 0 ] || { failed=1; tail -n 20 "$work/$task.err" >&2; }
done
exit $failed
