"""SPEC T5 peer: disjoint LinUCB in NumPy (shared/bench/SPEC.md, task T5).

(a) Synthetic, T = 1,000,000 decisions, d = 16, K = 8, on the SPEC's
    SplitMix64 data. Two variants:
    - SM keeps every A_a^-1 by Sherman-Morrison, vectorised over the arms;
    - solve runs a batched np.linalg.solve (LAPACK gesv, LU) of
      A_a [theta_a, A_a^-1 x] = [b_a, x] for every arm at every step.
(b) Replay on strategy_returns_btc_1h.csv (d = 11, K = 5), SM, online from
    window 0. Arms are in the file's ret_* column order (the T2 ids).
    Ties go to the lowest index (np.argmax).

Data generation and CSV parsing are not timed. As on the Rust side, the
expected rewards x_t . theta_a of all arms are computed with the data.
BLAS/OpenMP are pinned to 2 threads. Foreign CPU time is measured as in
SPEC 0.1. One JSON line goes to stdout.

    python3 benches/peer/t5_numpy.py [--data-dir shared/bench/datasets] [--t 1000000]
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_v] = "2"

import argparse
import json
import math
import platform
import resource
import time

import numpy as np
import pandas as pd

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def splitmix_stream(seed, n):
    """Outputs 0..n-1 of the SPEC's SplitMix64 stream, vectorised (uint64 wraps)."""
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def normals(seed, n):
    o = splitmix_stream(seed, 2 * n)
    u1 = ((o[0::2] >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0**-53
    u2 = (o[1::2] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * math.pi * u2)


def busy_s():
    with open("/proc/stat") as f:
        v = [float(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def own_cpu_s():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class Measure:
    def __enter__(self):
        self.b0, self.o0, self.t0 = busy_s(), own_cpu_s(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall_s = time.perf_counter() - self.t0
        self.foreign = max(0.0, (busy_s() - self.b0) - (own_cpu_s() - self.o0))
        return False


def sm_run(X, mu, best, eps, K, alpha=1.0, lam=1.0):
    T, d = X.shape
    A_inv = np.stack([np.eye(d) / lam for _ in range(K)])
    b = np.zeros((K, d))
    theta = np.zeros((K, d))
    regret = 0.0
    for t in range(T):
        x = X[t]
        V = A_inv @ x  # (K, d): A_a^-1 x for every arm
        p = theta @ x + alpha * np.sqrt(np.maximum(V @ x, 0.0))
        a = int(np.argmax(p))
        u = V[a]
        A_inv[a] -= np.outer(u, u) / (1.0 + x @ u)
        m = mu[t, a]
        b[a] += (m + eps[t]) * x
        theta[a] = A_inv[a] @ b[a]
        regret += best[t] - m
    return regret


def solve_run(X, mu, best, eps, K, alpha=1.0, lam=1.0):
    T, d = X.shape
    A = np.stack([lam * np.eye(d) for _ in range(K)])
    b = np.zeros((K, d))
    rhs = np.empty((K, d, 2))
    regret = 0.0
    for t in range(T):
        x = X[t]
        rhs[:, :, 0] = b
        rhs[:, :, 1] = x
        sol = np.linalg.solve(A, rhs)  # (K, d, 2): [theta_a, A_a^-1 x]
        p = sol[:, :, 0] @ x + alpha * np.sqrt(np.maximum(sol[:, :, 1] @ x, 0.0))
        a = int(np.argmax(p))
        A[a] += np.outer(x, x)
        m = mu[t, a]
        b[a] += (m + eps[t]) * x
        regret += best[t] - m
    return regret


def replay_b(df):
    W = len(df)
    w_train = int(df["is_train"].sum())
    ctx = [c for c in df.columns if c.startswith("ctx_")]
    rets = [c for c in df.columns if c.startswith("ret_")]
    Z = df[ctx].to_numpy(np.float64)
    R = 100.0 * df[rets].to_numpy(np.float64)
    reg = df["regime"].to_numpy(np.int64)
    K, d = len(rets), 1 + 3 + len(ctx)
    with Measure() as m:
        mean, std = Z[:w_train].mean(0), Z[:w_train].std(0)
        Zs = (Z - mean) / np.where(std > 0, std, 1.0)
        A_inv = np.stack([np.eye(d) for _ in range(K)])
        b = np.zeros((K, d))
        theta = np.zeros((K, d))
        rewards = np.empty(W - 1)
        for w in range(W - 1):
            x = np.concatenate(([1.0], np.eye(3)[reg[w]], Zs[w]))
            V = A_inv @ x
            p = theta @ x + np.sqrt(np.maximum(V @ x, 0.0))
            a = int(np.argmax(p))
            u = V[a]
            A_inv[a] -= np.outer(u, u) / (1.0 + x @ u)
            r = R[w + 1, a]
            b[a] += r * x
            theta[a] = A_inv[a] @ b[a]
            rewards[w] = r
        test = float(rewards[w_train - 1:].sum())
    per_arm = R[w_train:].sum(0)
    return test, float(per_arm.max()), float(per_arm.mean()), m


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data-dir", default=os.path.join(here, "../../../shared/bench/datasets"))
    ap.add_argument("--t", type=int, default=1_000_000, help="decisions in (a); the SPEC size is 1e6")
    args = ap.parse_args()
    T, d, K = args.t, 16, 8

    g0 = time.perf_counter()
    theta = normals(1001, K * d).reshape(K, d) / 4.0
    X = normals(1002, T * d).reshape(T, d)
    eps = 0.1 * normals(1003, T)
    mu = X @ theta.T
    best = mu.max(axis=1)
    gen_s = time.perf_counter() - g0
    checks = {
        "x0_0": float(X[0, 0]), "theta0_0": float(theta[0, 0]), "eps_0": float(eps[0]),
        "sum_x": float(X.sum()), "sum_abs_x": float(np.abs(X).sum()),
        "sum_theta": float(theta.sum()), "sum_eps": float(eps.sum()),
    }

    with Measure() as m_sm:
        sm_regret = sm_run(X, mu, best, eps, K)
    with Measure() as m_solve:
        solve_regret = solve_run(X, mu, best, eps, K)

    df = pd.read_csv(os.path.join(args.data_dir, "strategy_returns_btc_1h.csv"))
    b_test, b_best, b_uniform, m_b = replay_b(df)

    parts = [m_sm, m_solve, m_b]
    wall = sum(p.wall_s for p in parts)
    foreign = sum(p.foreign for p in parts)
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    out = {
        "task": "T5",
        "impl": "python-numpy",
        "wall_s": wall,
        "a_sm_decisions_per_s": T / m_sm.wall_s,
        "a_sm_cum_regret": sm_regret,
        "a_solve_decisions_per_s": T / m_solve.wall_s,
        "a_solve_cum_regret": solve_regret,
        "b_test_cum_reward_pct": b_test,
        "a_sm_s": m_sm.wall_s,
        "a_solve_s": m_solve.wall_s,
        "b_s": m_b.wall_s,
        "gen_s": gen_s,
        "T": T, "d": d, "K": K,
        "checksums": checks,
        "b_test_best_fixed_pct": b_best,
        "b_test_uniform_pct": b_uniform,
        "foreign_cpu_s": foreign,
        "quiet": foreign <= max(1.0, 0.03 * 2 * wall),
        "threads": 2,
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__},
        "cpu": cpu,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
