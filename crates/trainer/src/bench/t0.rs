//! T0 of SPEC.md: the feature table from raw BTC 1h candles, median of 10
//! repetitions after parsing.

use super::{BenchContext, BenchError, Measure, Measured, num};
use serde_json::{Map, Value, json};

pub fn run(ctx: &BenchContext) -> Result<Map<String, Value>, BenchError> {
    let path = ctx.raw("BTCUSDT-1h.csv")?;
    let load = Measure::start();
    let candles = market::read_candles(&path).map_err(BenchError::failed)?;
    let load_s = load.stop().wall_s;

    let mut runs: Vec<Measured> = Vec::with_capacity(10);
    let mut table = None;
    for _ in 0..10 {
        let m = Measure::start();
        let t = market::t0_features(&candles).map_err(BenchError::failed)?;
        runs.push(m.stop());
        table = Some(t);
    }
    let table = table.ok_or_else(|| BenchError::failed("no repetitions ran"))?;
    let mut walls: Vec<f64> = runs.iter().map(|r| r.wall_s).collect();
    walls.sort_by(f64::total_cmp);
    let median = (walls[4] + walls[5]) / 2.0;
    let total = Measured::sum(&runs);

    let mut m = Map::new();
    m.insert("impl".into(), json!("rust-cointrainer-market"));
    m.insert("wall_s".into(), json!(median));
    m.insert("foreign_cpu_s".into(), json!(total.foreign_cpu_s));
    m.insert("quiet".into(), json!(total.quiet));
    m.insert("wall_min_s".into(), json!(walls[0]));
    m.insert("reps".into(), json!(10));
    m.insert("load_s".into(), json!(load_s));
    m.insert("n_rows".into(), json!(table.bar.len()));
    m.insert("n_train".into(), json!(table.n_train));
    m.insert("q1".into(), num(table.q1));
    m.insert("q2".into(), num(table.q2));
    m.insert("threads".into(), json!(1));
    Ok(m)
}
