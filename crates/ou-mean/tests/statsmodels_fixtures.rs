//! Agreement with statsmodels / SciPy / NumPy on the committed fixtures of
//! `fixtures/ou-mean/` (made by `make_adf_fixtures.py`): a trend-stationary
//! series, a random walk and a stationary AR(1), 300 values each.

use ou_mean::{
    AdfOptions, AdfRegression, HurstMethod, LagSelection, OuMethod, OuOptions, adfuller, fit_ou,
    hurst,
};
use serde_json::Value;
use std::path::PathBuf;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ou-mean")
}

fn load() -> (Vec<(String, Vec<f64>)>, Value) {
    let dir = fixture_dir();
    let text = std::fs::read_to_string(dir.join("series.csv")).expect("series.csv");
    let mut lines = text.lines();
    let names: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let mut cols = vec![Vec::new(); names.len()];
    for l in lines.filter(|l| !l.is_empty()) {
        for (c, v) in cols.iter_mut().zip(l.split(',')) {
            c.push(v.parse::<f64>().expect("number"));
        }
    }
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("adf_fixtures.json")).expect("json"),
    )
    .expect("parse");
    (names.into_iter().zip(cols).collect(), json)
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

#[test]
fn adf_matches_statsmodels_for_every_regression_and_lag_rule() {
    let (series, json) = load();
    let mut checked = 0;
    for (name, x) in &series {
        for case in json["series"][name]["adf"].as_array().expect("cases") {
            let regression: AdfRegression = case["regression"].as_str().unwrap().parse().unwrap();
            let autolag: LagSelection = case["autolag"].as_str().unwrap().parse().unwrap();
            let max_lag = case["max_lag"].as_u64().map(|v| v as usize);
            let opts = AdfOptions {
                regression,
                autolag,
                max_lag,
            };
            let r = adfuller(x, &opts).unwrap_or_else(|e| panic!("{name} {opts:?}: {e}"));
            let what = format!(
                "{name} {} {} maxlag {max_lag:?}",
                regression.as_str(),
                autolag.as_str()
            );
            assert_eq!(
                r.used_lag as u64,
                case["used_lag"].as_u64().unwrap(),
                "{what}: used lag"
            );
            assert_eq!(
                r.nobs as u64,
                case["nobs"].as_u64().unwrap(),
                "{what}: nobs"
            );
            let stat = case["stat"].as_f64().unwrap();
            assert!(
                close(r.stat, stat, 1e-9),
                "{what}: stat {} vs {stat}",
                r.stat
            );
            let p = case["pvalue"].as_f64().unwrap();
            assert!(
                (r.pvalue - p).abs() <= 1e-9 * p.max(1e-12),
                "{what}: pvalue {} vs {p}",
                r.pvalue
            );
            let crit: Vec<f64> = case["crit"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let got = [
                r.critical_values.pct1,
                r.critical_values.pct5,
                r.critical_values.pct10,
            ];
            for (g, w) in got.iter().zip(&crit) {
                assert!(
                    close(*g, *w, 1e-14),
                    "{what}: critical values {got:?} vs {crit:?}"
                );
            }
            match (case["icbest"].as_f64(), r.icbest) {
                (Some(w), Some(g)) => assert!(close(g, w, 1e-9), "{what}: icbest {g} vs {w}"),
                (None, None) => {}
                (w, g) => panic!("{what}: icbest {g:?} vs {w:?}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * 4 * 6);
}

#[test]
fn adf_pvalue_separates_the_three_fixture_processes() {
    let (series, _) = load();
    let get = |n: &str| &series.iter().find(|(k, _)| k == n).unwrap().1;
    let c = AdfOptions::default();
    let ct = AdfOptions {
        regression: AdfRegression::Ct,
        ..c
    };
    assert!(
        adfuller(get("ar1"), &c).unwrap().pvalue < 0.05,
        "stationary AR(1) rejects a unit root"
    );
    assert!(
        adfuller(get("trend"), &c).unwrap().pvalue > 0.5,
        "a trend looks non-stationary around a constant"
    );
    assert!(
        adfuller(get("trend"), &ct).unwrap().pvalue < 0.01,
        "but stationary around a trend"
    );
}

#[test]
fn hurst_matches_numpy_for_both_methods() {
    let (series, json) = load();
    for (name, x) in &series {
        let j = &json["series"][name];
        let lag = hurst(x, &HurstMethod::default()).unwrap();
        let want = j["hurst_lagged_differences"].as_f64().unwrap();
        assert!(
            (lag.h - want).abs() < 1e-12,
            "{name}: lagged {} vs {want}",
            lag.h
        );
        let rs = hurst(x, &HurstMethod::rescaled_range()).unwrap();
        let want = j["hurst_rescaled_range"].as_f64().unwrap();
        assert!(
            (rs.h - want).abs() < 1e-12,
            "{name}: R/S {} vs {want}",
            rs.h
        );
        assert_eq!(
            rs.n_points,
            j["rescaled_range_sizes"].as_array().unwrap().len()
        );
    }
}

#[test]
fn ou_least_squares_and_its_standard_errors_match_scipy() {
    let (series, json) = load();
    for (name, x) in &series {
        let w = &json["series"][name]["ou_least_squares"];
        let fit = fit_ou(x, &OuOptions::default()).unwrap();
        for (got, key) in [(fit.mu, "mu"), (fit.theta, "theta"), (fit.sigma, "sigma")] {
            let want = w[key].as_f64().unwrap();
            assert!(close(got, want, 1e-6), "{name}: {key} {got} vs {want}");
        }
        let ssr = w["ssr"].as_f64().unwrap();
        assert!(
            fit.ssr <= ssr * (1.0 + 1e-9),
            "{name}: ssr {} > {ssr}",
            fit.ssr
        );
        assert_eq!(
            fit.at_bound,
            w["at_bound"].as_bool().unwrap(),
            "{name}: at_bound"
        );
        // Standard errors s^2 (J'J)^-1 where the solution is interior, NaN on a bound.
        for (got, key) in [
            (fit.std_errors.mu, "se_mu"),
            (fit.std_errors.theta, "se_theta"),
        ] {
            match w[key].as_f64() {
                Some(want) => assert!(close(got, want, 1e-6), "{name}: {key} {got} vs {want}"),
                None => assert!(
                    got.is_nan(),
                    "{name}: {key} should be NaN on a bound, got {got}"
                ),
            }
        }
    }
}

#[test]
fn ou_maximum_likelihood_is_at_least_as_good_as_scipy_minimize() {
    let (series, json) = load();
    let opts = OuOptions {
        method: OuMethod::MaximumLikelihood,
        ..Default::default()
    };
    for (name, x) in &series {
        let w = &json["series"][name]["ou_maximum_likelihood"];
        let fit = fit_ou(x, &opts).unwrap();
        let llf = w["log_likelihood"].as_f64().unwrap();
        // Our optimum may only be better than L-BFGS-B's, never worse.
        assert!(
            fit.log_likelihood >= llf - 1e-7 * llf.abs(),
            "{name}: llf {} < {llf}",
            fit.log_likelihood
        );
        eprintln!(
            "{name}: ML mu {} theta {} sigma {} llf {} | scipy mu {} theta {} sigma {} llf {llf}",
            fit.mu, fit.theta, fit.sigma, fit.log_likelihood, w["mu"], w["theta"], w["sigma"]
        );
        if !fit.at_bound {
            for (got, key) in [(fit.mu, "mu"), (fit.theta, "theta"), (fit.sigma, "sigma")] {
                let want = w[key].as_f64().unwrap();
                assert!(close(got, want, 1e-4), "{name}: {key} {got} vs {want}");
            }
        }
    }
}
