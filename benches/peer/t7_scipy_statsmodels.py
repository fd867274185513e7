#!/usr/bin/env python3
"""T7 peer (shared/bench/SPEC.md): rolling OU fit + ADF + Hurst on BTC 1h.

The Python side of the side-by-side benchmark: for each of the 1,159 windows
of 500 log closes (step 50) it runs

* scipy.optimize.least_squares (trf, analytic Jacobian, x_scale='jac',
  ftol = xtol = gtol = 1e-12) on the exact AR(1) discretisation of the OU
  process, from the OLS start point clipped into the box;
* statsmodels adfuller(xw, autolag='AIC', regression='c');
* the Hurst exponent by lagged differences (lags 2..20) with numpy.

It prints one JSON line (SPEC 0.3). `wall_s` covers the loop over windows only
(CSV parsing and imports excluded). Foreign CPU time is measured as SPEC 0.1
says; when the run was not quiet it waits for an idle machine and re-runs.

Usage:
    python3 benches/peer/t7_scipy_statsmodels.py \
        [--raw ../shared/data/BTCUSDT-1h.csv] \
        [--reference ../shared/bench/datasets/ou_reference_btc_1h.csv] \
        [--out per_window.csv] [--max-tries 3]
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
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import statsmodels  # noqa: E402
from scipy.optimize import least_squares  # noqa: E402
from statsmodels.tsa.stattools import adfuller  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared"))

WINDOW = 500
STEP = 50
HURST_LAGS = np.arange(2, 21)
LOG_LAGS = np.log(HURST_LAGS)


# --------------------------------------------------------------------------
# The three per-window computations
# --------------------------------------------------------------------------
def ou_fit(xw):
    x0 = xw[:-1]
    x1 = xw[1:]
    lo = np.array([xw.min() - 0.5, 1e-4])
    hi = np.array([xw.max() + 0.5, 2.0])
    # Start: OLS x[t+1] = a + b x[t].
    m0 = x0.mean()
    m1 = x1.mean()
    d0 = x0 - m0
    b = float(np.dot(d0, x1 - m1) / np.dot(d0, d0))
    a = m1 - b * m0
    if 0.0 < b < 1.0:
        p0 = np.array([a / (1.0 - b), -math.log(b)])
    else:
        p0 = np.array([xw.mean(), 1e-4])
    p0 = np.clip(p0, lo, hi)

    def res(p):
        e = math.exp(-p[1])
        return x1 - x0 * e - p[0] * (1.0 - e)

    def jac(p):
        e = math.exp(-p[1])
        j = np.empty((x0.size, 2))
        j[:, 0] = -(1.0 - e)
        j[:, 1] = e * (x0 - p[0])
        return j

    r = least_squares(
        res,
        p0,
        jac=jac,
        bounds=(lo, hi),
        method="trf",
        x_scale="jac",
        ftol=1e-12,
        xtol=1e-12,
        gtol=1e-12,
    )
    mu, theta = float(r.x[0]), float(r.x[1])
    ssr = float(np.dot(r.fun, r.fun))
    s2 = ssr / (x0.size)
    sigma = math.sqrt(s2 * 2.0 * theta / (1.0 - math.exp(-2.0 * theta)))
    at_bound = int(bool(np.any(r.active_mask != 0)))
    return mu, theta, sigma, math.log(2.0) / theta, ssr, at_bound, int(r.nfev)


def adf(xw):
    try:
        r = adfuller(xw, autolag="AIC", regression="c", result_object=True)
        return r.statistic, r.pvalue, r.lags, r.nobs, r.icbest
    except TypeError:  # statsmodels < 0.15 has no result_object
        stat, p, lag, nobs, _crit, ic = adfuller(xw, autolag="AIC", regression="c")
        return stat, p, lag, nobs, ic


def hurst(xw):
    tau = np.array([np.std(xw[k:] - xw[:-k]) for k in HURST_LAGS])
    return float(np.polyfit(LOG_LAGS, np.log(tau), 1)[0])


def run_all(x):
    n = x.size
    n_windows = (n - WINDOW) // STEP + 1
    rows = []
    for j in range(n_windows):
        xw = x[STEP * j : STEP * j + WINDOW]
        rows.append((j,) + ou_fit(xw) + adf(xw) + (hurst(xw),))
    return rows


COLS = [
    "window",
    "ou_mu",
    "ou_theta",
    "ou_sigma",
    "ou_half_life",
    "ou_ssr",
    "ou_at_bound",
    "ou_nfev",
    "adf_stat",
    "adf_pvalue",
    "adf_usedlag",
    "adf_nobs",
    "adf_icbest",
    "hurst",
]


def agreement(rows, ref_path):
    """SPEC T7 per-window rules, so the peer itself can be checked."""
    import csv

    with open(ref_path) as f:
        ref = list(csv.DictReader(f))
    if len(ref) != len(rows):
        return 0.0, len(ref)
    ok = 0
    lag_same = 0
    for r, q in zip(rows, ref):
        v = dict(zip(COLS, r))
        rel = lambda a, b: abs(a - b) <= 1e-6 * abs(b)  # noqa: E731
        good = (
            rel(v["ou_mu"], float(q["ou_mu"]))
            and rel(v["ou_theta"], float(q["ou_theta"]))
            and rel(v["ou_sigma"], float(q["ou_sigma"]))
            and v["ou_ssr"] <= float(q["ou_ssr"]) * (1 + 1e-9)
            and abs(v["hurst"] - float(q["hurst"])) <= 1e-9
        )
        if v["adf_usedlag"] == int(q["adf_usedlag"]):
            lag_same += 1
            good = (
                good
                and rel(v["adf_stat"], float(q["adf_stat"]))
                and abs(v["adf_pvalue"] - float(q["adf_pvalue"])) <= 1e-3
                and v["adf_nobs"] == int(q["adf_nobs"])
            )
        ok += good
    return ok / len(ref), lag_same / len(ref)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", default=os.path.join(SHARED, "data", "BTCUSDT-1h.csv"))
    ap.add_argument(
        "--reference",
        default=os.path.join(SHARED, "bench", "datasets", "ou_reference_btc_1h.csv"),
    )
    ap.add_argument("--out", default=None, help="write the per-window results as CSV")
    ap.add_argument("--max-tries", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore", FutureWarning)

    t_load = time.perf_counter()
    close = np.loadtxt(args.raw, delimiter=",", skiprows=1, usecols=4, dtype=np.float64)
    load_s = time.perf_counter() - t_load
    x = np.log(close)

    # Warm-up outside the timing (imports, first-call caches).
    run_all(x[: WINDOW + STEP])

    t = spec_timing.timed(lambda: run_all(x), args.max_tries)
    rows, wall, own, foreign, quiet, attempt = (
        t.result, t.wall, t.own, t.foreign, t.quiet, t.attempts
    )

    out = {
        "task": "T7",
        "impl": "python-scipy-statsmodels",
        "wall_s": wall,
        "n_windows": len(rows),
        "ms_per_window": 1e3 * wall / len(rows),
        "load_s": load_s,
        "foreign_cpu_s": foreign,
        # CPU time of this process over the timed loop: close to the quiet
        # wall time of this single-threaded loop even on a busy machine.
        "own_cpu_s": own,
        "quiet": quiet,
        "attempts": attempt,
        "threads": 2,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__,
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
    if args.reference and os.path.isfile(args.reference):
        agree, lag_same = agreement(rows, args.reference)
        out["ref_agreement"] = agree
        out["ref_usedlag_same"] = lag_same
    if args.out:
        import csv

        with open(args.out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(COLS)
            for r in rows:
                w.writerow([repr(v) if isinstance(v, float) else v for v in r])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
