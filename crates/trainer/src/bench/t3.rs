//! T3 of SPEC.md: the volatility-regime classifier, LightGBM multiclass on
//! the 12 T0 features of `features_btc_1h.csv` with `y_regime` labels (cut
//! points from the train rows). Grid num_leaves x n_estimators with early
//! stopping on the validation rows; F1-macro and one-vs-rest ROC-AUC on test.

use super::{BenchContext, BenchError, Measure, num};
use agent_core::{Fit, ParamGuard};
use market::FeatureTable;
use regime::{RegimeData, RegimeModel};
use serde_json::{Map, Value, json};
use std::time::Instant;

pub fn run(ctx: &BenchContext) -> Result<Map<String, Value>, BenchError> {
    let path = ctx.dataset("features_btc_1h.csv")?;
    let t_load = Instant::now();
    let table = FeatureTable::read_csv(&path).map_err(BenchError::failed)?;
    let data = RegimeData::from_feature_table(&table, "BTCUSDT").map_err(BenchError::failed)?;
    let load_s = t_load.elapsed().as_secs_f64();

    let params = RegimeModel::params()
        .num_threads(ctx.threads)
        .check()
        .map_err(BenchError::failed)?;
    // Warm-up outside the timing, as the peer does: first LightGBM call and
    // the OpenMP pool.
    RegimeModel::params()
        .num_leaves(vec![15])
        .n_estimators(vec![2])
        .num_threads(ctx.threads)
        .check()
        .and_then(|p| p.fit(&data))
        .map_err(BenchError::failed)?;

    let m = Measure::start();
    let model = params.fit(&data).map_err(BenchError::failed)?;
    let measured = m.stop();

    let r = model.report();
    // The same labels as the peer's y_regime column (train-only cut points).
    let cp = model.cut_points();
    let labels_match = table
        .fwd_vol_24
        .iter()
        .zip(&table.y_regime)
        .all(|(&v, &y)| cp.label(v) == y);
    let grid: Vec<Value> = r
        .grid
        .iter()
        .map(|g| {
            json!({
                "num_leaves": g.num_leaves,
                "n_estimators": g.n_estimators,
                "best_iteration": g.best_iteration,
                "val_logloss": num(g.val_logloss),
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("impl".into(), json!("rust-cointrainer-regime"));
    measured.record(&mut out);
    out.insert("best_num_leaves".into(), json!(r.best_num_leaves));
    out.insert("best_n_estimators".into(), json!(r.best_n_estimators));
    out.insert("best_iteration".into(), json!(r.best_iteration));
    out.insert("val_logloss".into(), num(r.val_logloss));
    out.insert(
        "test_f1_macro".into(),
        num(r.test_f1_macro.unwrap_or(f64::NAN)),
    );
    out.insert(
        "test_roc_auc_ovr".into(),
        num(r.test_roc_auc_ovr.unwrap_or(f64::NAN)),
    );
    out.insert("grid".into(), Value::Array(grid));
    out.insert("q1".into(), num(cp.q1));
    out.insert("q2".into(), num(cp.q2));
    out.insert("labels_match_y_regime".into(), json!(labels_match));
    out.insert(
        "shared_rounds_across_n_estimators".into(),
        json!(params.share_rounds_across_n_estimators),
    );
    out.insert("load_s".into(), json!(load_s));
    out.insert("threads".into(), json!(ctx.threads));
    Ok(out)
}
