//! The agent end to end on small synthetic data: the search is
//! deterministic, manifest-checked artifacts round-trip exactly, a model
//! refuses data with other features, tampering is caught, and the JSON
//! export reproduces `predict_proba` from Python without Rust (ignored with
//! the reason when no Python 3 is found; a failure under
//! `COINTRAINER_REQUIRE_PYTHON=1`).
//!
//! A `harness = false` target: every test is registered in `main`.

use agent_core::{CoreError, Dataset, Fit, ParamGuard, Persist, SplitMix64};
use ndarray::{Array1, Array2};
use signal::{SignalError, SignalModel, SignalParams};
use std::path::Path;
use std::process::Command;
use test_support::{needs_python, run_tests, test};

fn main() {
    run_tests(vec![
        test(
            "search_results_do_not_depend_on_the_thread_count",
            search_results_do_not_depend_on_the_thread_count,
        ),
        test(
            "saved_model_loads_with_identical_predictions_and_manifest_metrics",
            saved_model_loads_with_identical_predictions_and_manifest_metrics,
        ),
        test(
            "loading_for_other_features_is_rejected_naming_both_lists",
            loading_for_other_features_is_rejected_naming_both_lists,
        ),
        test(
            "tampered_coefficients_fail_the_checksum",
            tampered_coefficients_fail_the_checksum,
        ),
        needs_python(
            "json_export_reproduces_predict_proba_in_python",
            &[],
            json_export_reproduces_predict_proba_in_python,
        ),
        test(
            "signals_follow_thresholds_and_metrics_are_out_of_sample",
            signals_follow_thresholds_and_metrics_are_out_of_sample,
        ),
    ]);
}

fn data(seed: u64, n: usize) -> Dataset {
    let mut rng = SplitMix64::new(seed);
    let mut x = Array2::zeros((n, 3));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        x[[i, 0]] = rng.next_normal() * 0.01;
        x[[i, 1]] = 50.0 + 10.0 * rng.next_normal();
        x[[i, 2]] = rng.next_normal();
        let m = 80.0 * x[[i, 0]] - 0.05 * (x[[i, 1]] - 50.0) + 0.3 * rng.next_normal();
        y[i] = if m > 0.0 { 1.0 } else { 0.0 };
    }
    Dataset::new(x, y, vec!["lr_1".into(), "rsi_14".into(), "noise".into()]).unwrap()
}

fn trained() -> (SignalModel, Dataset) {
    let (train, test) = data(11, 1200).split_fraction(0.75).unwrap();
    let mut m = SignalParams::new()
        .cs(vec![0.01, 1.0])
        .l1_ratios(vec![0.0, 1.0])
        .n_splits(3)
        .n_threads(2)
        .buy_threshold(0.6)
        .sell_threshold(0.35)
        .check()
        .unwrap()
        .fit(&train)
        .unwrap();
    m.evaluate(&test).unwrap();
    (m, test)
}

fn search_results_do_not_depend_on_the_thread_count() {
    let (train, _) = data(5, 900).split_fraction(0.8).unwrap();
    let fit = |threads: usize| {
        SignalParams::new()
            .n_splits(4)
            .n_threads(threads)
            .check()
            .unwrap()
            .fit(&train)
            .unwrap()
    };
    let (a, b) = (fit(1), fit(2));
    let (ra, rb) = (a.search().unwrap(), b.search().unwrap());
    assert_eq!(ra.grid, rb.grid);
    assert_eq!(
        (ra.best, &ra.folds, &ra.threshold),
        (rb.best, &rb.folds, &rb.threshold)
    );
    assert_eq!(a.coef(), b.coef());
    assert_eq!(a.decision_threshold(), b.decision_threshold());
    let report = a.search().unwrap();
    assert_eq!(report.grid.len(), 12);
    assert!(
        report
            .grid
            .iter()
            .all(|g| g.fold_auc.len() == 4 && g.converged)
    );
}

fn saved_model_loads_with_identical_predictions_and_manifest_metrics() {
    let (m, test) = trained();
    let dir = tempfile::tempdir().unwrap();
    let manifest = m.save(dir.path()).unwrap();
    assert_eq!(manifest.agent, "signal");
    assert_eq!(manifest.feature_names, m.feature_names());
    assert!(manifest.metrics.contains_key("test_auc"));
    assert!(manifest.metrics.contains_key("cv_auc"));
    assert!(manifest.data_fingerprint.is_some());
    for f in [
        "coef.npy",
        "intercept.npy",
        "scaler_mean.npy",
        "scaler_scale.npy",
        "thresholds.npy",
        "model.json",
        "search.json",
    ] {
        assert!(manifest.files.contains_key(f), "missing {f}");
    }

    let loaded = SignalModel::load(dir.path()).unwrap();
    assert_eq!(loaded.coef(), m.coef());
    assert_eq!(loaded.intercept(), m.intercept());
    assert_eq!(loaded.scaler(), m.scaler());
    assert_eq!(loaded.thresholds(), m.thresholds());
    assert_eq!(loaded.decision_threshold(), m.decision_threshold());
    assert_eq!(loaded.params_used(), m.params_used());
    assert_eq!(loaded.search().unwrap().grid.len(), 4);
    let p0 = m.predict_proba_dataset(&test).unwrap();
    let p1 = loaded.predict_proba_dataset(&test).unwrap();
    assert_eq!(
        p0, p1,
        "predictions must be bit-identical after a round trip"
    );
    for (k, v) in m.metrics() {
        assert!(
            (loaded.metrics()[k] - v).abs() <= 1e-15 * v.abs().max(1.0),
            "{k}"
        );
    }

    let blob = m.to_bytes().unwrap();
    let from_blob = SignalModel::from_bytes(&blob).unwrap();
    assert_eq!(from_blob.predict_proba_dataset(&test).unwrap(), p0);
}

fn loading_for_other_features_is_rejected_naming_both_lists() {
    let (m, test) = trained();
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let other: Vec<String> = vec!["lr_1".into(), "rsi_14".into(), "vol_24".into()];
    let err = SignalModel::load_for(dir.path(), &other).unwrap_err();
    assert!(
        matches!(err, SignalError::Core(CoreError::FeatureMismatch { .. })),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("noise") && msg.contains("vol_24"), "{msg}");
    assert!(SignalModel::load_for(dir.path(), m.feature_names()).is_ok());

    // Predicting on a dataset with renamed columns fails the same way.
    let renamed =
        Dataset::new(test.features().to_owned(), test.targets().to_owned(), other).unwrap();
    assert!(m.predict_proba_dataset(&renamed).is_err());
    assert!(
        m.predict_proba(test.features().slice(ndarray::s![.., ..2]))
            .is_err()
    );
}

fn tampered_coefficients_fail_the_checksum() {
    let (m, _) = trained();
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path()).unwrap();
    let p = dir.path().join("coef.npy");
    let mut b = std::fs::read(&p).unwrap();
    let last = b.len() - 1;
    b[last] ^= 0x40;
    std::fs::write(&p, b).unwrap();
    let err = SignalModel::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("coef.npy"), "{err}");
}

fn json_export_reproduces_predict_proba_in_python(python: &Path) {
    let (m, test) = trained();
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("signal.json");
    m.write_json(&json_path).unwrap();
    let x_path = dir.path().join("x.csv");
    let rows: Vec<String> = test
        .features()
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:?}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    std::fs::write(&x_path, rows.join("\n")).unwrap();

    // Plain Python (json + math only): what a user without Rust would write.
    let script = r#"
import json, math, sys
m = json.load(open(sys.argv[1]))
assert m["schema"] == "cointrainer-signal/1"
assert list(m["coefficients"]) == sorted(m["feature_names"])
mean, scale, coef = m["scaler"]["mean"], m["scaler"]["scale"], m["coef"]
for line in open(sys.argv[2]):
    x = [float(v) for v in line.split(",")]
    z = m["intercept"] + sum(c * (xi - mu) / s for c, xi, mu, s in zip(coef, x, mean, scale))
    print(repr(1.0 / (1.0 + math.exp(-z))))
"#;
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&json_path)
        .arg(&x_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py: Vec<f64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let ours = m.predict_proba_dataset(&test).unwrap();
    assert_eq!(py.len(), ours.len());
    for (a, b) in py.iter().zip(&ours) {
        assert!((a - b).abs() <= 1e-12, "python {a} vs rust {b}");
    }
}

fn signals_follow_thresholds_and_metrics_are_out_of_sample() {
    let (m, test) = trained();
    let p = m.predict_proba_dataset(&test).unwrap();
    let s = m.signals(test.features()).unwrap();
    for (pi, si) in p.iter().zip(&s) {
        let expect = if *pi >= 0.6 {
            signal::Signal::Buy
        } else if *pi <= 0.35 {
            signal::Signal::Sell
        } else {
            signal::Signal::Hold
        };
        assert_eq!(*si, expect);
    }
    let ev = m.score(&test).unwrap();
    assert!(ev.auc > 0.8, "{ev:?}");
    assert!((ev.buy_rate + ev.sell_rate + ev.hold_rate - 1.0).abs() < 1e-12);
    // The decision threshold came from validation folds, not from the test rows.
    let t = m.search().unwrap().threshold.as_ref().unwrap();
    assert_eq!(t.threshold, m.decision_threshold());
    assert!(t.n_oof < 900);
}
