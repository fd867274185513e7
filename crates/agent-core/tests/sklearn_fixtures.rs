//! agent-core's metrics and TimeSeriesSplit against scikit-learn, using the
//! golden file made by `fixtures/agent-core/make_metrics_fixtures.py`.

use agent_core::{TimeSeriesSplit, metrics};
use serde_json::Value;

fn fixture() -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/agent-core/metrics.json"
    );
    serde_json::from_str(&std::fs::read_to_string(p).expect("fixture present in repo"))
        .expect("fixture is JSON")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
        "{what}: ours {a}, sklearn {b}"
    );
}

#[test]
fn metrics_match_sklearn_including_ties() {
    let fx = fixture();
    for case in fx["cases"].as_array().unwrap() {
        let y = f64s(&case["y"]);
        let yu = usizes(&case["y"]);
        let s = f64s(&case["scores"]);
        close(
            metrics::roc_auc(&y, &s).unwrap(),
            case["roc_auc"].as_f64().unwrap(),
            "roc_auc",
        );
        let pred = metrics::threshold_labels(&s, 0.5);
        close(
            metrics::f1_binary(&yu, &pred).unwrap(),
            case["f1"].as_f64().unwrap(),
            "f1",
        );
        close(
            metrics::accuracy(&yu, &pred).unwrap(),
            case["accuracy"].as_f64().unwrap(),
            "accuracy",
        );
        close(
            metrics::log_loss_binary(&yu, &s).unwrap(),
            case["log_loss"].as_f64().unwrap(),
            "log_loss",
        );
        let cm = metrics::confusion_matrix(&yu, &pred, 2).unwrap();
        let want: Vec<Vec<u64>> = case["confusion"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(cm, want);

        let y3 = usizes(&case["y3"]);
        let p3 = f64s(&case["p3"]);
        let pred3 = metrics::argmax_rows(&p3, 3);
        close(
            metrics::f1_macro(&y3, &pred3, 3).unwrap(),
            case["f1_macro"].as_f64().unwrap(),
            "f1_macro",
        );
        close(
            metrics::roc_auc_ovr(&y3, &p3, 3).unwrap(),
            case["roc_auc_ovr"].as_f64().unwrap(),
            "roc_auc_ovr",
        );
        close(
            metrics::log_loss(&y3, &p3, 3).unwrap(),
            case["log_loss3"].as_f64().unwrap(),
            "log_loss3",
        );

        let rt = f64s(&case["reg_true"]);
        let rp = f64s(&case["reg_pred"]);
        close(
            metrics::mse(&rt, &rp).unwrap(),
            case["mse"].as_f64().unwrap(),
            "mse",
        );
        close(
            metrics::r2(&rt, &rp).unwrap(),
            case["r2"].as_f64().unwrap(),
            "r2",
        );
    }
}

#[test]
fn ts_split_matches_sklearn_fold_bounds() {
    let fx = fixture();
    for case in fx["time_series_splits"].as_array().unwrap() {
        let mut tss = TimeSeriesSplit::new(case["n_splits"].as_u64().unwrap() as usize)
            .gap(case["gap"].as_u64().unwrap() as usize);
        if let Some(m) = case["max_train_size"].as_u64() {
            tss = tss.max_train_size(m as usize);
        }
        if let Some(t) = case["test_size"].as_u64() {
            tss = tss.test_size(t as usize);
        }
        let folds = tss.split(case["n"].as_u64().unwrap() as usize).unwrap();
        let want = case["folds"].as_array().unwrap();
        assert_eq!(folds.len(), want.len());
        for (f, w) in folds.iter().zip(want) {
            let tr = usizes(&w["train"]);
            let te = usizes(&w["test"]);
            assert_eq!((f.train.start, f.train.end), (tr[0], tr[1]), "{case}");
            assert_eq!((f.test.start, f.test.end), (te[0], te[1]), "{case}");
        }
    }
}
