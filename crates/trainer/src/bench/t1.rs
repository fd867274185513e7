//! T1 of SPEC.md: the signal agent's elastic-net logistic regression, grid
//! search over C x l1_ratio with TimeSeriesSplit(5) on the train rows,
//! refit, test ROC-AUC and F1. Timed from the parsed arrays to the metrics.

use super::{BenchContext, BenchError, Measure, num};
use agent_core::{Fit, ParamGuard};
use serde_json::{Map, Value, json};
use signal::{FeatureCsvSpec, SignalParams};

pub fn run(ctx: &BenchContext) -> Result<Map<String, Value>, BenchError> {
    let path = ctx.dataset("features_btc_1h.csv")?;
    let load = Measure::start();
    let table =
        signal::read_feature_csv(&path, &FeatureCsvSpec::t1()).map_err(BenchError::failed)?;
    let (train, test) = table.train_test().map_err(BenchError::failed)?;
    let load_s = load.stop().wall_s;

    // SPEC T1: the 12-point grid, 5 forward-chaining folds, ROC-AUC; the peer
    // runs saga with max_iter=1000, tol=1e-4 (our tol is the KKT criterion).
    let params = SignalParams::new()
        .cs(vec![0.01, 0.1, 1.0, 10.0])
        .l1_ratios(vec![0.0, 0.5, 1.0])
        .n_splits(5)
        .max_iter(1000)
        .tol(1e-4)
        .n_threads(ctx.threads)
        .check()
        .map_err(BenchError::failed)?;

    let timer = Measure::start();
    let mut model = params.fit(&train).map_err(BenchError::failed)?;
    let eval = model.evaluate(&test).map_err(BenchError::failed)?;
    let measured = timer.stop();

    let report = model
        .search()
        .ok_or_else(|| BenchError::failed("the model carries no search report"))?;
    let best = report.best_record();
    let grid: Vec<Value> = report
        .grid
        .iter()
        .map(|g| json!({"C": g.c, "l1_ratio": g.l1_ratio, "mean_cv_auc": num(g.mean_cv_auc)}))
        .collect();
    let mut m = Map::new();
    m.insert("impl".into(), json!("rust-cointrainer-signal"));
    measured.record(&mut m);
    m.insert("best_C".into(), num(best.c));
    m.insert("best_l1_ratio".into(), num(best.l1_ratio));
    m.insert("mean_cv_auc".into(), num(best.mean_cv_auc));
    m.insert("test_auc".into(), num(eval.auc));
    m.insert("test_f1".into(), num(eval.f1_at_half));
    m.insert("grid".into(), Value::Array(grid));
    // Extras: how the solver did and what the agent adds beyond the SPEC.
    m.insert("load_s".into(), num(load_s));
    m.insert(
        "solver".into(),
        json!("proximal Newton (exact Hessian, exact L1 subproblem)"),
    );
    m.insert(
        "max_newton_iter".into(),
        json!(report.grid.iter().map(|g| g.max_n_iter).max().unwrap_or(0)),
    );
    m.insert(
        "all_converged".into(),
        json!(report.grid.iter().all(|g| g.converged) && model.fit_info().converged),
    );
    m.insert("refit_n_iter".into(), json!(model.fit_info().n_iter));
    m.insert("decision_threshold".into(), num(model.decision_threshold()));
    m.insert("test_f1_at_threshold".into(), num(eval.f1_at_threshold));
    m.insert("threads".into(), json!(ctx.threads));
    Ok(m)
}
