#!/usr/bin/env python3
"""T2 peer (shared/bench/SPEC.md): meta-selector, LightGBM regressor on the
trailing strategy statistics of meta_btc_1h.csv.

Grid learning_rate {0.05, 0.1} x num_leaves {15, 31, 63} (lr outer), each
point up to 500 rounds with early stopping (30 rounds) on the validation MSE
of the last 20% of the train windows; best point = lowest validation MSE at
its best iteration, no refit; test MSE and R2 at that iteration. Then the
throughput sub-measure: lr 0.05, 63 leaves, exactly 500 rounds on the fit
rows (Dataset construction + training + test prediction = `fixed500_s`).

Uses LightGBM's scikit-learn API as the original suite does, with n_jobs=2,
deterministic=True and seed 0 (the Rust side passes the same parameters).
Prints one JSON line (SPEC 0.3). Foreign CPU is measured as SPEC 0.1 says;
a run that is not quiet is repeated after the machine has been idle.

Usage:
    python3 benches/peer/t2_lightgbm.py \
        [--data ../shared/bench/datasets/meta_btc_1h.csv] [--max-tries 3]
"""

import os

import spec_timing  # noqa: E402  SPEC 0.1 timing rules (sibling module)

# Pin every native pool to 2 threads before numpy and the rest are imported.
spec_timing.pin_threads(2)

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared"))

META_FEATURES = [
    "strategy_id", "tr_win_rate", "tr_mean", "tr_std", "tr_sharpe", "tr_mdd",
    "ctx_lr_24", "ctx_vol_24", "ctx_vol_72", "ctx_rsi_14", "ctx_zscore_20",
    "ctx_vol_z_20", "ctx_atr_14_rel",
]
GRID_LR = [0.05, 0.1]
GRID_LEAVES = [15, 31, 63]
MAX_ROUNDS = 500
PATIENCE = 30
THREADS = 2


# --------------------------------------------------------------------------
# The task
# --------------------------------------------------------------------------
def regressor(learning_rate, num_leaves, n_estimators):
    return lgb.LGBMRegressor(
        objective="regression",
        learning_rate=learning_rate,
        num_leaves=num_leaves,
        n_estimators=n_estimators,
        min_child_samples=20,
        min_child_weight=1e-3,
        max_depth=-1,
        colsample_bytree=1.0,
        subsample=1.0,
        subsample_freq=0,
        reg_alpha=0.0,
        reg_lambda=0.0,
        max_bin=255,
        min_data_in_bin=3,
        n_jobs=THREADS,
        random_state=0,
        deterministic=True,
        verbosity=-1,
    )


def fit_with_eval(model, xf, yf, xv, yv, metric):
    """fit() with one validation set and early stopping; LightGBM >= 4.7
    spells the validation set eval_X/eval_y (eval_set is deprecated)."""
    cb = [lgb.early_stopping(PATIENCE, verbose=False)]
    try:
        model.fit(xf, yf, eval_X=(xv,), eval_y=(yv,), eval_metric=metric, callbacks=cb)
    except TypeError:
        model.fit(xf, yf, eval_set=[(xv, yv)], eval_metric=metric, callbacks=cb)


def split(window, is_train):
    """Fit = first floor(0.8 #) train windows, validation = the rest."""
    train_windows = np.unique(window[is_train])
    n_fit = int(math.floor(0.8 * len(train_windows)))
    first_val = train_windows[n_fit]
    fit = is_train & (window < first_val)
    val = is_train & (window >= first_val)
    return fit, val, ~is_train


def grid_search(x, y, fit, val, test):
    grid = []
    best = None
    for lr in GRID_LR:
        for nl in GRID_LEAVES:
            m = regressor(lr, nl, MAX_ROUNDS)
            fit_with_eval(m, x[fit], y[fit], x[val], y[val], "l2")
            val_mse = float(m.best_score_["valid_0"]["l2"])
            grid.append(
                {
                    "learning_rate": lr,
                    "num_leaves": nl,
                    "best_iteration": int(m.best_iteration_),
                    "val_mse": val_mse,
                }
            )
            if best is None or val_mse < best[0]:
                best = (val_mse, m, lr, nl)
    val_mse, model, lr, nl = best
    # sklearn's predict uses best_iteration_ after early stopping.
    pred = model.predict(x[test])
    yt = y[test]
    test_mse = float(np.mean((yt - pred) ** 2))
    sst = float(np.sum((yt - yt.mean()) ** 2))
    test_r2 = 1.0 - float(np.sum((yt - pred) ** 2)) / sst
    return {
        "best_learning_rate": lr,
        "best_num_leaves": nl,
        "best_iteration": int(model.best_iteration_),
        "val_mse": val_mse,
        "test_mse": test_mse,
        "test_r2": test_r2,
        "grid": grid,
    }


def fixed500(x, y, fit, test):
    m = regressor(0.05, 63, 500)
    m.fit(x[fit], y[fit])
    pred = m.predict(x[test])
    return float(np.mean((y[test] - pred) ** 2))


def timed(fn, max_tries):
    t = spec_timing.timed(fn, max_tries)
    return t.result, t.wall, t.foreign, t.quiet, t.attempts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", default=os.path.join(SHARED, "bench", "datasets", "meta_btc_1h.csv")
    )
    ap.add_argument("--max-tries", type=int, default=3)
    args = ap.parse_args()

    t_load = time.perf_counter()
    df = pd.read_csv(args.data)
    x = df[META_FEATURES].to_numpy(dtype=np.float64)
    y = df["target"].to_numpy(dtype=np.float64)
    window = df["window"].to_numpy()
    is_train = df["is_train"].to_numpy() == 1
    load_s = time.perf_counter() - t_load

    # Warm-up outside the timing: first LightGBM call, OpenMP pool.
    regressor(0.1, 15, 2).fit(x[:500], y[:500])

    def task():
        fit, val, test = split(window, is_train)
        return grid_search(x, y, fit, val, test)

    res, wall, foreign, quiet, attempts = timed(task, args.max_tries)
    fit, _val, test = split(window, is_train)
    f500_mse, f500_s, f500_foreign, f500_quiet, _ = timed(
        lambda: fixed500(x, y, fit, test), args.max_tries
    )

    out = {
        "task": "T2",
        "impl": "python-lightgbm",
        "wall_s": wall,
        **res,
        "fixed500_s": f500_s,
        "fixed500_test_mse": f500_mse,
        "fixed500_foreign_cpu_s": f500_foreign,
        "fixed500_quiet": f500_quiet,
        "load_s": load_s,
        "foreign_cpu_s": foreign,
        "quiet": quiet,
        "attempts": attempts,
        "threads": THREADS,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "lightgbm": lgb.__version__,
        },
        "cpu": platform.processor() or platform.machine(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    out["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    print(json.dumps(out))


if __name__ == "__main__":
    main()
