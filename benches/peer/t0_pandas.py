#!/usr/bin/env python3
"""T0 peer (shared/bench/SPEC.md): the feature table from raw BTC 1h candles
with pandas/numpy, median of 10 repetitions after parsing.

Usage: python benches/peer/t0_pandas.py [--raw ../shared/data/BTCUSDT-1h.csv]
Prints one JSON line (SPEC 0.3). Checks its table against the prepared
features_btc_1h.csv so a timing never comes from a wrong result.
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "2"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared"))


def busy_s():
    with open("/proc/stat") as f:
        v = [float(x) for x in f.readline().split()[1:9]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / os.sysconf("SC_CLK_TCK")


def own_s():
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def rolling_std_two_pass(x, w):
    # Two-pass per window (SPEC's recommended numerics), vectorised with strides.
    out = np.full(len(x), np.nan)
    win = np.lib.stride_tricks.sliding_window_view(x, w)
    out[w - 1:] = win.std(axis=1, ddof=1)
    return out


def rolling_mean(x, w):
    out = np.full(len(x), np.nan)
    out[w - 1:] = np.lib.stride_tricks.sliding_window_view(x, w).mean(axis=1)
    return out


def wilder(values, period, seed_from):
    out = np.full(len(values), np.nan)
    out[period] = values[seed_from:period + 1].mean()
    for t in range(period + 1, len(values)):
        out[t] = (out[t - 1] * (period - 1) + values[t]) / period
    return out


def t0(df):
    c = df["close"].to_numpy(float)
    h = df["high"].to_numpy(float)
    lo = df["low"].to_numpy(float)
    v = df["volume"].to_numpy(float)
    n = len(c)
    x = np.log(c)
    r1 = np.full(n, np.nan)
    r1[1:] = np.diff(x)
    f = {}
    for k in (1, 3, 6, 12, 24):
        a = np.full(n, np.nan)
        a[k:] = x[k:] - x[:-k]
        f[f"lr_{k}"] = a
    for w in (12, 24, 72):
        a = np.full(n, np.nan)
        a[1:] = rolling_std_two_pass(r1[1:], w)
        f[f"vol_{w}"] = a
    d = np.zeros(n)
    d[1:] = np.diff(c)
    ag = wilder(np.maximum(d, 0), 14, 1)
    al = wilder(np.maximum(-d, 0), 14, 1)
    s = ag + al
    with np.errstate(invalid="ignore", divide="ignore"):
        f["rsi_14"] = np.where(s == 0, 50.0, 100 * ag / s)
    for name, series in (("zscore_20", c), ("vol_z_20", v)):
        m = rolling_mean(series, 20)
        sd = rolling_std_two_pass(series, 20)
        with np.errstate(invalid="ignore", divide="ignore"):
            f[name] = np.where(sd == 0, 0.0, (series - m) / sd)
    tr = np.zeros(n)
    tr[1:] = np.maximum.reduce([h[1:] - lo[1:], np.abs(h[1:] - c[:-1]), np.abs(lo[1:] - c[:-1])])
    f["atr_14_rel"] = wilder(tr, 14, 1) / c
    fwd = np.full(n, np.nan)
    fwd[:-1] = x[1:] - x[:-1]
    fv = np.full(n, np.nan)
    fv[:-24] = f["vol_24"][24:]
    rows = np.arange(72, n - 24)
    table = pd.DataFrame({k: a[rows] for k, a in f.items()})
    table["fwd_ret_1"] = fwd[rows]
    table["fwd_vol_24"] = fv[rows]
    table["y_dir"] = (table["fwd_ret_1"] > 0).astype(int)
    n_rows = len(rows)
    n_train = int(0.8 * n_rows)
    q1, q2 = np.quantile(table["fwd_vol_24"].to_numpy()[:n_train], [1 / 3, 2 / 3])
    fv_rows = table["fwd_vol_24"].to_numpy()
    table["y_regime"] = np.where(fv_rows <= q1, 0, np.where(fv_rows <= q2, 1, 2))
    table["is_train"] = (np.arange(n_rows) < n_train).astype(int)
    table.insert(0, "bar", rows)
    return table, n_train, q1, q2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", default=os.path.join(SHARED, "data", "BTCUSDT-1h.csv"))
    ap.add_argument("--reference", default=os.path.join(SHARED, "bench", "datasets", "features_btc_1h.csv"))
    args = ap.parse_args()
    t = time.perf_counter()
    df = pd.read_csv(args.raw)
    load_s = time.perf_counter() - t
    busy0, own0 = busy_s(), own_s()
    walls = []
    for _ in range(10):
        t = time.perf_counter()
        table, n_train, q1, q2 = t0(df)
        walls.append(time.perf_counter() - t)
    foreign = max(0.0, (busy_s() - busy0) - (own_s() - own0))
    ref = pd.read_csv(args.reference)
    cols = [c for c in table.columns if c not in ("bar", "y_dir", "y_regime", "is_train")]
    assert (ref["bar"].to_numpy() == table["bar"].to_numpy()).all()
    for ccol in cols:
        a, b = table[ccol].to_numpy(), ref[ccol].to_numpy()
        assert np.all(np.abs(a - b) <= 1e-9 * (1 + np.abs(b))), ccol
    assert (ref["y_regime"].to_numpy() == table["y_regime"].to_numpy()).all()
    walls.sort()
    print(json.dumps({
        "task": "T0", "impl": "python-pandas", "wall_s": float(np.median(walls)),
        "wall_min_s": walls[0], "reps": 10, "load_s": load_s,
        "n_rows": int(len(table)), "n_train": int(n_train), "q1": float(q1), "q2": float(q2),
        "foreign_cpu_s": foreign, "quiet": foreign <= max(1.0, 0.03 * 2 * sum(walls)),
        "threads": 2, "versions": {"python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__},
        "cpu": platform.processor() or platform.machine(),
    }))


if __name__ == "__main__":
    main()
