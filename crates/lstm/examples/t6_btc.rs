//! SPEC T6 end to end on the BTC 1h feature table, printing one JSON line:
//!
//! ```text
//! cargo run --release -p cointrainer-lstm --example t6_btc -- \
//!     [../shared/bench/datasets/features_btc_1h.csv] [threads=2]
//! ```
//!
//! The same run as `cointrainer bench --task T6`, without the bench harness.

use agent_core::{Dataset, Fit, ParamGuard};
use lstm::LstmModel;
use ndarray::{Array1, Array2};
use std::time::Instant;

/// CPU seconds of this process (Linux; NaN elsewhere), to compare runs on
/// a busy machine.
fn cpu_s() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    let Some(i) = s.rfind(')') else {
        return f64::NAN;
    };
    let f: Vec<&str> = s[i + 2..].split_whitespace().collect();
    let tick = |k: usize| {
        f.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (tick(11) + tick(12)) / 100.0
}

const INPUTS: [&str; 5] = ["lr_1", "vol_24", "rsi_14", "zscore_20", "vol_z_20"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "../shared/bench/datasets/features_btc_1h.csv".into());
    let threads: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2);
    let mut rdr = csv::Reader::from_path(&path)?;
    let header = rdr.headers()?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{path} has no column {name}"))
    };
    let cols: Vec<usize> = INPUTS.iter().map(|c| col(c)).collect::<Result<_, _>>()?;
    let (target, is_train) = (col("fwd_ret_1")?, col("is_train")?);
    let (mut x, mut y, mut n_train) = (Vec::new(), Vec::new(), 0);
    for rec in rdr.records() {
        let rec = rec?;
        for &c in &cols {
            x.push(rec[c].parse::<f64>()?);
        }
        y.push(100.0 * rec[target].parse::<f64>()?);
        n_train += usize::from(&rec[is_train] == "1");
    }
    let n = y.len();
    let names = INPUTS.iter().map(|s| s.to_string()).collect();
    let all = Dataset::new(Array2::from_shape_vec((n, 5), x)?, Array1::from(y), names)?;

    let (t0, c0) = (Instant::now(), cpu_s());
    let model = LstmModel::params()
        .threads(threads)
        .check()?
        .fit(&all.slice(0..n_train)?)?;
    let test = model.evaluate(&all, n_train..n)?;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_s() - c0;
    let r = model.report().ok_or("no report")?;
    println!(
        "{}",
        serde_json::json!({
            "task": "T6",
            "impl": "rust-cointrainer-lstm",
            "wall_s": wall,
            "cpu_s": cpu,
            "s_per_epoch": r.seconds_per_epoch(),
            "epochs_run": r.epochs.len(),
            "best_epoch": r.best_epoch,
            "best_val_mse": r.best_val_loss,
            "test_mse": test["mse"],
            "test_mse_zero": test["mse_zero"],
            "threads": threads,
            "history": r.epochs,
        })
    );
    Ok(())
}
