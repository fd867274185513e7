//! T2 of SPEC.md: the meta-selector, a LightGBM regressor on the trailing
//! strategy statistics of `meta_btc_1h.csv`. Grid learning_rate x
//! num_leaves with early stopping on the validation windows, test MSE/R2 at
//! the best point's best iteration, then the fixed-500-rounds throughput
//! sub-measure (`fixed500_s`, timed separately, not part of `wall_s`).

use super::{BenchContext, BenchError, Measure, num};
use agent_core::{Fit, ParamGuard};
use meta_selector::{MetaSelector, MetaTable};
use serde_json::{Map, Value, json};
use std::time::Instant;

/// SPEC T2's strategy ids 0..4.
const STRATEGIES: [&str; 5] = [
    "buy_hold",
    "sma_cross",
    "zscore_mr",
    "breakout_24",
    "rsi_rev",
];

pub fn run(ctx: &BenchContext) -> Result<Map<String, Value>, BenchError> {
    let path = ctx.dataset("meta_btc_1h.csv")?;
    let t_load = Instant::now();
    let names = STRATEGIES.iter().map(|s| s.to_string()).collect();
    let table = MetaTable::read_csv(&path, Some(names)).map_err(BenchError::failed)?;
    let load_s = t_load.elapsed().as_secs_f64();

    let params = MetaSelector::params()
        .num_threads(ctx.threads)
        .check()
        .map_err(BenchError::failed)?;
    // Warm-up outside the timing, as the peer does: first LightGBM call and
    // the OpenMP pool.
    params
        .fit_fixed_rounds(&table, 0.1, 15, 2)
        .map_err(BenchError::failed)?;

    let m = Measure::start();
    let model = params.fit(&table).map_err(BenchError::failed)?;
    let measured = m.stop();

    let f = Measure::start();
    let fixed = params
        .fit_fixed_rounds(&table, 0.05, 63, 500)
        .map_err(BenchError::failed)?;
    let fixed_measured = f.stop();

    let r = model.report();
    let grid: Vec<Value> = r
        .grid
        .iter()
        .map(|g| {
            json!({
                "learning_rate": g.learning_rate,
                "num_leaves": g.num_leaves,
                "best_iteration": g.best_iteration,
                "val_mse": num(g.val_mse),
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("impl".into(), json!("rust-cointrainer-meta-selector"));
    measured.record(&mut out);
    out.insert("best_learning_rate".into(), json!(r.best_learning_rate));
    out.insert("best_num_leaves".into(), json!(r.best_num_leaves));
    out.insert("best_iteration".into(), json!(r.best_iteration));
    out.insert("val_mse".into(), num(r.val_mse.unwrap_or(f64::NAN)));
    out.insert("test_mse".into(), num(r.test_mse.unwrap_or(f64::NAN)));
    out.insert("test_r2".into(), num(r.test_r2.unwrap_or(f64::NAN)));
    out.insert("grid".into(), Value::Array(grid));
    out.insert("fixed500_s".into(), json!(fixed_measured.wall_s));
    out.insert(
        "fixed500_test_mse".into(),
        num(fixed.report().test_mse.unwrap_or(f64::NAN)),
    );
    out.insert(
        "fixed500_foreign_cpu_s".into(),
        json!(fixed_measured.foreign_cpu_s),
    );
    out.insert("fixed500_quiet".into(), json!(fixed_measured.quiet));
    if let Some(s) = &r.selection {
        out.insert("test_selection_mean_ret".into(), num(s.mean_selected));
        out.insert("test_best_fixed_mean_ret".into(), num(s.mean_best_fixed));
        out.insert(
            "test_best_fixed_strategy".into(),
            json!(s.best_fixed_strategy),
        );
    }
    out.insert("load_s".into(), json!(load_s));
    out.insert("threads".into(), json!(ctx.threads));
    Ok(out)
}
