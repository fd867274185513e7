//! T6 of SPEC.md: LSTM next-bar return regressor (`lstm` agent).
//!
//! Inputs `lr_1, vol_24, rsi_14, zscore_20, vol_z_20` standardised on the
//! train rows, target `100 * fwd_ret_1`, windows of 32 steps, 1-layer
//! LSTM(64) + linear head, AdamW(1e-3, wd 1e-2), batch 256, at most 10
//! epochs with patience 3 on the last 10% of the train windows, best epoch
//! restored, then the test MSE. These are `LstmParams`' defaults; only the
//! thread count comes from the context.

use super::{BenchContext, BenchError, Measure, num};
use agent_core::{Dataset, Fit, ParamGuard};
use lstm::LstmModel;
use lstm::ndarray::{Array1, Array2};
use market::FeatureTable;
use serde_json::{Map, Value, json};

/// SPEC T6 input columns, in order.
pub const INPUTS: [&str; 5] = ["lr_1", "vol_24", "rsi_14", "zscore_20", "vol_z_20"];

pub fn run(ctx: &BenchContext) -> Result<Map<String, Value>, BenchError> {
    let path = ctx.dataset("features_btc_1h.csv")?;
    let table = FeatureTable::read_csv(&path).map_err(BenchError::failed)?;
    let cols: Vec<usize> = INPUTS
        .iter()
        .map(|c| {
            FeatureTable::feature_index(c)
                .ok_or_else(|| BenchError::Failed(format!("feature table lacks column {c}")))
        })
        .collect::<Result<_, _>>()?;
    let n = table.len();
    let x = Array2::from_shape_fn((n, INPUTS.len()), |(r, j)| table.features[[r, cols[j]]]);
    let y = Array1::from_iter(table.fwd_ret_1.iter().map(|v| 100.0 * v));
    let names: Vec<String> = INPUTS.iter().map(|s| s.to_string()).collect();
    let all = Dataset::new(x, y, names).map_err(BenchError::failed)?;
    let n_train = table.n_train;

    let timer = Measure::start();
    let train = all.slice(0..n_train).map_err(BenchError::failed)?;
    let params = LstmModel::params()
        .threads(ctx.threads)
        .seed(ctx.seed)
        .backend(
            ctx.device
                .lstm_backend("lstm")
                .map_err(BenchError::failed)?,
        )
        .check()
        .map_err(BenchError::failed)?;
    let model = params.fit(&train).map_err(BenchError::failed)?;
    let test = model
        .evaluate(&all, n_train..n)
        .map_err(BenchError::failed)?;
    let measured = timer.stop();

    let report = model
        .report()
        .ok_or_else(|| BenchError::Failed("training produced no report".into()))?;
    let mut m = Map::new();
    m.insert("impl".into(), json!("rust-cointrainer-lstm"));
    m.insert("s_per_epoch".into(), num(report.seconds_per_epoch()));
    m.insert("epochs_run".into(), json!(report.epochs.len()));
    m.insert("best_val_mse".into(), num(report.best_val_loss));
    m.insert("test_mse".into(), num(test["mse"]));
    m.insert("test_mse_zero".into(), num(test["mse_zero"]));
    m.insert("best_epoch".into(), json!(report.best_epoch));
    m.insert(
        "history".into(),
        json!(report
            .epochs
            .iter()
            .map(|e| json!({"epoch": e.epoch, "train_mse": num(e.train_loss), "val_mse": num(e.val_loss), "seconds": num(e.seconds)}))
            .collect::<Vec<_>>()),
    );
    m.insert("engine".into(), json!(report.engine));
    m.insert("backend".into(), json!(report.backend));
    m.insert("n_fit".into(), json!(report.n_fit));
    m.insert("n_val".into(), json!(report.n_val));
    m.insert("n_test".into(), json!(n - n_train));
    m.insert("threads".into(), json!(report.threads));
    m.insert("seed".into(), json!(ctx.seed));
    measured.record(&mut m);
    Ok(m)
}
