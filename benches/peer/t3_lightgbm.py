#!/usr/bin/env python3
"""T3 peer (shared/bench/SPEC.md): volatility-regime classifier, LightGBM
multiclass on the 12 T0 features of features_btc_1h.csv, y = y_regime.

Train rows (is_train = 1): the first floor(0.8 n_train) are fit, the rest
validation; test = is_train = 0. Grid num_leaves {15, 31} x n_estimators
{100, 200} (num_leaves outer), learning_rate 0.1, early stopping 20 rounds
on the validation multi-logloss; best point = lowest validation log-loss,
no refit; test F1-macro (argmax) and one-vs-rest ROC-AUC at the best
iteration.

Uses LightGBM's scikit-learn API (LGBMClassifier) as the original suite did,
with n_jobs=2, deterministic=True and seed 0 (the Rust side passes the same
parameters). Prints one JSON line (SPEC 0.3). Foreign CPU is measured as
SPEC 0.1 says; a run that is not quiet is repeated after the machine has
been idle.

Usage:
    python3 benches/peer/t3_lightgbm.py \
        [--data ../shared/bench/datasets/features_btc_1h.csv] [--max-tries 3]
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
import sklearn  # noqa: E402
from sklearn.metrics import f1_score, roc_auc_score  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared"))

FEATURES = [
    "lr_1", "lr_3", "lr_6", "lr_12", "lr_24", "vol_12", "vol_24", "vol_72",
    "rsi_14", "zscore_20", "vol_z_20", "atr_14_rel",
]
GRID_LEAVES = [15, 31]
GRID_ESTIMATORS = [100, 200]
PATIENCE = 20
THREADS = 2


# --------------------------------------------------------------------------
# The task
# --------------------------------------------------------------------------
def classifier(num_leaves, n_estimators):
    return lgb.LGBMClassifier(
        objective="multiclass",
        num_class=3,
        learning_rate=0.1,
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


def fit_with_eval(model, xf, yf, xv, yv):
    """fit() with one validation set and early stopping; LightGBM >= 4.7
    spells the validation set eval_X/eval_y (eval_set is deprecated)."""
    cb = [lgb.early_stopping(PATIENCE, verbose=False)]
    try:
        model.fit(xf, yf, eval_X=(xv,), eval_y=(yv,), eval_metric="multi_logloss", callbacks=cb)
    except TypeError:
        model.fit(xf, yf, eval_set=[(xv, yv)], eval_metric="multi_logloss", callbacks=cb)


def task(x, y, n_train):
    n_fit = int(math.floor(0.8 * n_train))
    xf, yf = x[:n_fit], y[:n_fit]
    xv, yv = x[n_fit:n_train], y[n_fit:n_train]
    xt, yt = x[n_train:], y[n_train:]
    grid = []
    best = None
    for nl in GRID_LEAVES:
        for ne in GRID_ESTIMATORS:
            m = classifier(nl, ne)
            fit_with_eval(m, xf, yf, xv, yv)
            v = float(m.best_score_["valid_0"]["multi_logloss"])
            grid.append(
                {
                    "num_leaves": nl,
                    "n_estimators": ne,
                    "best_iteration": int(m.best_iteration_),
                    "val_logloss": v,
                }
            )
            if best is None or v < best[0]:
                best = (v, m, nl, ne)
    v, model, nl, ne = best
    proba = model.predict_proba(xt)
    return {
        "best_num_leaves": nl,
        "best_n_estimators": ne,
        "best_iteration": int(model.best_iteration_),
        "val_logloss": v,
        "test_f1_macro": float(f1_score(yt, proba.argmax(axis=1), average="macro")),
        "test_roc_auc_ovr": float(roc_auc_score(yt, proba, multi_class="ovr", average="macro")),
        "grid": grid,
    }


def timed(fn, max_tries):
    t = spec_timing.timed(fn, max_tries)
    return t.result, t.wall, t.foreign, t.quiet, t.attempts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", default=os.path.join(SHARED, "bench", "datasets", "features_btc_1h.csv")
    )
    ap.add_argument("--max-tries", type=int, default=3)
    args = ap.parse_args()

    t_load = time.perf_counter()
    df = pd.read_csv(args.data)
    x = df[FEATURES].to_numpy(dtype=np.float64)
    y = df["y_regime"].to_numpy(dtype=np.int64)
    n_train = int((df["is_train"] == 1).sum())
    load_s = time.perf_counter() - t_load

    # Warm-up outside the timing: first LightGBM call, OpenMP pool.
    classifier(15, 2).fit(x[:2000], y[:2000])

    res, wall, foreign, quiet, attempts = timed(lambda: task(x, y, n_train), args.max_tries)
    out = {
        "task": "T3",
        "impl": "python-lightgbm",
        "wall_s": wall,
        **res,
        "load_s": load_s,
        "foreign_cpu_s": foreign,
        "quiet": quiet,
        "attempts": attempts,
        "threads": THREADS,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scikit-learn": sklearn.__version__,
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
