#!/usr/bin/env python3
"""T4 peer (shared/bench/SPEC.md): PPO strategy selector with stable-baselines3.

Environment exactly as SPEC T4: observation = the 7 ctx_* of window w
standardized with the train windows' mean/std0 (float32) followed by the
one-hot previous action (zeros at the first step); Discrete(5) strategy
choice; reward 100 * R[w+1, a]; 64-step episodes starting uniformly in
0..W_train-65; terminated at step 64.

PPO('MlpPolicy') with separate 12->64->64 tanh actor and critic (SB3's
default net_arch), 8 DummyVecEnv copies (Monitor-wrapped), n_steps 256,
batch 256, 10 epochs, gamma 0.99, GAE 0.95, clip range 0.2*progress_remaining,
ent_coef 0.01, vf_coef 0.5, max_grad_norm 0.5, lr 3e-4, 200,704 timesteps
(98 rollouts), seed 0, CPU, torch pinned to 2 threads.

wall_s = training only (env creation + learn). The greedy policy is then run
once through the test windows (not timed). Prints one JSON line (SPEC 0.3);
foreign CPU as SPEC 0.1 says, a noisy run is repeated after the machine has
been idle.

Usage:
    python3 benches/peer/t4_sb3.py \
        [--data ../shared/bench/datasets/strategy_returns_btc_1h.csv] \
        [--seed 0] [--max-tries 3]
"""

import os

import spec_timing  # noqa: E402  SPEC 0.1 timing rules (sibling module)

# Pin every native pool to 2 threads before numpy and the rest are imported.
spec_timing.pin_threads(2)
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import stable_baselines3 as sb3  # noqa: E402
import torch  # noqa: E402
from stable_baselines3 import PPO  # noqa: E402
from stable_baselines3.common.monitor import Monitor  # noqa: E402
from stable_baselines3.common.vec_env import DummyVecEnv  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared"))

CTX = [
    "ctx_lr_24", "ctx_vol_24", "ctx_vol_72", "ctx_rsi_14", "ctx_zscore_20",
    "ctx_vol_z_20", "ctx_atr_14_rel",
]
RET = ["ret_buy_hold", "ret_sma_cross", "ret_zscore_mr", "ret_breakout_24", "ret_rsi_rev"]
EPISODE = 64
N_ENVS = 8
TOTAL = 200_704
THREADS = 2


# --------------------------------------------------------------------------
# The environment
# --------------------------------------------------------------------------
class StrategyEnv(gym.Env):
    """SPEC T4's strategy-selection environment."""

    def __init__(self, z, r, w_train):
        super().__init__()
        self.z, self.r, self.w_train = z, r, w_train
        self.k = r.shape[1]
        self.observation_space = gym.spaces.Box(
            -np.inf, np.inf, shape=(z.shape[1] + self.k,), dtype=np.float32
        )
        self.action_space = gym.spaces.Discrete(self.k)
        self.w = 0
        self.t = 0
        self.prev = None

    def _obs(self):
        o = np.zeros(self.observation_space.shape, dtype=np.float32)
        o[: self.z.shape[1]] = self.z[self.w]
        if self.prev is not None:
            o[self.z.shape[1] + self.prev] = 1.0
        return o

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        # integers(0, W_train - 64) draws from 0..W_train-65 inclusive.
        self.w = int(self.np_random.integers(0, self.w_train - EPISODE))
        self.t = 0
        self.prev = None
        return self._obs(), {}

    def step(self, action):
        a = int(action)
        reward = 100.0 * float(self.r[self.w + 1, a])
        self.prev = a
        self.w += 1
        self.t += 1
        return self._obs(), reward, self.t == EPISODE, False, {}


def load(path):
    df = pd.read_csv(path)
    is_train = df["is_train"].to_numpy() == 1
    w_train = int(is_train.sum())
    ctx = df[CTX].to_numpy(dtype=np.float64)
    mean = ctx[:w_train].mean(axis=0)
    std = ctx[:w_train].std(axis=0)  # population std (std0)
    std[std == 0] = 1.0
    z = ((ctx - mean) / std).astype(np.float32)
    r = df[RET].to_numpy(dtype=np.float64)
    return z, r, w_train


def train(z, r, w_train, seed, device="cpu"):
    monitors = []

    def make():
        m = Monitor(StrategyEnv(z, r, w_train))
        monitors.append(m)
        return m

    venv = DummyVecEnv([make for _ in range(N_ENVS)])
    model = PPO(
        "MlpPolicy",
        venv,
        learning_rate=3e-4,
        n_steps=256,
        batch_size=256,
        n_epochs=10,
        gamma=0.99,
        gae_lambda=0.95,
        clip_range=lambda progress_remaining: 0.2 * progress_remaining,
        ent_coef=0.01,
        vf_coef=0.5,
        max_grad_norm=0.5,
        seed=seed,
        device=device,
        verbose=0,
    )
    model.learn(total_timesteps=TOTAL)
    return model, monitors


def episodes_in_completion_order(monitors):
    """(finish step, env index, reward) of every episode, sorted by when it
    finished; episodes of one step end in env-index order."""
    eps = []
    for i, m in enumerate(monitors):
        done_at = np.cumsum(m.get_episode_lengths())
        for j, rew in enumerate(m.get_episode_rewards()):
            eps.append((int(done_at[j]), i, float(rew)))
    eps.sort()
    return [e[2] for e in eps]


def evaluate(model, z, r, w_train):
    """Greedy policy once through decisions w = W_train-1 .. W-2."""
    k = r.shape[1]
    prev = None
    rets = []
    for w in range(w_train - 1, len(z) - 1):
        o = np.zeros(z.shape[1] + k, dtype=np.float32)
        o[: z.shape[1]] = z[w]
        if prev is not None:
            o[z.shape[1] + prev] = 1.0
        a, _ = model.predict(o, deterministic=True)
        a = int(a)
        rets.append(r[w + 1, a])
        prev = a
    test = r[w_train:]
    means = test.mean(axis=0)
    return float(np.mean(rets)), float(means.max()), float(means.mean()), len(rets)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data",
        default=os.path.join(SHARED, "bench", "datasets", "strategy_returns_btc_1h.csv"),
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-tries", type=int, default=3)
    ap.add_argument("--device", default="cpu",
                    help="torch device of the policy: cpu (the SPEC's), or cuda:N beside "
                         "`cointrainer bench --device cuda:N`")
    args = ap.parse_args()

    torch.set_num_threads(THREADS)
    t_load = time.perf_counter()
    z, r, w_train = load(args.data)
    load_s = time.perf_counter() - t_load

    t = spec_timing.timed(lambda: train(z, r, w_train, args.seed, args.device), args.max_tries)
    model, monitors = t.result
    wall, foreign, quiet, attempt = t.wall, t.foreign, t.quiet, t.attempts

    rewards = episodes_in_completion_order(monitors)
    k = max(1, len(rewards) // 10)
    greedy, best_fixed, uniform, n_test = evaluate(model, z, r, w_train)
    env_steps = int(model.num_timesteps)
    out = {
        "task": "T4",
        "impl": "python-sb3",
        "device": args.device,
        "wall_s": wall,
        "env_steps": env_steps,
        "steps_per_s": env_steps / wall,
        "n_updates": env_steps // (N_ENVS * 256),
        "grad_steps": int(model._n_updates) * (N_ENVS * 256 // 256),
        "test_mean_ret_greedy": greedy,
        "test_mean_ret_best_fixed_hindsight": best_fixed,
        "test_mean_ret_uniform": uniform,
        "train_ep_reward_last10pct": float(np.mean(rewards[-k:])),
        "n_episodes": len(rewards),
        "test_decisions": n_test,
        "seed": args.seed,
        "load_s": load_s,
        "foreign_cpu_s": foreign,
        "quiet": quiet,
        "attempts": attempt,
        "threads": THREADS,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "torch": torch.__version__,
            "stable_baselines3": sb3.__version__,
            "gymnasium": gym.__version__,
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
