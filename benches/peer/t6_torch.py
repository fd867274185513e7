#!/usr/bin/env python3
"""SPEC T6 peer: PyTorch LSTM next-bar return regressor.

1-layer nn.LSTM(5 -> 64, batch_first) + nn.Linear(64 -> 1) on the last step,
PyTorch default init with torch.manual_seed(0), AdamW(lr=1e-3, wd=1e-2),
batch 256 reshuffled every epoch (last partial batch kept), at most 10 epochs,
early stopping with patience 3 on the validation MSE, best epoch restored,
then the test MSE. CPU, float32, torch.set_num_threads(2).

Prints the SPEC result line (one JSON object) on stdout.

    python3 benches/peer/t6_torch.py \
        [--data ../shared/bench/datasets/features_btc_1h.csv] [--attempts 3]

Timing follows SPEC 0.1/0.2: the clock starts once the CSV is parsed into
arrays (standardisation and window indexing are inside it, as on the Rust
side) and stops after the test MSE. Windows are gathered per batch by index
(`X[end - 31 : end + 1]` via one advanced-indexing op), not materialised.
Foreign CPU = system busy time minus this process's CPU; a run that is not
quiet is repeated after the machine has been idle for 3 s.
"""

import spec_timing  # SPEC 0.1 timing rules (sibling module)

# Pin every native pool to 2 threads before numpy and the rest are imported.
spec_timing.pin_threads(2)

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

INPUTS = ["lr_1", "vol_24", "rsi_14", "zscore_20", "vol_z_20"]
WINDOW = 32
HIDDEN = 64
BATCH = 256
MAX_EPOCHS = 10
PATIENCE = 3
THREADS = 2


class LSTMRegressor(nn.Module):
    def __init__(self, n_in, hidden):
        super().__init__()
        self.lstm = nn.LSTM(n_in, hidden, num_layers=1, batch_first=True)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        # [:, -1, 0] keeps the batch axis even at batch size 1 (the original's
        # `.squeeze()` did not).
        return self.fc(out[:, -1, :])[:, 0]


def windows(X, ends, offsets):
    """Batch of windows ending at rows `ends`: X[ends - 31 .. ends], [B, 32, 5]."""
    return X[ends[:, None] + offsets[None, :]]


def evaluate(model, X, y, ends, offsets, chunk=4096):
    model.eval()
    se = 0.0
    with torch.no_grad():
        for s in range(0, len(ends), chunk):
            e = ends[s : s + chunk]
            p = model(windows(X, e, offsets))
            se += float(((p - y[e]) ** 2).sum())
    return se / len(ends)


def run_once(feat, target, n_train, device="cpu"):
    t0 = time.perf_counter()
    torch.manual_seed(0)
    mean = feat[:n_train].mean(axis=0)
    std = feat[:n_train].std(axis=0)  # population std (ddof=0)
    X = torch.from_numpy(((feat - mean) / std).astype(np.float32)).to(device)
    y = torch.from_numpy((100.0 * target).astype(np.float32)).to(device)
    offsets = torch.arange(-(WINDOW - 1), 1, device=device)
    train_ends = torch.arange(WINDOW - 1, n_train, device=device)
    n_fit = int(0.9 * len(train_ends))
    fit_ends, val_ends = train_ends[:n_fit], train_ends[n_fit:]
    test_ends = torch.arange(n_train, len(feat), device=device)

    # Initialised on the CPU (the same weights as the CPU run), then moved.
    model = LSTMRegressor(len(INPUTS), HIDDEN).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=1e-2)
    loss_fn = nn.MSELoss()
    best, best_state, bad, epoch_s, history = math.inf, None, 0, [], []
    for epoch in range(MAX_EPOCHS):
        te = time.perf_counter()
        model.train()
        # The CPU generator shuffles, so a GPU run sees the CPU run's batches.
        perm = fit_ends[torch.randperm(len(fit_ends)).to(device)]
        tr_se = 0.0
        for s in range(0, len(perm), BATCH):
            e = perm[s : s + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(windows(X, e, offsets)), y[e])
            loss.backward()
            opt.step()
            tr_se += loss.item() * len(e)
        val = evaluate(model, X, y, val_ends, offsets)
        epoch_s.append(time.perf_counter() - te)
        history.append({"epoch": epoch + 1, "train_mse": tr_se / len(perm), "val_mse": val})
        if val < best:
            best, best_state, bad = val, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= PATIENCE:
                break
    model.load_state_dict(best_state)
    test_mse = evaluate(model, X, y, test_ends, offsets)
    wall = time.perf_counter() - t0
    test_mse_zero = float((y[test_ends] ** 2).mean())
    return {
        "wall_s": wall,
        "s_per_epoch": float(np.mean(epoch_s)),
        "epochs_run": len(epoch_s),
        "best_val_mse": best,
        "test_mse": test_mse,
        "test_mse_zero": test_mse_zero,
        "best_epoch": int(np.argmin([h["val_mse"] for h in history])) + 1,
        "history": history,
        "n_fit": int(n_fit),
        "n_val": int(len(val_ends)),
        "n_test": int(len(test_ends)),
    }


def main():
    here = Path(__file__).resolve()
    default = here.parents[2].parent / "shared" / "bench" / "datasets" / "features_btc_1h.csv"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default)
    ap.add_argument("--attempts", type=int, default=3, help="re-runs allowed when not quiet")
    ap.add_argument("--threads", type=int, default=THREADS,
                    help="torch threads (SPEC: 2; 1 is for diagnosis on a busy machine)")
    ap.add_argument("--device", default="cpu",
                    help="torch device: cpu (the SPEC's), or cuda:N beside `cointrainer bench "
                         "--device cuda:N` (a ROCm PyTorch names AMD GPUs cuda too)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    df = pd.read_csv(args.data)
    feat = df[INPUTS].to_numpy(dtype=np.float64)
    target = df["fwd_ret_1"].to_numpy(dtype=np.float64)
    n_train = int((df["is_train"].to_numpy() == 1).sum())

    t = spec_timing.timed(lambda: run_once(feat, target, n_train, args.device), args.attempts)
    res, own, foreign, quiet = t.result, t.own, t.foreign, t.quiet

    out = {"task": "T6", "impl": "python-torch", "device": args.device}
    if args.device != "cpu":
        out["gpu"] = torch.cuda.get_device_name(torch.device(args.device))
    out.update(res)
    out.update({
        "cpu_s": own,
        "threads": args.threads,
        "foreign_cpu_s": foreign,
        "quiet": quiet,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "torch": torch.__version__,
            "mkldnn": bool(torch.backends.mkldnn.is_available()),
        },
        "cpu": platform.processor() or platform.machine(),
    })
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
