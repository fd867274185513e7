#!/usr/bin/env python3
"""Compare T4 (PPO strategy selector) across seeds.

One seed says little about an RL implementation: the greedy test return of
stable-baselines3 itself moves from about 0 to 0.0019 between seeds. This
script runs (or reads) T4 for several seeds on both sides and prints, per
metric, the mean, the sample std, and Welch's t statistic of the difference.

Usage:
    # run both sides for seeds 0..9 (SB3 takes about 80 s a seed)
    python3 benches/peer/t4_seeds.py --seeds 0-9 \
        --rust ./target/release/cointrainer --out t4_seeds
    # or summarise result lines collected before
    python3 benches/peer/t4_seeds.py \
        --rust-lines rust.jsonl --peer-lines sb3.jsonl

Only the quality metrics are compared; speed is `cointrainer bench --task T4`
against `t4_sb3.py` on a quiet machine.
"""

import argparse
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = ["test_mean_ret_greedy", "train_ep_reward_last10pct"]


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            seeds.extend(range(int(a), int(b) + 1))
        else:
            seeds.append(int(part))
    return seeds


def read_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def run_side(cmd, out_path):
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    line = [x for x in proc.stdout.splitlines() if x.startswith("{")][-1]
    with open(out_path, "a") as f:
        f.write(line + "\n")
    return json.loads(line)


def stats(values):
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else float("nan")
    return n, mean, math.sqrt(var)


def num(x):
    """JSON has no NaN: null instead (SPEC 0.3)."""
    return x if math.isfinite(x) else None


def welch_t(a, b):
    na, ma, sa = stats(a)
    nb, mb, sb = stats(b)
    se = math.sqrt(sa * sa / na + sb * sb / nb)
    return (ma - mb) / se if se > 0 else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,3,5 (two or more for a std)")
    ap.add_argument("--rust", help="cointrainer binary to run T4 with")
    ap.add_argument("--out", default="t4_seeds", help="folder for the result lines")
    ap.add_argument("--rust-lines", help="read Rust T4 lines from this file instead")
    ap.add_argument("--peer-lines", help="read SB3 T4 lines from this file instead")
    args = ap.parse_args()

    if args.rust_lines and args.peer_lines:
        rust, peer = read_lines(args.rust_lines), read_lines(args.peer_lines)
    else:
        if not args.rust:
            sys.exit("give --rust BINARY to run, or --rust-lines and --peer-lines to read")
        os.makedirs(args.out, exist_ok=True)
        rust, peer = [], []
        for seed in parse_seeds(args.seeds):
            rust.append(run_side(
                [args.rust, "bench", "--task", "T4", "--seed", str(seed)],
                os.path.join(args.out, "rust.jsonl"),
            ))
            peer.append(run_side(
                [sys.executable, os.path.join(HERE, "t4_sb3.py"), "--seed", str(seed),
                 "--max-tries", "1"],
                os.path.join(args.out, "sb3.jsonl"),
            ))

    rust.sort(key=lambda d: d["seed"])
    peer.sort(key=lambda d: d["seed"])
    print(f"{'seed':>4}  {'rust greedy':>12} {'sb3 greedy':>12}  {'rust train':>10} {'sb3 train':>10}")
    by_seed = {d["seed"]: d for d in peer}
    for d in rust:
        p = by_seed.get(d["seed"], {})
        print(f"{d['seed']:>4}  {d['test_mean_ret_greedy']:>12.6f} "
              f"{p.get('test_mean_ret_greedy', float('nan')):>12.6f}  "
              f"{d['train_ep_reward_last10pct']:>10.2f} "
              f"{p.get('train_ep_reward_last10pct', float('nan')):>10.2f}")
    summary = {"task": "T4-seeds"}
    for m in METRICS:
        a = [d[m] for d in rust]
        b = [d[m] for d in peer]
        na, ma, sa = stats(a)
        nb, mb, sb = stats(b)
        t = welch_t(a, b)
        print(f"{m}: rust {ma:.6f} +- {sa:.6f} (n {na}), sb3 {mb:.6f} +- {sb:.6f} (n {nb}), "
              f"Welch t {t:+.2f}")
        summary[m] = {"rust_mean": num(ma), "rust_std": num(sa), "rust_n": na,
                      "sb3_mean": num(mb), "sb3_std": num(sb), "sb3_n": nb, "welch_t": num(t)}
    uniform = rust[0]["test_mean_ret_uniform"]
    best = rust[0]["test_mean_ret_best_fixed_hindsight"]
    print(f"test uniform {uniform:.6f}, best fixed in hindsight {best:.6f}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
