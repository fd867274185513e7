//! Train the LinUCB strategy selector and see what it would have earned.
//!
//! ```text
//! cargo run --release --example train_bandit                      # synthetic market
//! cargo run --release --example train_bandit -- strategy_pnl.csv  # your data
//! cargo run --release --example train_bandit -- FILE --out DIR --alpha 0.5 --seed 7
//! ```
//!
//! Without a file, the example runs five strategies bar by bar on the
//! built-in synthetic market, following SPEC T2's rules:
//! - the strategies are buy-and-hold, an SMA 20/50 cross, a z-score mean
//!   reversion, a 24-bar Donchian breakout and an RSI reversal, with a 0.1%
//!   fee per unit of position change;
//! - returns are cut into 24-bar windows;
//! - each window's regime is the volatility tercile of its realised
//!   volatility, with cut points taken from the training windows only.
//!
//! The bandit trains on the first 80% of windows and is then replayed on
//! the rest as a live bot would run it. At the end of each window it picks
//! a strategy for the next one and learns that strategy's return. The
//! example prints the choices and the regret per regime, then saves the
//! model (`.npy` arrays + manifest).
//!
//! With a file: an aggregated `strategy_pnl.csv` gives a warm start; a trade
//! log (`timestamp,regime,strategy,pnl`) or per-window returns (`ret_*`
//! columns) are split 80/20 in time order, or by their `is_train` column,
//! then trained and replayed the same way.

use linucb::{
    BanditData, Fit, Learn, LinUcb, LinUcbParams, ParamGuard, Persist, RegimeMode, ReplayReport,
    TrainingFile, read_training_file,
};
use market::SyntheticMarket;
use std::error::Error;
use std::path::PathBuf;

const STRATEGIES: [&str; 5] = [
    "buy_hold",
    "sma_cross",
    "zscore_mr",
    "breakout_24",
    "rsi_rev",
];
const CONTEXT: [&str; 7] = [
    "ctx_lr_24",
    "ctx_vol_24",
    "ctx_vol_72",
    "ctx_rsi_14",
    "ctx_zscore_20",
    "ctx_vol_z_20",
    "ctx_atr_14_rel",
];
const REGIMES: [&str; 3] = ["low_vol", "mid_vol", "high_vol"];
const FEE: f64 = 0.001;
const WINDOW: usize = 24;
const WARMUP: usize = 72;

struct Args {
    file: Option<PathBuf>,
    out: PathBuf,
    alpha: f64,
    seed: u64,
    bars: usize,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut a = Args {
        file: None,
        out: PathBuf::from("target/models/linucb"),
        alpha: 1.0,
        seed: 42,
        bars: 20_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--out" => a.out = PathBuf::from(value("--out")?),
            "--alpha" => {
                a.alpha = value("--alpha")?
                    .parse()
                    .map_err(|_| "--alpha needs a number")?
            }
            "--seed" => {
                a.seed = value("--seed")?
                    .parse()
                    .map_err(|_| "--seed needs an integer")?
            }
            "--bars" => {
                a.bars = value("--bars")?
                    .parse()
                    .map_err(|_| "--bars needs an integer")?
            }
            "-h" | "--help" => {
                println!(
                    "usage: train_bandit [FILE] [--out DIR] [--alpha A] [--seed N] [--bars N]\n\
                     FILE: strategy_pnl.csv (aggregate), a trade log, or per-window returns;\n\
                     without FILE the shipped strategies run on the synthetic market."
                );
                std::process::exit(0);
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}").into()),
            s => a.file = Some(PathBuf::from(s)),
        }
    }
    Ok(a)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let params = LinUcbParams::new()
        .alpha(args.alpha)
        .regime_mode(RegimeMode::PerRegime)
        .check()?;
    let model = match &args.file {
        None => {
            let data = simulate(args.seed, args.bars)?;
            println!(
                "Synthetic market: seed {}, {} bars of 1h -> {} decisions (24-bar windows), rewards in % per window",
                args.seed,
                args.bars,
                data.len()
            );
            train_and_replay(&params, data)?
        }
        Some(path) => match read_training_file(path)? {
            TrainingFile::Events(mut data) => {
                if data.is_full_information() {
                    // Per-window simple returns: report in percent.
                    data.scale_rewards(100.0)?;
                    println!(
                        "{}: per-window returns of {} strategies, rewards in %",
                        path.display(),
                        data.n_arms()
                    );
                } else {
                    println!(
                        "{}: trade log, rewards in the file's pnl units",
                        path.display()
                    );
                }
                train_and_replay(&params, data)?
            }
            TrainingFile::Aggregate(table) => {
                println!(
                    "{}: aggregate statistics ({} rows, {} trades). This is a warm start only:\n\
                     no market features and no time order, so there is nothing to replay.",
                    path.display(),
                    table.rows.len(),
                    table.total_trades()
                );
                let mut model = params.fit(&table)?;
                let mut greedy = model.clone();
                greedy.set_alpha(0.0)?;
                let arm_names = greedy.arm_names().to_vec();
                for (r, name) in table.regime_names.iter().enumerate() {
                    let (arm, scores) = greedy.select(r, &[])?;
                    println!(
                        "  {name:<12} -> {:<14} (expected pnl {:.4})",
                        arm_names[arm], scores[arm]
                    );
                }
                model.set_alpha(args.alpha)?;
                model
            }
        },
    };
    let manifest = model.save(&args.out)?;
    let n_npy = manifest
        .files
        .keys()
        .filter(|f| f.ends_with(".npy"))
        .count();
    println!(
        "\nSaved to {} ({} .npy arrays + model.json + manifest.json).\n\
         Python: numpy.load('{}/r0_A_inv.npy') -> shape (n_strategies, d, d)",
        args.out.display(),
        n_npy,
        args.out.display()
    );
    Ok(())
}

/// Fit on the training events, then replay the test events as a live bot
/// (choose, then learn the chosen strategy's reward), and print the report.
fn train_and_replay(
    params: &linucb::LinUcbValidParams,
    data: BanditData,
) -> Result<LinUcb, Box<dyn Error>> {
    let (train, test) = data.split(0.8)?;
    if train.is_empty() || test.is_empty() {
        return Err(format!(
            "need events on both sides of the split (train {}, test {})",
            train.len(),
            test.len()
        )
        .into());
    }
    let mut model = params.fit(&train)?;
    println!(
        "Trained on {} events (chronological first part), replaying {} test events.\n",
        train.len(),
        test.len()
    );
    let report = model.replay(&test, Learn::Chosen)?;
    print_report(&report);
    model.record_metrics("test", &report);
    Ok(model)
}

fn print_report(r: &ReplayReport) {
    let name_w = r
        .arm_names
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(8)
        .max(8);
    print!("{:<10} {:>7}  ", "regime", "events");
    for a in &r.arm_names {
        print!("{a:>name_w$} ");
    }
    println!(
        " {:>9}  {:>22}  {:>8}",
        "reward", "best fixed in hindsight", "regret"
    );
    for g in &r.per_regime {
        print!("{:<10} {:>7}  ", g.regime, g.events);
        for c in &g.choices {
            print!("{c:>name_w$} ");
        }
        println!(
            " {:>9.3}  {:>13} {:>8.3}  {:>8.3}",
            g.cumulative_reward,
            g.best_fixed_arm.as_deref().unwrap_or("-"),
            g.best_fixed_reward,
            g.regret
        );
    }
    let scored = if r.full_information {
        String::new()
    } else {
        format!(" over {} matched events (replay of a log)", r.evaluated)
    };
    println!(
        "\nTotal{scored}: bandit {:.3}; best fixed strategy `{}` {:.3} (regret {:.3}); \
         best per regime {:.3} (regret {:.3}); uniform random {:.3}{}",
        r.cumulative_reward,
        r.best_fixed_arm.as_deref().unwrap_or("-"),
        r.best_fixed_reward,
        r.regret_vs_best_fixed,
        r.best_fixed_per_regime_reward,
        r.regret_vs_best_fixed_per_regime,
        r.uniform_reward,
        r.oracle_reward
            .map(|o| format!("; oracle {o:.3}"))
            .unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------
// Strategy simulation on synthetic candles (SPEC T2 rules).

fn std1(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn zscore(v: &[f64]) -> f64 {
    let s = std1(v);
    if s > 0.0 {
        (v[v.len() - 1] - mean(v)) / s
    } else {
        0.0
    }
}

/// numpy's default ("linear") quantile.
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    let p = q * (s.len() - 1) as f64;
    let i = p.floor() as usize;
    if i + 1 < s.len() {
        s[i] + (p - i as f64) * (s[i + 1] - s[i])
    } else {
        s[i]
    }
}

/// Wilder smoothing of `v[1..]` with period 14, seeded by the mean of v[1..=14].
fn wilder(v: &[f64]) -> Vec<f64> {
    let mut out = vec![f64::NAN; v.len()];
    if v.len() > 14 {
        out[14] = mean(&v[1..=14]);
        for t in 15..v.len() {
            out[t] = (13.0 * out[t - 1] + v[t]) / 14.0;
        }
    }
    out
}

/// Run the five strategies on synthetic candles and build full-information
/// bandit data: event w = decision at the end of window w, rewarded with
/// every strategy's return (in %) over window w + 1.
fn simulate(seed: u64, bars: usize) -> Result<BanditData, Box<dyn Error>> {
    let run = SyntheticMarket::new().seed(seed).bars(bars).generate()?;
    let c = &run.candles;
    let n = c.close.len();
    if n < WARMUP + 3 * WINDOW + 2 {
        return Err(format!("need at least {} bars, got {n}", WARMUP + 3 * WINDOW + 2).into());
    }
    let (close, high, low, vol) = (&c.close, &c.high, &c.low, &c.volume);
    let x: Vec<f64> = close.iter().map(|p| p.ln()).collect();
    let mut r1 = vec![0.0; n];
    for t in 1..n {
        r1[t] = x[t] - x[t - 1];
    }
    let mut gain = vec![0.0; n];
    let mut loss = vec![0.0; n];
    let mut tr = vec![0.0; n];
    for t in 1..n {
        let d = close[t] - close[t - 1];
        gain[t] = d.max(0.0);
        loss[t] = (-d).max(0.0);
        tr[t] = (high[t] - low[t])
            .max((high[t] - close[t - 1]).abs())
            .max((low[t] - close[t - 1]).abs());
    }
    let (ag, al, atr) = (wilder(&gain), wilder(&loss), wilder(&tr));
    let rsi = |t: usize| {
        let s = ag[t] + al[t];
        if s == 0.0 { 50.0 } else { 100.0 * ag[t] / s }
    };

    // Positions decided at each bar's close (0 before the warm-up).
    let mut pos = vec![[0i8; 5]; n];
    for t in WARMUP..n {
        let prev = pos[t - 1];
        let z = zscore(&close[t - 19..=t]);
        let r = rsi(t);
        let hh = high[t - 24..t]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let ll = low[t - 24..t].iter().copied().fold(f64::INFINITY, f64::min);
        pos[t] = [
            1,
            if mean(&close[t - 19..=t]) > mean(&close[t - 49..=t]) {
                1
            } else {
                -1
            },
            match prev[2] {
                0 if z < -2.0 => 1,
                0 if z > 2.0 => -1,
                1 if z >= 0.0 => 0,
                -1 if z <= 0.0 => 0,
                p => p,
            },
            if close[t] > hh {
                1
            } else if close[t] < ll {
                -1
            } else {
                prev[3]
            },
            match prev[4] {
                0 if r < 30.0 => 1,
                0 if r > 70.0 => -1,
                1 if r > 50.0 => 0,
                -1 if r < 50.0 => 0,
                p => p,
            },
        ];
    }

    let n_windows = (n - 1 - WARMUP) / WINDOW;
    let mut returns = vec![[0.0f64; 5]; n_windows];
    let mut ctx = vec![[0.0f64; 7]; n_windows];
    for w in 0..n_windows {
        let (first, last) = (WARMUP + 1 + WINDOW * w, WARMUP + WINDOW * (w + 1));
        for (k, ret) in returns[w].iter_mut().enumerate() {
            let mut growth = 1.0;
            for t in first..=last {
                let (p1, p2) = (f64::from(pos[t - 1][k]), f64::from(pos[t - 2][k]));
                growth *= 1.0 + p1 * (close[t] / close[t - 1] - 1.0) - FEE * (p1 - p2).abs();
            }
            *ret = growth - 1.0;
        }
        let t = last;
        ctx[w] = [
            x[t] - x[t - 24],
            std1(&r1[t - 23..=t]),
            std1(&r1[t - 71..=t]),
            rsi(t),
            zscore(&close[t - 19..=t]),
            zscore(&vol[t - 19..=t]),
            atr[t] / close[t],
        ];
    }

    // Regime = tercile of realised volatility, cut points from train windows only.
    let w_train = n_windows * 4 / 5;
    let train_vol: Vec<f64> = ctx[..w_train].iter().map(|c| c[1]).collect();
    let (q1, q2) = (
        quantile(&train_vol, 1.0 / 3.0),
        quantile(&train_vol, 2.0 / 3.0),
    );
    let regime = |v: f64| {
        if v <= q1 {
            0
        } else if v <= q2 {
            1
        } else {
            2
        }
    };

    let events = n_windows - 1;
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let data = BanditData::new_full(
        names(&STRATEGIES),
        names(&REGIMES),
        names(&CONTEXT),
        (0..events).map(|w| regime(ctx[w][1])).collect(),
        ctx[..events].iter().flatten().copied().collect(),
        returns[1..].iter().flatten().map(|r| 100.0 * r).collect(),
    )?
    // An event is training when the window it is rewarded with is.
    .with_train_mask((0..events).map(|w| w + 1 < w_train).collect())?;
    Ok(data)
}
