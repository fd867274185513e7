//! One epoch of SPEC T6's setup on a slice of the real BTC feature table
//! (`shared/bench/datasets/features_btc_1h.csv`); without the shared
//! directory (user clones) the test shows as ignored (a failure under
//! `COINTRAINER_REQUIRE_SHARED_DATA=1`). The full T6 run is the bench's job.
//!
//! A `harness = false` target: every test is registered in `main`.

use agent_core::{Dataset, Fit, ParamGuard};
use lstm::LstmModel;
use ndarray::{Array1, Array2};
use std::path::Path;
use test_support::{needs_shared, run_tests};

const INPUTS: [&str; 5] = ["lr_1", "vol_24", "rsi_14", "zscore_20", "vol_z_20"];
const FEATURES_CSV: &str = "bench/datasets/features_btc_1h.csv";

fn main() {
    run_tests(vec![needs_shared(
        "one_epoch_on_a_btc_slice_lands_near_the_zero_predictor",
        &[FEATURES_CSV],
        one_epoch_on_a_btc_slice_lands_near_the_zero_predictor,
    )]);
}

fn one_epoch_on_a_btc_slice_lands_near_the_zero_predictor(shared: &Path) {
    let path = shared.join(FEATURES_CSV);
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let header = rdr.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let cols: Vec<usize> = INPUTS.iter().map(|c| col(c)).collect();
    let target = col("fwd_ret_1");
    let (n_rows, n_train) = (5_000, 4_000);
    let mut x = Vec::with_capacity(n_rows * 5);
    let mut y = Vec::with_capacity(n_rows);
    for rec in rdr.records().take(n_rows) {
        let rec = rec.unwrap();
        x.extend(cols.iter().map(|&c| rec[c].parse::<f64>().unwrap()));
        y.push(100.0 * rec[target].parse::<f64>().unwrap());
    }
    let names = INPUTS.iter().map(|s| s.to_string()).collect();
    let all = Dataset::new(
        Array2::from_shape_vec((n_rows, 5), x).unwrap(),
        Array1::from(y),
        names,
    )
    .unwrap();
    let model = LstmModel::params()
        .max_epochs(1)
        .threads(2)
        .check()
        .unwrap()
        .fit(&all.slice(0..n_train).unwrap())
        .unwrap();
    let r = model.report().unwrap();
    assert_eq!(r.epochs.len(), 1);
    // 32-bar windows; the 1-bar label horizon is purged before validation.
    assert_eq!(r.n_fit + r.n_val, n_train - 31 - 1);
    assert_eq!(r.purged_samples, 1);
    let test = model.evaluate(&all, n_train..n_rows).unwrap();
    // Next-bar returns are close to unpredictable: a sane model stays within a
    // few percent of predicting zero.
    assert!(test["mse"] < 1.05 * test["mse_zero"], "{test:?}");
    assert_eq!(model.feature_names(), INPUTS);
}
