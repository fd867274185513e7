//! Agreement with scikit-learn on the committed fixtures
//! (`fixtures/signal/logistic_sklearn.json`, made by
//! `fixtures/signal/make_logistic_fixtures.py`): the pipeline
//! StandardScaler + LogisticRegression(elastic net) must give the same
//! scaler and the same coefficients and intercept to 1e-4 at convergence.

use agent_core::{Dataset, Fit, ParamGuard};
use ndarray::{Array1, Array2};
use signal::{ClassWeight, LogisticParams, SignalModel};

#[derive(serde::Deserialize)]
struct Fixture {
    datasets: Vec<Set>,
}

#[derive(serde::Deserialize)]
struct Set {
    name: String,
    feature_names: Vec<String>,
    #[serde(rename = "X")]
    x: Vec<Vec<f64>>,
    y: Vec<u8>,
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    #[serde(rename = "C")]
    c: f64,
    l1_ratio: f64,
    fit_intercept: bool,
    class_weight: String,
    coef: Vec<f64>,
    intercept: f64,
    scaler_mean: Vec<f64>,
    scaler_scale: Vec<f64>,
}

fn fixture() -> Fixture {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/signal/logistic_sklearn.json"
    );
    let text = std::fs::read_to_string(p).expect("fixture file is committed");
    serde_json::from_str(&text).expect("fixture parses")
}

fn dataset(s: &Set) -> Dataset {
    let n = s.x.len();
    let d = s.feature_names.len();
    let x = Array2::from_shape_fn((n, d), |(i, j)| s.x[i][j]);
    let y = Array1::from_iter(s.y.iter().map(|&v| f64::from(v)));
    Dataset::new(x, y, s.feature_names.clone()).unwrap()
}

fn params(c: &Case, tol: f64) -> signal::LogisticValidParams {
    LogisticParams::new()
        .c(c.c)
        .l1_ratio(c.l1_ratio)
        .fit_intercept(c.fit_intercept)
        .class_weight(match c.class_weight.as_str() {
            "balanced" => ClassWeight::Balanced,
            _ => ClassWeight::None,
        })
        .max_iter(200)
        .tol(tol)
        .check()
        .unwrap()
}

#[test]
fn coefficients_match_sklearn_saga_to_1e4_on_every_fixture_case() {
    let fx = fixture();
    let mut n_cases = 0;
    let mut worst: f64 = 0.0;
    for s in &fx.datasets {
        let data = dataset(s);
        for c in &s.cases {
            let m = SignalModel::fit_fixed(&params(c, 1e-10), &data).unwrap();
            let tag = format!(
                "{} C={} l1_ratio={} fit_intercept={} class_weight={}",
                s.name, c.c, c.l1_ratio, c.fit_intercept, c.class_weight
            );
            assert!(m.fit_info().converged, "{tag}: {:?}", m.fit_info());
            for (j, (a, b)) in m.scaler().mean.iter().zip(&c.scaler_mean).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                    "{tag}: scaler mean {j}"
                );
            }
            for (j, (a, b)) in m.scaler().scale.iter().zip(&c.scaler_scale).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-12 * b.abs(),
                    "{tag}: scaler scale {j}: {a} vs {b}"
                );
            }
            for (j, (a, b)) in m.coef().iter().zip(&c.coef).enumerate() {
                let err = (a - b).abs();
                worst = worst.max(err);
                assert!(err <= 1e-4, "{tag}: coef {j} = {a}, sklearn {b}");
                // Exact zeros from the L1 term are exact zeros here too.
                if c.l1_ratio > 0.0 && *b == 0.0 {
                    assert_eq!(*a, 0.0, "{tag}: coef {j} should be exactly 0");
                }
            }
            let err = (m.intercept() - c.intercept).abs();
            worst = worst.max(err);
            assert!(
                err <= 1e-4,
                "{tag}: intercept {} vs {}",
                m.intercept(),
                c.intercept
            );
            n_cases += 1;
        }
    }
    assert_eq!(n_cases, 21);
    // The solver is converged far beyond the 1e-4 contract.
    assert!(worst < 1e-7, "largest deviation {worst:e}");
}

#[test]
fn default_tolerance_stays_within_1e4_of_sklearn() {
    // sklearn's default tol is 1e-4; ours is relative to the null model's KKT
    // violation, which keeps coefficients within the contract at the default.
    let fx = fixture();
    for s in &fx.datasets {
        let data = dataset(s);
        for c in &s.cases {
            let m = SignalModel::fit_fixed(&params(c, 1e-4), &data).unwrap();
            for (a, b) in m.coef().iter().zip(&c.coef) {
                assert!(
                    (a - b).abs() <= 1e-4,
                    "{} C={} rho={}: {a} vs {b}",
                    s.name,
                    c.c,
                    c.l1_ratio
                );
            }
        }
    }
}

#[test]
fn raw_logistic_fit_matches_pipeline_on_prestandardised_data() {
    // LogisticValidParams::fit works on the features as given: fed the
    // standardised matrix it must reproduce the pipeline's coefficients.
    let fx = fixture();
    let s = &fx.datasets[0];
    let data = dataset(s);
    let c = &s.cases[4];
    let pipe = SignalModel::fit_fixed(&params(c, 1e-10), &data).unwrap();
    let z = pipe.scaler().transform(data.features()).unwrap();
    let zdata = Dataset::new(z, data.targets().to_owned(), data.feature_names().to_vec()).unwrap();
    let raw = params(c, 1e-10).fit(&zdata).unwrap();
    for (a, b) in raw.coef().iter().zip(pipe.coef()) {
        assert!((a - b).abs() < 1e-12);
    }
    let p = raw.predict_proba(zdata.features()).unwrap();
    let q = pipe.predict_proba(data.features()).unwrap();
    for (a, b) in p.iter().zip(&q) {
        assert!((a - b).abs() < 1e-12);
    }
}
