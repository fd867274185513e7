//! LightGBM models cross the language boundary both ways: models trained by
//! Python LightGBM (fixtures/lightgbm-interop/make_python_models.py) load
//! into the regime and meta-selector agents and predict what Python
//! predicted, and the `model.txt` our artifacts hold loads in Python's
//! `lightgbm.Booster(model_file=...)` with the same predictions
//! (fixtures/lightgbm-interop/check_rust_model.py). The Python side shows
//! as ignored with the reason when no Python with LightGBM and NumPy is
//! found (a failure under `COINTRAINER_REQUIRE_PYTHON=1`).
//!
//! A `harness = false` target (`required-features = ["regime",
//! "meta-selector"]`): every test is registered in `main`.

use agent_core::{Fit, ParamGuard, Persist, SplitMix64};
use meta_selector::MetaSelector;
use ndarray::Array2;
use regime::{CutPoints, RegimeData, RegimeModel};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use test_support::{needs_python, run_tests, test};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lightgbm-interop")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).unwrap()
}

fn main() {
    run_tests(vec![
        test(
            "a_python_trained_regime_model_predicts_what_python_predicted",
            a_python_trained_regime_model_predicts_what_python_predicted,
        ),
        test(
            "a_python_trained_meta_selector_predicts_what_python_predicted",
            a_python_trained_meta_selector_predicts_what_python_predicted,
        ),
        test(
            "a_model_on_other_features_is_refused_as_a_regime_model",
            a_model_on_other_features_is_refused_as_a_regime_model,
        ),
        needs_python(
            "python_loads_our_models_and_predicts_the_same",
            &["lightgbm", "numpy"],
            python_loads_our_models_and_predicts_the_same,
        ),
    ]);
}

/// Python's predictions for `x` from the `model.txt` in `artifact`.
fn python_predicts(python: &Path, artifact: &Path, x: &Array2<f64>) -> Vec<Value> {
    let rows: Vec<Vec<f64>> = x.outer_iter().map(|r| r.to_vec()).collect();
    let input = artifact.join("rows.json");
    std::fs::write(&input, serde_json::json!({ "x": rows }).to_string()).unwrap();
    let out = Command::new(python)
        .arg(fixtures().join("check_rust_model.py"))
        .arg(artifact.join("model.txt"))
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["pred"].as_array().unwrap().clone()
}

fn a_python_trained_regime_model_predicts_what_python_predicted() {
    let fx: Value = serde_json::from_str(&read("python_predictions.json")).unwrap();
    let cut = CutPoints { q1: 0.01, q2: 0.02 };
    let m = RegimeModel::from_lightgbm_text(&read("python_multiclass.txt"), cut, 24).unwrap();
    let p = m.predict_proba(matrix(&fx["multiclass_x"]).view()).unwrap();
    let want = matrix(&fx["multiclass_proba"]);
    let diff = (&p - &want).mapv(f64::abs).fold(0.0f64, |a, &b| a.max(b));
    assert!(diff < 1e-12, "max diff {diff}");
    // Saved through our artifact format, it round-trips unchanged.
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let back = RegimeModel::load(dir.path()).unwrap();
    assert_eq!(
        back.predict_proba(matrix(&fx["multiclass_x"]).view())
            .unwrap(),
        p
    );
}

fn a_python_trained_meta_selector_predicts_what_python_predicted() {
    let fx: Value = serde_json::from_str(&read("python_predictions.json")).unwrap();
    let names = ["sma_cross", "breakout", "rsi_rev", "zscore", "buy_hold"]
        .map(String::from)
        .to_vec();
    let m = MetaSelector::from_lightgbm_text(&read("python_regression.txt"), names).unwrap();
    let p = m
        .predict_matrix(matrix(&fx["regression_x"]).view())
        .unwrap();
    let want: Vec<f64> = serde_json::from_value(fx["regression_pred"].clone()).unwrap();
    for (a, b) in p.iter().zip(&want) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

fn a_model_on_other_features_is_refused_as_a_regime_model() {
    // The regressor's columns are not the T0 features.
    let err = RegimeModel::from_lightgbm_text(
        &read("python_regression.txt"),
        CutPoints { q1: 0.0, q2: 1.0 },
        24,
    )
    .unwrap_err();
    assert!(err.to_string().contains("classes"), "{err}");
}

/// Small regime training data: T0-named features whose labels follow `vol_24`.
fn regime_data() -> RegimeData {
    let run = market::SyntheticMarket::new()
        .seed(5)
        .bars(3_000)
        .generate()
        .unwrap();
    let table = market::t0_features(&run.candles).unwrap();
    RegimeData::from_feature_table(&table, "SYNTH").unwrap()
}

fn python_loads_our_models_and_predicts_the_same(python: &Path) {
    // Regime: trained here, read by Python.
    let data = regime_data();
    let m = RegimeModel::params()
        .num_leaves(vec![7])
        .n_estimators(vec![20])
        .check()
        .unwrap()
        .fit(&data)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let mut rng = SplitMix64::new(3);
    let x = Array2::from_shape_fn((20, market::FEATURES.len()), |_| 0.01 * rng.next_normal());
    let ours = m.predict_proba(x.view()).unwrap();
    let theirs = python_predicts(python, dir.path(), &x);
    for (i, row) in theirs.iter().enumerate() {
        for (k, v) in row.as_array().unwrap().iter().enumerate() {
            let d = (v.as_f64().unwrap() - ours[[i, k]]).abs();
            assert!(d < 1e-12, "row {i} class {k}: diff {d}");
        }
    }

    // Meta-selector: the Python-trained model saved by us, read back by Python.
    let fx: Value = serde_json::from_str(&read("python_predictions.json")).unwrap();
    let meta = MetaSelector::from_lightgbm_text(&read("python_regression.txt"), vec![]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    meta.save(dir.path()).unwrap();
    let x = matrix(&fx["regression_x"]);
    let ours = meta.predict_matrix(x.view()).unwrap();
    let theirs = python_predicts(python, dir.path(), &x);
    for (a, b) in ours.iter().zip(&theirs) {
        assert!((a - b.as_f64().unwrap()).abs() < 1e-12);
    }
}
