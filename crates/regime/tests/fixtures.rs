//! Checks against `fixtures/regime/lgbm_multiclass.json` (made by
//! `make_fixtures.py` with numpy, scikit-learn and LightGBM's Python package).

use agent_core::{Fit, ParamGuard, Persist, SplitMix64};
use ndarray::Array2;
use regime::{GridParallelism, RegimeData, RegimeModel};
use serde_json::Value;
use std::path::PathBuf;

fn fixture() -> (Value, RegimeData) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/regime/lgbm_multiclass.json");
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let n = fx["n"].as_u64().unwrap() as usize;
    let nf = fx["n_features"].as_u64().unwrap() as usize;
    let mut ux = SplitMix64::new(fx["seed_x"].as_u64().unwrap());
    let mut ue = SplitMix64::new(fx["seed_noise"].as_u64().unwrap());
    let x = Array2::from_shape_fn((n, nf), |_| ux.next_f64());
    let vol: Vec<f64> = (0..n)
        .map(|i| x[[i, 0]] + 0.5 * x[[i, 1]] * x[[i, 2]] + 0.2 * ue.next_f64())
        .collect();
    let data = RegimeData::new(
        (0..nf).map(|j| format!("f{j}")).collect(),
        x,
        vol,
        vec![0; n],
        vec!["FIX".into()],
        (0..n as i64).collect(),
        fx["n_train"].as_u64().unwrap() as usize,
        // The reference's volatility is a function of its own row (nothing
        // to purge) and its split is unpurged.
        0,
    )
    .unwrap();
    (fx, data)
}

fn params(fx: &Value, par: GridParallelism, share: bool) -> regime::RegimeValidParams {
    let v = |k: &str| -> Vec<usize> {
        fx[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    };
    RegimeModel::params()
        .num_leaves(v("grid_num_leaves"))
        .n_estimators(v("grid_n_estimators"))
        .learning_rate(fx["learning_rate"].as_f64().unwrap())
        .early_stopping_rounds(fx["early_stopping_rounds"].as_u64().unwrap() as usize)
        .grid_parallelism(par)
        .share_rounds_across_n_estimators(share)
        .num_threads(2)
        .check()
        .unwrap()
}

#[test]
fn multiclass_grid_matches_python_lightgbm_in_every_mode() {
    let (fx, data) = fixture();
    for (par, share) in [
        (GridParallelism::Sequential, false),
        (GridParallelism::Sequential, true),
        (GridParallelism::PointsInParallel, false),
        (GridParallelism::PointsInParallel, true),
    ] {
        let m = params(&fx, par, share).fit(&data).unwrap();
        let r = m.report();
        let cp = m.cut_points();
        assert_eq!(cp.q1, fx["q1"].as_f64().unwrap());
        assert_eq!(cp.q2, fx["q2"].as_f64().unwrap());
        for (g, e) in r.grid.iter().zip(fx["grid"].as_array().unwrap()) {
            assert_eq!(
                g.best_iteration as u64,
                e["best_iteration"].as_u64().unwrap(),
                "{par:?} {share} {g:?}"
            );
            let ev = e["val_logloss"].as_f64().unwrap();
            assert!(
                (g.val_logloss - ev).abs() <= 1e-9 * ev,
                "{} vs {ev}",
                g.val_logloss
            );
        }
        assert_eq!(
            r.best_num_leaves as u64,
            fx["best_num_leaves"].as_u64().unwrap()
        );
        assert_eq!(
            r.best_n_estimators as u64,
            fx["best_n_estimators"].as_u64().unwrap()
        );
        assert_eq!(
            m.n_iterations() as u64,
            fx["best_iteration"].as_u64().unwrap()
        );
        let test = data.features().slice(ndarray::s![1200.., ..]).to_owned();
        let p = m.predict_proba(test.view()).unwrap();
        for (a, e) in p.iter().zip(fx["test_proba"].as_array().unwrap()) {
            let e = e.as_f64().unwrap();
            assert!((a - e).abs() <= 1e-9, "{a} vs {e}");
        }
        let f1 = r.test_f1_macro.unwrap();
        let auc = r.test_roc_auc_ovr.unwrap();
        assert!((f1 - fx["test_f1_macro"].as_f64().unwrap()).abs() < 1e-12);
        assert!((auc - fx["test_roc_auc_ovr"].as_f64().unwrap()).abs() < 1e-12);
    }
}

#[test]
fn save_load_round_trip_keeps_predictions_cut_points_and_label_order() {
    let (fx, data) = fixture();
    let m = params(&fx, GridParallelism::Sequential, true)
        .fit(&data)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let man = m.save(dir.path()).unwrap();
    assert_eq!(man.label_order, ["low", "medium", "high"]);
    assert!(man.metrics.contains_key("test_f1_macro"));
    assert!(man.extra["cut_points"]["q1"].is_number());
    let back = RegimeModel::load(dir.path()).unwrap();
    assert_eq!(back.cut_points(), m.cut_points());
    assert_eq!(back.report(), m.report());
    let x = data.features().slice(ndarray::s![..50, ..]).to_owned();
    assert_eq!(
        m.predict_proba(x.view()).unwrap(),
        back.predict_proba(x.view()).unwrap()
    );
    // The single-row path agrees with the batch path.
    let row: Vec<f64> = x.row(7).to_vec();
    let one = m.predict_row(&row).unwrap();
    let batch = m.predict_proba(x.view()).unwrap();
    for c in 0..3 {
        assert!((one.probabilities[c] - batch[[7, c]]).abs() < 1e-12);
    }
}

#[test]
fn loading_rejects_feature_names_that_disagree_with_the_model() {
    let (fx, data) = fixture();
    let m = params(&fx, GridParallelism::Sequential, true)
        .fit(&data)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let mp = dir.path().join("manifest.json");
    let txt = std::fs::read_to_string(&mp)
        .unwrap()
        .replacen("\"f1\"", "\"rsi_14\"", 1);
    std::fs::write(&mp, txt).unwrap();
    let err = RegimeModel::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("feature mismatch"), "{err}");
}

#[test]
fn wrong_width_or_nan_input_is_an_error_not_a_panic() {
    let (fx, data) = fixture();
    let m = params(&fx, GridParallelism::Sequential, true)
        .fit(&data)
        .unwrap();
    assert!(m.predict_row(&[0.1; 3]).is_err());
    let e = m.predict_row(&[0.1, f64::NAN, 0.2, 0.3]).unwrap_err();
    assert!(e.to_string().contains("f1"), "{e}");
    assert!(
        m.predict_proba(Array2::<f64>::zeros((2, 7)).view())
            .is_err()
    );
}
