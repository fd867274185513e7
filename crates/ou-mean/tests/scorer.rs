//! The scorer layer: gate, suggestions, rolling evaluation without look-ahead,
//! batch = streaming, the train/test protocol and artifacts.

use agent_core::{FitChecked, ParamGuard, Persist, SplitMix64, TimeSeriesSplit};
use ou_mean::{
    AdfOptions, HurstMethod, MeanReversionModel, MeanReversionParams, OuMeanError, OuOptions,
    RollingScorer, Suggestion, ThresholdGrid, analyze_windows, rolling_fits, signals, train,
};

/// Prices whose log follows an OU process around ln 100 (AR coefficient `b`).
fn ou_prices(n: usize, b: f64, sd: f64, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    let mut x = 0.0f64;
    (0..n)
        .map(|_| {
            x = b * x + sd * rng.next_normal();
            100.0 * x.exp()
        })
        .collect()
}

fn walk_prices(n: usize, sd: f64, seed: u64) -> Vec<f64> {
    ou_prices(n, 1.0, sd, seed)
}

fn small() -> MeanReversionParams {
    MeanReversionParams::new()
        .window(150)
        .refit_every(5)
        .half_life(1.0, 100.0)
}

#[test]
fn mean_reverting_prices_pass_the_gate_and_a_random_walk_does_not() {
    let p = MeanReversionParams::new().window(500);
    let m = p.fit_checked(&ou_prices(800, 0.9, 0.01, 3)[..]).unwrap();
    assert!(m.gate().passed(), "{:?} {:?}", m.gate(), m.fit_summary());
    let rw = p.fit_checked(&walk_prices(800, 0.01, 4)[..]).unwrap();
    assert!(!rw.gate().passed(), "{:?}", rw.fit_summary());
}

#[test]
fn suggestion_is_long_below_the_mean_and_short_above_it() {
    let m = MeanReversionParams::new()
        .window(400)
        .fit_checked(&ou_prices(400, 0.9, 0.01, 5)[..])
        .unwrap();
    let f = *m.fit_summary();
    let at = |k: f64| (f.mu + k * f.sigma_eq).exp();
    let low = m.score_price(at(-2.5), Suggestion::Flat).unwrap();
    assert_eq!(low.suggestion, Suggestion::Long);
    assert!((low.z + 2.5).abs() < 1e-9 && low.score == 1.0);
    assert_eq!(
        m.score_price(at(2.5), Suggestion::Flat).unwrap().suggestion,
        Suggestion::Short
    );
    assert_eq!(
        m.score_price(at(-1.0), Suggestion::Long)
            .unwrap()
            .suggestion,
        Suggestion::Long
    );
    assert_eq!(
        m.score_price(at(-0.2), Suggestion::Long)
            .unwrap()
            .suggestion,
        Suggestion::Flat
    );
    assert!((m.score_price(at(1.0), Suggestion::Flat).unwrap().score + 0.5).abs() < 1e-9);
    assert!(m.score_price(-1.0, Suggestion::Flat).is_err());
}

#[test]
fn batch_and_streaming_scorers_give_identical_signals() {
    let prices = ou_prices(700, 0.93, 0.01, 6);
    let params = small().check().unwrap();
    let batch = params.rolling(&prices, 2).unwrap();
    let mut s = RollingScorer::new(params).unwrap();
    for (t, &p) in prices.iter().enumerate() {
        let live = s.push(p).unwrap();
        let b = batch[t];
        assert_eq!(live.suggestion, b.suggestion, "bar {t}");
        assert_eq!(live.fit_bar, b.fit_bar, "bar {t}");
        assert_eq!(live.z.to_bits(), b.z.to_bits(), "bar {t}");
    }
    assert!(
        batch.iter().any(|s| s.suggestion != Suggestion::Flat),
        "the OU series should trade"
    );
    assert!(
        batch[..149]
            .iter()
            .all(|s| s.z.is_nan() && s.suggestion == Suggestion::Flat)
    );
}

#[test]
fn rolling_signals_never_use_future_prices() {
    let prices = ou_prices(600, 0.93, 0.01, 7);
    let params = small().check().unwrap();
    let full = params.rolling(&prices, 1).unwrap();
    let cut = 400;
    let past = params.rolling(&prices[..cut], 1).unwrap();
    for t in 0..cut {
        assert_eq!(full[t].z.to_bits(), past[t].z.to_bits(), "bar {t}");
        assert_eq!(full[t].suggestion, past[t].suggestion, "bar {t}");
    }
}

#[test]
fn a_window_that_cannot_be_fitted_stays_flat_instead_of_failing_the_series() {
    let mut prices = ou_prices(500, 0.9, 0.01, 8);
    // A halted market: 200 identical closes.
    for p in prices[250..450].iter_mut() {
        *p = 100.0;
    }
    let params = small().check().unwrap();
    let x: Vec<f64> = prices.iter().map(|p| p.ln()).collect();
    let fits = rolling_fits(&params, &x, 1).unwrap();
    assert!(!fits.failures.is_empty());
    let sig = signals(&fits, &x, &(&params).into());
    let bad_bar = fits.failures[0].0;
    assert_eq!(sig[bad_bar].suggestion, Suggestion::Flat);
    assert!(sig[bad_bar].z.is_nan());

    let per_window = analyze_windows(
        &x,
        150,
        50,
        &OuOptions::default(),
        &AdfOptions::default(),
        &HurstMethod::default(),
        1,
    )
    .unwrap();
    assert!(per_window.iter().any(|r| r.is_err()) && per_window.iter().any(|r| r.is_ok()));
}

#[test]
fn streaming_rejects_a_bad_price_without_changing_state() {
    let prices = ou_prices(200, 0.9, 0.01, 9);
    let mut s = RollingScorer::new(small().check().unwrap()).unwrap();
    for &p in &prices[..170] {
        s.push(p).unwrap();
    }
    let before = s.current_fit().map(|(f, b)| (f.mu, b));
    let err = s.push(f64::NAN).unwrap_err();
    assert!(matches!(err, OuMeanError::InvalidData(_)), "{err}");
    assert_eq!(s.current_fit().map(|(f, b)| (f.mu, b)), before);
    assert_eq!(s.push(prices[170]).unwrap().bar, 170);
}

#[test]
fn train_chooses_thresholds_on_training_bars_and_records_test_metrics() {
    let prices = ou_prices(2500, 0.95, 0.01, 10);
    let params = MeanReversionParams::new()
        .window(200)
        .refit_every(10)
        .check()
        .unwrap();
    let grid = ThresholdGrid {
        adf_pvalue_max: vec![0.05, 0.2],
        hurst_max: vec![0.5, 0.6],
        entry_z: vec![1.5, 2.0],
        exit_z: vec![0.0],
    };
    let (model, report) = train(
        &params,
        &prices,
        0.25,
        &grid,
        &TimeSeriesSplit::new(3),
        0.0005,
        2,
    )
    .unwrap();
    assert_eq!(report.test_start, 1875);
    assert_eq!(report.tune.grid.entries.len(), 8);
    assert_eq!(report.test.n_bars, 625);
    let chosen = model.params();
    assert_eq!(chosen.entry_z, report.tune.best.entry_z);
    assert!(grid.adf_pvalue_max.contains(&chosen.adf_pvalue_max));
    for key in [
        "test_sharpe",
        "test_total_return",
        "test_n_trades",
        "cv_best_mean_sharpe",
    ] {
        assert!(model.metrics().contains_key(key), "missing metric {key}");
    }
    // The tuned thresholds are the CV winner, ties going to the first point.
    let best = report.tune.grid.best_entry().mean;
    assert!(report.tune.grid.entries.iter().all(|e| e.mean <= best));
}

#[test]
fn model_round_trips_through_its_npy_artifact_and_manifest() {
    let prices = ou_prices(600, 0.9, 0.01, 11);
    let params = MeanReversionParams::new().window(500).check().unwrap();
    let (model, _) = train(
        &params,
        &prices,
        0.1,
        &ThresholdGrid {
            adf_pvalue_max: vec![0.05],
            hurst_max: vec![0.5],
            entry_z: vec![2.0],
            exit_z: vec![0.5],
        },
        &TimeSeriesSplit::new(2),
        0.0,
        1,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let manifest = model.save(dir.path()).unwrap();
    assert_eq!(manifest.agent, "ou-mean");
    assert!(manifest.files.contains_key("ou_params.npy") && manifest.files.contains_key("fit.npy"));
    assert!(manifest.metrics.contains_key("test_sharpe"));
    let back = MeanReversionModel::load(dir.path()).unwrap();
    let bits = |m: &MeanReversionModel| {
        m.fit_summary()
            .to_vec()
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&back), bits(&model));
    assert_eq!(back.params(), model.params());
    // The original suite's layout: [theta, mu, sigma].
    let raw = std::fs::read(dir.path().join("ou_params.npy")).unwrap();
    let (shape, v) = agent_core::npy::decode::<f64>(&raw).unwrap();
    assert_eq!(shape, vec![3]);
    assert_eq!(
        v,
        vec![
            model.fit_summary().theta,
            model.fit_summary().mu,
            model.fit_summary().sigma
        ]
    );
    let blob = model.to_bytes().unwrap();
    assert_eq!(
        bits(&MeanReversionModel::from_bytes(&blob).unwrap()),
        bits(&model)
    );
}

#[test]
fn tampered_parameters_are_rejected_on_load() {
    let model = MeanReversionParams::new()
        .window(300)
        .fit_checked(&ou_prices(300, 0.9, 0.01, 12)[..])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    let p = dir.path().join("fit.npy");
    let mut b = std::fs::read(&p).unwrap();
    let last = b.len() - 1;
    b[last] ^= 0x40;
    std::fs::write(&p, b).unwrap();
    let err = MeanReversionModel::load(dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("checksum") && err.contains("fit.npy"), "{err}");
}

#[test]
fn too_few_prices_for_the_window_is_a_clear_error() {
    let err = MeanReversionParams::new()
        .fit_checked(&ou_prices(100, 0.9, 0.01, 13)[..])
        .unwrap_err();
    assert!(
        matches!(
            err,
            OuMeanError::TooShort {
                needed: 500,
                got: 100,
                ..
            }
        ),
        "{err}"
    );
}
